"""Images and files in a prompt: ``--image`` / ``images=`` and ``--file`` / ``files=``.

Each becomes one content block before the prompt's text, as the Messages API takes them: an image as
``{"type": "image", "source": {"type": "base64", "media_type": ..., "data": ...}}``, a PDF as a
``document`` with a base64 source, a text file as a ``document`` with a ``text`` source. The media type
comes from the content's first bytes, never from a file name. Limits are checked before anything is
sent: the API's 5 MB per image (of base64) and 8,000 pixels a side, 100 images, 32 MB per request.
Pillow and matplotlib are never imported: a PIL image or a matplotlib figure is recognised by what it
can do.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import pathlib
from dataclasses import dataclass, field
from typing import Any

from ._errors import InputError
from ._notebook_context import figures

IMAGE_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/gif": "GIF", "image/webp": "WebP"}
MAX_IMAGE_BASE64 = 5 * 1024 * 1024  # the API's limit per image
MAX_IMAGES = 100
MAX_IMAGE_PIXELS = 8000  # per side
MAX_REQUEST_BYTES = 32 * 1024 * 1024  # the Messages API's request size limit
LAST_FIGURE = "last-figure"  # --image last-figure: the last figure a cell displayed


@dataclass(frozen=True)
class Attachment:
    kind: str  # "image" or "document"
    media_type: str  # image/png ..., application/pdf, text/plain
    name: str  # what the user gave (a path's file name, a variable's name): shown, never trusted
    data: bytes = field(repr=False)

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def base64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")

    def block(self) -> dict[str, Any]:
        """The content block the API gets."""
        if self.kind == "image":
            return {"type": "image", "source": {"type": "base64", "media_type": self.media_type, "data": self.base64()}}
        if self.media_type == "text/plain":
            source = {"type": "text", "media_type": "text/plain", "data": self.data.decode("utf-8")}
        else:
            source = {"type": "base64", "media_type": self.media_type, "data": self.base64()}
        return {"type": "document", "source": source, "title": self.name[:200]}

    def summary(self) -> dict[str, Any]:
        """What the call log keeps: never the content, only its digest and size."""
        return {"kind": self.kind, "media_type": self.media_type, "name": self.name, "bytes": len(self.data),
                "sha256": self.digest}


def sniff_image(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def dimensions(data: bytes, media_type: str) -> tuple[int, int] | None:
    """An image's width and height in pixels from its header, or None when the header is not readable."""
    try:
        if media_type == "image/png" and data[12:16] == b"IHDR":
            return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
        if media_type == "image/gif":
            return int.from_bytes(data[6:8], "little"), int.from_bytes(data[8:10], "little")
        if media_type == "image/webp":
            chunk = data[12:16]
            if chunk == b"VP8X":
                return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
            if chunk == b"VP8L":
                bits = int.from_bytes(data[21:25], "little")
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            if chunk == b"VP8 ":
                return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
        if media_type == "image/jpeg":
            i = 2
            while i + 9 < len(data) and data[i] == 0xFF:
                marker = data[i + 1]
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a start-of-frame segment
                    return int.from_bytes(data[i + 7 : i + 9], "big"), int.from_bytes(data[i + 5 : i + 7], "big")
                i += 2 + int.from_bytes(data[i + 2 : i + 4], "big")
    except (IndexError, ValueError):
        pass
    return None


def _read(path: str | os.PathLike[str], option: str) -> bytes:
    file = pathlib.Path(path).expanduser()
    if not file.is_file():
        raise InputError(f"{option} {os.fspath(path)!r}: no such file (and no variable of that name)")
    try:
        return file.read_bytes()
    except OSError as exc:
        raise InputError(f"{option} {os.fspath(path)!r}: cannot read it ({exc.strerror})") from None


def _figure_png(figure: Any) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return buffer.getvalue()


def image_bytes(value: object, name: str, last_figure: bytes | None = None) -> bytes:
    """The image's encoded bytes, whatever it was given as; InputError if it is not an image."""
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str) and value == LAST_FIGURE:
        if last_figure is None:
            raise InputError(f"--image {LAST_FIGURE}: no cell has displayed a figure since %load_ext nbstream")
        return last_figure
    if isinstance(value, str | os.PathLike):
        return _read(value, "--image")
    if callable(getattr(value, "savefig", None)):  # a matplotlib Figure
        return _figure_png(value)
    figure = getattr(value, "figure", None)
    if callable(getattr(figure, "savefig", None)):  # a matplotlib Axes
        return _figure_png(figure)
    for method in ("_repr_png_", "_repr_jpeg_"):  # a PIL image, IPython.display.Image, ...
        render = getattr(value, method, None)
        if callable(render):
            data = render()
            if isinstance(data, tuple):  # (data, metadata)
                data = data[0]
            if isinstance(data, str):
                data = base64.b64decode(data)
            if isinstance(data, bytes) and data:
                return data
    raise InputError(
        f"--image {name}: a {type(value).__name__} is not an image: give a path, bytes, a PIL image, a "
        f"matplotlib figure or {LAST_FIGURE}"
    )


def image(value: object, name: str, last_figure: bytes | None = None) -> Attachment:
    data = image_bytes(value, name, last_figure)
    media_type = sniff_image(data)
    if media_type is None:
        raise InputError(f"--image {name}: not a PNG, JPEG, GIF or WebP image (the API takes only these)")
    encoded = 4 * ((len(data) + 2) // 3)
    if encoded > MAX_IMAGE_BASE64:
        raise InputError(
            f"--image {name}: {len(data):,} bytes is too large; the API takes an image of at most 5 MB of "
            f"base64 ({MAX_IMAGE_BASE64 * 3 // 4:,} bytes): make it smaller"
        )
    size = dimensions(data, media_type)
    if size is not None and max(size) > MAX_IMAGE_PIXELS:
        raise InputError(
            f"--image {name}: {size[0]:,}×{size[1]:,} pixels is too large; the API takes at most "
            f"{MAX_IMAGE_PIXELS:,} pixels a side: make it smaller"
        )
    return Attachment("image", media_type, name, data)


def document(value: object, name: str) -> Attachment:
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
    elif isinstance(value, str | os.PathLike):
        data = _read(value, "--file")
    else:
        raise InputError(f"--file {name}: give a path (a PDF or a text file), got a {type(value).__name__}")
    if data.startswith(b"%PDF-"):
        return Attachment("document", "application/pdf", name, data)
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"--file {name}: neither a PDF nor UTF-8 text (for an image, use --image)") from None
    if sniff_image(data) is not None:
        raise InputError(f"--file {name}: an image: use --image for it")
    return Attachment("document", "text/plain", name, data)


def _name(value: object) -> str:
    if isinstance(value, str | os.PathLike):
        return os.path.basename(os.fspath(value)) or os.fspath(value)
    return type(value).__name__


def check_attachments(images: object, files: object) -> tuple[Attachment, ...]:
    """``images=`` and ``files=`` (each one value or a list of them) as content blocks, checked."""
    found: list[Attachment] = []
    if images is None and files is None:
        return ()
    last_figure = figures.last() if _asks_for_last_figure(images) else None
    for values, make in ((images, lambda v, n: image(v, n, last_figure)), (files, document)):
        if values is None:
            continue
        named = values if isinstance(values, list | tuple) and not isinstance(values, NamedValue) else [values]
        for value in named:
            given_name, value = value if isinstance(value, NamedValue) else (_name(value), value)
            found.append(make(value, given_name))
    if sum(a.kind == "image" for a in found) > MAX_IMAGES:
        raise InputError(f"at most {MAX_IMAGES} images per request, got {sum(a.kind == 'image' for a in found)}")
    total = sum(4 * ((len(a.data) + 2) // 3) for a in found)
    if total > MAX_REQUEST_BYTES:
        raise InputError(f"the images and files come to {total:,} bytes of base64; a request may be at most 32 MB")
    return tuple(found)


def _asks_for_last_figure(images: object) -> bool:
    values = images if isinstance(images, list | tuple) else [images]
    return any(isinstance(v, str) and v == LAST_FIGURE for v in values)


class NamedValue(tuple):  # type: ignore[type-arg]
    """(name, value): a value the magic looked up by name, shown under that name."""

    __slots__ = ()

    def __new__(cls, name: str, value: object) -> NamedValue:
        return super().__new__(cls, (name, value))
