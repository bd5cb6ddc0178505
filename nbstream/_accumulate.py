"""Fold stream events into a snapshot of one response. No I/O: tested from SSE transcripts.

The snapshot is updated in place (like the SDK's own accumulator) but only by :meth:`apply`, and text
is kept as a list of chunks joined on demand, so a long reply costs O(n), not O(n^2), to collect.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ._events import (
    BlockStarted,
    BlockStopped,
    CitationDelta,
    MessageDelta,
    MessageStarted,
    MessageStopped,
    OtherDelta,
    SignatureDelta,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ToolInputDelta,
    Usage,
)
from ._local import model_name

# The live estimate's model of a tokenizer, fitted to Gemma 3's (benchmarks/token_estimate.py, replies in
# ten languages): a word of Latin letters is one token, plus one per 6 letters past 8; in other alphabets
# one, plus one per 5 letters past 5; CJK ideographs and kana ~0.62 a character, Hangul ~0.8; a digit, a newline and an
# emoji about one each, a punctuation mark 0.8; a single space rides on the next word.
_PIECES = re.compile(
    r"[A-Za-z\u00C0-\u024F]+"  # Latin words
    r"|[\u0370-\u1FFF]+"  # Greek, Cyrillic, Armenian, Hebrew, Arabic, Indic, ... words
    r"|[\uAC00-\uD7AF]+"  # Hangul
    r"|[\u2E80-\uABFF\uF900-\uFAFF\U00020000-\U0003FFFF]+"  # CJK ideographs, kana
    r"|\n|[^\S\n]+|.",
    re.S,
)


def token_weight(text: str) -> float:
    """Roughly how many tokens ``text`` is (one regex pass; cheap enough for every delta)."""
    weight = 0.0
    for piece in _PIECES.findall(text):
        first = ord(piece[0])
        if first < 0x80 and piece[0].isalpha() or 0xC0 <= first <= 0x24F:
            weight += 1.0 + max(0, len(piece) - 8) / 6
        elif 0x370 <= first <= 0x1FFF:
            weight += 1.0 + max(0, len(piece) - 5) / 5
        elif 0xAC00 <= first <= 0xD7AF:
            weight += len(piece) * 0.8
        elif 0x2E80 <= first <= 0xABFF or 0xF900 <= first <= 0xFAFF or 0x20000 <= first <= 0x3FFFF:
            weight += len(piece) * 0.62
        elif piece[0] == "\n" or not piece[0].isspace():
            weight += 1.0 if first >= 0x80 or piece[0].isdigit() or piece[0] == "\n" else 0.8
        elif len(piece) > 1:
            weight += 1.0  # a run of spaces (indentation) is one token
    return weight


@functools.lru_cache(maxsize=4096)
def _short_weight(text: str) -> float:
    return token_weight(text)


def delta_weight(text: str) -> float:
    """token_weight() of one streamed delta. A delta is mostly one token, and tokens repeat (" the",
    " of", "\n\n"): short ones are remembered, which makes the live estimate nearly free per delta."""
    return _short_weight(text) if len(text) <= 32 else token_weight(text)


class MalformedStream(Exception):
    """The stream broke the event grammar (a delta for a block that never started, bad tool JSON)."""


@dataclass
class Block:
    index: int
    kind: str
    tool_id: str | None = None
    tool_name: str | None = None
    data: str | None = None  # redacted_thinking
    start: dict[str, Any] | None = None  # the whole start block of a server tool result or an unknown type
    signature: str = ""  # thinking
    stopped: bool = False
    citations: list[dict[str, Any]] = field(default_factory=list)  # a text block's sources
    other_deltas: list[dict[str, Any]] = field(default_factory=list)  # delta types nbstream does not know
    _parts: list[str] = field(default_factory=list)
    _joined: str = ""
    _joined_parts: int = 0

    def append(self, text: str) -> None:
        self._parts.append(text)

    @property
    def content(self) -> str:
        """The block's text (or raw tool-input JSON, or thinking), joined lazily and cached."""
        if self._joined_parts != len(self._parts):
            self._joined = "".join(self._parts)
            self._parts[:] = [self._joined]
            self._joined_parts = 1
        return self._joined

    def as_param(self) -> dict[str, object] | None:
        """This block as it must go back to the API in the next request (None: not sent back)."""
        if self.kind == "text":
            if not self.content:
                return None
            text: dict[str, object] = {"type": "text", "text": self.content}
            return {**text, "citations": self.citations} if self.citations else text
        if self.kind in ("tool_use", "server_tool_use"):
            try:
                arguments = self.tool_input()
            except MalformedStream:
                arguments = {}  # the call is answered with an is_error result saying why
            return {"type": self.kind, "id": self.tool_id, "name": self.tool_name, "input": arguments}
        if self.kind == "thinking":
            return {"type": "thinking", "thinking": self.content, "signature": self.signature}
        if self.kind == "redacted_thinking":
            return {"type": "redacted_thinking", "data": self.data}
        # A server tool's result (or a block type from the future) goes back as the API sent it.
        return dict(self.start) if self.start is not None else None

    def as_data(self) -> dict[str, object]:
        """This block for ``Result.content``: as sent back, with what nbstream could not read kept too
        (an unknown delta type's deltas under ``unknown_deltas``)."""
        data = self.as_param() or {"type": self.kind, **({"text": self.content} if self.content else {})}
        return {**data, "unknown_deltas": list(self.other_deltas)} if self.other_deltas else data

    def tool_input(self) -> dict[str, object]:
        """The parsed input of a finished tool_use block."""
        raw = self.content.strip() or "{}"
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise MalformedStream(f"tool {self.tool_name!r} sent arguments that are not valid JSON") from exc
        if not isinstance(value, dict):
            raise MalformedStream(f"tool {self.tool_name!r} sent arguments that are not a JSON object")
        return value


@dataclass
class Snapshot:
    """One response as far as it has arrived."""

    message_id: str | None = None
    model: str | None = None
    usage: Usage = field(default_factory=Usage)
    stop_reason: str | None = None
    stop_details: dict[str, Any] | None = None  # a refusal's category and explanation
    started: bool = False  # message_start seen
    stopped: bool = False  # message_stop seen: the only proof the response is complete
    blocks: dict[int, Block] = field(default_factory=dict)
    output_chars: int = 0  # characters of all deltas so far: a cheap progress measure
    output_deltas: int = 0
    output_weight: float = 0.0  # token_weight() of all deltas so far

    @property
    def text(self) -> str:
        return "".join(b.content for _, b in sorted(self.blocks.items()) if b.kind == "text")

    def citations(self) -> list[dict[str, Any]]:
        return [c for _, b in sorted(self.blocks.items()) for c in b.citations]

    def tool_uses(self) -> list[Block]:
        return [b for _, b in sorted(self.blocks.items()) if b.kind == "tool_use"]

    def assistant_message(self, *, complete: bool = True) -> dict[str, object] | None:
        """The response as the assistant turn of the next request (blocks in order, sent back verbatim).

        ``complete=False`` (a cut-off or cancelled response): only its text, since a tool call without
        a result or a thinking block without its signature would be refused by the API.
        """
        content = [
            param
            for _, block in sorted(self.blocks.items())
            if (complete or block.kind == "text") and (param := block.as_param()) is not None
        ]
        return {"role": "assistant", "content": content} if content else None

    def apply(self, event: StreamEvent) -> None:
        """Fold one event in. Raises :class:`MalformedStream` for an event the grammar forbids."""
        if type(event) is TextDelta:  # nearly every event: before the match below, which tries each case
            self._add_delta(event.index, event.text)
            return
        match event:
            case TextDelta(index=index, text=text) | ThinkingDelta(index=index, text=text):
                self._add_delta(index, text)
            case ToolInputDelta(index=index, partial_json=partial):
                self._add_delta(index, partial)
            case MessageStarted(message_id=message_id, model=model, usage=usage):
                self.message_id, self.model, self.usage, self.started = message_id, model_name(model), usage, True
            case BlockStarted(index=index, kind=kind, tool_id=tool_id, tool_name=tool_name, data=data, block=start):
                self.blocks[index] = Block(index, kind, tool_id, tool_name, data, start)
            case SignatureDelta(index=index, signature=signature):
                self._block(index).signature = signature
            case CitationDelta(index=index, citation=citation):
                self._block(index).citations.append(citation)
            case OtherDelta(index=index, delta=delta):
                self._block(index).other_deltas.append(delta)
            case BlockStopped(index=index):
                self._block(index).stopped = True
            case MessageDelta(stop_reason=stop_reason, usage=usage, stop_details=details):
                self.stop_reason, self.stop_details = stop_reason, details
                self.usage = self.usage.merged(usage)
            case MessageStopped():
                self.stopped = True

    def _add_delta(self, index: int, text: str) -> None:
        self._block(index).append(text)
        self.output_chars += len(text)
        self.output_deltas += 1
        self.output_weight += delta_weight(text)

    def _block(self, index: int) -> Block:
        try:
            return self.blocks[index]
        except KeyError:
            raise MalformedStream(f"the stream sent a delta for block {index}, which never started") from None

    def estimated_output_tokens(self) -> int:
        """A live estimate until the API's count arrives: at least one token per delta, and what the text's
        characters weigh by script (~4 Latin characters a token, ~1 CJK character or emoji)."""
        return max(self.output_deltas, round(self.output_weight))


def message_events(message: dict[str, Any]) -> list[StreamEvent]:
    """A complete Message (a batch result) as the events its stream would have had, to fold it the
    same way and show it with the same views."""
    usage = Usage.from_api(message.get("usage") or {})
    events: list[StreamEvent] = [MessageStarted(message.get("id") or "", message.get("model") or "", usage)]
    for index, block in enumerate(message.get("content") or []):
        kind = block.get("type", "")
        whole = None if kind in ("text", "tool_use", "thinking", "redacted_thinking") else dict(block)
        events.append(BlockStarted(index, kind, block.get("id"), block.get("name"), block.get("data"), whole))
        if kind == "text":
            events.append(TextDelta(index, block.get("text", "")))
            events += [CitationDelta(index, c) for c in block.get("citations") or []]
        elif kind in ("tool_use", "server_tool_use"):
            events.append(ToolInputDelta(index, json.dumps(block.get("input", {}))))
        elif kind == "thinking":
            events.append(ThinkingDelta(index, block.get("thinking", "")))
            events.append(SignatureDelta(index, block.get("signature", "")))
        events.append(BlockStopped(index))
    events += [MessageDelta(message.get("stop_reason"), usage, message.get("stop_details")), MessageStopped()]
    return events
