"""What every nbstream widget shares: the built front end, and intents handled on the kernel's loop.

The browser is a view: state lives in Python, the front end renders it and sends intents (cancel,
retry, resync) as custom messages. A comm handler may run on the main thread or on a subshell thread
(ipykernel 7 with JupyterLab's comms over subshells), so every intent hops onto the loop that owns the
widget before it touches any state. Synced traits never hold secrets or text that grows per token.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import pathlib
import uuid
from collections.abc import Callable
from typing import Any, Self

import anywidget
import traitlets
from IPython.display import display as ipython_display

from ._attachment_view import attachments_bundle
from ._attachments import Attachment
from ._host import WIDGETS_DISPLAY_THROUGH_HOOK
from ._host import current as current_host
from ._intent_pump import pump

log = logging.getLogger("nbstream")

_BUNDLE = pathlib.Path(__file__).parent / "static" / "widget.js"
_MISSING_BUNDLE = """export default { render({ el }) {
  el.textContent = "nbstream: the front end is not built. From a clone, run `make js` (or `make test`).";
} }"""


def frontend_esm() -> pathlib.Path | str:
    return _BUNDLE if _BUNDLE.is_file() else _MISSING_BUNDLE


def in_notebook() -> bool:
    """True inside a Jupyter kernel (widgets can render); False in terminal IPython, plain Python, marimo."""
    return current_host().ipython_display


class NbstreamWidget(anywidget.AnyWidget):
    _esm = frontend_esm()
    _view = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        try:
            self._loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self._loop = None
        self._intents: dict[str, Callable[[dict[str, Any]], object]] = {}
        self._handled: collections.deque[str] = collections.deque(maxlen=256)  # msg ids already acted on
        self.displayed = False
        self.view_display_id: str | None = None  # set by display()
        self.on_msg(self._receive)

    def watch_intents(self, task: asyncio.Future[Any]) -> None:
        """While ``task`` runs, act on this widget's intents even where the kernel queues them (ipykernel 6)."""
        pump.watch(self, task)

    def _handle_msg(self, msg: dict[str, Any]) -> None:
        # The intent pump may have delivered this message from the kernel's queue already.
        msg_id = (msg.get("header") or {}).get("msg_id")
        if msg_id is not None:
            if msg_id in self._handled:
                return
            self._handled.append(msg_id)
        super()._handle_msg(msg)

    def handle_intent(self, name: str, handler: Callable[[dict[str, Any]], object]) -> None:
        self._intents[name] = handler

    def _receive(self, _widget: object, content: Any, _buffers: object) -> None:
        # May run on any thread: hand the intent to the widget's loop.
        if not isinstance(content, dict):
            return
        handler = self._intents.get(str(content.get("type")))
        if handler is None:
            return
        loop = self._loop
        if loop is None or loop.is_closed():
            self._safely(handler, content)
        else:
            loop.call_soon_threadsafe(self._safely, handler, content)

    @staticmethod
    def _safely(handler: Callable[[dict[str, Any]], object], content: dict[str, Any]) -> None:
        try:
            handler(content)
        except Exception:  # a view's intent must never take the kernel's loop down
            log.exception("nbstream: handling %r from the front end failed", content.get("type"))

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        self.displayed = True
        self.on_displayed()
        return super()._repr_mimebundle_(**kwargs)

    if WIDGETS_DISPLAY_THROUGH_HOOK:
        # ipywidgets 7 shows a widget through this hook and never calls _repr_mimebundle_.
        def _ipython_display_(self, **kwargs: Any) -> None:
            self.displayed = True
            self.on_displayed()
            super()._ipython_display_(**kwargs)

    # --- the verbs both views share ------------------------------------------------------------

    def display(self) -> Self:
        """Show the view in the current cell and start it; returns at once (``await`` it for the result)."""
        if attached := self.attachments():  # a thumbnail or name of each image and file, above the view
            ipython_display(attachments_bundle(attached), raw=True)
        # A display id lets the view's static copy take its place at the end (StreamWidget._finish).
        self.view_display_id = f"nbstream-view-{uuid.uuid4().hex}"
        if WIDGETS_DISPLAY_THROUGH_HOOK:
            # ipywidgets 7's _ipython_display_ publishes the view without a display id, so the copy could not
            # take its place: publish the same bundle with ours, then what its hook would do.
            view = {"version_major": 2, "version_minor": 0, "model_id": self.model_id}
            bundle = {"text/plain": repr(self)[:110], "application/vnd.jupyter.widget-view+json": view}
            ipython_display(bundle, raw=True, display_id=self.view_display_id)
            self.displayed = True
            self.on_displayed()
            self._handle_displayed()
        else:
            ipython_display(self, display_id=self.view_display_id)
        return self

    def attachments(self) -> tuple[Attachment, ...]:
        """The images and files the view's calls send (shown above it)."""
        return ()

    def start(self) -> Self:
        """Start without showing anything (``await`` the view for the result)."""
        self._drive_task()
        return self

    def _drive_task(self) -> asyncio.Task[Any]:
        """The task that runs the view's call(s) to the end (created once, on the running loop)."""
        raise NotImplementedError

    def on_displayed(self) -> None:
        try:
            self._drive_task()
        except RuntimeError:  # no running event loop: it starts when awaited
            pass
