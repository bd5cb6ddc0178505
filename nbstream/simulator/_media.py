"""Image and document content blocks, checked as the Messages API checks them, and counted.

An ``image`` takes a ``base64`` source with one of the four media types, data that is base64 and is
that kind of image, at most 5 MB of base64 (or a ``url`` source); a ``document`` takes a base64 PDF
(``application/pdf``), a ``text`` source (``text/plain``), or a ``url``. Anything else is the API's 400,
with the path of the block. The simulated model's reply says what it received (it cannot see them).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["MediaError", "check_media", "describe_media"]

IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
MAX_IMAGE_BASE64 = 5 * 1024 * 1024
_MAGIC = {
    "image/png": lambda d: d.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/jpeg": lambda d: d.startswith(b"\xff\xd8\xff"),
    "image/gif": lambda d: d.startswith((b"GIF87a", b"GIF89a")),
    "image/webp": lambda d: d[:4] == b"RIFF" and d[8:12] == b"WEBP",
}


class MediaError(ValueError):
    """A malformed image or document block; the message is the API's 400 message."""


def _blocks(body: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """(path, role, block) of every image and document block in the messages."""
    for m, message in enumerate(body.get("messages") or []):
        content = message.get("content") if isinstance(message, Mapping) else None
        for i, block in enumerate(content if isinstance(content, list) else []):
            if isinstance(block, Mapping) and block.get("type") in ("image", "document"):
                yield f"messages.{m}.content.{i}", str(message.get("role")), block


def _decode(path: str, data: Any) -> bytes:
    if not isinstance(data, str):
        raise MediaError(f"{path}.source.base64.data: Input should be a valid string")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise MediaError(f"{path}.source.base64.data: invalid base64 data") from None


def _check_image(path: str, source: Mapping[str, Any]) -> None:
    if source.get("type") == "url":
        return
    if source.get("type") != "base64":
        raise MediaError(f"{path}.image.source.type: Input should be 'base64', 'url' or 'file'")
    media_type = source.get("media_type")
    if media_type not in IMAGE_TYPES:
        raise MediaError(
            f"{path}.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or "
            f"'image/webp'"
        )
    data = source.get("data")
    if isinstance(data, str) and len(data) > MAX_IMAGE_BASE64:
        raise MediaError(f"{path}.image.source.base64: image exceeds 5 MB maximum: {len(data)} bytes > "
                         f"{MAX_IMAGE_BASE64} bytes")
    if not _MAGIC[media_type](_decode(f"{path}.image", data)):
        raise MediaError(f"{path}.image.source.base64.data: Image does not match the provided media type {media_type}")


def _check_document(path: str, source: Mapping[str, Any]) -> None:
    kind = source.get("type")
    if kind == "url":
        return
    if kind == "text":
        if source.get("media_type") != "text/plain":
            raise MediaError(f"{path}.document.source.text.media_type: Input should be 'text/plain'")
        if not isinstance(source.get("data"), str):
            raise MediaError(f"{path}.document.source.text.data: Input should be a valid string")
        return
    if kind != "base64":
        raise MediaError(f"{path}.document.source.type: Input should be 'base64', 'text', 'content', 'url' or 'file'")
    if source.get("media_type") != "application/pdf":
        raise MediaError(f"{path}.document.source.base64.media_type: Input should be 'application/pdf'")
    if not _decode(f"{path}.document", source.get("data")).startswith(b"%PDF-"):
        raise MediaError("The PDF specified was not valid.")


def check_media(body: Mapping[str, Any]) -> dict[str, int]:
    """Check every image and document block; their counts (for the request log)."""
    counts = {"images": 0, "documents": 0}
    for path, role, block in _blocks(body):
        source = block.get("source")
        if not isinstance(source, Mapping):
            raise MediaError(f"{path}.{block['type']}.source: Field required")
        if role != "user":
            raise MediaError(f"{path}: {block['type']} blocks are only allowed in user messages")
        if block["type"] == "image":
            _check_image(path, source)
            counts["images"] += 1
        else:
            _check_document(path, source)
            counts["documents"] += 1
    return counts


def describe_media(body: Mapping[str, Any]) -> str:
    """The reply's first sentence when the last user message has images or documents, else ""."""
    messages = body.get("messages") or []
    last = messages[-1] if messages and isinstance(messages[-1], Mapping) else {}
    content: list[Any] = last["content"] if isinstance(last.get("content"), list) else []
    kinds = []
    for block in content:
        if isinstance(block, Mapping) and block.get("type") in ("image", "document"):
            source: Mapping[str, Any] = block["source"] if isinstance(block.get("source"), Mapping) else {}
            title = f" titled “{block['title']}”" if isinstance(block.get("title"), str) else ""
            kind = "an image" if block["type"] == "image" else "a document"
            kinds.append(f"{kind} ({source.get('media_type')}){title}")
    if not kinds:
        return ""
    listed = ", ".join(kinds[:-1]) + (" and " if len(kinds) > 1 else "") + kinds[-1]
    return f"I received {listed}; as a simulated model I cannot look inside {'it' if len(kinds) == 1 else 'them'}."
