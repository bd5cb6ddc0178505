"""StreamWidget: one call, streamed live into a cell.

    w = StreamWidget("Explain TCP to a ten-year-old", model="haiku").display()
    result = await w          # or w.cancel()

Tokens travel to the browser as coalesced deltas (the first at once, then at most ~20 frames a second),
never as the whole growing text. At the end the full text is synced once (for late or reloaded views)
and, when the widget was displayed, a static copy of the answer outlives the kernel. Shown with
``display()``, a finished call's copy takes the widget's own place in the output (update_display), so a
reopened notebook shows the answer and no "model not found" error, and it looks the same (header, text
styles: ``_static_style``). A call that can be retried keeps its widget for the Retry button, with the copy
below it and the widget's text hidden (the answer shows once); a retry empties that copy at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Generator
from dataclasses import replace
from typing import Any

import traitlets
from IPython.display import display as ipython_display
from typing_extensions import Unpack

from . import _projection
from ._attachments import Attachment
from ._budget import Budget, budget_of
from ._channel import Channel, Message
from ._events import FINAL_STATUSES, StatusChanged
from ._frames import Changes, FrameContent, rounded
from ._request import CallOptions, Request, make_request
from ._result import Result
from ._run import Run
from ._schema import fence_json
from ._static_copy import static_copy_bundle
from ._to_cell import ToCell
from ._validate import check_flag
from ._view import NbstreamWidget, in_notebook


class StreamWidget(NbstreamWidget):
    """A live view of one call: rendered Markdown, token counter, TTFT, tokens/s, cost, Cancel."""

    _view = traitlets.Unicode("stream").tag(sync=True)
    status = traitlets.Unicode("queued").tag(sync=True)
    """waiting, retrying, streaming, then done, cancelled, failed or cut_off."""
    model = traitlets.Unicode("").tag(sync=True)
    simulated = traitlets.Bool(False).tag(sync=True)
    stats = traitlets.Dict().tag(sync=True)
    """output_tokens, tokens_exact, input_tokens, cache_read/write_tokens, ttft, elapsed, rate, cost."""
    error = traitlets.Unicode("").tag(sync=True)
    notice = traitlets.Unicode("").tag(sync=True)
    retry_in = traitlets.Float(0.0).tag(sync=True)
    text = traitlets.Unicode("").tag(sync=True)
    """The full text: empty while streaming (it travels as deltas), set once at the end."""
    parts = traitlets.List(traitlets.Dict()).tag(sync=True)
    """For a call that used tools: text and tool calls in order, set once at the end (else empty)."""
    show_text = traitlets.Bool(True).tag(sync=True)
    can_retry = traitlets.Bool(False).tag(sync=True)
    settings = traitlets.List(traitlets.Unicode()).tag(sync=True)
    """The request's non-default parameters as shown in the header ("effort high", "stop 'END'")."""
    text_format = traitlets.Unicode("markdown").tag(sync=True)
    """"json" for structured output (the reply shows as the JSON forming), else "markdown"."""

    def __init__(
        self,
        prompt: str,
        *,
        budget: float | Budget | None = None,
        to_cell: bool = False,
        _request: Request | None = None,
        **options: Unpack[CallOptions],
    ) -> None:
        """``options``: model, system, max_tokens, idle_timeout, max_retries, tools, max_turns, cache;
        ``budget``: US dollars this call may cost (besides the session's ``nbstream.defaults.budget``);
        ``to_cell``: the reply's code blocks go into a new cell below (not run) when awaited in its cell."""
        # Validate first: bad input raises here, before a widget exists or anything is sent.
        request = _request or make_request(prompt, **options)
        budgets = budget_of(budget, "the call's budget")
        to_cell = check_flag(to_cell, "to_cell")
        super().__init__(
            model=request.model, settings=request.shown_settings(),
            text_format="json" if request.schema is not None else "markdown",
        )
        self.run = Run(request, budgets=budgets)
        self.run.observe(self._on_run)
        self._channel = Channel(lambda message: self.send(message), self._next_frame)
        self._pending = FrameContent()
        self._sent_stats = Changes()
        self._task: asyncio.Task[Result] | None = None
        self.handle_intent("cancel", lambda _msg: self.cancel())
        self.handle_intent("retry", lambda _msg: self.retry())
        self.handle_intent("resync", lambda _msg: self._resync())
        # approve=True: a tool card's Approve / Deny (the same path as Cancel, so it works while the cell awaits)
        self.handle_intent("decide", self._decide)
        self._to_cell = ToCell() if to_cell else None

    # --- the public surface ------------------------------------------------------------------

    def attachments(self) -> tuple[Attachment, ...]:
        return self.run.request.attachments

    def _drive_task(self) -> asyncio.Task[Result]:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._drive(), name="nbstream widget")
            self.watch_intents(self._task)
        return self._task

    async def _drive(self) -> Result:
        run = self.run
        try:
            result = await run
        except asyncio.CancelledError:  # from outside (a timeout, the kernel interrupt): show the end, then pass it on
            if run.result is not None and run is self.run:
                await self._finish(run.result)
            raise
        if run is self.run:  # not replaced by a Retry meanwhile
            await self._finish(result)  # before the result is handed back: headless runs keep the copy
            if self._to_cell is not None:
                self._to_cell.deliver(result)
        return result

    def cancel(self) -> None:
        """Stop the generation (thread-safe): the HTTP stream is closed, the partial text kept."""
        self.run.cancel()

    def _decide(self, msg: dict[str, Any]) -> None:
        if isinstance(msg.get("id"), str):  # one card's button: that call only
            self.run.decide(msg["id"], msg.get("approved") is True)

    @property
    def awaiting_approval(self) -> list[str]:
        """``approve=True``: the tool_use ids whose Approve / Deny is awaited now (empty otherwise)."""
        approvals = self.run.approvals
        return approvals.waiting if approvals is not None else []

    def approve(self, tool_id: str | None = None) -> None:
        """``approve=True``: let the waiting tool call run (``tool_id``; None: every waiting call)."""
        self.run.decide(tool_id, True)

    def deny(self, tool_id: str | None = None) -> None:
        """``approve=True``: refuse the waiting tool call; the model is told the user declined it."""
        self.run.decide(tool_id, False)

    def retry(self) -> StreamWidget:
        """Run the same request again after it broke, failed or was cancelled; the text starts over."""
        if not self.run.done:
            return self
        self.run = self.run.again()  # the same observers: a chat still records the retried answer
        self._channel.restart({"text": "", "parts": []})  # the view starts over
        self._channel.clear_static_copy()  # the earlier copy below the view goes at once: the text shows once
        with self.hold_sync():
            self.text = ""
            self.parts = []
            self.show_text = True
            self._sync_state()
        self._task = None
        self._drive_task()
        return self

    @property
    def result(self) -> Result | None:
        """The result once the call has ended, else None."""
        return self.run.result

    def __await__(self) -> Generator[Any, None, Result]:
        return self._drive_task().__await__()

    def close(self) -> None:
        # A closed widget must not leave its stream running (getattr: also called on a half-built widget).
        if (run := getattr(self, "run", None)) is not None:
            run.cancel()
            self._channel.frames.cancel()
        super().close()

    # --- run -> view ---------------------------------------------------------------------------

    def _on_run(self, run: Run, event: object) -> None:
        if type(event) is StatusChanged:
            if event.status not in FINAL_STATUSES:  # the end is handled by _drive, after the run
                self._channel.frames.flush_now()
                self._sync_state()
        elif self._pending.add(event):
            self._channel.poke(urgent=not self._channel.started, pending=self._pending.size)  # the first token at once

    def _next_frame(self) -> Message | None:
        # Frames carry text (and tool activity); status changes travel as trait updates.
        if not self._pending:
            return None
        frame: Message = dict(self._pending.take())  # "delta", or "ops" in order once tools are involved
        stats = self._sent_stats.of(rounded(_projection.stats(self.run)))  # only the figures that changed
        if stats:
            frame["stats"] = stats
        return frame

    def _resync(self) -> None:
        """A view missed frames (dropped by the server's rate limit) or was reloaded: send the text so far."""
        self._channel.snapshot(self._whole)

    def _whole(self) -> Message:
        self._sent_stats.reset()
        whole: Message = {"text": self.run.text, "stats": self._sent_stats.of(rounded(_projection.stats(self.run)))}
        if _projection.uses_parts(self.run):
            whole["parts"] = _projection.parts(self.run)
        return whole

    async def _finish(self, result: Result) -> None:
        self._channel.frames.flush_now()
        # The ending shows at once (a Cancel click's answer must not wait for the copy's rendering, nor for
        # its first-use imports); the text moves to the static copy when that is written.
        self._sync_state()
        run = self.run
        parts = _projection.parts(run) if _projection.uses_parts(run) else None  # one transcript: copy and trait
        static_copy = self.displayed and in_notebook()
        if static_copy:
            # A call that cannot be retried needs no widget any more: its copy takes the view's place, so a
            # reopened notebook has no widget view left to fail. Else the copy goes below the view.
            retryable = self.run.retryable and result.status in _projection.RETRYABLE_STATUSES
            in_place = self.view_display_id is not None and not retryable
            # Rendering and sanitising a long answer takes a while: off the kernel's loop.
            shown = replace(result, text=fence_json(result.text)) if self.run.request.schema and result.text else result
            bundle = await asyncio.to_thread(
                static_copy_bundle, shown, parts, stats=rounded(_projection.stats(self.run)), replaces_view=in_place
            )
            if run is not self.run:
                return  # retried while the copy was rendered: the new run writes its own
            if in_place:
                ipython_display(bundle, raw=True, display_id=self.view_display_id, update=True)
            else:  # a retry replaces this copy in place
                self._channel.show_static_copy(bundle)
        with self.hold_sync():
            self.text = result.text
            self.parts = parts or []
            self.show_text = not static_copy
            self._sync_state()

    def _sync_state(self) -> None:
        with self.hold_sync():
            self.simulated = self.run.simulated
            for name, value in _projection.view_state(self.run).items():
                setattr(self, name, value)

