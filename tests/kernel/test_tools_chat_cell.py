"""--tools, --chat, --count and the spend/chat line magics in a real kernel."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.kernel


def test_rerunning_a_chat_cell_replaces_its_turn(kernel, simulator):
    kernel.ok("%%llm --chat c --system 'Be brief.'\nFirst? [[sim: tokens=4]]", cell_id="one")
    kernel.ok("%%llm --chat c\nSecond? [[sim: tokens=4]]", cell_id="two")
    kernel.ok("%%llm --chat c\nSecond, rephrased? [[sim: tokens=4]]", cell_id="two")
    out = kernel.ok(
        "import nbstream\nprint([m['content'] for m in nbstream.chat('c').messages if m['role'] == 'user'])"
    )
    assert out.stream_text().strip() == str(["First? [[sim: tokens=4]]", "Second, rephrased? [[sim: tokens=4]]"])
    last = simulator.requests[-1]["body"]
    assert last["system"] == "Be brief." and [m["role"] for m in last["messages"]] == ["user", "assistant", "user"]
    shown = kernel.ok("%llm_chat c").displays()[0]["data"]["text/html"]
    assert "Second, rephrased?" in shown and "Second? " not in shown


def test_tools_from_the_notebook_namespace(kernel, simulator):
    kernel.ok("def double(n: int) -> int:\n    '''Double a number.'''\n    return 2 * n")
    run = kernel.ok("%%llm --tools double --out r\nDouble it [[sim: tool_calls=2]]")
    frames = [m["content"]["data"]["content"] for m in run.custom("frame")]
    ops = [op for f in frames for op in f.get("ops", [{"t": "text", "text": f.get("delta", "")}])]
    statuses = [op.get("status") for op in ops if op["t"] == "tool"]
    assert "forming" in statuses and "running" in statuses and "done" in statuses
    assert any(op.get("input_delta") for op in ops)  # the arguments streamed in as they formed
    order = [op["t"] for op in ops]
    assert order.index("tool") > 0 and "text" in order[order.index("tool"):]  # text, tools, then more text
    out = kernel.ok("print(r.status, r.turns)").stream_text().split()
    assert out == ["done", "2"]
    assert simulator.requests[0]["body"]["tools"][0]["name"] == "double"


def test_count_sends_only_a_count_and_spend_adds_up(kernel, simulator):
    simulator.reset()
    run = kernel.ok("%%llm --count --model sonnet --out n\nHow many tokens is this?")
    assert "input tokens on claude-sonnet-5-5" in run.displays()[0]["data"]["text/plain"]
    assert [r["path"] for r in simulator.requests] == ["/v1/messages/count_tokens"]
    kernel.ok("%%llm\nhi [[sim: tokens=5]]")
    table = kernel.ok("%llm_spend").displays()[0]["data"]["text/html"]
    assert "claude-haiku-5-5" in table and "nbstream-spend" in table


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("%%llm --tools nothing_here\nhi", "--tools names 'nothing_here', but no function of that name is defined"),
        ("x = 3\n", None),
        ("%%llm --tools x\nhi", "--tools names 'x', which is not a function"),
        ("%%llm --chat c --parallel\na\n---\nb", "--chat and --count take one streamed prompt"),
        ("%%llm --cache forever\nhi", "invalid choice: 'forever'"),
        ("%%llm --max-turns 0\nhi", "max_turns must be a positive whole number, got 0"),
        ("%llm_chat nobody", "there is no chat named 'nobody'"),
    ],
)
def test_bad_tool_chat_and_cache_options(kernel, simulator, cell, message):
    simulator.reset()
    if message is None:
        kernel.ok(cell)
        return
    kernel.ok("x = 3")
    run = kernel.run(cell)
    assert run.reply["status"] == "error"
    shown = [line for e in run.errors() for line in e["traceback"]] or run.stream_text("stderr").strip().splitlines()
    assert len(shown) == 1 and message in shown[0], shown
    assert simulator.requests == []
