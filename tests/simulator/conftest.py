"""Fixtures for the simulator tests: a fresh simulator per test and real SDK clients pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import anthropic
import pytest

from nbstream.simulator import Simulator


@pytest.fixture
def sim() -> Iterator[Simulator]:
    # Fast defaults keep the suite quick; tests that need other timings say so with directives.
    with Simulator(ttft=0.02, rate=2000.0) as simulator:
        yield simulator


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[anthropic.AsyncAnthropic]:
    async with anthropic.AsyncAnthropic(base_url=sim.base_url, api_key="sk-sim", max_retries=0) as c:
        yield c


@pytest.fixture
async def retrying_client(sim: Simulator) -> AsyncIterator[anthropic.AsyncAnthropic]:
    """The SDK's default retry policy (max_retries=2)."""
    async with anthropic.AsyncAnthropic(base_url=sim.base_url, api_key="sk-sim") as c:
        yield c
