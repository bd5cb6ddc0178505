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

from ._content_parts import ContentOps
from ._events import (
    BlockStarted,
    BlockStopped,
    MessageStarted,
    TextDelta,
    ToolAwaitingApproval,
    ToolFinished,
    ToolInputDelta,
    ToolStarted,
)
from ._projection import RESULT_PREVIEW

FRAME_INTERVAL = 0.1  # seconds between frames: 10 a second reads as smooth streaming
FAST_INTERVAL = 0.05  # ...and up to 20 a second while a lot of text is waiting (a fast model)
FAST_PENDING = 2048  # characters waiting that make a frame worth sending sooner

# Each frame costs about 500 bytes of Jupyter envelope whatever it carries; fewer, fuller frames keep
# the traffic close to the text itself.


def flush_delay(now: float, last_flush: float | None, pending: int = 0, urgent: bool = False) -> float:
    """Seconds until the next frame may go (0: now), given how much text is waiting. Pure."""
    if urgent or last_flush is None:
        return 0.0
    interval = FAST_INTERVAL if pending >= FAST_PENDING else FRAME_INTERVAL
    return max(0.0, last_flush + interval - now)


def rounded(stats: dict[str, Any]) -> dict[str, Any]:
    """Figures at the precision a view shows, so frames stay small and unchanged ones can be left out."""
    out = dict(stats)
    figures = (("elapsed", 2), ("ttft", 3), ("ttft_total", 3), ("text_after", 3), ("rate", 1), ("tool_time", 2))
    for key, digits in figures:
        if isinstance(out.get(key), float):
            out[key] = round(out[key], digits)
    for key in ("cost", "cache_saved", "original_cost"):
        if isinstance(out.get(key), float):
            out[key] = float(f"{out[key]:.3g}")
    return out


class Changes:
    """What changed in a dict of view fields since the last frame (a view keeps the rest)."""

    def __init__(self) -> None:
        self._sent: dict[str, Any] = {}

    def of(self, values: dict[str, Any]) -> dict[str, Any]:
        changed = {k: v for k, v in values.items() if k not in self._sent or self._sent[k] != v}
        self._sent.update(changed)
        return changed

    def reset(self) -> None:
        """After a resync the view starts from a snapshot: the next frame sends everything again."""
        self._sent.clear()


class FrameScheduler:
    """Calls ``flush`` per :func:`flush_delay`; a poke between frames schedules one timer."""

    def __init__(self, flush: Callable[[], None]) -> None:
        self._flush = flush
        self._last: float | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._due: float | None = None

    def poke(self, urgent: bool = False, pending: int = 0) -> None:
        now = time.monotonic()
        delay = flush_delay(now, self._last, pending, urgent)
        if delay == 0.0:
            self.flush_now()
        elif self._timer is None or now + delay < (self._due or 0.0) - 0.001:
            # (re)schedule: the first poke since the last frame, or more text made the frame due sooner
            if self._timer is not None:
                self._timer.cancel()
            self._due = now + delay
            self._timer = asyncio.get_running_loop().call_later(delay, self.flush_now)

    def flush_now(self) -> None:
        self.cancel()
        self._last = time.monotonic()
        self._flush()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
            self._due = None


class FrameContent:
    """What one run produced since the last frame: text (coalesced) and tool activity, in order.

    Pure over the run's events: it keeps which block index of the current model turn is which tool call.
    ``take()`` gives ``{"delta": text}`` for text alone (the common case), else ``{"ops": [...]}``: an
    ordered list of ``{"t": "text", "text"}`` and ``{"t": "tool", "id", ...}`` updates.
    """

    def __init__(self) -> None:
        self._ops: list[dict[str, Any]] = []
        self._tool_ids: dict[int, str | None] = {}  # block index -> tool_use id, in the current turn
        self._content = ContentOps()  # thinking, server tools, citations, notes (see _content_parts)
        self.size = 0  # characters of text and tool input waiting: frames go sooner when it is large

    def __bool__(self) -> bool:
        return bool(self._ops)

    def add(self, event: object) -> bool:
        """Fold one run event in; False for events a view does not need."""
        op: dict[str, Any]
        if isinstance(event, TextDelta):
            op = {"t": "text", "text": event.text}
        elif type(event) is BlockStarted and event.kind == "tool_use":
            self._tool_ids[event.index] = event.tool_id
            self._content.saw(event.index, event.kind)  # the turn has blocks: the next message is a new turn
            op = {"t": "tool", "id": event.tool_id, "name": event.tool_name, "status": "forming", "input": ""}
        elif isinstance(event, (BlockStopped, ToolInputDelta)) and event.index in self._tool_ids:
            op = {"t": "tool", "id": self._tool_ids[event.index]}
            if isinstance(event, BlockStopped):
                op["status"] = "ready"
            else:
                op["input_delta"] = event.partial_json
        elif isinstance(event, ToolStarted):
            op = {"t": "tool", "id": event.tool_id, "status": "running"}
        elif isinstance(event, ToolAwaitingApproval):
            op = {"t": "tool", "id": event.tool_id, "status": "asking"}
        elif isinstance(event, ToolFinished):
            op = {
                "t": "tool", "id": event.tool_id, "status": "done" if event.ok else "failed",
                "duration": event.duration, "result": event.content[:RESULT_PREVIEW], "is_error": not event.ok,
            }
        else:
            if isinstance(event, MessageStarted):
                self._tool_ids.clear()  # a new model turn numbers its blocks from 0 again
            return any([self._push(op) for op in self._content.ops(event)])
        return self._push(op)

    def _push(self, op: dict[str, Any]) -> bool:
        self.size += len(op.get("text") or op.get("input_delta") or op.get("append") or "")
        last = self._ops[-1] if self._ops else None
        if last is not None and last["t"] == "text" and op["t"] == "text":
            last["text"] += op["text"]
        elif last is not None and op["t"] == "thinking" and op.keys() == {"t", "id", "append"} and (
            last["t"] == "thinking" and last["id"] == op["id"] and "done" not in last
        ):  # thinking streams as fast as text: one op per frame
            last["append"] = last.get("append", "") + op["append"]
        else:
            self._ops.append(op)
        return True

    def take(self) -> dict[str, Any]:
        ops, self._ops, self.size = self._ops, [], 0
        if all(op["t"] == "text" for op in ops):
            return {"delta": "".join(op["text"] for op in ops)}
        return {"ops": ops}
