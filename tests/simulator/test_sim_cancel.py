"""The simulator notices a client going away, promptly, whatever it was doing at the time."""

from __future__ import annotations

import asyncio
import contextlib
import time

import anthropic
from _simtools import params

from nbstream.simulator import Simulator


async def _consume(client: anthropic.AsyncAnthropic, prompt: str, seen: asyncio.Event, **kw: object) -> None:
    async with client.messages.stream(**params(prompt, **kw)) as stream:
        async for event in stream:
            if event.type == "text":
                seen.set()


async def _cancel(task: asyncio.Task[None]) -> float:
    cancelled_at = time.monotonic()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return cancelled_at


async def test_cancelling_mid_stream_is_seen_within_a_second(
    sim: Simulator, client: anthropic.AsyncAnthropic
) -> None:
    seen = asyncio.Event()
    task = asyncio.create_task(_consume(client, "long [[sim: rate=50 tokens=500]]", seen))
    await asyncio.wait_for(seen.wait(), 5)
    cancelled_at = await _cancel(task)

    record = await sim.wait_for_async(lambda rs: rs[0]["outcome"] and rs[0], timeout=2)
    assert record["outcome"] == "client_closed"
    assert 0 <= record["client_closed_at"] - cancelled_at < 1.0
    assert 0 < record["tokens_sent"] < 500


async def test_cancelling_before_the_first_token(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    """Headers are out, the simulator is waiting out the ttft: it must still see the close."""
    seen = asyncio.Event()
    task = asyncio.create_task(_consume(client, "wait [[sim: ttft=30]]", seen))
    await sim.wait_for_async(lambda rs: rs and rs[0]["headers_sent_at"])
    cancelled_at = await _cancel(task)
    record = await sim.wait_for_async(lambda rs: rs[0]["outcome"] and rs[0], timeout=2)
    assert record["outcome"] == "client_closed" and record["tokens_sent"] == 0
    assert record["client_closed_at"] - cancelled_at < 1.0


async def test_cancelling_during_a_stall(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    seen = asyncio.Event()
    task = asyncio.create_task(_consume(client, "stall [[sim: fault=stall after=2]]", seen))
    await asyncio.wait_for(seen.wait(), 5)
    await sim.wait_for_async(lambda rs: rs[0]["tokens_sent"] == 2)
    cancelled_at = await _cancel(task)
    record = await sim.wait_for_async(lambda rs: rs[0]["client_closed_at"] and rs[0], timeout=2)
    assert record["outcome"] == "fault"  # the stall was injected; the client then went away
    assert record["client_closed_at"] - cancelled_at < 1.0


async def test_cancelling_while_waiting_for_headers(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    seen = asyncio.Event()
    task = asyncio.create_task(_consume(client, "no headers [[sim: fault=delay_headers]]", seen))
    await sim.wait_for_async(lambda rs: rs)
    cancelled_at = await _cancel(task)
    record = await sim.wait_for_async(lambda rs: rs[0]["client_closed_at"] and rs[0], timeout=2)
    assert record["headers_sent_at"] is None
    assert record["client_closed_at"] - cancelled_at < 1.0


async def test_cancelling_a_non_streaming_call(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    task = asyncio.create_task(client.messages.create(**params("json [[sim: ttft=30]]")))
    await sim.wait_for_async(lambda rs: rs)
    cancelled_at = time.monotonic()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    record = await sim.wait_for_async(lambda rs: rs[0]["outcome"] and rs[0], timeout=2)
    assert record["outcome"] == "client_closed" and record["client_closed_at"] - cancelled_at < 1.0


async def test_leaving_the_stream_early_closes_the_connection(
    sim: Simulator, client: anthropic.AsyncAnthropic
) -> None:
    async with client.messages.stream(**params("early [[sim: rate=100 tokens=400]]")) as stream:
        async for event in stream:
            if event.type == "text":
                break
    record = await sim.wait_for_async(lambda rs: rs[0]["outcome"] and rs[0], timeout=2)
    assert record["outcome"] == "client_closed" and record["tokens_sent"] < 400


async def test_idle_keep_alive_is_not_a_client_close(sim: Simulator) -> None:
    async with anthropic.AsyncAnthropic(base_url=sim.base_url, api_key="sk-sim", max_retries=0) as client:
        async with client.messages.stream(**params("first [[sim: tokens=5]]")) as stream:
            await stream.get_final_message()
        await asyncio.sleep(0.3)  # the pooled connection sits idle
        async with client.messages.stream(**params("second [[sim: tokens=5]]")) as stream:
            await stream.get_final_message()
    await asyncio.sleep(0.2)  # the client closed its pool: the idle connection ends now
    records = sim.requests
    assert [r["outcome"] for r in records] == ["completed", "completed"]
    assert [r["client_closed_at"] for r in records] == [None, None]
    assert records[0]["connection"] == records[1]["connection"]  # the idle connection was reused


async def test_many_concurrent_streams(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    async def one(i: int) -> int:
        async with client.messages.stream(**params(f"parallel {i} [[sim: tokens=50 rate=500]]")) as stream:
            return (await stream.get_final_message()).usage.output_tokens

    assert await asyncio.gather(*(one(i) for i in range(20))) == [50] * 20
    assert [r["outcome"] for r in sim.requests] == ["completed"] * 20
