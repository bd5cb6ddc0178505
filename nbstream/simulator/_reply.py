"""The reply: what the simulated model says, as content blocks plus stop reason and usage.

Each block streams itself as a sequence of steps (`start`, `token`..., `stop`); the streamer only paces the
`token` steps. A thinking block (`thinking_delta` tokens, then a `signature_delta` frame) or a tool_use block
(`input_json_delta` tokens) is one more class here; parallel tool calls are several blocks in one reply.
"""

from __future__ import annotations

import dataclasses
import json
import math
import secrets
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal, NamedTuple, Protocol

from ._directives import Directive, strip_directives
from ._text import compose, natural_length, seed_for, tokenize

__all__ = ["Block", "Reply", "Step", "TextBlock", "Usage", "estimate_input_tokens", "plan_reply"]


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _texts(content: Any) -> Iterator[str]:
    """The text of a message's content, including tool inputs and results (they cost input tokens too)."""
    if isinstance(content, str):
        yield content
        return
    if not isinstance(content, list):
        return
    for block in content:
        if not isinstance(block, Mapping):
            continue
        kind = block.get("type")
        if kind == "text" and isinstance(block.get("text"), str):
            yield block["text"]
        elif kind == "tool_use":
            yield _dumps(block.get("input", {}))
        elif kind == "tool_result":
            yield from _texts(block.get("content", ""))
        elif kind == "thinking" and isinstance(block.get("thinking"), str):
            yield block["thinking"]


def estimate_input_tokens(body: Mapping[str, Any]) -> int:
    """About one token per 4 characters of system, message and tool text; at least 1."""
    chars = sum(len(text) for text in _texts(body.get("system")))
    for message in body.get("messages") or []:
        if isinstance(message, Mapping):
            chars += sum(len(text) for text in _texts(message.get("content")))
    if body.get("tools"):
        chars += len(_dumps(body["tools"]))
    return max(1, math.ceil(chars / 4))


def _last_user_text(body: Mapping[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, Mapping) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "".join(
                    b["text"] for b in content if isinstance(b, Mapping) and isinstance(b.get("text"), str)
                )
    return ""


@dataclasses.dataclass(frozen=True)
class Usage:
    """Token counts of one reply; the only place usage JSON is built (caching will fill the cache fields)."""

    input_tokens: int
    output_tokens: int
    cache_creation_5m: int = 0
    cache_creation_1h: int = 0
    cache_read: int = 0
    service_tier: str = "standard"

    def full(self, output_tokens: int | None = None) -> dict[str, Any]:
        """As in a Message and in `message_start` (where output_tokens is a placeholder)."""
        return {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": self.cache_creation_5m + self.cache_creation_1h,
            "cache_read_input_tokens": self.cache_read,
            "cache_creation": {
                "ephemeral_5m_input_tokens": self.cache_creation_5m,
                "ephemeral_1h_input_tokens": self.cache_creation_1h,
            },
            "output_tokens": self.output_tokens if output_tokens is None else output_tokens,
            "service_tier": self.service_tier,
        }

    def delta(self, output_tokens: int) -> dict[str, Any]:
        """As in `message_delta`: cumulative totals, output_tokens so far."""
        return {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": self.cache_creation_5m + self.cache_creation_1h,
            "cache_read_input_tokens": self.cache_read,
            "output_tokens": output_tokens,
        }


class Step(NamedTuple):
    """One event of a block's stream. Only `token` steps are paced by the rate and count as output tokens."""

    kind: Literal["start", "token", "frame", "stop"]
    event: dict[str, Any]


class Block(Protocol):
    output_tokens: int

    def content(self) -> dict[str, Any]: ...

    def steps(self, index: int) -> Iterator[Step]: ...


class TextBlock:
    """A text block: one `text_delta` per token."""

    def __init__(self, tokens: Sequence[str]) -> None:
        self.tokens = list(tokens)
        self.output_tokens = len(self.tokens)

    def content(self) -> dict[str, Any]:
        return {"type": "text", "text": "".join(self.tokens)}

    def steps(self, index: int) -> Iterator[Step]:
        yield Step(
            "start",
            {"type": "content_block_start", "index": index, "content_block": {"type": "text", "text": ""}},
        )
        for token in self.tokens:
            yield Step(
                "token",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "text_delta", "text": token},
                },
            )
        yield Step("stop", {"type": "content_block_stop", "index": index})


@dataclasses.dataclass
class Reply:
    id: str
    model: str
    blocks: list[Block]
    stop_reason: str
    stop_sequence: str | None
    usage: Usage

    def message(self, *, final: bool) -> dict[str, Any]:
        """The final Message, or (final=False) the empty one that `message_start` carries."""
        return {
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "model": self.model,
            "content": [block.content() for block in self.blocks] if final else [],
            "stop_reason": self.stop_reason if final else None,
            "stop_sequence": self.stop_sequence if final else None,
            "stop_details": None,
            "usage": self.usage.full() if final else self.usage.full(output_tokens=1),
        }

    def steps(self) -> Iterator[Step]:
        for index, block in enumerate(self.blocks):
            yield from block.steps(index)


def _cut_at_stop_sequence(tokens: list[str], sequences: Any) -> tuple[list[str], str | None]:
    """Tokens before the earliest stop sequence in the text (the real API omits the sequence itself)."""
    if not isinstance(sequences, list):
        return tokens, None
    text = "".join(tokens)
    hits = [(text.find(s), s) for s in sequences if isinstance(s, str) and s and s in text]
    if not hits:
        return tokens, None
    cut, sequence = min(hits)
    kept: list[str] = []
    position = 0
    for token in tokens:
        if position + len(token) <= cut:
            kept.append(token)
        elif position < cut:
            kept.append(token[: cut - position])
        position += len(token)
    return kept, sequence


def plan_reply(body: Mapping[str, Any], directive: Directive, default_tokens: int | None = None) -> Reply:
    """What the simulated model says: deterministic for the same prompt (or `seed=`).

    The length is `directive.tokens`, else `default_tokens`, else a natural 150-300 chosen from the seed.
    """
    seed = directive.seed if directive.seed is not None else seed_for(_last_user_text(body))
    length = directive.tokens if directive.tokens is not None else default_tokens
    if length is None:
        length = natural_length(seed)
    tokens = tokenize(strip_directives(_last_user_text(body))) if directive.echo else compose(seed, length)
    max_tokens = int(body["max_tokens"])
    stop_reason, stop_sequence = "end_turn", None
    cut, sequence = _cut_at_stop_sequence(tokens, body.get("stop_sequences"))
    if sequence is not None and len(cut) <= max_tokens:
        tokens, stop_reason, stop_sequence = cut, "stop_sequence", sequence
    elif len(tokens) > max_tokens:
        tokens, stop_reason = tokens[:max_tokens], "max_tokens"
    blocks: list[Block] = [TextBlock(tokens)]
    usage = Usage(estimate_input_tokens(body), sum(block.output_tokens for block in blocks))
    return Reply(
        "msg_sim_" + secrets.token_hex(12), str(body["model"]), blocks, stop_reason, stop_sequence, usage
    )
