"""Per-request directives: ``[[sim: key=value ...]]`` written inside the prompt.

Pure parsing, no I/O. The server calls :func:`parse_directives` on every request body; a typo must fail
loudly, so unknown keys and bad values raise :class:`DirectiveError` (turned into a 400 by the server).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

__all__ = [
    "BATCH_RESULTS",
    "ERROR_TYPES",
    "FAULTS",
    "MID_STREAM_FAULTS",
    "STATUS_CODES",
    "STREAM_ONLY_FAULTS",
    "Directive",
    "DirectiveError",
    "directive_texts",
    "parse_directive_text",
    "parse_directives",
    "strip_directives",
]

# `[^\]]*` rather than `.*?`: a directive never spans a `]`, so a missing `]]` cannot swallow the prompt.
_DIRECTIVE_RE = re.compile(r"\[\[\s*sim\s*:([^\]]*)\]\]")

STATUS_CODES = frozenset({400, 401, 402, 403, 404, 408, 409, 413, 422, 429, 500, 502, 503, 504, 529})

# `error=` values for `fault=error_event`: the API's error types (reference §3.1) plus 413's type.
ERROR_TYPES = frozenset(
    {
        "invalid_request_error",
        "authentication_error",
        "billing_error",
        "permission_error",
        "not_found_error",
        "request_too_large",
        "conflict_error",
        "rate_limit_error",
        "timeout_error",
        "api_error",
        "overloaded_error",
    }
)

# Faults that fire once `after=N` tokens have been sent.
MID_STREAM_FAULTS = frozenset(
    {
        "error_event",
        "error_event_raw",
        "drop",
        "reset",
        "stall",
        "eof",
        "malformed",
        "unknown_event",
        "bad_index",
    }
)
# Faults that only make sense for `"stream": true` (a non-streaming request carrying one gets a 400).
STREAM_ONLY_FAULTS = MID_STREAM_FAULTS | {
    "no_event_lines",
    "json_body",
    "no_message_start",
    "delta_without_usage",
}
# What a reply may contain besides text and client tools (see _content).
SERVER_TOOLS = ("web_search", "web_fetch", "code_execution", "bash_code_execution", "text_editor_code_execution")
CITATIONS = ("char_location", "page_location", "content_block_location", "web_search_result_location",
             "search_result_location")
STOPS = ("refusal", "pause_turn", "model_context_window_exceeded")
REFUSAL_CATEGORIES = ("cyber", "bio", "frontier_llm", "reasoning_extraction", "general_harms")
# Result types of a request in a Message Batch (`batch_result=`).
BATCH_RESULTS = frozenset({"succeeded", "errored", "canceled", "expired"})
# Faults that happen before any response is sent; they work for streaming and JSON requests alike.
FAULTS = STREAM_ONLY_FAULTS | {"close_before_response", "delay_headers"}


class DirectiveError(ValueError):
    """A directive has an unknown key or a bad value; the message names the key."""


@dataclasses.dataclass(frozen=True)
class Directive:
    """The merged directives of one request. ``None`` means "not given: use the simulator's setting"."""

    ttft: float | None = None
    rate: float | None = None
    tokens: int | None = None
    seed: int | None = None
    status: int | None = None
    retry_after: float | None = None
    should_retry: bool | None = None
    html: bool = False
    times: int | None = None
    fault: str | None = None
    secs: float | None = None
    after: int = 0
    error: str = "overloaded_error"
    crlf: bool = False
    chunk: int | None = None
    echo: bool = False  # reply with the prompt itself (directives removed): exact text for tests and demos
    tool_calls: int | None = None  # call this many tools (when the request has tools and ends with a prompt)
    tool_loop: bool = False  # call tools on every turn, even right after tool results
    thinking: bool = False  # start the reply with a thinking block
    thinking_text: bool = True  # 0: the thinking block streams no text, only its signature (display omitted)
    redacted: bool = False  # add a redacted_thinking block
    server_tools: tuple[str, ...] = ()  # server tools this turn calls (web_search, web_fetch, code_execution ...)
    server_error: bool = False  # the server tools' results are errors
    citations: tuple[str, ...] = ()  # the answer cites sources of these kinds (char_location, page_location ...)
    stop: str | None = None  # end with this stop reason: refusal, pause_turn, model_context_window_exceeded
    category: str = "cyber"  # a refusal's stop_details category
    pauses: int = 1  # with stop=pause_turn: how many times the turn pauses before it finishes
    unknown_block: bool = False  # add a block of a type from the future, with a delta type from the future
    off_schema: bool = False  # with output_config.format: a reply that does not fit the schema
    batch_result: str = "succeeded"  # in a Message Batch: this request's result type
    # Keys as written, in order, for the request log (only what the prompt actually said).
    given: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """The keys the prompt gave, with their parsed values."""
        return {key: getattr(self, key) for key in self.given}

    def applies(self, attempt: int) -> bool:
        """Whether `status`/`fault` apply to this attempt (1-based) of the same request body."""
        return self.times is None or attempt <= self.times


def _number(minimum: float, *, strict: bool = False) -> Callable[[str], float]:
    def parse(text: str) -> float:
        value = float(text)
        if not math.isfinite(value) or value < minimum or (strict and value == minimum):
            raise ValueError
        return value

    return parse


def _integer(minimum: int | None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if minimum is not None and value < minimum:
            raise ValueError
        return value

    return parse


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError


def _one_of(choices: frozenset[Any], convert: Callable[[str], Any] = str) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        value = convert(text)
        if value not in choices:
            raise ValueError
        return value

    return parse


def _list_of(choices: tuple[str, ...], everything: str | None = None) -> Callable[[str], tuple[str, ...]]:
    def parse(text: str) -> tuple[str, ...]:
        if everything is not None and text == everything:
            return choices
        items = tuple(text.split(","))
        if not items or any(item not in choices for item in items):
            raise ValueError
        return items

    return parse


def _choices(values: frozenset[Any]) -> str:
    return ", ".join(str(value) for value in sorted(values))


# key -> (parser, what a good value looks like)
_KEYS: dict[str, tuple[Callable[[str], Any], str]] = {
    "ttft": (_number(0.0), "seconds >= 0"),
    "rate": (_number(0.0, strict=True), "tokens per second > 0"),
    "tokens": (_integer(0), "an integer >= 0"),
    "seed": (_integer(None), "an integer"),
    "status": (_one_of(STATUS_CODES, int), f"one of {_choices(STATUS_CODES)}"),
    "retry_after": (_number(0.0), "seconds >= 0"),
    "should_retry": (_boolean, "true or false"),
    "html": (_boolean, "1 or 0"),
    "times": (_integer(0), "an integer >= 0"),
    "fault": (_one_of(FAULTS), f"one of {_choices(FAULTS)}"),
    "secs": (_number(0.0), "seconds >= 0"),
    "after": (_integer(0), "an integer >= 0"),
    "error": (_one_of(ERROR_TYPES), f"one of {_choices(ERROR_TYPES)}"),
    "crlf": (_boolean, "1 or 0"),
    "chunk": (_integer(1), "an integer >= 1"),
    "echo": (_boolean, "1 or 0"),
    "tool_calls": (_integer(1), "an integer >= 1"),
    "tool_loop": (_boolean, "1 or 0"),
    "thinking": (_boolean, "1 or 0"),
    "off_schema": (_boolean, "1 or 0"),
    "batch_result": (_one_of(BATCH_RESULTS), f"one of {_choices(BATCH_RESULTS)}"),
    "thinking_text": (_boolean, "1 or 0"),
    "redacted": (_boolean, "1 or 0"),
    "server_tools": (_list_of(SERVER_TOOLS), f"a comma-separated list of {', '.join(SERVER_TOOLS)}"),
    "server_error": (_boolean, "1 or 0"),
    "citations": (_list_of(CITATIONS, "all"), f"all, or a comma-separated list of {', '.join(CITATIONS)}"),
    "stop": (_one_of(frozenset(STOPS)), f"one of {', '.join(STOPS)}"),
    "category": (_one_of(frozenset(REFUSAL_CATEGORIES)), f"one of {', '.join(REFUSAL_CATEGORIES)}"),
    "pauses": (_integer(1), "an integer >= 1"),
    "unknown_block": (_boolean, "1 or 0"),
}


def parse_directive_text(text: str) -> Directive:
    """Parse every ``[[sim: ...]]`` in `text`; later keys win."""
    return _build(_pairs_in(text))


def parse_directives(body: Mapping[str, Any]) -> Directive:
    """Parse the directives of a Messages request body (its `system` text and user text blocks)."""
    pairs: list[tuple[str, str]] = []
    for text in directive_texts(body):
        pairs.extend(_pairs_in(text))
    return _build(pairs)


def directive_texts(body: Mapping[str, Any]) -> Iterator[str]:
    """The texts a directive may be written in: `system`, then user messages' text, in order."""
    yield from _block_texts(body.get("system"))
    messages = body.get("messages")
    if isinstance(messages, list):
        for message in messages:
            if isinstance(message, Mapping) and message.get("role") == "user":
                yield from _block_texts(message.get("content"))


def _block_texts(content: Any) -> Iterator[str]:
    if isinstance(content, str):
        yield content
    elif isinstance(content, list):
        for block in content:
            if (
                isinstance(block, Mapping)
                and block.get("type") == "text"
                and isinstance(block.get("text"), str)
            ):
                yield block["text"]


def strip_directives(text: str) -> str:
    """The text with every ``[[sim: ...]]`` removed."""
    return _DIRECTIVE_RE.sub("", text).strip()


def _pairs_in(text: str) -> Iterator[tuple[str, str]]:
    for match in _DIRECTIVE_RE.finditer(text):
        for item in match.group(1).split():
            key, sep, value = item.partition("=")
            if not sep or not key or not value:
                raise DirectiveError(f"simulator directive item {item!r} is not key=value")
            yield key, value


def _build(pairs: Iterator[tuple[str, str]] | list[tuple[str, str]]) -> Directive:
    values: dict[str, Any] = {}
    for key, raw in pairs:
        if key not in _KEYS:
            raise DirectiveError(f"unknown simulator directive key {key!r} (known keys: {', '.join(_KEYS)})")
        parse, expected = _KEYS[key]
        try:
            value = parse(raw)
        except ValueError:
            raise DirectiveError(
                f"bad value for simulator directive key {key!r}: {raw!r} (expected {expected})"
            ) from None
        values.pop(key, None)  # re-insert so `given` keeps the order of the winning occurrences
        values[key] = value
    return Directive(**values, given=tuple(values))
