"""The limiter shared by a panel's rows."""

from __future__ import annotations

import asyncio

from nbstream._limiter import Limiter


async def test_queued_waiters_cancelled_while_slots_free_up_leave_the_limiter_consistent():
    """Cancelling every call at once, the running ones first: their released slots must not be handed
    to waiters that are already cancelled, and nothing may raise (seen as rows stuck in 'queued')."""
    limiter = Limiter(2)
    started = asyncio.Event()

    async def call() -> None:
        async with limiter.slot():
            started.set()
            await asyncio.sleep(10)

    tasks = [asyncio.ensure_future(call()) for _ in range(6)]
    await started.wait()
    await asyncio.sleep(0)
    for task in tasks:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(r, asyncio.CancelledError) for r in results), results
    assert limiter.in_flight == 0
