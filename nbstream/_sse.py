"""Server-Sent Events of the Messages API in nbstream's words. Pure: bytes in, events out, tested on
recorded transcripts with no I/O."""

from __future__ import annotations

from typing import Any

import jiter

from ._events import (
    BlockStarted,
    BlockStopped,
    CitationDelta,
    Failure,
    MessageDelta,
    MessageStarted,
    MessageStopped,
    OtherDelta,
    SignatureDelta,
    SourceError,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ToolInputDelta,
    Usage,
)
from ._failures import stream_error_failure


class SSEParser:
    """Server-Sent Events framing, line by line, as the SDK reads it: ``event:`` and ``data:`` fields
    (data lines joined with a newline), a blank line dispatches, comments and other fields are ignored,
    and a frame without an event name is dropped. Pure: tested on recorded transcripts."""

    __slots__ = ("_buffer", "_data", "_event")

    def __init__(self) -> None:
        self._event: str | None = None
        self._data: list[str] = []
        self._buffer = b""

    def feed_bytes(self, chunk: bytes) -> list[tuple[str, str | bytes]]:
        """Bytes as they arrive; returns the frames they complete, in order.

        The hot path: a frame of the Messages API is ``event: NAME\ndata: JSON\n\n``, so whole frames are
        split off in C and such a frame's data stays bytes (jiter parses bytes); anything else (comments,
        several data lines, other fields) goes through :meth:`feed` line by line, as the spec reads it.
        """
        buffer = self._buffer + chunk if self._buffer else chunk
        if b"\r" in buffer:  # CRLF or CR line endings (a CR at the end may be half of a CRLF: wait)
            keep = buffer.endswith(b"\r")
            buffer = (buffer[:-1] if keep else buffer).replace(b"\r\n", b"\n").replace(b"\r", b"\n")
            buffer += b"\r" if keep else b""
        *complete, self._buffer = buffer.split(b"\n\n")
        out: list[tuple[str, str | bytes]] = []
        for raw in complete:
            head, found, data = raw.partition(b"\ndata: ")
            if (found and head.startswith(b"event: ") and b"\n" not in head and b"\n" not in data
                    and self._event is None and not self._data):
                out.append((head[7:].strip().decode(), data))
                continue
            for line in raw.decode().split("\n"):
                self.feed(line)
            if (frame := self.feed("")) is not None:
                out.append(frame)
        return out

    def feed(self, line: str) -> tuple[str, str] | None:
        """One line (without its ending); returns (event, data) when a frame is complete."""
        if not line:
            event, data = self._event, self._data
            self._event, self._data = None, []
            if event is None or not data:
                return None
            return event, data[0] if len(data) == 1 else "\n".join(data)
        if line.startswith("data:"):
            self._data.append(line[6:] if line.startswith("data: ") else line[5:])
        elif line.startswith("event:"):
            self._event = line[6:].strip()
        return None



def decode(name: str, data: str | bytes) -> StreamEvent | None:
    """One SSE frame as nbstream's event (None for pings and what nbstream does not use)."""
    if name == "ping":
        return None
    try:
        payload = jiter.from_json(data if isinstance(data, bytes) else data.encode())
    except ValueError:
        if name == "error":  # an error event whose data is not JSON
            text = data.decode(errors="replace") if isinstance(data, bytes) else data
            raise SourceError(stream_error_failure(text, request_id=None)) from None
        raise SourceError(Failure("malformed", "The API sent a malformed event.", mid_stream=True)) from None
    if name == "error":
        raise SourceError(stream_error_failure(payload, request_id=None))
    try:
        return translate(payload)
    except (KeyError, TypeError, AttributeError, ValueError):
        raise SourceError(Failure("malformed", "The API sent a malformed event.", mid_stream=True)) from None


_PLAIN_BLOCKS = frozenset({"text", "tool_use", "thinking", "redacted_thinking"})


def translate(event: dict[str, Any]) -> StreamEvent | None:
    """One stream event's JSON in nbstream's words (dispatched on its ``type``, as the SDK does);
    None for pings and event types nbstream does not use; a block or delta type it does not know is kept
    (``BlockStarted`` with the whole block, ``OtherDelta``): forward compatible, nothing dropped."""
    kind = event.get("type")
    if kind == "content_block_delta":
        delta = event["delta"]
        delta_type = delta.get("type")
        if delta_type == "text_delta":
            return TextDelta(event["index"], delta["text"])
        if delta_type == "input_json_delta":
            return ToolInputDelta(event["index"], delta["partial_json"])
        if delta_type == "thinking_delta":
            return ThinkingDelta(event["index"], delta["thinking"])
        if delta_type == "signature_delta":  # kept: a thinking block goes back to the API with it
            return SignatureDelta(event["index"], delta["signature"])
        if delta_type == "citations_delta":
            return CitationDelta(event["index"], dict(delta["citation"]))
        return OtherDelta(event["index"], dict(delta))  # a future delta type: kept, shown as unsupported
    if kind == "message_start":
        message = event["message"]
        usage = Usage.from_api(message.get("usage") or {})
        return MessageStarted(message.get("id") or "", message.get("model") or "", usage)
    if kind == "content_block_start":
        block = event["content_block"]
        kind = block["type"]
        whole = None if kind in _PLAIN_BLOCKS else dict(block)  # server tools' results arrive whole here
        return BlockStarted(event["index"], kind, block.get("id"), block.get("name"), block.get("data"), whole)
    if kind == "content_block_stop":
        return BlockStopped(event["index"])
    if kind == "message_delta":
        delta = event.get("delta") or {}
        usage = Usage.from_api(event.get("usage") or {})
        return MessageDelta(delta.get("stop_reason"), usage, delta.get("stop_details"))
    if kind == "message_stop":
        return MessageStopped()
    return None
