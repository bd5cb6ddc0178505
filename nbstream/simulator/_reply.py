"""The reply: what the simulated model says, as content blocks plus stop reason and usage.

Each block streams itself as a sequence of steps (`start`, `token`/`frame`..., `stop`); the streamer paces
only the `token` steps. Blocks: text (`text_delta` tokens), thinking (`thinking_delta` tokens, then one
`signature_delta` frame) and tool_use (an `input_json_delta` frame with `""`, then fragments of the input's
JSON as tokens). Parallel tool calls are several tool_use blocks in one reply.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import random
import secrets
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ._answers import after_tools, answer
from ._blocks import Block, Step, TextBlock
from ._cache import CacheUse
from ._content import (
    cite,
    future_block,
    pauses_done,
    redacted_thinking,
    requested_server_tools,
    server_tool_blocks,
    stop_details,
)
from ._directives import Directive, strip_directives
from ._latency import PROFILES, profile_for
from ._media import describe_media
from ._prompt import estimate_input_tokens
from ._structured import output_schema, structured_text
from ._text import compose, natural_length, seed_for, thinking, tokenize
from ._tools import ToolCall, describe_results, plan_calls, tool_call_count, tool_results

__all__ = [
    "Block",
    "Reply",
    "Step",
    "TextBlock",
    "ThinkingBlock",
    "ToolUseBlock",
    "Usage",
    "estimate_input_tokens",
    "plan_reply",
]

# The short text a tool-calling turn starts with (after tool results when `tool_loop=1`).
TOOL_PREAMBLE = "Let me look that up."
TOOL_PREAMBLE_AGAIN = "Let me check one more thing."


def _user_texts(body: Mapping[str, Any]) -> Iterator[str]:
    """The text of each user message, last first."""
    for message in reversed(body.get("messages") or []):
        if isinstance(message, Mapping) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                yield content
            elif isinstance(content, list):
                yield "".join(
                    b["text"] for b in content if isinstance(b, Mapping) and isinstance(b.get("text"), str)
                )


def _last_user_text(body: Mapping[str, Any]) -> str:
    return next(_user_texts(body), "")


def _question(body: Mapping[str, Any]) -> str:
    """The latest user text that says something (after tool results, the question that led to them)."""
    return next((text for text in map(strip_directives, _user_texts(body)) if text), "")


@dataclasses.dataclass(frozen=True)
class Usage:
    """Token counts of one reply; the only place usage JSON is built."""

    input_tokens: int
    output_tokens: int
    cache_creation_5m: int = 0
    cache_creation_1h: int = 0
    cache_read: int = 0
    service_tier: str = "standard"
    thinking_tokens: int = 0
    web_search_requests: int = 0
    web_fetch_requests: int = 0

    def extras(self) -> dict[str, Any]:
        """`output_tokens_details` and `server_tool_use`, when the reply thought or used server tools."""
        out: dict[str, Any] = {}
        if self.thinking_tokens:
            out["output_tokens_details"] = {"thinking_tokens": self.thinking_tokens}
        if self.web_search_requests or self.web_fetch_requests:
            out["server_tool_use"] = {
                "web_search_requests": self.web_search_requests, "web_fetch_requests": self.web_fetch_requests
            }
        return out

    def full(self, output_tokens: int | None = None) -> dict[str, Any]:
        """As in a Message and in `message_start` (where output_tokens is a placeholder)."""
        extras = self.extras() if output_tokens is None else {}
        return extras | {
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
        return self.extras() | {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": self.cache_creation_5m + self.cache_creation_1h,
            "cache_read_input_tokens": self.cache_read,
            "output_tokens": output_tokens,
        }


class ThinkingBlock:
    """A thinking block: one `thinking_delta` per token, then the `signature_delta` just before the stop."""

    def __init__(self, tokens: Sequence[str], signature: str | None = None, *, hidden: bool = False) -> None:
        self.tokens = list(tokens)
        self.output_tokens = len(self.tokens)
        self.signature = signature or base64.b64encode(b"sim" + secrets.token_bytes(45)).decode()
        self.hidden = hidden  # display omitted: the model thinks (and is billed) but no text is sent

    def content(self) -> dict[str, Any]:
        text = "" if self.hidden else "".join(self.tokens)
        return {"type": "thinking", "thinking": text, "signature": self.signature}

    def steps(self, index: int) -> Iterator[Step]:
        yield Step(
            "start",
            {
                "type": "content_block_start",
                "index": index,
                "content_block": {"type": "thinking", "thinking": "", "signature": ""},
            },
        )
        for token in self.tokens:
            yield Step(
                "silent" if self.hidden else "token",
                {
                    "type": "content_block_delta",
                    "index": index,
                    "delta": {"type": "thinking_delta", "thinking": token},
                },
            )
        yield Step(
            "frame",
            {
                "type": "content_block_delta",
                "index": index,
                "delta": {"type": "signature_delta", "signature": self.signature},
            },
        )
        yield Step("stop", {"type": "content_block_stop", "index": index})

    def cut(self, tokens: int) -> ThinkingBlock | None:
        return ThinkingBlock(self.tokens[:tokens], self.signature, hidden=self.hidden) if tokens > 0 else None


class ToolUseBlock:
    """A tool_use block: `input: {}` at the start, then its input's JSON in arbitrary fragments.

    As in the real API the first `input_json_delta` is `""` (sent unpaced, not counted); every later fragment
    is paced and counted as one output token. Only the concatenation of the fragments is valid JSON.
    """

    def __init__(self, call: ToolCall, seed: int) -> None:
        self.call = call
        self.fragments = _fragments(json.dumps(call.input, ensure_ascii=False), random.Random(seed))
        self.output_tokens = len(self.fragments)

    def content(self) -> dict[str, Any]:
        return {"type": "tool_use", "id": self.call.id, "name": self.call.name, "input": self.call.input}

    def steps(self, index: int) -> Iterator[Step]:
        yield Step(
            "start",
            {
                "type": "content_block_start",
                "index": index,
                "content_block": {
                    "type": "tool_use",
                    "id": self.call.id,
                    "name": self.call.name,
                    "input": {},
                },
            },
        )
        yield Step("frame", self._delta(index, ""))
        for fragment in self.fragments:
            yield Step("token", self._delta(index, fragment))
        yield Step("stop", {"type": "content_block_stop", "index": index})

    @staticmethod
    def _delta(index: int, partial_json: str) -> dict[str, Any]:
        return {
            "type": "content_block_delta",
            "index": index,
            "delta": {"type": "input_json_delta", "partial_json": partial_json},
        }

    def cut(self, tokens: int) -> None:
        return None  # a call is sent whole or not at all: half a JSON input is of no use to anyone


def _fragments(text: str, rng: random.Random) -> list[str]:
    """`text` in pieces of 2 to 12 characters, cut anywhere (inside keys and values too)."""
    pieces = []
    start = 0
    while start < len(text):
        size = rng.randint(2, 12)
        pieces.append(text[start : start + size])
        start += size
    return pieces


@dataclasses.dataclass
class Reply:
    id: str
    model: str
    blocks: list[Block]
    stop_reason: str
    stop_sequence: str | None
    usage: Usage
    seed: int = 0  # what the reply's text was drawn from (also varies its pace, see ``_latency``)
    stop_details: dict[str, Any] | None = None  # a refusal's category and explanation

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
            "stop_details": self.stop_details if final else None,
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


def plan_reply(
    body: Mapping[str, Any],
    directive: Directive,
    default_tokens: int | None = None,
    *,
    cache: CacheUse | None = None,
    service_tier: str = "standard",
    sample: int = 0,
) -> Reply:
    """What the simulated model says: the same for the same prompt and `sample` (or `seed=`), apart from ids.

    `sample` counts the replies the same request body has had: identical requests get different samples,
    as from a real model. A text answer is `directive.tokens` long, else `default_tokens`, exactly; with
    neither (and no `seed=`) it is shaped by the prompt (``_answers``: a haiku, one word, two sentences...)
    or, when nothing fits, generic Markdown of a natural 150-300 tokens. After tool results it starts by
    quoting them. A tool-calling turn (see ``_tools``) is a short sentence and the tool_use blocks.
    ``thinking=1`` puts a thinking block first. ``max_tokens`` counts every block's tokens and cuts where it
    runs out (a tool call that does not fit entirely is dropped).
    `cache` is what the request read from and wrote to the prompt cache: those tokens are not input tokens.
    """
    seed = directive.seed if directive.seed is not None else seed_for(_last_user_text(body)) + sample
    # Free to shape the text: nothing pins its length or its seed.
    shapeable = directive.seed is None and directive.tokens is None and default_tokens is None
    variant = sample + _family_offset(str(body["model"]))
    stop_sequence: str | None = None
    lead: str | None  # the first thought of a thinking block
    calls = tool_call_count(body, directive)
    results = tool_results(body)
    if calls:
        planned = plan_calls(body, calls)
        preamble = TOOL_PREAMBLE_AGAIN if results else TOOL_PREAMBLE
        blocks: list[Block] = [TextBlock(tokenize(preamble))]
        blocks += [ToolUseBlock(call, seed + i) for i, call in enumerate(planned)]
        natural_stop = "tool_use"
        lead = f"I should call {' and '.join(dict.fromkeys(call.name for call in planned))} first."
    else:
        length = directive.tokens if directive.tokens is not None else default_tokens
        schema = output_schema(body)
        if schema is not None:  # structured output: JSON that fits the schema (unless off_schema=1)
            prompt = strip_directives(_last_user_text(body))
            tokens = tokenize(structured_text(schema, prompt, seed, off_schema=directive.off_schema))
        elif directive.echo:
            tokens = tokenize(strip_directives(_last_user_text(body)))
        elif results:
            summary = describe_results(results)
            if directive.seed is None:
                seed = seed_for(summary) + sample
            if shapeable:
                tokens = tokenize(summary + "\n\n" + after_tools(results, _question(body), variant))
            else:
                tokens = _after(tokenize(summary), seed, natural_length(seed) if length is None else length)
        else:
            shaped = answer(strip_directives(_last_user_text(body)), variant) if shapeable else None
            if shaped is not None:
                tokens = tokenize(shaped)
            else:
                tokens = compose(seed, natural_length(seed) if length is None else length)
            if shapeable and (received := describe_media(body)):  # say what it got: it cannot see it
                tokens = tokenize(received + "\n\n") + tokens
        tokens, stop_sequence = _cut_at_stop_sequence(tokens, body.get("stop_sequences"))
        natural_stop = "stop_sequence" if stop_sequence is not None else "end_turn"
        blocks, natural_stop = _beyond_text(body, directive, tokens, natural_stop, fresh=not results)
        lead = "The tool results are in, so I can answer now." if results else None
    if directive.redacted:
        blocks.insert(0, redacted_thinking())
    if directive.thinking:
        blocks.insert(0, ThinkingBlock(tokenize(thinking(seed, lead)), hidden=not directive.thinking_text))
    blocks, cut = _fit(blocks, int(body["max_tokens"]))
    stop_reason = "max_tokens" if cut else natural_stop
    cache = cache or CacheUse()
    usage = Usage(
        input_tokens=estimate_input_tokens(body) - cache.covered,
        output_tokens=sum(block.output_tokens for block in blocks),
        cache_creation_5m=cache.write_5m,
        cache_creation_1h=cache.write_1h,
        cache_read=cache.read,
        service_tier=service_tier,
        thinking_tokens=sum(b.output_tokens for b in blocks if isinstance(b, ThinkingBlock)),
        web_search_requests=_server_calls(blocks, "web_search"),
        web_fetch_requests=_server_calls(blocks, "web_fetch"),
    )
    return Reply(
        "msg_sim_" + secrets.token_hex(12),
        str(body["model"]),
        blocks,
        stop_reason,
        None if cut else stop_sequence,
        usage,
        seed,
        stop_details(directive) if stop_reason == "refusal" else None,
    )


def _server_calls(blocks: list[Block], name: str) -> int:
    return sum(1 for b in blocks if getattr(b, "name", None) == name and b.content()["type"] == "server_tool_use")


def _beyond_text(
    body: Mapping[str, Any], directive: Directive, tokens: list[str], stop: str, *, fresh: bool
) -> tuple[list[Block], str]:
    """The text answer with what else the directives (or the request's server tools) ask for: server tool
    calls first, citations, a block type from the future, and the stop reasons of _content."""
    echo = strip_directives(_last_user_text(body)) if directive.echo else None
    continued = pauses_done(body)
    servers = requested_server_tools(body, directive) if fresh and not continued else []
    pre: list[Block] = server_tool_blocks(servers, _question(body), echo, directive.server_error)
    if directive.unknown_block:
        pre.append(future_block())
    if directive.stop == "pause_turn" and continued < directive.pauses:
        return pre or [TextBlock(tokenize("Working on it."))], "pause_turn"
    kinds = list(directive.citations)
    if not kinds and "web_search" in servers and not directive.server_error:
        kinds = ["web_search_result_location"]
    if directive.stop == "refusal":
        tokens, stop = tokens[:6], "refusal"
    elif directive.stop == "model_context_window_exceeded":
        tokens, stop = tokens[: max(1, len(tokens) // 2)], "model_context_window_exceeded"
    return [*pre, *cite(tokens, kinds, echo)], stop


def _family_offset(model: str) -> int:
    """Models of different families word the same answer differently (haiku 0, sonnet 1, opus 2...)."""
    return list(PROFILES).index(profile_for(model).family)


def _after(preface: list[str], seed: int, length: int) -> list[str]:
    """`length` tokens: the preface, then a paragraph break and composed text (or the preface cut short)."""
    if length <= len(preface):
        return preface[:length]
    return [*preface, "\n\n", *compose(seed, length - len(preface) - 1)]


def _fit(blocks: list[Block], max_tokens: int) -> tuple[list[Block], bool]:
    """The blocks that fit in `max_tokens` output tokens, the last one cut; True if anything was cut."""
    kept: list[Block] = []
    budget = max_tokens
    for block in blocks:
        if block.output_tokens <= budget:
            kept.append(block)
            budget -= block.output_tokens
            continue
        part = block.cut(budget)
        if part is not None:
            kept.append(part)
        return kept, True
    return kept, False
