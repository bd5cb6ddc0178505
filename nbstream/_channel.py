"""One sequenced channel from a view's kernel side to its front end, shared by StreamWidget and the panel.

- Frames: numbered (``seq``), paced by a :class:`FrameScheduler`; each carries what changed since the last.
- Snapshots: the whole state at the current ``seq``, for a view that missed frames (the server drops
  iopub traffic above its rate limit) or was reloaded, and to start a view over (a Retry).
- The static copy: written once below the view when it ends, and updated in place after a Retry, so the
  answer outlives the kernel.

The front end's twin is ``js/sequence_gate.js``: it applies frames in order and asks for a snapshot on a gap.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from IPython.display import display as ipython_display

from ._frames import FrameScheduler

Message = dict[str, Any]


class Channel:
    def __init__(self, send: Callable[[Message], None], next_frame: Callable[[], Message | None]) -> None:
        """``send`` delivers one custom message; ``next_frame`` gives what changed (None: nothing to send)."""
        self._send = send
        self._next_frame = next_frame
        self.seq = 0
        self.frames = FrameScheduler(self._flush)
        self._copy_id = f"nbstream-{uuid.uuid4().hex}"
        self._copy_shown = False

    @property
    def started(self) -> bool:
        """Whether any frame or restart has gone out (the first frame goes at once)."""
        return self.seq > 0

    def poke(self, *, urgent: bool = False, pending: int = 0) -> None:
        self.frames.poke(urgent=urgent, pending=pending)

    def _flush(self) -> None:
        content = self._next_frame()
        if content is None:
            return
        self.seq += 1
        self._send({"type": "frame", "seq": self.seq, **content})

    def snapshot(self, build: Callable[[], Message]) -> None:
        """Send the whole state at the current seq (what was waiting goes out as a frame first)."""
        self.frames.flush_now()
        self._send({"type": "snapshot", "seq": self.seq, **build()})

    def restart(self, content: Message) -> None:
        """The view starts over from ``content`` (a Retry): a new seq, so stale frames are dropped."""
        self.frames.flush_now()
        self.seq += 1
        self._send({"type": "snapshot", "seq": self.seq, **content})

    def show_static_copy(self, bundle: dict[str, str]) -> None:
        ipython_display(bundle, raw=True, display_id=self._copy_id, update=self._copy_shown)
        self._copy_shown = True
