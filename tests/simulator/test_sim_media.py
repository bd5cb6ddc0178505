"""Image and document blocks through the real SDK: accepted and counted, or the API's 400 naming the block."""

from __future__ import annotations

import base64

import anthropic
import pytest
from _simtools import MODEL

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
PDF = b"%PDF-1.7\n%%EOF\n"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def image(media_type: str = "image/png", data: str | None = None) -> dict:
    return {"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data or b64(PNG)}}


def ask(*content: dict, role: str = "user") -> dict:
    if role == "assistant":
        messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": list(content)},
                    {"role": "user", "content": "ok"}]
    else:
        messages = [{"role": "user", "content": [*content, {"type": "text", "text": "What is this?"}]}]
    return {"model": MODEL, "max_tokens": 200, "messages": messages}


async def test_images_and_documents_are_accepted_counted_and_acknowledged(client, sim):
    message = await client.messages.create(**ask(
        image(), image("image/gif", b64(b"GIF89a" + b"\x00" * 10)),
        {"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": b64(PDF)},
         "title": "report.pdf"},
        {"type": "document", "source": {"type": "text", "media_type": "text/plain", "data": "some text"}},
        {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
    ))
    (record,) = sim.requests
    assert (record["images"], record["documents"]) == (3, 2)
    text = message.content[0].text
    assert text.startswith("I received an image (image/png), an image (image/gif), a document (application/pdf) "
                           "titled “report.pdf”, a document (text/plain) and an image (None)")


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (image("image/bmp"), "messages.0.content.0.image.source.base64.media_type: Input should be 'image/jpeg', "
                             "'image/png', 'image/gif' or 'image/webp'"),
        (image("image/jpeg"), "messages.0.content.0.image.source.base64.data: Image does not match the provided "
                              "media type image/jpeg"),
        (image(data="not base64!"), "messages.0.content.0.image.source.base64.data: invalid base64 data"),
        (image(data="A" * (5 * 1024 * 1024 + 4)), "image exceeds 5 MB maximum: 5242884 bytes > 5242880 bytes"),
        ({"type": "image"}, "messages.0.content.0.image.source: Field required"),
        ({"type": "document", "source": {"type": "base64", "media_type": "text/plain", "data": b64(b"x")}},
         "messages.0.content.0.document.source.base64.media_type: Input should be 'application/pdf'"),
        ({"type": "document", "source": {"type": "base64", "media_type": "application/pdf", "data": b64(b"nope")}},
         "The PDF specified was not valid."),
        ({"type": "document", "source": {"type": "text", "media_type": "text/markdown", "data": "# x"}},
         "document.source.text.media_type: Input should be 'text/plain'"),
    ],
)
async def test_a_bad_block_is_the_apis_400_naming_it(client, sim, block, message):
    with pytest.raises(anthropic.BadRequestError) as info:
        await client.messages.create(**ask(block))
    assert info.value.status_code == 400
    assert info.value.body["error"]["type"] == "invalid_request_error"
    assert message in info.value.body["error"]["message"]


async def test_an_image_in_an_assistant_turn_is_refused(client):
    with pytest.raises(anthropic.BadRequestError, match="image blocks are only allowed in user messages"):
        await client.messages.create(**ask(image(), role="assistant"))
