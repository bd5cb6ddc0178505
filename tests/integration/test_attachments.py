"""Images and files through the real SDK to the simulator: the right content blocks (base64, the media
type from the content), before the prompt's text, from every kind of image; the log keeps digests."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import sqlite3

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from PIL import Image  # noqa: E402

from nbstream import ParallelPanel, StreamWidget, stream  # noqa: E402
from nbstream._config import defaults  # noqa: E402
from nbstream._log import current_log  # noqa: E402

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def png_bytes(colour=(200, 30, 30), size=(32, 24)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, format="PNG")
    return out.getvalue()


def blocks(request) -> list[dict]:
    return request["body"]["messages"][-1]["content"]


async def test_every_kind_of_image_and_file_becomes_its_block_before_the_text(routed, tmp_path):
    (tmp_path / "chart.png").write_bytes(png_bytes())
    jpeg = io.BytesIO()
    Image.new("RGB", (10, 10), (0, 90, 200)).save(jpeg, format="JPEG")
    (tmp_path / "paper.pdf").write_bytes(PDF)
    (tmp_path / "notes.txt").write_text("Line one.\nLine two: ünïcode.\n", encoding="utf-8")
    figure, axes = plt.subplots(figsize=(2, 2))
    axes.plot([1, 2, 3], [3, 1, 2])
    pil = Image.new("RGBA", (16, 16), (0, 200, 0, 128))

    result = await StreamWidget(
        "What do these show?",
        images=[str(tmp_path / "chart.png"), jpeg.getvalue(), pil, figure, axes],
        files=[tmp_path / "paper.pdf", str(tmp_path / "notes.txt")],
    )

    assert result.status == "done"
    (request,) = routed.requests
    assert (request["images"], request["documents"]) == (5, 2)  # the simulator counted what it accepted
    sent = blocks(request)
    assert [b["type"] for b in sent] == ["image"] * 5 + ["document"] * 2 + ["text"]
    assert [b["source"]["media_type"] for b in sent[:5]] == ["image/png", "image/jpeg", "image/png", "image/png",
                                                               "image/png"]
    assert base64.b64decode(sent[0]["source"]["data"]) == (tmp_path / "chart.png").read_bytes()
    assert base64.b64decode(sent[1]["source"]["data"]) == jpeg.getvalue()
    with Image.open(io.BytesIO(base64.b64decode(sent[2]["source"]["data"]))) as back:
        assert back.size == (16, 16) and back.mode == "RGBA"
    assert sent[5] == {"type": "document", "title": "paper.pdf",
                       "source": {"type": "base64", "media_type": "application/pdf",
                                  "data": base64.b64encode(PDF).decode()}}
    assert sent[6] == {"type": "document", "title": "notes.txt",
                       "source": {"type": "text", "media_type": "text/plain",
                                  "data": "Line one.\nLine two: ünïcode.\n"}}
    assert sent[7] == {"type": "text", "text": "What do these show?"}
    assert result.text.startswith("I received an image (image/png), an image (image/jpeg)")
    assert "a document (application/pdf) titled “paper.pdf”" in result.text
    plt.close(figure)


async def test_stream_and_every_panel_row_take_the_same_options(routed):
    image = png_bytes()
    await stream("Describe it.", images=image)
    await ParallelPanel(["One word for it.", "Two words for it."], images=[image])
    assert [r["images"] for r in routed.requests] == [1, 1, 1]
    assert all(blocks(r)[0]["source"]["data"] == base64.b64encode(image).decode() for r in routed.requests)


async def test_the_log_keeps_a_digest_and_the_size_never_the_content(routed, tmp_path):
    defaults.log_path = str(tmp_path / "calls.sqlite3")
    try:
        image = png_bytes((1, 2, 3), (64, 64))
        await StreamWidget("What colour?", images=image, files=PDF)
        current_log().flush()
        raw = b"".join(path.read_bytes() for path in tmp_path.glob("calls.sqlite3*"))
        (params,) = [json.loads(r[0]) for r in sqlite3.connect(tmp_path / "calls.sqlite3").execute(
            "SELECT params FROM calls")]
    finally:
        defaults.reset()
    assert params["attachments"] == [
        {"kind": "image", "media_type": "image/png", "name": "bytes", "bytes": len(image),
         "sha256": hashlib.sha256(image).hexdigest()},
        {"kind": "document", "media_type": "application/pdf", "name": "bytes", "bytes": len(PDF),
         "sha256": hashlib.sha256(PDF).hexdigest()},
    ]
    assert base64.b64encode(image) not in raw and image not in raw and base64.b64encode(PDF)[:40] not in raw
