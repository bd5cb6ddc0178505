"""Every argument of StreamWidget and ParallelPanel with invalid values: a one-line error naming the
bad value, raised before a widget exists or anything is sent."""

from __future__ import annotations

import pytest

from nbstream import InputError, ParallelPanel, StreamWidget, use_offline
from nbstream._offline import use_api

BAD = [
    ("prompt", "", "the prompt is empty"),
    ("prompt", None, "prompt must be text, got NoneType"),
    ("model", "", "model must be a model name"),
    ("model", "claude haiku", "model must be a model name such as 'claude-haiku-5-5' or 'sonnet', got 'claude haiku'"),
    ("model", 5, "got 5"),
    ("system", 7, "system must be text or None, got int 7"),
    ("max_tokens", 0, "max_tokens must be a positive whole number, got 0"),
    ("max_tokens", "100", "got '100'"),
    ("idle_timeout", 0, "idle_timeout must be a positive number of seconds, got 0"),
    ("idle_timeout", "fast", "got 'fast'"),
    ("max_retries", -1, "max_retries must be a whole number, 0 or more, got -1"),
    ("max_retries", 2.5, "got 2.5"),
    ("images", "no/such/chart.png", "--image 'no/such/chart.png': no such file"),
    ("images", b"GIF88a not quite", "--image bytes: not a PNG, JPEG, GIF or WebP image (the API takes only these)"),
    ("images", [b"\x89PNG\r\n\x1a\n" + bytes(4_000_000)], "--image bytes: 4,000,008 bytes is too large; the API "
     "takes an image of at most 5 MB of base64 (3,932,160 bytes): make it smaller"),
    ("images", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + (9000).to_bytes(4, "big") + (10).to_bytes(4, "big"),
     "--image bytes: 9,000×10 pixels is too large; the API takes at most 8,000 pixels a side: make it smaller"),
    ("images", 42, "--image int: a int is not an image: give a path, bytes, a PIL image, a matplotlib figure"),
    ("images", [b"\x89PNG\r\n\x1a\n"] * 101, "at most 100 images per request, got 101"),
    ("images", "last-figure", "--image last-figure: no cell has displayed a figure since %load_ext nbstream"),
    ("files", "missing.pdf", "--file 'missing.pdf': no such file"),
    ("files", b"\xff\xfe\x00\x81 binary", "--file bytes: neither a PDF nor UTF-8 text (for an image, use --image)"),
    ("files", b"GIF89a", "--file bytes: an image: use --image for it"),
    ("files", 3.5, "--file float: give a path (a PDF or a text file), got a float"),
    ("files", [b"%PDF-" + bytes(12_000_000)] * 3, "the images and files come to 48,000,024 bytes of base64; a "
     "request may be at most 32 MB"),
]


@pytest.fixture(autouse=True)
def nothing_sent(routed):
    yield
    assert routed.requests == []  # nothing was sent


def call(name, value, make):
    args = {"prompt": "hello", name: value} if name != "prompt" else {"prompt": value}
    prompt = args.pop("prompt")
    return make(prompt, **args)


@pytest.mark.parametrize(("name", "value", "message"), BAD)
def test_stream_widget_arguments(name, value, message):
    with pytest.raises(InputError) as info:
        call(name, value, StreamWidget)
    assert message in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize(("name", "value", "message"), BAD)
def test_parallel_panel_arguments(name, value, message):
    make = lambda prompt, **kw: ParallelPanel([prompt], **kw)  # noqa: E731
    if value is None:  # a panel row may be a string or a dict, so its message says so
        message = "a prompt must be a string or a dict, got NoneType"
    with pytest.raises(InputError) as info:
        call(name, value, make)
    assert message in str(info.value) and str(info.value).startswith("row 1: ")


@pytest.mark.parametrize(("value", "message"), [(0, "got 0"), (-3, "got -3"), ("5", "got '5'"), (True, "got True")])
def test_parallel_panel_concurrency(value, message):
    with pytest.raises(InputError, match="concurrency must be a positive whole number"):
        ParallelPanel(["hi"], concurrency=value)


def test_unknown_keyword_arguments_are_refused():
    with pytest.raises(TypeError, match="temperature"):
        StreamWidget("hi", temperature=0.5)  # removed from the API in 2026-10-21; not silently ignored


@pytest.mark.parametrize("row", [-1, 2, "0", None])
def test_panel_row_numbers_are_checked(row):
    panel = ParallelPanel(["a", "b"])
    with pytest.raises(InputError, match="row must be a row number from 0 to 1"):
        panel.cancel(row) if row is not None else panel.retry(row)  # type: ignore[arg-type]


@pytest.mark.parametrize(("kwargs", "message"), [({"ttft": -1}, "ttft"), ({"rate": 0}, "rate")])
def test_offline_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        use_offline(**kwargs)
    use_api()


@pytest.mark.parametrize(("value", "message"), [("yes", "got 'yes'"), (1, "got 1"), (None, "got None")])
def test_stream_widget_to_cell(value, message):
    with pytest.raises(InputError, match=f"to_cell must be True or False, {message}"):
        StreamWidget("hi", to_cell=value)
