"""Where nbstream runs and what that host can do: one table, read by the views and the magics.

The hosts differ in two ways that matter to a streaming widget:

- whether a front end's message (a Cancel click) is handled while a cell awaits its stream.
  ipykernel 7.4 dispatches comm messages concurrently; 7.0-7.3 only when the front end routes comms
  over subshells (JupyterLab 4 / Notebook 7 defaults); ipykernel 6 queues them until the cell ends
  (and so does 7.0-7.3 for front ends without subshell routing: the classic Notebook, raw clients).
  Where they queue, the message has already reached the kernel's process: it waits in the kernel's
  own queue (6.x: ``Kernel.msg_queue``; 7.0-7.3: a ``shell_main`` task waiting for the shell's lock).
  :func:`pending_comm_messages` reads them there, without taking them out, so nbstream can act on its
  own widgets' intents at once (see ``_intent_pump``); the kernel still dispatches them later, and the
  widget ignores a message it has already handled.
- how the widget library shows a widget: ipywidgets 7 through ``_ipython_display_`` (which never calls
  ``_repr_mimebundle_``), ipywidgets 8 through ``_repr_mimebundle_``.

Nothing here patches ipykernel: it only reads. Each reader checks the shape it expects and returns
nothing when it does not find it.
"""

from __future__ import annotations

import asyncio
import hmac
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import ipywidgets  # type: ignore[import-untyped]

_DELIM = b"<IDS|MSG>"

PendingReader = Callable[[Any], Iterator[list[Any]]]
"""Reads the raw frames of the shell messages a kernel has received but not yet dispatched."""


@dataclass(frozen=True)
class Host:
    name: str
    ipython_display: bool
    """IPython's display() reaches a front end that renders widgets (a Jupyter kernel); else text to stdout."""
    comms_while_awaiting: str
    """When a front end's message is handled while a cell awaits: 'concurrent' (at once), 'subshells' (only
    when routed over a subshell), 'queued' (once the cell ends), 'none' (no front end)."""
    pending_reader: PendingReader | None
    """Where queued messages wait, for the hosts that queue them."""


def _queued_in_msg_queue(kernel: Any) -> Iterator[list[Any]]:
    # ipykernel 6: Kernel.schedule_dispatch puts (index, dispatch_shell, (frames,)) in a tornado Queue.
    queue = getattr(getattr(kernel, "msg_queue", None), "_queue", None)
    if queue is None:
        return
    for item in list(queue):
        if isinstance(item, tuple) and len(item) == 3 and isinstance(item[2], tuple) and len(item[2]) == 1:
            frames = item[2][0]
            if isinstance(frames, list):
                yield frames


def _waiting_for_shell_lock(kernel: Any) -> Iterator[list[Any]]:
    # ipykernel 7.0-7.3: each shell message is a `shell_main(subshell_id, msg)` task; on the main shell
    # it waits for the lock the running cell holds.
    for task in asyncio.all_tasks():
        coro = task.get_coro()
        frame = getattr(coro, "cr_frame", None)
        if frame is None or not getattr(coro, "__qualname__", "").endswith("shell_main"):
            continue
        frames = frame.f_locals.get("msg")
        if isinstance(frames, list):
            yield frames


HOSTS = {
    "ipykernel>=7.4": Host("ipykernel>=7.4", True, "concurrent", None),
    "ipykernel 7.0-7.3": Host("ipykernel 7.0-7.3", True, "subshells", _waiting_for_shell_lock),
    "ipykernel 6": Host("ipykernel 6", True, "queued", _queued_in_msg_queue),
    "marimo": Host("marimo", False, "queued", None),
    "IPython": Host("IPython", False, "none", None),
}

# ipywidgets 7 shows a widget through _ipython_display_ (IPython prefers it to _repr_mimebundle_).
WIDGETS_DISPLAY_THROUGH_HOOK = hasattr(ipywidgets.Widget, "_ipython_display_")


def _version(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def _kernel() -> Any:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return None
    return getattr(get_ipython(), "kernel", None)


def current() -> Host:
    """The host this process runs in (decided on each call: cheap, and a test may change it)."""
    marimo = sys.modules.get("marimo")
    if marimo is not None and getattr(marimo, "running_in_notebook", lambda: False)():
        return HOSTS["marimo"]
    if _kernel() is None:
        return HOSTS["IPython"]
    ipykernel = sys.modules.get("ipykernel")
    version = _version(getattr(ipykernel, "__version__", "7.4"))
    if version >= (7, 4):
        return HOSTS["ipykernel>=7.4"]
    if version >= (7, 0):
        return HOSTS["ipykernel 7.0-7.3"]
    return HOSTS["ipykernel 6"]


def pending_comm_messages(comm_ids: set[str]) -> Iterator[dict[str, Any]]:
    """The ``comm_msg`` messages to these comms that the kernel holds undispatched (none where it never queues).

    Each is checked against the kernel session's signature, as the kernel itself will, but without
    recording it: the kernel's own duplicate check must still accept the message when it dispatches it.
    """
    reader = current().pending_reader
    kernel = _kernel()
    session = getattr(kernel, "session", None)
    if reader is None or session is None or not comm_ids:
        return
    for frames in reader(kernel):
        msg = _comm_msg(session, frames, comm_ids)
        if msg is not None:
            yield msg


def _comm_msg(session: Any, frames: list[Any], comm_ids: set[str]) -> dict[str, Any] | None:
    raw = [getattr(f, "bytes", f) for f in frames]
    if not all(isinstance(part, bytes) for part in raw) or _DELIM not in raw:
        return None
    start = raw.index(_DELIM) + 1
    if len(raw) < start + 5:
        return None
    signature, header, parent, metadata, content = raw[start : start + 5]
    head = session.unpack(header)  # small; the content is read only for a comm_msg
    if not isinstance(head, dict) or head.get("msg_type") != "comm_msg":
        return None
    body = session.unpack(content)
    if not isinstance(body, dict) or body.get("comm_id") not in comm_ids:
        return None
    if getattr(session, "auth", None) is not None and not hmac.compare_digest(
        session.sign([header, parent, metadata, content]), signature
    ):
        return None
    return {
        "header": head, "parent_header": session.unpack(parent), "metadata": session.unpack(metadata),
        "content": body, "buffers": raw[start + 5 :], "msg_id": head.get("msg_id"), "msg_type": "comm_msg",
    }
