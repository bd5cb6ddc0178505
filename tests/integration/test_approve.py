"""Tools that ask first (issue 16 item 7) through the real SDK to the simulator: each call waits for a
decision; a denied call goes back as an is_error result and is not run; no decision in time, or Cancel,
ends the run cleanly."""

from __future__ import annotations

import asyncio

import pytest

from nbstream import InputError, ParallelPanel, StreamWidget, tool

pytestmark = pytest.mark.usefixtures("routed")

calls: list[str] = []


@tool
def lookup(term: str) -> str:
    """Look a term up."""
    calls.append(term)
    return f"{term}: found"


@pytest.fixture(autouse=True)
def no_calls_yet():
    calls.clear()


async def asked(widget: StreamWidget, count: int) -> list[str]:
    """Start the widget's call and wait until `count` tool calls wait for a decision."""
    widget.start()
    for _ in range(500):
        approvals = widget.run.approvals
        if approvals is not None and len(approvals.waiting) == count:
            return approvals.waiting
        await asyncio.sleep(0.01)
    raise AssertionError(f"no {count} tool calls waiting; tools: {widget.run.tool_states}")


async def test_an_approved_call_runs_and_a_denied_one_is_declined_on_the_wire(simulator):
    widget = StreamWidget("Look up TCP and UDP [[sim: tool_calls=2 tokens=5]]", model="haiku", tools=[lookup],
                          approve=True)
    first, second = await asked(widget, 2)
    assert [s["status"] for s in widget.run.tool_states.values()] == ["asking", "asking"]
    assert calls == []  # nothing runs before it is approved
    widget.approve(first)
    await asyncio.sleep(0.1)
    assert calls == []  # the turn's calls run once every one is decided
    widget.deny(second)
    result = await widget
    assert result.status == "done" and result.turns == 2
    assert len(calls) == 1
    results = simulator.requests[1]["body"]["messages"][-1]["content"]
    assert results[0] == {"type": "tool_result", "tool_use_id": first, "content": f"{calls[0]}: found"}
    assert results[1] == {"type": "tool_result", "tool_use_id": second, "is_error": True,
                          "content": "The user declined this tool call; it was not run."}
    assert [s["status"] for s in widget.run.tool_states.values()] == ["done", "failed"]


async def test_the_front_ends_decide_intent_decides_one_call(simulator):
    widget = StreamWidget("Look up TCP [[sim: tool_calls=1 tokens=5]]", model="haiku", tools=[lookup], approve=True)
    (call,) = await asked(widget, 1)
    widget._receive(widget, {"type": "decide", "id": "someone-else", "approved": True}, [])  # not a waiting call
    widget._receive(widget, {"type": "decide", "id": call, "approved": True}, [])  # what Approve sends
    result = await widget
    assert result.status == "done" and len(calls) == 1


async def test_no_decision_in_time_ends_the_run_cleanly(simulator):
    widget = StreamWidget("Look up TCP [[sim: tool_calls=1 tokens=5]]", model="haiku", tools=[lookup],
                          approve=True, approve_timeout=0.3)
    result = await widget
    assert result.status == "cut_off" and calls == []
    assert result.error == "No one approved or denied the tool call lookup within 0.3 s; the run stopped."
    assert len(simulator.requests) == 1  # nothing more was sent
    assert [s["status"] for s in widget.run.tool_states.values()] == ["failed"]


async def test_cancel_while_a_call_waits_ends_the_run_cancelled(simulator):
    widget = StreamWidget("Look up TCP [[sim: tool_calls=1 tokens=5]]", model="haiku", tools=[lookup], approve=True)
    await asked(widget, 1)
    widget.cancel()
    result = await widget
    assert result.status == "cancelled" and calls == []
    assert len(simulator.requests) == 1
    widget.approve()  # too late: decides nothing, breaks nothing
    await asyncio.sleep(0.05)
    assert calls == []


@pytest.mark.parametrize(("options", "message"), [
    ({"approve": True}, "approve=True (--approve) asks before each tool call: give tools too"),
    ({"approve": "yes", "tools": [lookup]}, "approve must be True or False, got 'yes'"),
    ({"approve_timeout": 5, "tools": [lookup]}, "approve_timeout needs approve=True"),
    ({"approve": True, "approve_timeout": 0, "tools": [lookup]}, "approve_timeout must be a positive number of seconds"),
])
def test_bad_approve_options_are_one_line_errors_and_nothing_is_sent(simulator, options, message):
    with pytest.raises(InputError) as info:
        StreamWidget("hi", model="haiku", **options)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert simulator.requests == []


def test_a_panel_cannot_ask(simulator):
    with pytest.raises(InputError, match="approve=True takes one streamed call"):
        ParallelPanel(["a", "b"], tools=[lookup], approve=True)
    assert simulator.requests == []
