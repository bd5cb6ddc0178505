"""The parts of a reply beyond text and client tool calls: thinking, server tools with their results,
citations as numbered sources, pauses, and block types nbstream does not know. Pure.

The same part dicts go to every view: the widget's and a panel row's ``parts``, the frames' ops (see
:class:`ContentOps`), and the static copy. Everything in them came from the API, i.e. from the model or
a web page: views write it as text only, and a source's URL survives only if it is http(s).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from ._events import (
    BlockStarted,
    BlockStopped,
    CitationDelta,
    MessageDelta,
    MessageStarted,
    OtherDelta,
    ThinkingDelta,
    ToolInputDelta,
)

if TYPE_CHECKING:
    from ._accumulate import Block

RESULT_PREVIEW = 4000  # characters of a server tool's output a view gets
SERVER_TOOL_RESULTS = frozenset({
    "web_search_tool_result", "web_fetch_tool_result", "code_execution_tool_result",
    "bash_code_execution_tool_result", "text_editor_code_execution_tool_result", "tool_search_tool_result",
})
KNOWN_BLOCKS = frozenset({"text", "tool_use", "thinking", "redacted_thinking", "server_tool_use"}) | SERVER_TOOL_RESULTS
_SAFE_URL = re.compile(r"^https?://[^\s]+$", re.I)


def safe_url(url: object) -> str | None:
    """An absolute http(s) URL, or None: the only links a source or a search result may carry."""
    return url if isinstance(url, str) and len(url) < 4096 and _SAFE_URL.match(url.strip()) else None


def _one_line(text: object, limit: int = 300) -> str:
    return " ".join(str(text or "").split())[:limit]


# --- thinking and notes ------------------------------------------------------------------------------


def thinking_part(key: str, block: Block) -> dict[str, Any]:
    return {
        "t": "thinking", "id": key, "text": block.content, "redacted": block.kind == "redacted_thinking",
        "done": block.stopped,
    }


def note_part(key: str, kind: str, text: str) -> dict[str, Any]:
    """A small line in the transcript: ``unsupported`` (a block or delta type nbstream does not know) or
    ``paused`` (the API paused the turn and nbstream continued it)."""
    return {"t": "note", "id": key, "kind": kind, "text": text}


def unsupported(kind: str) -> str:
    return f"unsupported block: {_one_line(kind, 80)}"


PAUSED = "paused by the API (a long server-tool turn); continued"


# --- server tools ------------------------------------------------------------------------------------


def server_result(start: dict[str, Any]) -> dict[str, Any]:
    """A server tool's result block as a tool part's fields: status, result text, is_error, links."""
    kind = start.get("type")
    content = start.get("content")
    if isinstance(content, dict) and str(content.get("type", "")).endswith("_error"):
        code = _one_line(content.get("error_code") or "error", 80)
        return {"status": "failed", "result": f"error: {code}", "is_error": True}
    if kind == "web_search_tool_result" and isinstance(content, list):
        links = [
            {"title": _one_line(r.get("title") or r.get("url"), 200), "url": safe_url(r.get("url")),
             "page_age": _one_line(r.get("page_age"), 40) or None}
            for r in content if isinstance(r, dict)
        ]
        n = len(links)
        return {"status": "done", "result": f"{n} result{'' if n == 1 else 's'}", "is_error": False, "links": links}
    if kind == "web_fetch_tool_result" and isinstance(content, dict):
        document = content["content"] if isinstance(content.get("content"), dict) else {}
        url = content.get("url")
        title = _one_line(document.get("title") or url, 200)
        return {"status": "done", "result": f"fetched: {title}", "is_error": False,
                "links": [{"title": title, "url": safe_url(url), "page_age": None}]}
    if isinstance(content, dict) and {"stdout", "stderr", "return_code"} <= set(content):
        pieces = [f"return code {content.get('return_code')}"]
        for stream in ("stdout", "stderr"):
            if content.get(stream):
                pieces.append(f"{stream}:\n{content[stream]}")
        return {"status": "done", "result": "\n".join(pieces)[:RESULT_PREVIEW], "is_error": False,
                "return_code": content.get("return_code")}
    return {"status": "done", "result": json.dumps(content, ensure_ascii=False)[:RESULT_PREVIEW], "is_error": False}


def server_tool_part(block: Block, result: dict[str, Any] | None) -> dict[str, Any]:
    part: dict[str, Any] = {
        "t": "tool", "id": block.tool_id, "name": block.tool_name, "input": block.content, "server": True,
        "status": "running" if block.stopped else "forming",  # once its input is complete, the API runs it
    }
    if result is not None:
        part.update(server_result(result))
    return part


# --- citations ---------------------------------------------------------------------------------------


def source_of(citation: dict[str, Any]) -> dict[str, Any]:
    """A citation as a source line: title, URL (http(s) only), where in the document, the cited text."""
    kind = citation.get("type")
    title = citation.get("title") or citation.get("document_title") or citation.get("source")
    location = None
    if kind == "page_location":
        start, end = citation.get("start_page_number"), citation.get("end_page_number")
        location = f"p. {start}" if end in (None, start, (start or 0) + 1) else f"pp. {start}-{(end or 1) - 1}"
    elif kind == "char_location":
        location = f"characters {citation.get('start_char_index')}-{citation.get('end_char_index')}"
    elif kind in ("content_block_location", "search_result_location"):
        location = f"blocks {citation.get('start_block_index')}-{citation.get('end_block_index')}"
    if kind in ("char_location", "page_location", "content_block_location") and not title:
        title = f"document {citation.get('document_index')}"
    url = citation.get("url") or (citation.get("source") if kind == "search_result_location" else None)
    return {
        "title": _one_line(title or "source", 200), "url": safe_url(url), "location": location,
        "cited_text": _one_line(citation.get("cited_text"), 500),
    }


class Sources:
    """Numbers each distinct source once, in order of first citation, over a whole call."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._numbers: dict[tuple[Any, ...], int] = {}

    def number(self, citation: dict[str, Any]) -> tuple[int, dict[str, Any] | None]:
        """The source's number, and the source itself when it is new."""
        source = source_of(citation)
        key = (source["title"], source["url"], source["location"])
        if key in self._numbers:
            return self._numbers[key], None
        n = self._numbers[key] = len(self.items) + 1
        item = {"n": n, **source}
        self.items.append(item)
        return n, item

    def markers(self, citations: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
        """A cited block's markers (``\\[1\\]``: literal brackets in Markdown) and the sources new here."""
        numbers, new = [], []
        for citation in citations:
            n, item = self.number(citation)
            if n not in numbers:
                numbers.append(n)
            if item is not None:
                new.append(item)
        return "".join(f"\\[{n}\\]" for n in numbers), new


# --- frames -------------------------------------------------------------------------------------------


class ContentOps:
    """The frame ops of these parts, event by event (``_frames.FrameContent`` asks for the events it
    does not handle itself). Ids match :func:`_projection.parts`: ``turn.index`` for thinking and notes,
    the API's id for server tools."""

    def __init__(self) -> None:
        self.turn = -1
        self._kinds: dict[int, str] = {}  # block index -> kind, in the current turn
        self._server_ids: dict[int, str | None] = {}
        self._citations: dict[int, list[dict[str, Any]]] = {}
        self._unknown_noted: set[int] = set()
        self._paused = False  # the turn that just ended stopped for pause_turn
        self.sources = Sources()

    def saw(self, index: int, kind: str) -> None:
        """A block the caller handles itself (a client tool call) started in this turn."""
        self._kinds[index] = kind

    def ops(self, event: object) -> list[dict[str, Any]]:
        if isinstance(event, MessageDelta):
            self._paused = event.stop_reason == "pause_turn"
            return []
        if isinstance(event, MessageStarted):
            # A retry before any output starts the same turn again; a pause continued, a new one after a note.
            note = [note_part(f"{self.turn}.p", "paused", PAUSED)] if self._paused else []
            if self._kinds or self.turn < 0:
                self.turn += 1
            for state in (self._kinds, self._server_ids, self._citations):
                state.clear()
            self._unknown_noted.clear()
            self._paused = False
            return note
        index = getattr(event, "index", None)
        key = f"{self.turn}.{index}"
        if isinstance(event, BlockStarted):
            self._kinds[event.index] = event.kind
            if event.kind in ("thinking", "redacted_thinking"):
                return [{"t": "thinking", "id": key, "text": "", "redacted": event.kind == "redacted_thinking",
                         "done": False}]
            if event.kind == "server_tool_use":
                self._server_ids[event.index] = event.tool_id
                return [{"t": "tool", "id": event.tool_id, "name": event.tool_name, "status": "forming",
                         "input": "", "server": True}]
            if event.kind in SERVER_TOOL_RESULTS and event.block is not None:
                return [{"t": "tool", "id": event.block.get("tool_use_id"), **server_result(event.block)}]
            if event.kind not in KNOWN_BLOCKS:
                self._unknown_noted.add(event.index)
                return [note_part(key, "unsupported", unsupported(event.kind))]
            return []
        kind = self._kinds.get(index) if isinstance(index, int) else None
        if isinstance(event, ThinkingDelta):
            return [{"t": "thinking", "id": key, "append": event.text}]
        thinking = kind in ("thinking", "redacted_thinking")
        if isinstance(event, BlockStopped) and thinking:
            return [{"t": "thinking", "id": key, "done": True}]
        if isinstance(event, ToolInputDelta) and kind == "server_tool_use":
            return [{"t": "tool", "id": self._server_ids.get(event.index), "input_delta": event.partial_json}]
        if isinstance(event, BlockStopped) and kind == "server_tool_use":
            return [{"t": "tool", "id": self._server_ids.get(event.index), "status": "running"}]
        if isinstance(event, CitationDelta):
            self._citations.setdefault(event.index, []).append(event.citation)
            return []
        if isinstance(event, BlockStopped) and event.index in self._citations:
            marks, new = self.sources.markers(self._citations.pop(event.index))
            return [{"t": "text", "text": marks}, *({"t": "source", **item} for item in new)]
        if isinstance(event, OtherDelta) and event.index not in self._unknown_noted:
            self._unknown_noted.add(event.index)
            return [note_part(key, "unsupported", f"unsupported delta: {_one_line(event.delta.get('type'), 80)}")]
        return []
