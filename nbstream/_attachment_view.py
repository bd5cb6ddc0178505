"""What a view shows of a call's images and files: a thumbnail for each image, the name of each file.

One small HTML output above the view (so it stays after the view's static copy takes its place, in a
saved notebook and in nbconvert). Names are escaped text; an image's ``src`` is a data URL of one of
the four image types the request was checked for, never anything from the user or the model. A
thumbnail is made with Pillow when it is installed; without it an image up to 150 KB is shown as it is,
scaled by CSS, and a larger one by its name.
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

from ._attachments import IMAGE_TYPES, Attachment

THUMBNAIL_PX = 160
MAX_INLINE_BYTES = 150_000


def _thumbnail(attachment: Attachment) -> str | None:
    """A data URL of a small copy of the image, or None."""
    try:
        from PIL import Image  # optional: only for a smaller thumbnail

        with Image.open(io.BytesIO(attachment.data)) as picture:
            picture.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX))
            out = io.BytesIO()
            picture.convert("RGBA" if picture.mode in ("RGBA", "LA", "P") else "RGB").save(out, format="PNG")
        return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode("ascii")
    except Exception:  # no Pillow, or an image it cannot read: fall back
        if len(attachment.data) <= MAX_INLINE_BYTES and attachment.media_type in IMAGE_TYPES:
            return f"data:{attachment.media_type};base64,{attachment.base64()}"
        return None


def _size(count: int) -> str:
    if count < 1000:
        return f"{count} B"
    return f"{count / 1000:,.0f} KB" if count < 1_000_000 else f"{count / 1_000_000:,.1f} MB"


def _label(attachment: Attachment) -> str:
    kind = IMAGE_TYPES.get(attachment.media_type) or {"application/pdf": "PDF"}.get(attachment.media_type, "text")
    return f"{attachment.name} · {kind} · {_size(len(attachment.data))}"


def attachments_bundle(attachments: tuple[Attachment, ...]) -> dict[str, Any]:
    items = []
    for attachment in attachments:
        label = html.escape(_label(attachment))
        src = _thumbnail(attachment) if attachment.kind == "image" else None
        picture = (
            f'<img src="{src}" alt="{label}" style="max-height:{THUMBNAIL_PX // 2}px;'
            f'max-width:{THUMBNAIL_PX}px;display:block;border:1px solid #8884;border-radius:3px">'
        ) if src else ""
        icon = "" if src else ("🖼 " if attachment.kind == "image" else "📄 ")
        items.append(f'<figure style="margin:0 8px 4px 0;display:inline-block;vertical-align:top">{picture}'
                     f'<figcaption style="font-size:11px;opacity:.75">{icon}{label}</figcaption></figure>')
    page = f'<div class="nbstream-attachments" style="margin:2px 0 4px">{"".join(items)}</div>'
    plain = "attached: " + "; ".join(_label(a) for a in attachments)
    return {"text/html": page, "text/plain": plain}
