"""Everything Claude streams is shown and kept (issue 17): thinking, citations, server tools, stop reasons
and block types nbstream does not know. Through the real SDK over real HTTP to the simulator, scripted
per request by its directives."""

from __future__ import annotations

import pytest

from nbstream import StreamWidget, _pricing, _projection
from nbstream._request import CallOptions  # noqa: F401  (the options every surface takes)

SIMULATOR = {"ttft": 0.02, "rate": 400}
pytestmark = pytest.mark.usefixtures("routed")


def kinds(parts):
    return [p["t"] for p in parts]


async def test_thinking_is_a_part_before_the_answer_and_its_tokens_are_counted(simulator):
    widget = StreamWidget("Explain TCP in one sentence. [[sim: thinking=1 tokens=30]]")
    result = await widget
    assert result.status == "done" and result.thinking  # the text the API showed
    parts = _projection.parts(widget.run)
    assert kinds(parts) == ["thinking", "text"] and parts[0]["done"] and parts[0]["text"] == result.thinking
    assert result.thinking not in result.text  # thinking is never the answer
    assert result.usage.thinking_tokens > 0 and result.usage.thinking_tokens < result.usage.output_tokens
    stats = _projection.stats(widget.run)
    assert stats["thinking_tokens"] == result.usage.thinking_tokens
    # the first token (thinking) came before the first text: the header shows both
    assert stats["text_after"] is not None and stats["text_after"] > stats["ttft"]
    thinking = [b for b in result.content if b["type"] == "thinking"]
    assert thinking and thinking[0]["signature"]  # kept, to be sent back


async def test_thinking_without_text_still_shows_that_the_model_thinks(simulator):
    widget = StreamWidget("Hello [[sim: thinking=1 thinking_text=0 tokens=20]]")
    result = await widget
    parts = _projection.parts(widget.run)
    assert kinds(parts) == ["thinking", "text"] and parts[0]["text"] == "" and parts[0]["done"]
    assert result.thinking == "" and result.usage.thinking_tokens > 0
    # the first token of any kind is the thinking block's signature: time to first text comes later
    assert widget.run.first_token_at < widget.run.first_text_at


async def test_redacted_thinking_is_shown_and_sent_back(simulator):
    widget = StreamWidget("Hello [[sim: redacted=1 tokens=10]]")
    result = await widget
    parts = _projection.parts(widget.run)
    assert parts[0]["t"] == "thinking" and parts[0]["redacted"]
    assert result.content[0]["type"] == "redacted_thinking" and result.content[0]["data"]


@pytest.mark.parametrize(
    "kind, title, location",
    [
        ("char_location", "The sample document", "characters 0-"),
        ("page_location", "The sample document", "p. 2"),
        ("content_block_location", "The sample document", "blocks 0-1"),
        ("web_search_result_location", "Streaming Messages - Claude API docs", None),
        ("search_result_location", "The guide", "blocks 0-1"),
    ],
)
async def test_each_kind_of_citation_is_a_numbered_source_under_the_answer(simulator, kind, title, location):
    widget = StreamWidget(f"Tell me about streaming. [[sim: citations={kind} tokens=40]]")
    result = await widget
    assert result.status == "done" and len(result.citations) == 1 and result.citations[0]["type"] == kind
    parts = _projection.parts(widget.run)
    assert kinds(parts) == ["text", "sources"]
    assert "\\[1\\]" in parts[0]["text"] and "[1]" not in result.text  # marked in the view, not in the answer
    (source,) = parts[1]["items"]
    assert source["n"] == 1 and source["title"] == title
    assert source["cited_text"] == " ".join(result.citations[0]["cited_text"].split())
    if location:
        assert source["location"].startswith(location)
    assert (source["url"] or "").startswith("https://") == (kind in ("web_search_result_location", "search_result_location"))


async def test_a_web_search_streams_its_query_then_its_results_and_its_fee_is_in_the_cost(simulator):
    widget = StreamWidget("What is new in streaming? [[sim: server_tools=web_search tokens=30]]", model="sonnet")
    result = await widget
    assert result.status == "done" and result.usage.web_search_requests == 1
    parts = _projection.parts(widget.run)
    assert kinds(parts) == ["tool", "text", "sources"]  # the search, the cited answer, its sources
    search = parts[0]
    assert search["server"] and search["name"] == "web_search" and search["status"] == "done"
    assert '"query"' in search["input"] and search["result"] == "3 results"
    assert [link["url"] for link in search["links"]][0] == "https://docs.example.com/build-with-claude/streaming"
    tokens_only = _pricing.cost("claude-sonnet-5-5", result.usage.__class__(
        input_tokens=result.usage.input_tokens, output_tokens=result.usage.output_tokens))
    assert result.cost == pytest.approx(tokens_only + 0.01)  # $10 per 1,000 searches
    assert simulator.requests[-1]["stop_reason"] == "end_turn"


@pytest.mark.parametrize(
    "tool, result_text",
    [
        ("web_fetch", "fetched: Streaming Messages - Claude API docs"),
        ("code_execution", "return code 0\nstdout:\n45\n"),
        ("bash_code_execution", "return code 0\nstdout:\n42\n"),
    ],
)
async def test_each_server_tool_shows_its_result(simulator, tool, result_text):
    widget = StreamWidget(f"Go. [[sim: server_tools={tool} tokens=10]]")
    result = await widget
    part = _projection.parts(widget.run)[0]
    assert part["name"] == tool and part["status"] == "done" and part["result"] == result_text
    assert result.usage.web_fetch_requests == (1 if tool == "web_fetch" else 0)


async def test_a_server_tool_error_is_a_failed_call_and_the_answer_goes_on(simulator):
    widget = StreamWidget("Go. [[sim: server_tools=web_search server_error=1 tokens=10]]")
    result = await widget
    part = _projection.parts(widget.run)[0]
    assert result.status == "done" and part["status"] == "failed" and part["is_error"]
    assert part["result"] == "error: max_uses_exceeded"


async def test_the_web_search_option_enables_the_tool_and_the_model_uses_it(simulator):
    widget = StreamWidget("What is new in streaming?", web_search=True, max_tokens=300)
    result = await widget
    body = simulator.requests[-1]["body"]
    assert {"type": "web_search_20260318", "name": "web_search"} in body["tools"]
    assert result.usage.web_search_requests == 1 and result.citations


async def test_a_refusal_is_a_clear_ending_with_its_category_and_explanation(simulator):
    widget = StreamWidget("Hello [[sim: stop=refusal category=cyber tokens=30]]")
    result = await widget
    assert result.status == "cut_off" and not result.ok and result.stop_reason == "refusal"
    assert result.stop_details["category"] == "cyber"
    assert result.error.startswith("Claude declined to answer (category: cyber security): ")
    assert "simulated refusal" in result.error


async def test_a_refusal_before_any_text_is_a_failure_not_a_done(simulator):
    widget = StreamWidget("Hello [[sim: stop=refusal category=bio tokens=0]]")
    result = await widget
    assert result.status == "failed" and "biological risk" in result.error


async def test_pause_turn_is_continued_with_the_content_sent_back_unchanged(simulator):
    widget = StreamWidget("Search this. [[sim: server_tools=web_search stop=pause_turn pauses=2 tokens=20]]")
    result = await widget
    assert result.status == "done" and result.turns == 3 and widget.run.pauses == 2
    bodies = [r["body"] for r in simulator.requests]
    assert len(bodies) == 3
    first_reply = widget.run.turns[0].assistant_message()
    assert bodies[1]["messages"][-1] == first_reply  # sent back unchanged (server tool use and its result)
    assert [b["type"] for b in first_reply["content"]] == ["server_tool_use", "web_search_tool_result"]
    parts = _projection.parts(widget.run)
    assert [p["kind"] for p in parts if p["t"] == "note"] == ["paused", "paused"]


async def test_pause_turn_is_bounded(simulator):
    widget = StreamWidget("Hello [[sim: stop=pause_turn pauses=50 tokens=5]]")
    result = await widget
    assert result.status == "cut_off" and widget.run.pauses == 5 and "stopped continuing" in result.error


async def test_a_full_context_window_is_a_clear_ending(simulator):
    widget = StreamWidget("Hello [[sim: stop=model_context_window_exceeded tokens=20]]")
    result = await widget
    assert result.status == "cut_off" and result.stop_reason == "model_context_window_exceeded"
    assert "context window" in result.error and result.text


async def test_max_tokens_is_marked_truncated(simulator):
    widget = StreamWidget("Hello [[sim: tokens=50]]", max_tokens=10)
    await widget
    assert _projection.stats(widget.run)["truncated"] and widget.notice.startswith("truncated: ")


async def test_an_unknown_block_and_delta_type_are_shown_kept_and_the_stream_goes_on(simulator):
    widget = StreamWidget("Hello [[sim: unknown_block=1 tokens=12]]")
    result = await widget
    assert result.status == "done" and len(result.text) > 0
    parts = _projection.parts(widget.run)
    assert parts[0] == {"t": "note", "id": "0.0", "kind": "unsupported", "text": "unsupported block: future_block"}
    kept = result.content[0]
    assert kept["type"] == "future_block" and kept["unknown_deltas"] == [{"type": "future_delta", "value": "something new"}]


async def test_a_panel_row_that_thinks_and_searches_carries_its_parts(simulator):
    from nbstream import ParallelPanel

    panel = ParallelPanel(
        ["What is new? [[sim: thinking=1 tokens=20]]", "Plain [[sim: tokens=10]]"], web_search=True, model="sonnet"
    )
    results = await panel
    assert [r.status for r in results] == ["done", "done"]
    whole = panel._row_whole(0)
    assert [p["t"] for p in whole["parts"]] == ["thinking", "tool", "text", "sources"]
    assert all(r.usage.web_search_requests == 1 for r in results)  # each row searched (the option is the panel's)
    assert results[0].cost > results[1].cost
