"""A cancel sticks whenever it comes, and a cancellation from outside (a timeout, a task group) still
propagates after the run has recorded its partial result (issue 10, defects 1, 2 and 4)."""

from __future__ import annotations

import asyncio

import pytest

from nbstream import Chat, ParallelPanel, StreamWidget

SIMULATOR = {"ttft": 0.02, "rate": 400}
pytestmark = pytest.mark.usefixtures("routed")


async def test_a_run_cancelled_before_it_starts_sends_no_request(simulator):
    widget = StreamWidget("Hello [[sim: tokens=40]]")
    widget.start()
    widget.cancel()  # in the same turn of the loop: the request has not gone out yet
    result = await widget
    assert result.status == "cancelled" and result.text == ""
    await asyncio.sleep(0.2)
    assert simulator.requests == []


async def test_a_widget_cancelled_before_start_never_starts(simulator):
    widget = StreamWidget("Hello [[sim: tokens=40]]")
    widget.cancel()
    result = await widget
    assert result.status == "cancelled"
    assert simulator.requests == []


async def test_cancelling_a_panel_during_its_cache_warm_up_sends_nothing_more(simulator):
    # Row 0 writes the cache alone first; its first attempt gets a 529 asking to wait 1 s.
    prompts = ["row-0 [[sim: status=529 retry_after=1 times=1 tokens=20]]"] + [
        f"row-{i} [[sim: tokens=20]]" for i in range(1, 6)
    ]
    panel = ParallelPanel(prompts, system="You are terse.", cache="system", concurrency=6)
    panel.start()
    await simulator.wait_for_async(lambda rs: len(rs) == 1, timeout=10)  # row 0's first attempt got its 529
    await asyncio.sleep(0.2)
    assert len(simulator.requests) == 1
    panel.cancel()
    results = await panel
    await asyncio.sleep(1.5)  # past the retry-after: nothing may go out now
    assert [r.status for r in results] == ["cancelled"] * 6
    assert len(simulator.requests) == 1


async def test_a_panel_cancelled_from_outside_stops_every_row_and_propagates(simulator):
    prompts = ["row-0 [[sim: status=529 retry_after=1 times=1 tokens=20]]"] + [
        f"row-{i} [[sim: tokens=20]]" for i in range(1, 4)
    ]
    panel = ParallelPanel(prompts, system="You are terse.", cache="system", concurrency=4)
    waiter = asyncio.ensure_future(_await(panel))
    await simulator.wait_for_async(lambda rs: len(rs) == 1, timeout=10)
    await asyncio.sleep(0.2)
    waiter.cancel()  # as a kernel interrupt or a task group cancels the awaiting task
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await asyncio.sleep(1.5)
    assert [r.status for r in panel.results] == ["cancelled"] * 4
    assert len(simulator.requests) == 1


async def _await(awaitable):
    return await awaitable


async def test_a_timeout_around_a_stream_raises_and_keeps_the_partial_text(simulator):
    widget = StreamWidget("Hello [[sim: tokens=5000 rate=100]]")
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.5):
            await widget
    result = widget.result
    assert result is not None and result.status == "cancelled" and result.text
    await asyncio.sleep(0.2)
    [record] = simulator.requests
    assert record["outcome"] == "client_closed"


async def test_a_cancelled_awaiting_task_gets_the_cancellation_not_a_result(simulator):
    widget = StreamWidget("Hello [[sim: tokens=5000 rate=100]]")
    waiter = asyncio.ensure_future(_await(widget))  # as a task group or a shutdown cancels its tasks
    await simulator.wait_for_async(lambda rs: len(rs) == 1 and rs[0]["tokens_sent"] > 3, timeout=10)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert widget.result is not None and widget.result.status == "cancelled" and widget.result.text


async def test_the_cancel_button_still_gives_a_cancelled_result_to_the_awaiting_code(simulator):
    widget = StreamWidget("Hello [[sim: tokens=5000 rate=100]]")
    widget.start()
    await simulator.wait_for_async(lambda rs: len(rs) == 1 and rs[0]["tokens_sent"] > 3, timeout=10)
    widget.cancel()
    result = await widget  # no exception: the user stopped it
    assert result.status == "cancelled" and result.text


async def test_a_retried_chat_turn_keeps_the_retried_answer(simulator):
    tutor = Chat("retry-keeps-turn")
    widget = tutor.send("Explain TCP [[sim: tokens=40 fault=drop after=10 times=1]]", display=False)
    first = await widget
    assert first.status == "cut_off"
    widget.retry()
    second = await widget
    assert second.status == "done"
    messages = tutor.messages
    assert [m["role"] for m in messages] == ["user", "assistant"]
    answer = messages[1]["content"]
    text = answer if isinstance(answer, str) else "".join(b.get("text", "") for b in answer)
    assert text == second.text
