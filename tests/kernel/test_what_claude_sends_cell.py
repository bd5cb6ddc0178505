"""What Claude sends besides text, in a real kernel: a %%llm cell that thinks, searches the web, cites
and answers streams each part in its frames, and its static copy shows them (issue 17)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.kernel


def ops_of(run):
    frames = [m["content"]["data"]["content"] for m in run.custom("frame")]
    return [op for f in frames for op in f.get("ops", [{"t": "text", "text": f.get("delta", "")}])]


def test_a_cell_that_thinks_searches_cites_and_answers_streams_every_part(kernel, simulator):
    run = kernel.ok("%%llm --web-search --out r\nWhat is new in streaming? [[sim: thinking=1 tokens=40]]")
    ops = ops_of(run)
    order = [op["t"] for op in ops]
    assert order[0] == "thinking" and "tool" in order and "source" in order
    assert order.index("thinking") < order.index("tool") < order.index("text")  # live, in the order sent
    assert any(op.get("append") for op in ops if op["t"] == "thinking")  # its text streamed in
    tool_ops = [op for op in ops if op["t"] == "tool"]
    assert tool_ops[0]["server"] and tool_ops[0]["name"] == "web_search"
    assert any(op.get("links") for op in tool_ops)  # the results as links
    (copy,) = run.static_copies()
    page = copy["data"]["text/html"]
    assert '<details class="nbstream-thinking"' in page and "nbstream-sources" in page
    assert "https://docs.example.com/build-with-claude/streaming" in page
    out = kernel.ok("print(r.status, r.usage.web_search_requests, len(r.citations), r.usage.thinking_tokens > 0)")
    assert out.stream_text().split() == ["done", "1", "1", "True"]
    assert {"type": "web_search_20260318", "name": "web_search"} in simulator.requests[-1]["body"]["tools"]


def test_a_refused_cell_ends_in_a_clear_state(kernel, simulator):
    run = kernel.ok("%%llm --out r\nHello [[sim: stop=refusal category=cyber tokens=20]]")
    (copy,) = run.static_copies()
    assert 'data-status="cut_off"' in copy["data"]["text/html"]
    assert "Claude declined to answer (category: cyber security)" in copy["data"]["text/html"]
    assert kernel.ok("print(r.status, r.stop_reason)").stream_text().split() == ["cut_off", "refusal"]


def test_an_unknown_block_is_a_note_and_the_answer_still_streams(kernel, simulator):
    run = kernel.ok("%%llm --out r\nHello [[sim: unknown_block=1 server_tools=code_execution tokens=20]]")
    ops = ops_of(run)
    notes = [op for op in ops if op["t"] == "note"]
    assert notes and notes[0]["text"] == "unsupported block: future_block"
    code = [op for op in ops if op["t"] == "tool" and op.get("result")]
    assert code and code[0]["result"] == "return code 0\nstdout:\n45\n"
    assert "unsupported block: future_block" in run.static_copies()[0]["data"]["text/html"]
    assert kernel.ok("print(r.status)").stream_text().strip() == "done"
