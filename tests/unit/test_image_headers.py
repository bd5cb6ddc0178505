"""Image headers: the media type from the first bytes, the size in pixels from the header (every format
and variant the API takes), as Pillow writes them."""

import io

import pytest

PIL = pytest.importorskip("PIL.Image")

from nbstream._attachments import dimensions, sniff_image  # noqa: E402


@pytest.mark.parametrize(
    ("format", "options", "media_type"),
    [("PNG", {}, "image/png"), ("GIF", {}, "image/gif"), ("JPEG", {}, "image/jpeg"),
     ("JPEG", {"progressive": True}, "image/jpeg"), ("WEBP", {}, "image/webp"),
     ("WEBP", {"lossless": True}, "image/webp"), ("WEBP", {"exif": b"Exif\x00\x00"}, "image/webp")],
)
def test_media_type_and_pixels_come_from_the_header(format, options, media_type):
    out = io.BytesIO()
    PIL.new("RGB", (123, 45), (1, 2, 3)).save(out, format, **options)
    data = out.getvalue()
    assert sniff_image(data) == media_type
    assert dimensions(data, media_type) == (123, 45)


def test_an_unreadable_header_has_no_size_and_other_bytes_no_type():
    assert dimensions(b"\x89PNG\r\n\x1a\n", "image/png") is None
    assert dimensions(b"\xff\xd8\xff", "image/jpeg") is None
    assert sniff_image(b"BM6\x00") is None  # a BMP: not one the API takes
