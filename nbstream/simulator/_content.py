"""What the simulated model sends besides text and client tool calls: server tools (web search, web fetch,
code execution, ...) with their results, cited text, redacted thinking, block types from the future, and
the stop reasons refusal, pause_turn and model_context_window_exceeded.

Scripted per request (``[[sim: server_tools=web_search citations=char_location stop=refusal ...]]``, see
``_directives``), and server tools also run when the request enables them (``tools`` naming
``web_search``, ``web_fetch`` or ``code_execution``). With ``echo=1`` the prompt itself is what the search
results' titles and URLs, the cited text, the fetched page's title and the code's output say: hostile
content in each of those places, for the tests.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator, Mapping
from typing import Any

from ._blocks import Step, TextBlock
from ._directives import Directive

_RESULT_TYPES = {
    "web_search": "web_search_tool_result", "web_fetch": "web_fetch_tool_result",
    "code_execution": "code_execution_tool_result", "bash_code_execution": "bash_code_execution_tool_result",
    "text_editor_code_execution": "text_editor_code_execution_tool_result",
}
_SEARCH_RESULTS = (
    ("Streaming Messages - Claude API docs", "https://docs.example.com/build-with-claude/streaming"),
    ("Server-sent events explained", "https://example.org/articles/server-sent-events"),
    ("Latency, throughput and the first token", "https://example.net/blog/first-token"),
)
REFUSAL_EXPLANATION = "The request asks for help that could cause serious harm (simulated refusal)."


def _step(kind: str, event: dict[str, Any]) -> Any:
    return Step(kind, event)  # type: ignore[arg-type]


def _start(index: int, block: dict[str, Any]) -> Any:
    return _step("start", {"type": "content_block_start", "index": index, "content_block": block})


def _stop(index: int) -> Any:
    return _step("stop", {"type": "content_block_stop", "index": index})


class ServerToolUseBlock:
    """A server_tool_use block: its input's JSON in fragments (paced like a client tool's input)."""

    def __init__(self, tool_id: str, name: str, tool_input: dict[str, Any]) -> None:
        self.id, self.name, self.input = tool_id, name, tool_input
        text = json.dumps(tool_input, ensure_ascii=False)
        self.fragments = [text[i : i + 8] for i in range(0, len(text), 8)]
        self.output_tokens = len(self.fragments)

    def content(self) -> dict[str, Any]:
        return {"type": "server_tool_use", "id": self.id, "name": self.name, "input": self.input}

    def steps(self, index: int) -> Iterator[Any]:
        yield _start(index, {"type": "server_tool_use", "id": self.id, "name": self.name, "input": {}})
        for fragment in ["", *self.fragments]:
            delta = {"type": "input_json_delta", "partial_json": fragment}
            event = {"type": "content_block_delta", "index": index, "delta": delta}
            yield _step("token" if fragment else "frame", event)
        yield _stop(index)

    def cut(self, tokens: int) -> None:
        return None


class WholeBlock:
    """A block that arrives whole in its content_block_start (a server tool's result, a future type),
    optionally followed by deltas of a type from the future."""

    output_tokens = 0

    def __init__(self, block: dict[str, Any], deltas: tuple[dict[str, Any], ...] = ()) -> None:
        self.block, self.deltas = block, deltas

    def content(self) -> dict[str, Any]:
        return dict(self.block)

    def steps(self, index: int) -> Iterator[Any]:
        yield _start(index, self.block)
        for delta in self.deltas:
            yield _step("frame", {"type": "content_block_delta", "index": index, "delta": delta})
        yield _stop(index)

    def cut(self, tokens: int) -> None:
        return None


class CitedTextBlock:
    """A text block that cites a source: ``citations: []`` at the start, one ``citations_delta``, then its text."""

    def __init__(self, tokens: list[str], citation: dict[str, Any]) -> None:
        self.tokens, self.citation = tokens, citation
        self.output_tokens = len(tokens)

    def content(self) -> dict[str, Any]:
        return {"type": "text", "text": "".join(self.tokens), "citations": [self.citation]}

    def steps(self, index: int) -> Iterator[Any]:
        yield _start(index, {"type": "text", "text": "", "citations": []})
        delta = {"type": "citations_delta", "citation": self.citation}
        yield _step("frame", {"type": "content_block_delta", "index": index, "delta": delta})
        for token in self.tokens:
            yield _step("token", {"type": "content_block_delta", "index": index,
                                  "delta": {"type": "text_delta", "text": token}})
        yield _stop(index)

    def cut(self, tokens: int) -> CitedTextBlock | None:
        return CitedTextBlock(self.tokens[:tokens], self.citation) if tokens > 0 else None


def requested_server_tools(body: Mapping[str, Any], directive: Directive) -> list[str]:
    """The server tools this turn calls: the directive's, else those the request enables (on a new prompt)."""
    if directive.server_tools:
        return list(directive.server_tools)
    tools = body["tools"] if isinstance(body.get("tools"), list) else []
    enabled = [t.get("name") for t in tools if isinstance(t, Mapping) and "input_schema" not in t]
    return [name for name in ("web_search", "web_fetch", "code_execution") if name in enabled]


def _input_for(name: str, question: str, echo: str | None) -> dict[str, Any]:
    if name == "web_search":
        return {"query": (echo or question or "streaming latency")[:200]}
    if name == "web_fetch":
        words = [w for w in (echo or question).split() if w.startswith(("http://", "https://"))]
        return {"url": words[0] if words else "https://docs.example.com/build-with-claude/streaming"}
    if name == "text_editor_code_execution":
        return {"command": "view", "path": "/tmp/notes.txt"}
    if name == "bash_code_execution":
        return {"command": "echo $((6 * 7))"}
    return {"code": "print(sum(range(10)))"}


def _result_for(name: str, tool_id: str, tool_input: dict[str, Any], echo: str | None, error: bool) -> dict[str, Any]:
    kind = _RESULT_TYPES[name]
    if error:
        code = {"web_search": "max_uses_exceeded", "web_fetch": "url_not_accessible"}.get(name, "unavailable")
        return {"type": kind, "tool_use_id": tool_id, "content": {"type": f"{kind}_error", "error_code": code}}
    if name == "web_search":
        pairs = [(echo, echo)] if echo else list(_SEARCH_RESULTS)
        content: Any = [
            {"type": "web_search_result", "title": title, "url": url, "page_age": "2 days ago",
             "encrypted_content": secrets.token_urlsafe(24)}
            for title, url in pairs
        ]
    elif name == "web_fetch":
        content = {
            "type": "web_fetch_result", "url": echo or tool_input["url"], "retrieved_at": "2026-11-30T12:00:00Z",
            "content": {"type": "document", "title": echo or "Streaming Messages - Claude API docs",
                        "source": {"type": "text", "media_type": "text/plain", "data": echo or "Streaming..."}},
        }
    elif name == "text_editor_code_execution":
        content = {"type": "text_editor_code_execution_view_result", "file_type": "text", "num_lines": 1,
                   "content": echo or "notes: the first token matters", "start_line": 1, "total_lines": 1}
    else:
        result_type = "bash_code_execution_result" if name == "bash_code_execution" else "code_execution_result"
        content = {"type": result_type, "stdout": echo or ("42\n" if name == "bash_code_execution" else "45\n"),
                   "stderr": echo or "", "return_code": 1 if echo else 0, "content": []}
    return {"type": kind, "tool_use_id": tool_id, "content": content}


def server_tool_blocks(names: list[str], question: str, echo: str | None, error: bool) -> list[Any]:
    blocks: list[Any] = []
    for name in names:
        tool_id = "srvtoolu_sim_" + secrets.token_hex(8)
        tool_input = _input_for(name, question, echo)
        blocks.append(ServerToolUseBlock(tool_id, name, tool_input))
        blocks.append(WholeBlock(_result_for(name, tool_id, tool_input, echo, error)))
    return blocks


def citation(kind: str, cited: str, echo: str | None) -> dict[str, Any]:
    title = echo or "The sample document"
    if kind == "char_location":
        return {"type": kind, "cited_text": cited, "document_index": 0, "document_title": title,
                "start_char_index": 0, "end_char_index": len(cited)}
    if kind == "page_location":
        return {"type": kind, "cited_text": cited, "document_index": 0, "document_title": title,
                "start_page_number": 2, "end_page_number": 3}
    if kind == "content_block_location":
        return {"type": kind, "cited_text": cited, "document_index": 0, "document_title": title,
                "start_block_index": 0, "end_block_index": 1}
    if kind == "web_search_result_location":
        name, url = (echo, echo) if echo else _SEARCH_RESULTS[0]
        return {"type": kind, "cited_text": cited, "url": url, "title": name,
                "encrypted_index": secrets.token_urlsafe(12)}
    return {"type": "search_result_location", "cited_text": cited, "source": echo or "https://docs.example.com/guide",
            "title": echo or "The guide", "search_result_index": 0, "start_block_index": 0, "end_block_index": 1}


def cite(tokens: list[str], kinds: list[str], echo: str | None) -> list[Any]:
    """The text as blocks: one cited chunk per citation kind, then the rest uncited."""
    if not tokens or not kinds:
        return [TextBlock(tokens)]
    size = max(1, len(tokens) // (len(kinds) + 1))
    blocks: list[Any] = []
    start = 0
    for kind in kinds:
        end = min(len(tokens), start + size)
        while end < min(len(tokens), start + size + 20) and not tokens[end - 1].rstrip(" ").endswith((".", "\n", ":")):
            end += 1  # a cited passage ends at the end of a sentence or a line, as the API's do
        chunk = tokens[start:end]
        if chunk:
            blocks.append(CitedTextBlock(chunk, citation(kind, echo or "".join(chunk).strip(), echo)))
        start = end
    rest = tokens[start:]
    if rest:
        blocks.append(TextBlock(rest))
    return blocks


def redacted_thinking() -> WholeBlock:
    return WholeBlock({"type": "redacted_thinking", "data": "EmwKAhgBEgy" + secrets.token_urlsafe(32)})


def future_block() -> WholeBlock:
    """A block type and a delta type from the future: a client must show them and keep streaming."""
    return WholeBlock(
        {"type": "future_block", "note": "a block type from the future (simulated)"},
        ({"type": "future_delta", "value": "something new"},),
    )


def pauses_done(body: Mapping[str, Any]) -> int:
    """How many times this turn was paused and continued: assistant messages after the last user message."""
    count = 0
    for message in reversed(body.get("messages") or []):
        if not isinstance(message, Mapping) or message.get("role") != "assistant":
            break
        count += 1
    return count


def stop_details(directive: Directive) -> dict[str, Any]:
    return {"type": "refusal", "category": directive.category, "explanation": REFUSAL_EXPLANATION}
