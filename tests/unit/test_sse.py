"""nbstream reads a stream's Server-Sent Events itself: framing and decoding as the SDK does."""

import pytest
from sse import frames

from nbstream._events import MessageStarted, OtherDelta, SourceError, TextDelta
from nbstream._sse import SSEParser, decode


def feed(lines):
    parser = SSEParser()
    return [f for line in lines if (f := parser.feed(line)) is not None]


def test_a_blank_line_dispatches_the_frame():
    assert feed(["event: ping", 'data: {"type": "ping"}', ""]) == [("ping", '{"type": "ping"}')]


def test_data_lines_are_joined_and_one_leading_space_stripped():
    assert feed(["event: x", "data:  a", "data:b", ""]) == [("x", " a\nb")]


def test_frames_without_an_event_name_or_data_are_dropped():
    assert feed(['data: {"type":"message_stop"}', "", "event: x", "", ": a comment", "id: 3", ""]) == []


def test_the_transcripts_frame_as_recorded():
    names = [name for name, _ in frames("text.sse")]
    assert names == ["message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta",
                     "content_block_stop", "message_delta", "message_stop"]


def test_decoding_dispatches_on_the_json_type():
    assert decode("message_start", frames("text.sse")[0][1]) == MessageStarted(
        "msg_01XFDUDYJgAACzvnptvVoYEL", "claude-sonnet-5-5", decode("message_start", frames("text.sse")[0][1]).usage
    )
    assert decode(
        "content_block_delta", '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}'
    ) == TextDelta(0, "Hi")
    assert decode("future_event", '{"type":"future_event","x":1}') is None  # forward compatible
    # a delta type from the future is kept (shown as unsupported, in the result), never dropped
    assert decode(
        "content_block_delta", '{"type":"content_block_delta","index":0,"delta":{"type":"future_delta"}}'
    ) == OtherDelta(0, {"type": "future_delta"})


def test_an_error_event_is_a_mid_stream_failure_classified_by_its_type():
    name, data = frames("overloaded_midstream.sse")[-1]
    with pytest.raises(SourceError) as info:
        decode(name, data)
    failure = info.value.failure
    assert (failure.kind, failure.api_type, failure.mid_stream, failure.request_id) == (
        "overloaded", "overloaded_error", True, "req_011CSHoEeqs5C35K2UUqR7Fy"
    )


@pytest.mark.parametrize("data", ["{not json", '{"type":"content_block_delta","delta":{"type":"text_delta"}}'])
def test_a_malformed_frame_fails_cleanly(data):
    with pytest.raises(SourceError, match="malformed"):
        decode("content_block_delta", data)


def _as_text(frames_out):
    return [(name, data.decode() if isinstance(data, bytes) else data) for name, data in frames_out]


@pytest.mark.parametrize("name", ["text.sse", "tools2.sse", "overloaded_midstream.sse"])
def test_bytes_in_chunks_of_any_size_frame_as_the_lines_do(name):
    from sse import FIXTURES

    raw = (FIXTURES / name).read_bytes()
    for size in (1, 2, 3, 7, 64, len(raw)):
        parser = SSEParser()
        got = [f for i in range(0, len(raw), size) for f in parser.feed_bytes(raw[i : i + size])]
        assert _as_text(got) == frames(name), size


def test_bytes_with_crlf_comments_and_several_data_lines_frame_as_the_spec_reads_them():
    stream = b"event: x\r\ndata: a\r\ndata: b\r\n\r\n: a comment\n\nevent:y\ndata:{}\n\nevent: z\r"
    parser = SSEParser()
    got = [f for i in range(len(stream)) for f in parser.feed_bytes(stream[i : i + 1])]
    assert _as_text(got) == [("x", "a\nb"), ("y", "{}")]  # z has no data and no end yet
    assert _as_text(parser.feed_bytes(b"\ndata: 1\n\n")) == [("z", "1")]
