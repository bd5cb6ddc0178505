"""StreamWidget: one call, streamed live into a cell.

    w = StreamWidget("Explain TCP to a ten-year-old", model="haiku").display()
    result = await w          # or w.cancel()

Tokens travel to the browser as coalesced deltas (the first at once, then at most ~20 frames a second),
never as the whole growing text. At the end the full text is synced once (for late or reloaded views)
and, when the widget was displayed, a static copy of the answer is written below it so the answer
outlives the kernel; the widget then hides its own copy of the text so the answer shows once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Generator
from typing import Any

import traitlets
from IPython.display import display as ipython_display

from ._events import FINAL_STATUSES, Result, StatusChanged
from ._frames import Changes, FrameContent, FrameScheduler, rounded
from ._request import Request, make_request
from ._run import Run
from ._static_copy import static_copy_bundle
from ._view import NbstreamWidget


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

    def __init__(
        self,
        prompt: str,
        *,
        model: str | None = None,
        system: str | None = None,
        max_tokens: int | None = None,
        idle_timeout: float | None = None,
        max_retries: int | None = None,
        tools: list[Any] | None = None,
        max_turns: int | None = None,
        cache: bool | str | None = None,
        _request: Request | None = None,
    ) -> None:
        # Validate first: bad input raises here, before a widget exists or anything is sent.
        request = _request or make_request(
            prompt, model=model, system=system, max_tokens=max_tokens, idle_timeout=idle_timeout,
            max_retries=max_retries, tools=tools, max_turns=max_turns, cache=cache,
        )
        super().__init__(model=request.model)
        self.run = Run(request)
        self.run.observe(self._on_run)
        self._frames = FrameScheduler(self._send_frame)
        self._pending = FrameContent()
        self._sent_stats = Changes()
        self._seq = 0
        self._static_copy_id = f"nbstream-{uuid.uuid4().hex}"
        self._static_copy_shown = False
        self._task: asyncio.Task[Result] | None = None
        self.handle_intent("cancel", lambda _msg: self.cancel())
        self.handle_intent("retry", lambda _msg: self.retry())
        self.handle_intent("resync", lambda _msg: self._resync())

    # --- the public surface ------------------------------------------------------------------

    def display(self) -> StreamWidget:
        """Show the widget in the current cell and start streaming; returns at once."""
        ipython_display(self)
        return self

    def start(self) -> StreamWidget:
        """Start streaming without showing anything (``await`` the widget for the result)."""
        self._drive_task()
        return self

    def _drive_task(self) -> asyncio.Task[Result]:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._drive(), name="nbstream widget")
            self.watch_intents(self._task)
        return self._task

    async def _drive(self) -> Result:
        result = await self.run
        await self._finish(result)  # before the result is handed back: headless runs keep the copy
        return result

    def cancel(self) -> None:
        """Stop the generation (thread-safe): the HTTP stream is closed, the partial text kept."""
        self.run.cancel()

    def retry(self) -> StreamWidget:
        """Run the same request again after it broke, failed or was cancelled; the text starts over."""
        if not self.run.done:
            return self
        self.run = Run(self.run.request)
        self.run.observe(self._on_run)
        self._frames.flush_now()
        self._seq += 1
        self.send({"type": "snapshot", "seq": self._seq, "text": "", "parts": []})  # the view starts over
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
            self._frames.cancel()
        super().close()

    def on_displayed(self) -> None:
        try:
            self._drive_task()
        except RuntimeError:  # no running event loop: it starts when awaited
            pass

    # --- run -> view ---------------------------------------------------------------------------

    def _on_run(self, run: Run, event: object) -> None:
        if type(event) is StatusChanged:
            if event.status not in FINAL_STATUSES:  # the end is handled by _drive, after the run
                self._frames.flush_now()
                self._sync_state()
        elif self._pending.add(run, event):
            self._frames.poke(urgent=self._seq == 0, pending=self._pending.size)  # the first token at once

    def _send_frame(self) -> None:
        # Frames carry text (and tool activity); status changes travel as trait updates.
        if not self._pending:
            return
        self._seq += 1
        frame: dict[str, Any] = {"type": "frame", "seq": self._seq}
        frame.update(self._pending.take())  # "delta", or "ops" in order once tools are involved
        stats = self._sent_stats.of(rounded(self.run.stats()))  # only the figures that changed
        if stats:
            frame["stats"] = stats
        self.send(frame)

    def _resync(self) -> None:
        """A view missed frames (dropped by the server's rate limit) or was reloaded: send the text so far."""
        self._frames.flush_now()
        self._sent_stats.reset()
        snapshot: dict[str, Any] = {
            "type": "snapshot", "seq": self._seq, "text": self.run.text,
            "stats": self._sent_stats.of(rounded(self.run.stats())),
        }
        if self.run.request.tools:
            snapshot["parts"] = self.run.parts()
        self.send(snapshot)

    async def _finish(self, result: Result) -> None:
        self._frames.flush_now()
        static_copy = self.displayed and _can_display()
        if static_copy:  # a retry replaces the earlier copy in place
            parts = self.run.parts() if self.run.request.tools else None
            # Rendering and sanitising a long answer takes a while: off the kernel's loop.
            bundle = await asyncio.to_thread(static_copy_bundle, result, parts)
            ipython_display(bundle, raw=True, display_id=self._static_copy_id, update=self._static_copy_shown)
            self._static_copy_shown = True
        with self.hold_sync():
            self.text = result.text
            self.parts = self.run.parts() if self.run.request.tools else []
            self.show_text = not static_copy
            self._sync_state()

    def _sync_state(self) -> None:
        with self.hold_sync():
            self.simulated = self.run.simulated
            for name, value in self.run.view_state().items():
                setattr(self, name, value)


def _can_display() -> bool:
    from ._view import in_notebook

    return in_notebook()
