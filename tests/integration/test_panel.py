"""ParallelPanel through the real SDK over real HTTP to the simulator (no kernel needed: the widget's
comm is a no-op outside a kernel, everything else is the real thing)."""

from __future__ import annotations

import asyncio
import time

import pytest

from nbstream import InputError, ParallelPanel
from nbstream._offline import use_api, use_offline

SIMULATOR = {"ttft": 0.05, "rate": 400}
pytestmark = pytest.mark.usefixtures("routed")


def row_of(record) -> int:
    text = record["body"]["messages"][0]["content"]
    return int(text.split("row-")[1].split()[0])


def request_of_row(requests: list[dict], i: int) -> dict:
    """Row i's request: concurrent rows reach the server in any order."""
    [request] = [r for r in requests if row_of(r) == i]
    return request


def max_overlap(records) -> int:
    events = sorted([(r["received_at"], 1) for r in records] + [(r["ended_at"], -1) for r in records])
    best = current = 0
    for _, step in events:
        current += step
        best = max(best, current)
    return best


async def test_calls_run_concurrently_under_the_cap_and_results_keep_input_order(simulator):
    # Later rows are shorter, so they finish first; results must still come back in input order.
    prompts = [f"row-{i} [[sim: ttft=0.1 tokens={60 - 4 * i} rate=120]]" for i in range(10)]
    panel = ParallelPanel(prompts, concurrency=5)
    start = time.monotonic()
    results = await panel
    wall = time.monotonic() - start
    assert [r.status for r in results] == ["done"] * 10
    assert [r.usage.output_tokens for r in results] == [60 - 4 * i for i in range(10)]
    records = simulator.requests
    assert max_overlap(records) == 5  # never more than the cap in flight, and the cap was used
    slowest = 0.1 + 60 / 120
    assert wall < 2 * slowest * 1.5  # about ceil(10/5) x the slowest call, not the sum of all ten
    assert panel.summary["speedup"] > 2


async def test_a_rate_limited_row_is_retried_and_the_whole_panel_pauses(simulator):
    prompts = ["row-0 [[sim: status=429 retry_after=0.6 times=1 tokens=5]]"] + [
        f"row-{i} [[sim: tokens=30 rate=100]]" for i in range(1, 6)
    ]
    results = await ParallelPanel(prompts, concurrency=2)
    assert [r.status for r in results] == ["done"] * 6
    assert results[0].attempts == 2
    records = simulator.requests
    limited = next(r for r in records if r["status"] == 429)
    # Once the 429 was back, nobody started a request while the shared pause lasted (the row already
    # in flight when it arrived does not count), and the retried row waited out retry-after.
    during = [r for r in records if limited["ended_at"] + 0.05 < r["received_at"] < limited["ended_at"] + 0.55]
    assert during == []
    retried = [r for r in records if row_of(r) == 0][1]
    assert retried["received_at"] - limited["ended_at"] >= 0.6


async def test_one_failing_row_never_stops_the_others(simulator):
    prompts = [f"row-{i} [[sim: tokens=40]]" for i in range(4)]
    prompts[2] = "row-2 [[sim: tokens=40 fault=drop after=10]]"
    prompts[3] = "row-3 [[sim: status=401]]"
    results = await ParallelPanel(prompts, concurrency=4)
    assert [r.status for r in results] == ["done", "done", "cut_off", "failed"]
    assert "Connection lost" in results[2].error and results[2].text
    assert "authentication_error" in results[3].error


async def test_cancelling_one_row_then_all_closes_exactly_those_streams(simulator):
    prompts = [f"row-{i} [[sim: tokens=4000 rate=50]]" for i in range(4)] + ["row-4 [[sim: tokens=4000 rate=50]]"]
    panel = ParallelPanel(prompts, concurrency=4)  # row 4 waits in the queue
    panel.start()
    await simulator.wait_for_async(lambda rs: len(rs) == 4 and all(r["tokens_sent"] > 3 for r in rs), timeout=10)
    panel.cancel(1)
    await simulator.wait_for_async(lambda rs: any(r["client_closed_at"] for r in rs), timeout=5)
    await asyncio.sleep(0.3)
    closed = {row_of(r) for r in simulator.requests if r["client_closed_at"]}
    assert closed == {1}  # exactly that row's HTTP stream
    assert panel.results[1].status == "cancelled"
    await simulator.wait_for_async(lambda rs: len(rs) == 5, timeout=5)  # the freed slot went to row 4

    panel.cancel()  # Cancel all
    results = await panel
    assert [r.status for r in results] == ["cancelled"] * 5
    assert all(r.text for r in results)  # partial text kept
    await simulator.wait_for_async(lambda rs: all(r["client_closed_at"] for r in rs), timeout=5)


async def test_cancel_all_also_stops_rows_still_queued(simulator):
    panel = ParallelPanel([f"row-{i} [[sim: tokens=4000 rate=50]]" for i in range(6)], concurrency=2)
    panel.start()
    await simulator.wait_for_async(lambda rs: len(rs) == 2 and all(r["tokens_sent"] > 3 for r in rs), timeout=5)
    panel.cancel()
    results = await panel
    assert [r.status for r in results] == ["cancelled"] * 6
    assert len(simulator.requests) == 2  # the queued rows never sent anything
    assert [r.text == "" for r in results] == [False, False, True, True, True, True]


async def test_a_cut_off_row_can_be_retried(simulator):
    panel = ParallelPanel(["row-0 [[sim: tokens=20]]", "row-1 [[sim: tokens=40 fault=eof after=10 times=1]]"])
    first = await panel
    assert [r.status for r in first] == ["done", "cut_off"]
    panel.retry(1)
    again = await panel
    assert [r.status for r in again] == ["done", "done"]
    assert again[0] is first[0]  # the other row is untouched
    assert len(simulator.requests) == 3


async def test_rows_may_be_dicts_with_their_own_parameters(simulator):
    panel = ParallelPanel(
        [{"prompt": "row-0 [[sim: tokens=5]]", "model": "sonnet", "label": "big"},
         {"prompt": "row-1 [[sim: tokens=5]]", "system": "Be brief.", "max_tokens": 3}],
        model="haiku",
    )
    results = await panel
    assert [r.model for r in results] == ["claude-sonnet-5-5", "claude-haiku-5-5"]
    assert results[1].usage.output_tokens == 3 and results[1].stop_reason == "max_tokens"
    assert request_of_row(simulator.requests, 1)["body"]["system"] == "Be brief."
    frame = panel.to_pandas()
    assert list(frame["label"]) == ["big", "#2"]
    assert {"prompt", "model", "status", "input_tokens", "output_tokens", "cost", "ttft", "duration", "text"} <= set(
        frame
    )


async def test_results_are_readable_while_the_panel_runs(simulator):
    panel = ParallelPanel(["row-0 [[sim: tokens=3]]", "row-1 [[sim: tokens=2000 rate=100]]"])
    panel.start()
    await simulator.wait_for_async(
        lambda rs: len(rs) == 2 and request_of_row(rs, 0)["outcome"] == "completed", timeout=5
    )
    await asyncio.sleep(0.1)
    assert panel.results[0].status == "done" and panel.results[1] is None
    panel.cancel()
    await panel


@pytest.mark.parametrize(
    ("prompts", "kwargs", "message"),
    [
        ([], {}, "prompts is empty"),
        ("just a string", {}, "prompts must be a list"),
        (["ok", {"model": "haiku"}], {}, "row 2: the dict has no 'prompt'"),
        (["ok", {"prompt": "x", "temperature": 1}], {}, "row 2: unknown key"),
        (["ok", "  "], {}, "row 2: the prompt is empty"),
        (["ok", {"prompt": "x", "max_tokens": 0}], {}, "row 2: max_tokens must be a positive whole number"),
        (["ok"], {"concurrency": 0}, "concurrency must be a positive whole number, got 0"),
        (["ok"], {"max_tokens": -1}, "row 1: max_tokens"),
    ],
)
async def test_bad_input_names_the_problem_and_sends_nothing(simulator, prompts, kwargs, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        ParallelPanel(prompts, **kwargs)
    assert simulator.requests == []


async def test_the_offline_model_serves_a_panel():
    use_offline(ttft=0.01, rate=2000)
    try:
        results = await ParallelPanel(["a [[sim: tokens=5]]", "b [[sim: tokens=6]]"])
        assert [(r.status, r.simulated, r.usage.output_tokens) for r in results] == [
            ("done", True, 5),
            ("done", True, 6),
        ]
    finally:
        use_api()
