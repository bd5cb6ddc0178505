"""Tool use: when the simulated model calls tools, with what input, and how tool results must be paired.

Pure functions of the request body, no I/O. The reply (``_reply``) turns a :class:`ToolCall` into a streamed
``tool_use`` block and a list of :class:`ToolResult` into the text that answers them.

* A turn calls tools when the request has tools and either the prompt says ``tool_calls=N`` and the last
  message is a plain user turn, or ``tool_loop=1``, or ``tool_choice`` forces a tool (``any``/``tool``).
  ``tool_choice: none`` never calls; ``disable_parallel_tool_use`` calls one.
* Inputs are generated from each tool's ``input_schema``: every property, required or not, gets a plausible,
  deterministic value of its type.
* :func:`check_tool_pairing` applies the API's rule: a message that follows an assistant turn with
  ``tool_use`` blocks must begin with exactly one ``tool_result`` per ``tool_use``.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from ._directives import Directive, strip_directives
from ._keywords import content_words, key_term, places

__all__ = [
    "ToolCall",
    "ToolPairingError",
    "ToolResult",
    "check_tool_pairing",
    "describe_results",
    "example_input",
    "plan_calls",
    "tool_call_count",
    "tool_results",
]

_CITIES = ("Paris", "Tokyo", "Lima", "Oslo", "Nairobi", "Montreal")
_NAMES = ("Ada Lovelace", "Alan Turing", "Grace Hopper", "Katherine Johnson")
_FALLBACK_WORDS = ("Paris", "apple", "river", "blue", "garden")
_MAX_DEPTH = 8  # nesting limit for odd (or self-referencing) schemas
_MAX_LENGTH = 100  # cap on minItems/minLength, so a silly schema cannot make a huge input
_BRIEF_CHARS = 80  # how much of each tool result the answer quotes


@dataclasses.dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    input: Any


@dataclasses.dataclass(frozen=True)
class ToolResult:
    name: str  # the name of the tool whose tool_use this answers
    text: str
    is_error: bool


class ToolPairingError(ValueError):
    """The request breaks the tool_use/tool_result pairing rule; the message is the API's."""


# ------------------------------------------------------------------------------------------------------------
# Which turn calls tools


def _callable_tools(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Client tools the model may call (server tools, without an input_schema, are left alone)."""
    tools = body.get("tools")
    if not isinstance(tools, list):
        return []
    return [
        tool
        for tool in tools
        if isinstance(tool, Mapping) and isinstance(tool.get("name"), str) and "input_schema" in tool
    ]


def _tool_choice(body: Mapping[str, Any]) -> Mapping[str, Any]:
    choice = body.get("tool_choice")
    return choice if isinstance(choice, Mapping) else {}


def _leading_tool_results(content: Any) -> list[Mapping[str, Any]]:
    """The tool_result blocks at the very beginning of a message's content."""
    results: list[Mapping[str, Any]] = []
    if isinstance(content, list):
        for block in content:
            if not (isinstance(block, Mapping) and block.get("type") == "tool_result"):
                break
            results.append(block)
    return results


def _ends_with_a_prompt(body: Mapping[str, Any]) -> bool:
    """The last message is a user turn that is not tool results."""
    messages = body.get("messages") or []
    last = messages[-1] if messages else None
    if not (isinstance(last, Mapping) and last.get("role") == "user"):
        return False
    return not _leading_tool_results(last.get("content"))


def tool_call_count(body: Mapping[str, Any], directive: Directive) -> int:
    """How many tools this turn calls; 0 means the model answers in text."""
    if not _callable_tools(body):
        return 0
    choice = _tool_choice(body)
    kind = choice.get("type", "auto")
    if kind == "none":
        return 0
    forced = kind in ("any", "tool")
    if not (directive.tool_loop or forced or (directive.tool_calls and _ends_with_a_prompt(body))):
        return 0
    count = directive.tool_calls or 1
    return 1 if choice.get("disable_parallel_tool_use") is True else count


def plan_calls(body: Mapping[str, Any], count: int) -> list[ToolCall]:
    """`count` calls, cycling through the request's tools in order (only the chosen one if it is forced)."""
    tools = _callable_tools(body)
    choice = _tool_choice(body)
    if choice.get("type") == "tool":
        tools = [tool for tool in tools if tool["name"] == choice.get("name")] or tools
    words = _prompt_words(body)
    calls = []
    for index in range(count):
        tool = tools[index % len(tools)]
        calls.append(
            ToolCall(
                "toolu_sim_" + secrets.token_hex(12),
                tool["name"],
                example_input(tool.get("input_schema"), index=index, words=words),
            )
        )
    return calls


def _prompt_words(body: Mapping[str, Any]) -> list[str]:
    """Words of the last user prompt (directives removed), for string inputs such as a search query."""
    for message in reversed(body.get("messages") or []):
        if not (isinstance(message, Mapping) and message.get("role") == "user"):
            continue
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(
                b["text"] for b in content if isinstance(b, Mapping) and isinstance(b.get("text"), str)
            )
        words = re.findall(r"[^\W_][\w'-]*", strip_directives(content if isinstance(content, str) else ""))
        if words:
            return words
    return []


# ------------------------------------------------------------------------------------------------------------
# Inputs from a JSON Schema


def example_input(schema: Any, *, index: int = 0, words: Sequence[str] = ()) -> Any:
    """A plausible value for `schema`, the same every time for the same arguments.

    Objects get every property; strings are chosen by the property's name and format (a city for "city", a
    date for ``format: date``, the prompt's words for "query"...); numbers respect minimum and maximum; an
    enum gives its first value; arrays get one item (or ``minItems``).
    """
    return _value(schema, "", index, list(words), 0)


def _value(schema: Any, name: str, index: int, words: list[str], depth: int) -> Any:
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
        return _string(name, {}, index, words)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            non_null = [o for o in options if not (isinstance(o, Mapping) and o.get("type") == "null")]
            return _value((non_null or options)[0], name, index, words, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if kind == "object":
        return _object(schema, index, words, depth)
    if kind == "array":
        return _array(schema, name, index, words, depth)
    if kind == "integer":
        return int(_number(schema, name, integer=True))
    if kind == "number":
        return _number(schema, name, integer=False)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(name, schema, index, words)


def _object(schema: Mapping[str, Any], index: int, words: list[str], depth: int) -> dict[str, Any]:
    properties = schema.get("properties")
    properties = dict(properties) if isinstance(properties, Mapping) else {}
    required = schema.get("required")
    for key in required if isinstance(required, list) else []:
        if isinstance(key, str):
            properties.setdefault(key, {"type": "string"})
    return {key: _value(sub, key, index, words, depth + 1) for key, sub in properties.items()}


def _array(schema: Mapping[str, Any], name: str, index: int, words: list[str], depth: int) -> list[Any]:
    items = schema.get("items", {"type": "string"})
    low, high = schema.get("minItems"), schema.get("maxItems")
    count = min(max(low, 1), _MAX_LENGTH) if isinstance(low, int) else 1
    if isinstance(high, int):
        count = min(count, max(high, 0))
    singular = name[:-1] if name.endswith("s") else name
    return [_value(items, singular, index + i, words, depth + 1) for i in range(count)]


_NUMBER_HINTS = {"age": 30, "year": 2026, "page": 1, "latitude": 48.86, "lat": 48.86, "longitude": 2.35,
                 "lon": 2.35, "temperature": 0.7, "price": 9.99, "amount": 10}  # fmt: skip


def _number(schema: Mapping[str, Any], name: str, *, integer: bool) -> float:
    words = _name_words(name)
    value: float = next((_NUMBER_HINTS[w] for w in words if w in _NUMBER_HINTS), 3 if integer else 2.5)
    step = 1 if integer else 0.5
    low, high = schema.get("minimum"), schema.get("maximum")
    if isinstance(schema.get("exclusiveMinimum"), int | float):
        low = schema["exclusiveMinimum"] + step
    if isinstance(schema.get("exclusiveMaximum"), int | float):
        high = schema["exclusiveMaximum"] - step
    if isinstance(low, int | float) and value < low:
        value = low
    if isinstance(high, int | float) and value > high:
        value = high
    return round(value) if integer else value


_FORMATS = {
    "date": "2026-11-21",
    "date-time": "2026-11-21T12:00:00Z",
    "time": "12:00:00",
    "email": "ada@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-4000-8000-000000000001",
}
# (words that may appear in a property name, values to cycle through); the first match wins.
_STRING_HINTS: list[tuple[frozenset[str], tuple[str, ...]]] = [
    (frozenset({"city", "location", "place", "destination", "town"}), _CITIES),
    (frozenset({"country"}), ("France", "Japan", "Peru", "Norway")),
    (frozenset({"unit", "units"}), ("celsius",)),
    (frozenset({"lang", "language", "locale"}), ("en",)),
    (frozenset({"email"}), ("ada@example.com",)),
    (frozenset({"url", "uri", "link", "website"}), ("https://example.com",)),
    (frozenset({"date", "day"}), ("2026-11-21",)),
    (frozenset({"time"}), ("12:00",)),
    (frozenset({"path", "file", "filename"}), ("notes.md",)),
    (frozenset({"expression", "expr", "formula"}), ("2 + 2",)),
    (frozenset({"name", "user", "username", "author", "person"}), _NAMES),
]
# Names that ask for one key term: the prompt's acronym or name ("TCP" in "What does TCP stand for?").
_TERM_NAMES = frozenset({"term", "word", "keyword", "acronym", "concept", "subject", "symbol", "entity", "title"})
# Names that ask for free text: they get the prompt's words.
_TEXT_NAMES = frozenset(
    {"query", "q", "search", "prompt", "text", "question", "topic", "keywords", "message"}
)


def _name_words(name: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()) if w]


def _string(name: str, schema: Mapping[str, Any], index: int, words: list[str]) -> str:
    value = _plain_string(name, schema, index, words)
    low, high = schema.get("minLength"), schema.get("maxLength")
    if isinstance(high, int) and len(value) > high:
        value = value[: max(high, 0)]
    if isinstance(low, int) and len(value) < low:
        value = (value or "x").ljust(min(low, _MAX_LENGTH), "x")
    return value


def _plain_string(name: str, schema: Mapping[str, Any], index: int, words: list[str]) -> str:
    if schema.get("format") in _FORMATS:
        return _FORMATS[schema["format"]]
    parts = _name_words(name)
    if parts and parts[-1] == "id":
        return f"sim_{index + 1:03d}"
    for hints, values in _STRING_HINTS:
        if hints.intersection(parts):
            if values is _CITIES:
                values = tuple(places(words)) or values  # the place the prompt asks about, if it names one
            return values[index % len(values)]
    if _TEXT_NAMES.intersection(parts) and words:
        return " ".join(words[:6])
    if _TERM_NAMES.intersection(parts):
        term = key_term(words)
        if term:
            return term
    content = content_words(words) or list(_FALLBACK_WORDS)
    return content[index % len(content)]


# ------------------------------------------------------------------------------------------------------------
# Tool results


def check_tool_pairing(messages: Sequence[Any]) -> None:
    """Raise ToolPairingError unless every tool_use is answered at the start of the next message."""
    expected: list[Any] = []  # tool_use ids as the client sent them: any JSON value
    for i, message in enumerate(messages):
        if not isinstance(message, Mapping):
            continue
        content = message.get("content")
        leading = _leading_tool_results(content) if message.get("role") == "user" else []
        found = {block.get("tool_use_id") for block in leading}
        missing = [tool_id for tool_id in expected if tool_id not in found]
        if missing:
            raise ToolPairingError(
                f"messages.{i}: Did not find {len(missing)} tool_result block(s) at the beginning of this "
                "message. Messages following tool_use blocks must begin with a matching number of "
                "tool_result blocks."
            )
        seen: set[Any] = set()
        for j, block in enumerate(content if isinstance(content, list) else []):
            if isinstance(block, Mapping) and block.get("type") == "tool_result":
                tool_id = block.get("tool_use_id")
                if tool_id not in expected or tool_id in seen:
                    raise ToolPairingError(
                        f"messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: "
                        f"{tool_id}. Each `tool_result` block must have a corresponding `tool_use` block in "
                        "the previous message."
                    )
                seen.add(tool_id)
        expected = [
            block.get("id")
            for block in (content if message.get("role") == "assistant" and isinstance(content, list) else [])
            if isinstance(block, Mapping) and block.get("type") == "tool_use"
        ]


def tool_results(body: Mapping[str, Any]) -> list[ToolResult]:
    """The tool results the last message begins with, named after the tool_use each answers."""
    messages = body.get("messages") or []
    if not messages or not isinstance(messages[-1], Mapping) or messages[-1].get("role") != "user":
        return []
    before = messages[-2] if len(messages) > 1 else None
    previous = before.get("content") if isinstance(before, Mapping) else None
    names = {
        block.get("id"): str(block.get("name"))
        for block in (previous if isinstance(previous, list) else [])
        if isinstance(block, Mapping) and block.get("type") == "tool_use"
    }
    return [
        ToolResult(
            names.get(block.get("tool_use_id"), "the tool"),
            " ".join(_result_texts(block.get("content"))),
            block.get("is_error") is True,
        )
        for block in _leading_tool_results(messages[-1].get("content"))
    ]


def _result_texts(content: Any) -> Iterator[str]:
    if isinstance(content, str):
        yield content
    elif isinstance(content, list):
        for block in content:
            if not isinstance(block, Mapping):
                continue
            text = block.get("text")
            yield text if block.get("type") == "text" and isinstance(text, str) else f"[{block.get('type')}]"


def describe_results(results: Sequence[ToolResult]) -> str:
    """A short paragraph quoting each result briefly ("get_weather said: 18°C, clear.")."""
    lines = []
    for result in results:
        brief = " ".join(result.text.split()) or "(no output)"
        if len(brief) > _BRIEF_CHARS:
            brief = brief[: _BRIEF_CHARS - 1].rstrip() + "…"
        brief = brief.rstrip(".") + "."
        verb = "failed" if result.is_error else "said"
        lines.append(f"- {result.name} {verb}: {brief}")
    intro = "Here is what the tool returned:" if len(results) == 1 else "Here is what the tools returned:"
    return intro + "\n\n" + "\n".join(lines)
