"""The prompt as the model reads it: its blocks in render order, their size, and the cache breakpoints.

Render order is tools → system → messages (reference §7); every tool definition, system block and message
content block is one :class:`Segment`. Sizes are the simulator's estimate, one token per 4 characters of
text (tool definitions as JSON, tool inputs as JSON, tool results by their text; images count nothing), so
the input tokens of a request and the size of any cached prefix come from the same numbers.

A breakpoint is a block with ``cache_control`` or, with a top-level ``cache_control`` (automatic caching),
the last cacheable block. Each breakpoint's prefix (everything up to and including its block) has a digest:
two requests share a cache entry exactly when their prefixes render to the same blocks for the same model.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = [
    "MAX_BREAKPOINTS",
    "Breakpoint",
    "PromptError",
    "Segment",
    "breakpoints",
    "estimate_input_tokens",
    "prefix_digests",
    "segments",
    "tokens_for",
]

MAX_BREAKPOINTS = 4
_TTLS = ("5m", "1h")
_UNCACHEABLE = frozenset({"thinking", "redacted_thinking"})  # blocks automatic caching never marks


class PromptError(ValueError):
    """A malformed ``cache_control`` (or too many of them); the message is the API's 400 message."""


@dataclasses.dataclass(frozen=True)
class Segment:
    path: str  # where the block is in the request, as the API names it ("system.0", "messages.2.content.1")
    chars: int  # characters that count towards the token estimate
    key: bytes  # the block as rendered (without cache_control): what a cache entry's digest is made of
    cache_control: Any  # the block's own cache_control, or None
    cacheable: bool  # whether automatic caching may put its breakpoint here


@dataclasses.dataclass(frozen=True)
class Breakpoint:
    position: int  # index of the segment that ends the prefix
    tokens: int  # the prefix's token estimate
    ttl: str  # "5m" or "1h"


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, sort_keys=True)


def tokens_for(chars: int) -> int:
    return math.ceil(chars / 4)


def estimate_input_tokens(body: Mapping[str, Any]) -> int:
    """About one token per 4 characters of tool, system and message text; at least 1."""
    return max(1, tokens_for(sum(segment.chars for segment in segments(body))))


# ------------------------------------------------------------------------------------------------------------
# Segments


def segments(body: Mapping[str, Any]) -> list[Segment]:
    """The request's blocks in render order: tools, then system, then each message's content."""
    found: list[Segment] = []
    tools = body.get("tools")
    for i, tool in enumerate(tools if isinstance(tools, list) else []):
        if isinstance(tool, Mapping):
            rendered = _dumps(_without_cache_control(tool))
            cache_control = tool.get("cache_control")
            found.append(Segment(f"tools.{i}", len(rendered), rendered.encode(), cache_control, True))
    for i, block in enumerate(_as_blocks(body.get("system"))):
        found.append(_block_segment(f"system.{i}", block, ["system"]))
    messages = body.get("messages")
    for m, message in enumerate(messages if isinstance(messages, list) else []):
        if isinstance(message, Mapping):
            for i, block in enumerate(_as_blocks(message.get("content"))):
                found.append(_block_segment(f"messages.{m}.content.{i}", block, [m, message.get("role")]))
    return found


def _as_blocks(content: Any) -> list[Any]:
    """A string is one text block (the API renders both the same way)."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return content if isinstance(content, list) else []


def _without_cache_control(block: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in block.items() if key != "cache_control"}


def _block_segment(path: str, block: Any, where: list[Any]) -> Segment:
    if not isinstance(block, Mapping):
        return Segment(path, 0, _dumps([where, block]).encode(), None, False)
    key = _dumps([where, _without_cache_control(block)]).encode()
    cacheable = block.get("type") not in _UNCACHEABLE
    return Segment(path, _chars(block), key, block.get("cache_control"), cacheable)


def _chars(block: Mapping[str, Any]) -> int:
    kind = block.get("type")
    if kind == "text" and isinstance(block.get("text"), str):
        return len(block["text"])
    if kind == "tool_use":
        return len(json.dumps(block.get("input", {}), separators=(",", ":"), ensure_ascii=False))
    if kind == "tool_result":
        return sum(_chars(b) for b in _as_blocks(block.get("content", "")) if isinstance(b, Mapping))
    if kind == "thinking" and isinstance(block.get("thinking"), str):
        return len(block["thinking"])
    source = block.get("source")
    if kind == "document" and isinstance(source, Mapping) and isinstance(source.get("data"), str):
        return len(source["data"]) if source.get("type") == "text" else 0  # a text document reads as its text
    return 0


# ------------------------------------------------------------------------------------------------------------
# Breakpoints


def breakpoints(body: Mapping[str, Any], parts: list[Segment] | None = None) -> list[Breakpoint]:
    """The request's cache breakpoints in render order; PromptError if a cache_control is malformed."""
    parts = segments(body) if parts is None else parts
    marks: dict[int, str] = {}
    for position, segment in enumerate(parts):
        if segment.cache_control is not None:
            marks[position] = _ttl(segment.cache_control, segment.path + ".")
    automatic = body.get("cache_control")
    if automatic is not None:
        ttl = _ttl(automatic, "")
        last = next((p for p in range(len(parts) - 1, -1, -1) if parts[p].cacheable), None)
        if last is not None and last not in marks:
            marks[last] = ttl
    if len(marks) > MAX_BREAKPOINTS:
        raise PromptError(
            f"A maximum of {MAX_BREAKPOINTS} blocks with cache_control may be provided. Found {len(marks)}."
        )
    result = []
    chars = 0
    for position, segment in enumerate(parts):
        chars += segment.chars
        if position in marks:
            result.append(Breakpoint(position, tokens_for(chars), marks[position]))
    return result


def _ttl(cache_control: Any, where: str) -> str:
    if not isinstance(cache_control, Mapping) or cache_control.get("type") != "ephemeral":
        raise PromptError(f"{where}cache_control.type: Input should be 'ephemeral'")
    ttl = cache_control.get("ttl", "5m")
    if ttl not in _TTLS:
        raise PromptError(f"{where}cache_control.ttl: Input should be '5m' or '1h'")
    return str(ttl)


def prefix_digests(model: str, parts: list[Segment]) -> Iterator[str]:
    """For each position, the digest of the prefix ending there (the model is part of every cache key)."""
    digest = hashlib.sha256(model.encode() + b"\0")
    for segment in parts:
        digest.update(len(segment.key).to_bytes(8, "big") + segment.key)
        yield digest.copy().hexdigest()
