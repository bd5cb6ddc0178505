"""One limiter shared by many calls: a cap on calls in flight and one shared rate-limit backoff.

After a 429 or 529 nobody starts a request until the pause the server asked for has passed, and the
cap is halved (never below one), then grows back by one per response that starts streaming. So a panel
of calls slows its start rate as a whole instead of each call hammering the API on its own.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Limiter:
    def __init__(self, concurrency: int | None = None) -> None:
        self.concurrency = concurrency
        self._cap: float = math.inf if concurrency is None else concurrency
        self._in_flight = 0
        self._pause_until = 0.0
        self._waiters: deque[asyncio.Future[None]] = deque()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def pause_remaining(self) -> float:
        return max(0.0, self._pause_until - time.monotonic())

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self._acquire()
        try:
            yield
        finally:
            self._release()

    def backoff(self, seconds: float) -> None:
        """A call was told to slow down: pause every start for ``seconds`` and halve the cap."""
        self._pause_until = max(self._pause_until, time.monotonic() + seconds)
        if self.concurrency is not None:
            self._cap = max(1, math.floor(self._cap / 2))

    def succeeded(self) -> None:
        """A response started streaming: let the cap grow back by one."""
        if self.concurrency is not None and self._cap < self.concurrency:
            self._cap += 1
            self._wake()

    async def _acquire(self) -> None:
        loop = asyncio.get_running_loop()
        if self._in_flight < self._cap and not self._waiters:
            self._in_flight += 1
        else:
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            try:
                await waiter  # _wake hands the slot over: _in_flight already counts us
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._release()  # handed a slot at the moment we were cancelled: pass it on
                elif waiter in self._waiters:  # (_wake may have dropped it already, cancelled)
                    self._waiters.remove(waiter)
                raise
        # Holding a slot, wait out any shared pause before sending.
        while (delay := self._pause_until - time.monotonic()) > 0:
            try:
                await asyncio.sleep(delay)
            except asyncio.CancelledError:
                self._release()
                raise

    def _release(self) -> None:
        self._in_flight -= 1
        self._wake()

    def _wake(self) -> None:
        while self._waiters and self._in_flight < self._cap:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._in_flight += 1
                waiter.set_result(None)
