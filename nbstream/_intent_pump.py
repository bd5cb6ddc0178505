"""Intents (Cancel, Retry ...) that reach a widget while its cell still awaits, on kernels that queue them.

On ipykernel 6 (and 7.0-7.3 without comms over subshells) a comm message waits in the kernel's queue
until the running cell ends, and a ``%%llm`` cell runs until its stream ends: a Cancel click would
wait for the end of what it should stop. While a widget streams on such a host, this pump looks at the
kernel's queue every :data:`INTERVAL` seconds (on the kernel's own loop, which is free while the cell
awaits) and hands the widget's own custom messages to it at once. It takes nothing out of the queue:
the kernel dispatches the message later as usual, and the widget drops it then as already handled.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from typing import Any

from . import _host

log = logging.getLogger("nbstream")

INTERVAL = 0.05
"""Seconds between looks at the queue: a Cancel takes effect within about this (plus the close)."""


class IntentPump:
    def __init__(self) -> None:
        self._watched: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()
        self._busy: dict[str, int] = {}  # comm id -> how many of its tasks are running
        self._task: asyncio.Task[None] | None = None

    def watch(self, widget: Any, task: asyncio.Future[Any]) -> None:
        """Deliver ``widget``'s queued custom messages while ``task`` runs (no-op on hosts that never queue)."""
        if _host.current().pending_reader is None or task.done():
            return
        comm_id = widget.model_id
        self._watched[comm_id] = widget
        self._busy[comm_id] = self._busy.get(comm_id, 0) + 1
        task.add_done_callback(lambda _t: self._release(comm_id))
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._pump(), name="nbstream intent pump")

    def _release(self, comm_id: str) -> None:
        left = self._busy.get(comm_id, 1) - 1
        if left > 0:
            self._busy[comm_id] = left
        else:
            self._busy.pop(comm_id, None)

    async def _pump(self) -> None:
        while self._busy:
            try:
                for msg in list(_host.pending_comm_messages(set(self._busy))):
                    widget = self._watched.get(msg["content"]["comm_id"])
                    data = msg["content"].get("data") or {}
                    if widget is not None and data.get("method") == "custom":
                        widget._handle_msg(msg)
            except Exception:  # reading another library's queue must never break the stream it serves
                log.exception("nbstream: reading the kernel's queued messages failed")
                return
            await asyncio.sleep(INTERVAL)


pump = IntentPump()
