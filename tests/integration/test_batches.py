"""Message Batches through the real SDK against the simulator's Batches API."""

from __future__ import annotations

import asyncio
import re

import pytest

import nbstream
from nbstream import InputError, ParallelPanel
from nbstream._config import defaults
from nbstream._events import Usage
from nbstream._pricing import cost

SIMULATOR = {"ttft": 0.01, "rate": 2000, "batch_seconds": 1.0}


@pytest.fixture(autouse=True)
def log_in_tmp(routed, tmp_path):
    defaults.log_path = str(tmp_path / "calls.sqlite3")
    yield
    defaults.reset()


async def submitted(panel) -> str:
    """Wait until the client holds the batch's id (the create request has been answered)."""
    for _ in range(500):
        if panel.job.batches:
            return next(iter(panel.job.batches))
        await asyncio.sleep(0.01)
    raise TimeoutError("the batch was not submitted")


BATCH_ID = re.compile(r"msgbatch_\w+")


def paths(simulator) -> list[str]:
    """What the client asked for, batch ids written as {id}: "POST /", "GET /{id}", "GET /{id}/results"."""
    out = []
    for r in simulator.requests:
        path = BATCH_ID.sub("{id}", r["path"].split("/v1/messages/batches")[-1]) or "/"
        out.append(f"{r['method']} {path}")
    return out


async def test_100_prompts_as_a_batch_land_in_order_at_half_price(simulator):
    prompts = [f"Question {i} [[sim: tokens={5 + i % 7}]]" for i in range(100)]
    panel = ParallelPanel(prompts, model="sonnet", batch=True, poll_interval=0.2)
    seen: list[tuple[str, int]] = []
    panel.job.on_change = lambda: seen.append((panel.job.state().status, panel.job.state().counts["processing"]))
    results = await panel

    assert [r.status for r in results] == ["done"] * 100
    assert [r.usage.output_tokens for r in results] == [5 + i % 7 for i in range(100)]  # input order
    assert all(r.usage.service_tier == "batch" for r in results)
    for r in results:
        standard = cost("claude-sonnet-5-5", Usage(r.usage.input_tokens, r.usage.output_tokens))
        assert r.cost == pytest.approx(standard / 2)  # batch price
    assert ("in_progress", 100) in seen and seen[-1] == ("ended", 0)  # progress moved
    calls = paths(simulator)
    assert calls[0] == "POST /" and calls.count("GET /{id}/results") == 1  # one submission, results read once
    assert 1 < calls.count("GET /{id}") < 20  # polled, with backoff
    assert panel.summary["batch"]["status"] == "ended"


async def test_errored_expired_and_canceled_requests_show_as_such(simulator):
    prompts = ["fine [[sim: tokens=3]]", "bad [[sim: batch_result=errored error=invalid_request_error]]",
               "late [[sim: batch_result=expired]]", "dropped [[sim: batch_result=canceled]]"]
    results = await ParallelPanel(prompts, batch=True, poll_interval=0.2)
    assert [r.status for r in results] == ["done", "failed", "failed", "cancelled"]
    assert "errored: invalid_request_error" in results[1].error
    assert results[2].error.startswith("Expired") and "Canceled with its batch" in results[3].error


async def test_cancelling_a_batch_goes_through_the_api(simulator):
    simulator.configure(batch_seconds=30)
    try:
        panel = ParallelPanel([f"q{i} [[sim: tokens=3]]" for i in range(5)], batch=True, poll_interval=0.2)
        panel.start()
        await submitted(panel)
        panel.cancel()
        results = await asyncio.wait_for(panel.start(), 10)
        assert [r.status for r in results] == ["cancelled"] * 5
        assert "POST /{id}/cancel" in paths(simulator)
    finally:
        simulator.configure(batch_seconds=1.0)


async def test_a_large_job_is_split_into_several_batches(simulator, monkeypatch):
    monkeypatch.setattr("nbstream._batch.MAX_REQUESTS", 30)
    panel = ParallelPanel([f"q{i} [[sim: tokens=2 seed={i}]]" for i in range(100)], batch=True, poll_interval=0.2)
    results = await panel
    assert len(panel.job.batches) == 4 and [r.status for r in results] == ["done"] * 100
    assert panel.summary["speedup"] is None and panel.summary["sum_durations"] is None  # no "12x" for a batch
    assert paths(simulator).count("POST /") == 4


async def test_resume_reattaches_without_submitting_or_reading_twice(simulator):
    simulator.configure(batch_seconds=1.5)
    try:
        first = ParallelPanel([f"q{i} [[sim: tokens=4]]" for i in range(10)], batch=True, poll_interval=0.2)
        task = asyncio.ensure_future(asyncio.wait_for(first, None))  # a cell awaiting the panel
        await submitted(first)
        task.cancel()  # the kernel is interrupted: stop waiting; the batch goes on at the API
        with pytest.raises(asyncio.CancelledError):  # a cancellation from outside propagates
            await task
        assert first.results.count(None) == 10
        (batch_id,) = first.job.batches

        listed = nbstream.batches()
        assert listed[0].batch_ids == (batch_id,) and listed[0].counts == {"running": 10}

        resumed = ParallelPanel.resume(batch_id, poll_interval=0.2)
        results = await resumed
        assert [r.status for r in results] == ["done"] * 10
        assert [r.usage.output_tokens for r in results] == [4] * 10
        assert paths(simulator).count("POST /") == 1 and paths(simulator).count("GET /{id}/results") == 1

        simulator.reset()
        again = await ParallelPanel.resume(batch_id)  # everything is in the log now
        assert [r.text for r in again] == [r.text for r in results]
        assert simulator.requests == []  # nothing fetched (or paid) twice
        assert nbstream.batches()[0].counts == {"done": 10}
    finally:
        simulator.configure(batch_seconds=1.0)


async def test_a_failed_submission_fails_every_row_with_the_apis_message(simulator, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-bad-key")
    results = await ParallelPanel(["a", "b"], batch=True)
    assert [r.status for r in results] == ["failed", "failed"]
    assert "authentication_error" in results[0].error


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"tools": [len]}, None), ({"batch": "yes"}, "batch must be True or False"),
     ({"batch": True, "poll_interval": 0}, "poll_interval must be a positive number of seconds")],
)
def test_bad_batch_input(kwargs, message):
    if message is None:
        def search(q: str) -> str:
            """Search."""
            return q
        kwargs, message = {"tools": [search], "batch": True}, "tools .* cannot be used with batch=True"
    with pytest.raises(InputError, match=message):
        ParallelPanel(["hi"], **kwargs)


def test_resume_of_an_unknown_batch_is_a_clear_error():
    with pytest.raises(InputError, match="the call log has no batch 'msgbatch_nope'"):
        ParallelPanel.resume("msgbatch_nope")


async def test_a_batch_that_vanishes_fails_its_rows_with_the_apis_message(simulator):
    simulator.configure(batch_seconds=30)
    try:
        panel = ParallelPanel(["a [[sim: tokens=2]]", "b [[sim: tokens=2]]"], batch=True, poll_interval=0.2)
        task = panel.start()
        await submitted(panel)
        simulator.reset()  # the server forgets the batch: the next poll gets a 404
        results = await asyncio.wait_for(task, 10)
        assert [r.status for r in results] == ["failed", "failed"]
        assert "404 not_found_error" in results[0].error
    finally:
        simulator.configure(batch_seconds=1.0)
