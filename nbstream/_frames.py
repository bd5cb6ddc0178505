"""Coalescing updates into frames: the first one at once, then at most one per interval.

Tokens can arrive thousands of times a second; the notebook server drops iopub traffic above 1,000
messages a second, silently for widgets. So views never get a message per token: they get frames,
about 20 a second at most, each carrying what changed since the last one.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from ._events import BlockStarted, BlockStopped, TextDelta, ToolFinished, ToolInputDelta, ToolStarted

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


class FrameContent:
    """What one run produced since the last frame: text (coalesced) and tool activity, in order.

    ``take()`` gives ``{"delta": text}`` for text alone (the common case), else ``{"ops": [...]}``: an
    ordered list of ``{"t": "text", "text"}`` and ``{"t": "tool", "id", ...}`` updates.
    """

    def __init__(self) -> None:
        self._ops: list[dict[str, Any]] = []

    def __bool__(self) -> bool:
        return bool(self._ops)

    def add(self, run: Any, event: Any) -> bool:
        """Fold one run event in; False for events a view does not need."""
        kind = type(event)
        if kind is TextDelta:
            op: dict[str, Any] = {"t": "text", "text": event.text}
        elif kind is BlockStarted or kind is BlockStopped or kind is ToolInputDelta:
            block = run.snapshot.blocks.get(event.index)
            if block is None or block.kind != "tool_use":
                return False
            op = {"t": "tool", "id": block.tool_id}
            if kind is BlockStarted:
                op.update(name=block.tool_name, status="forming", input="")
            elif kind is BlockStopped:
                op["status"] = "ready"
            else:
                op["input_delta"] = event.partial_json
        elif kind is ToolStarted or kind is ToolFinished:
            part = next(p for p in run.parts() if p["t"] == "tool" and p["id"] == event.tool_id)
            op = {k: v for k, v in part.items() if k not in ("input", "name")}
        else:
            return False
        last = self._ops[-1] if self._ops else None
        if last is not None and last["t"] == "text" and op["t"] == "text":
            last["text"] += op["text"]
        else:
            self._ops.append(op)
        return True

    def take(self) -> dict[str, Any]:
        ops, self._ops = self._ops, []
        if all(op["t"] == "text" for op in ops):
            return {"delta": "".join(op["text"] for op in ops)}
        return {"ops": ops}
