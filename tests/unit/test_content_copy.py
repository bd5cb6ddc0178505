"""The static copy of thinking, notes, server tools and sources: collapsed, escaped, links only to http(s)."""

from __future__ import annotations

import re

from nbstream._content_parts import ContentOps, Sources, server_result, source_of
from nbstream._events import (
    BlockStarted,
    BlockStopped,
    CitationDelta,
    MessageDelta,
    MessageStarted,
    TextDelta,
    ThinkingDelta,
    Usage,
)
from nbstream._result import Result
from nbstream._static_copy import static_copy_bundle

HOSTILE = '<img src=x onerror="window.__pwned=1">'


def test_the_copy_shows_thinking_collapsed_never_as_the_answer_and_sources_escaped():
    parts = [
        {"t": "thinking", "id": "0.0", "text": f"pondering {HOSTILE}", "redacted": False, "done": True},
        {"t": "tool", "id": "s1", "name": "web_search", "input": '{"query": "x"}', "status": "done", "server": True,
         "result": "2 results", "is_error": False,
         "links": [{"title": HOSTILE, "url": "https://example.com/a"}, {"title": "bad", "url": "javascript:alert(1)"}]},
        {"t": "text", "text": "The answer\\[1\\]"},
        {"t": "note", "id": "0.3", "kind": "unsupported", "text": f"unsupported block: {HOSTILE}"},
        {"t": "sources", "items": [{"n": 1, "title": HOSTILE, "url": "javascript:alert(1)", "location": "p. 2",
                                    "cited_text": HOSTILE}]},
    ]
    result = Result(text="The answer", status="done", model="claude-sonnet-5-5")
    bundle = static_copy_bundle(result, parts)
    page = bundle["text/html"]
    assert '<details class="nbstream-thinking" data-done="true"><summary class="nbstream-thinking-label">thought' in page
    assert "<img" not in page and "javascript:" not in page
    assert page.count('href="https://example.com/a"') == 1
    assert '<div class="nbstream-sources"' in page and "&lt;img src=x" in page
    assert '<span class="nbstream-tool-name">web_search(…)</span>' in page
    assert '<span class="nbstream-tool-server">runs in the API</span>' in page
    assert "pondering" not in bundle["text/plain"]  # the answer is the text, never the thinking
    md = bundle["text/markdown"]
    assert not re.search(r"(?<!\\)<img", md) and "javascript" not in md  # escaped, and no script link
    assert "**Sources**" in md and "*thought*" in md


def test_citation_variants_as_sources_and_server_results_as_fields():
    assert source_of({"type": "page_location", "cited_text": "a", "document_index": 0, "document_title": "Doc",
                      "start_page_number": 2, "end_page_number": 4})["location"] == "pp. 2-3"
    assert source_of({"type": "char_location", "cited_text": "a", "document_index": 1, "start_char_index": 0,
                      "end_char_index": 5})["title"] == "document 1"
    sources = Sources()
    marks, new = sources.markers([{"type": "web_search_result_location", "url": "https://a.example/", "title": "A",
                                   "cited_text": "x"}] * 2)
    assert marks == "\\[1\\]" and len(new) == 1
    assert server_result({"type": "web_fetch_tool_result", "content": {"type": "web_fetch_tool_result_error",
                                                                         "error_code": "url_not_accessible"}}) == {
        "status": "failed", "result": "error: url_not_accessible", "is_error": True}
    fields = server_result({"type": "code_execution_tool_result", "content": {
        "type": "code_execution_result", "stdout": "hi\n", "stderr": "warn\n", "return_code": 2}})
    assert fields["result"] == "return code 2\nstdout:\nhi\n\nstderr:\nwarn\n" and fields["return_code"] == 2


def test_frame_ops_for_thinking_citations_and_a_pause():
    ops = ContentOps()
    seen = []
    for event in [
        MessageStarted("m", "claude", Usage()), BlockStarted(0, "thinking"), ThinkingDelta(0, "hm"), BlockStopped(0),
        BlockStarted(1, "text"), CitationDelta(1, {"type": "char_location", "cited_text": "c", "document_index": 0,
                                                 "document_title": "D", "start_char_index": 0, "end_char_index": 1}),
        TextDelta(1, "x"), BlockStopped(1), MessageDelta("pause_turn", Usage()), MessageStarted("m2", "c", Usage()),
    ]:
        seen += ops.ops(event)
    assert [op["t"] for op in seen] == ["thinking", "thinking", "thinking", "text", "source", "note"]
    assert seen[1] == {"t": "thinking", "id": "0.0", "append": "hm"} and seen[3]["text"] == "\\[1\\]"
    assert seen[-1]["kind"] == "paused" and seen[-1]["id"] == "0.p"


def test_frame_ids_follow_the_turns_even_when_a_turn_is_only_tool_calls():
    from nbstream._frames import FrameContent

    frames = FrameContent()
    for event in [
        MessageStarted("m1", "c", Usage()), BlockStarted(0, "tool_use", "toolu_1", "lookup"), BlockStopped(0),
        MessageDelta("tool_use", Usage()), MessageStarted("m2", "c", Usage()), BlockStarted(0, "thinking"),
    ]:
        frames.add(event)
    ops = frames.take()["ops"]
    assert ops[-1]["t"] == "thinking" and ops[-1]["id"] == "1.0"  # as _projection.parts numbers it: turn 1
