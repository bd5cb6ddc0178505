"""Per-model latency profiles: the classic latency levers, through the real SDK over real HTTP.

The planned first-token time and rate are in the request log as soon as the response starts, so most tests
read them and close the stream at once; the server is checked never to send the first token early.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import pytest

from nbstream._events import Usage
from nbstream._pricing import cost
from nbstream.simulator import Simulator
from nbstream.simulator._latency import PROFILES

MODELS = ("claude-haiku-5-5", "claude-sonnet-5-5", "claude-opus-5-5")


@pytest.fixture
def profiled() -> Iterator[Simulator]:
    """A simulator started without ttft/rate, as the offline model is: every model at its own profile."""
    with Simulator(batch_seconds=0.2) as simulator:
        yield simulator


@pytest.fixture
async def profiled_client(profiled: Simulator) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(base_url=profiled.base_url, api_key="sk-sim", max_retries=0) as c:
        yield c


async def planned(client: anthropic.AsyncAnthropic, sim: Simulator, **request: Any) -> dict[str, Any]:
    """Start a stream, read its log record once the response has begun, and close it."""
    request = {"max_tokens": 50, "messages": [{"role": "user", "content": "Hello there"}], **request}
    async with client.messages.stream(**request) as stream:
        await anext(aiter(stream))  # message_start: the reply is planned
        record: dict[str, Any] = sim.requests[-1]
    return record


async def test_a_smaller_model_answers_sooner_and_faster(
    profiled: Simulator, profiled_client: anthropic.AsyncAnthropic
) -> None:
    records = [await planned(profiled_client, profiled, model=model) for model in MODELS]
    ttfts = [r["ttft_planned"] for r in records]
    rates = [r["rate_planned"] for r in records]
    assert ttfts == sorted(ttfts) and rates == sorted(rates, reverse=True)
    assert 0.15 < ttfts[0] < 0.25 and 0.4 < ttfts[1] < 0.6  # Haiku about 200 ms, Sonnet about 500 ms


async def test_the_first_token_is_never_sent_before_its_planned_time(
    profiled: Simulator, profiled_client: anthropic.AsyncAnthropic
) -> None:
    async with profiled_client.messages.stream(
        model="claude-opus-5-5", max_tokens=5, messages=[{"role": "user", "content": "Hi"}]
    ) as stream:
        await stream.get_final_message()
    [record] = profiled.requests
    assert record["first_token_at"] - record["received_at"] >= record["ttft_planned"] - 0.005


async def test_a_longer_prompt_delays_the_first_token_and_a_cache_read_takes_that_back(
    profiled: Simulator, profiled_client: anthropic.AsyncAnthropic
) -> None:
    model = "claude-sonnet-5-5"
    short = await planned(profiled_client, profiled, model=model)
    document = "A long shared document. " * 2_000  # about 12,000 tokens
    system = [{"type": "text", "text": document, "cache_control": {"type": "ephemeral"}}]
    written = await planned(profiled_client, profiled, model=model, system=system)
    read = await planned(profiled_client, profiled, model=model, system=system)
    assert written["cache_creation_input_tokens"] > 10_000 and read["cache_read_input_tokens"] > 10_000
    profile = PROFILES["sonnet"]
    assert written["ttft_planned"] > short["ttft_planned"] + 0.8 * 10_000 / profile.prefill
    assert short["ttft_planned"] < read["ttft_planned"] < written["ttft_planned"] / 2


async def test_a_pinned_ttft_and_rate_hold_for_every_model(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    """Tests and benchmarks pin the pace (here the fixture's 0.02 s and 2,000 tok/s): every model gets it."""
    document = [{"type": "text", "text": "x" * 40_000}]
    for model in MODELS:
        record = await planned(client, sim, model=model, system=document)
        assert (record["ttft_planned"], record["rate_planned"]) == (0.02, 2000.0)


async def test_a_directive_pins_the_pace_of_one_request(
    profiled: Simulator, profiled_client: anthropic.AsyncAnthropic
) -> None:
    messages = [{"role": "user", "content": "Hi [[sim: ttft=0.05 rate=900]]"}]
    record = await planned(profiled_client, profiled, model="claude-opus-5-5", messages=messages)
    assert (record["ttft_planned"], record["rate_planned"]) == (0.05, 900.0)
    only_rate = [{"role": "user", "content": "Hi [[sim: rate=900]]"}]
    record = await planned(profiled_client, profiled, model="claude-opus-5-5", messages=only_rate)
    assert record["rate_planned"] == 900.0 and record["ttft_planned"] > 0.8  # Opus's own first-token time


async def test_parallel_calls_take_about_the_time_of_the_slowest(
    profiled: Simulator, profiled_client: anthropic.AsyncAnthropic
) -> None:
    async def one(model: str) -> None:
        await profiled_client.messages.create(
            model=model, max_tokens=30, messages=[{"role": "user", "content": "Tell me something"}]
        )

    started = time.monotonic()
    await asyncio.gather(*(one(model) for model in MODELS))
    wall = time.monotonic() - started
    each = [r["ttft_planned"] + r["tokens_sent"] / r["rate_planned"] for r in profiled.requests]
    assert max(each) - 0.01 <= wall < 0.8 * sum(each)


async def test_a_batch_gives_the_same_tokens_at_half_the_price(
    profiled: Simulator, profiled_client: anthropic.AsyncAnthropic
) -> None:
    question = [{"role": "user", "content": "Define DNS."}]
    request = {"model": "claude-sonnet-5-5", "max_tokens": 100, "messages": question}
    direct = await profiled_client.messages.create(**request)
    batch = await profiled_client.messages.batches.create(requests=[{"custom_id": "one", "params": request}])
    while (await profiled_client.messages.batches.retrieve(batch.id)).processing_status != "ended":
        await asyncio.sleep(0.05)
    [result] = [r async for r in await profiled_client.messages.batches.results(batch.id)]
    batched = result.result.message
    assert batched.usage.service_tier == "batch" and direct.usage.service_tier == "standard"
    assert (batched.usage.input_tokens, batched.usage.output_tokens) == (
        direct.usage.input_tokens,
        direct.usage.output_tokens,
    )

    def dollars(message: anthropic.types.Message) -> float:
        usage = Usage(
            input_tokens=message.usage.input_tokens,
            output_tokens=message.usage.output_tokens,
            service_tier=message.usage.service_tier or "standard",
        )
        priced = cost(message.model, usage)
        assert priced is not None
        return priced

    assert dollars(batched) == pytest.approx(dollars(direct) / 2)
