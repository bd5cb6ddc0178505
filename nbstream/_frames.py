"""Coalescing updates into frames: the first one at once, then at most one per interval.

Tokens can arrive thousands of times a second; the notebook server drops iopub traffic above 1,000
messages a second, silently for widgets. So views never get a message per token: they get frames,
about 20 a second at most, each carrying what changed since the last one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

FRAME_INTERVAL = 0.05  # seconds: at most ~20 frames a second per widget or panel


def flush_delay(now: float, last_flush: float | None, interval: float, urgent: bool) -> float:
    """Seconds until the next frame may go: 0 means now. Pure, so the policy is unit-tested."""
    if urgent or last_flush is None:
        return 0.0
    return max(0.0, last_flush + interval - now)


class FrameScheduler:
    """Calls ``flush`` at most once per ``interval``; a poke between frames schedules one timer."""

    def __init__(self, flush: Callable[[], None], interval: float = FRAME_INTERVAL) -> None:
        self._flush = flush
        self.interval = interval
        self._last: float | None = None
        self._timer: asyncio.TimerHandle | None = None

    def poke(self, urgent: bool = False) -> None:
        delay = flush_delay(time.monotonic(), self._last, self.interval, urgent)
        if delay == 0.0:
            self.flush_now()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(delay, self.flush_now)

    def flush_now(self) -> None:
        self.cancel()
        self._last = time.monotonic()
        self._flush()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
