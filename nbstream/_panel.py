"""ParallelPanel: many calls at once, each streaming in its own row, under one limiter.

    panel = ParallelPanel(["Summarise A", "Summarise B"], model="haiku", concurrency=5).display()
    results = await panel          # Results in input order, whatever order they finished in

Built on the single-call path: every row is a :class:`Run` (same result type, statuses, stats), all
sharing one :class:`Limiter` (a cap on calls in flight and one rate-limit backoff). A failing row never
stops the others. The panel sends ONE combined frame for all rows (about 20 a second at most), never a
message per token per row: the notebook server drops iopub traffic above 1,000 messages a second.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import traitlets
from typing_extensions import Unpack

from . import _projection, _schema
from ._batch import BatchCall, BatchJob, check_batch_requests, custom_ids, logged_job, restore
from ._budget import Budget, budget_of, budget_text, tightest
from ._channel import Channel, Message
from ._errors import InputError
from ._events import FINAL_STATUSES, MessageStarted, SourceError, StatusChanged
from ._frames import Changes, FrameContent, rounded
from ._limiter import Limiter
from ._panel_summary import summarize
from ._request import CallOptions, Request, make_request
from ._result import Result
from ._run import Run
from ._static_copy import panel_copy_bundle, panel_row_copy
from ._validate import DEFAULT_CONCURRENCY, check_positive_int, check_seconds
from ._view import NbstreamWidget, in_notebook

_ROW_KEYS = frozenset({"prompt", "model", "system", "max_tokens", "label"})


def build_rows(prompts: object, **shared: Any) -> tuple[list[Request], list[str]]:
    """Validate every row before anything is sent: a bad row is an error naming the row."""
    if isinstance(prompts, (str, bytes)) or not isinstance(prompts, Sequence):
        raise InputError("prompts must be a list of strings or of dicts with a 'prompt' key")
    if not prompts:
        raise InputError("prompts is empty: give at least one prompt")
    if shared.get("approve"):  # a panel has no tool cards to ask in
        raise InputError("approve=True takes one streamed call (a StreamWidget), not a panel")
    requests, labels = [], []
    for number, item in enumerate(prompts, start=1):
        row = {"prompt": item} if isinstance(item, str) else item
        if not isinstance(row, dict):
            raise InputError(f"row {number}: a prompt must be a string or a dict, got {type(item).__name__}")
        unknown = set(row) - _ROW_KEYS
        if unknown:
            raise InputError(f"row {number}: unknown key(s) {sorted(unknown)}; rows take {sorted(_ROW_KEYS)}")
        if "prompt" not in row:
            raise InputError(f"row {number}: the dict has no 'prompt'")
        options = {**shared, **{k: v for k, v in row.items() if k not in ("prompt", "label")}}
        try:
            request = make_request(row["prompt"], **options)
        except InputError as exc:
            raise InputError(f"row {number}: {exc}") from None
        requests.append(request)
        labels.append(str(row.get("label") or f"#{number}"))
    return requests, labels


# The static copy is rendered off the kernel's loop, on one thread: each row's answer as the row ends
# (while other rows still stream), the whole copy at the end. One thread, not a pool: every thread
# doing Python work takes the GIL from the loop in turn.
_copy_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nbstream-copy")


class ParallelPanel(NbstreamWidget):
    """Many prompts at once: a row each, Cancel per row and for all, a live summary and a waterfall."""

    _view = traitlets.Unicode("panel").tag(sync=True)
    rows = traitlets.List(traitlets.Dict()).tag(sync=True)
    """One ``{label, model, prompt}`` per row (the prompt cut to 200 characters)."""
    status = traitlets.Unicode("running").tag(sync=True)
    summary = traitlets.Dict().tag(sync=True)
    final = traitlets.List(traitlets.Dict()).tag(sync=True)
    """Empty while running; at the end each row's text and state (synced once, for late or saved views)."""
    show_text = traitlets.Bool(True).tag(sync=True)

    def __init__(
        self,
        prompts: Sequence[str | dict[str, Any]],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        batch: bool = False,
        poll_interval: float = 2.0,
        budget: float | Budget | None = None,
        _job: str | None = None,
        _restore: list[dict[str, Any]] | None = None,
        **options: Unpack[CallOptions],
    ) -> None:
        """``options`` apply to every row (a row's dict may set its own model, system, max_tokens);
        ``budget``: US dollars all rows together may cost (once reached, no new row starts)."""
        requests, labels = build_rows(prompts, **options)
        concurrency = check_positive_int(concurrency, "concurrency")
        if not isinstance(batch, bool):
            raise InputError(f"batch must be True or False, got {batch!r}")
        budgets = budget_of(budget, "the panel's budget")
        if batch and budgets:
            raise InputError("budget does not combine with batch=True: a Message Batch cannot be stopped part-way")
        if batch:
            check_batch_requests(requests)
            poll_interval = check_seconds(poll_interval, "poll_interval")
        super().__init__(
            rows=[
                {"label": label, "model": r.model, "prompt": r.prompt[:200], "settings": r.shown_settings()}
                for r, label in zip(requests, labels, strict=True)
            ]
        )
        self.labels = labels
        self.budgets = budgets
        self.limiter = Limiter(concurrency)
        self._requests = requests
        self._origin = time.monotonic()
        self._ended_at: float | None = None
        self.job: BatchJob | None = None
        self._custom_ids = custom_ids(_job or uuid.uuid4().hex[:10], len(requests)) if batch else []
        self._runs = [self._new_run(i) for i in range(len(requests))]
        self._summary_dirty = False
        if batch:
            self.job = BatchJob(
                self._runs, job=_job, poll_interval=poll_interval, on_change=self._batch_changed  # type: ignore[arg-type]
            )
        self._channel = Channel(lambda message: self.send(message), self._next_frame)
        self._contents = [FrameContent() for _ in requests]  # what each row produced since the last frame
        self._changed: set[int] = set()  # rows changed since the last frame
        self._pending_size = 0
        self._sent: dict[int, tuple[Changes, Changes]] = {}  # per row: fields and stats the view has
        self._resets: set[int] = set()
        self._row_copies: dict[int, tuple[Result, Future[tuple[str, str]]]] = {}  # per row: its result's copy
        self._task: asyncio.Task[list[Result]] | None = None
        self.summary = self._summary()
        self.handle_intent("cancel", lambda msg: self.cancel(int(msg["row"])))
        self.handle_intent("cancel_all", lambda _msg: self.cancel())
        self.handle_intent("retry", lambda msg: self.retry(int(msg["row"])))
        self.handle_intent("resync", lambda _msg: self._resync())
        self._resumed = bool(self.job is not None and _restore)
        if self.job is not None and _restore:
            restore(self.job, _restore)  # last: restored rows report to the panel as they end
            # The waterfall's zero and the wall time count from the batch's submission, not the resume.
            submitted = [run.started_at for run in self._runs if run.started_at is not None]
            self._origin = min(submitted, default=self._origin)

    # --- the public surface ------------------------------------------------------------------

    def attachments(self) -> tuple[Any, ...]:
        return tuple({a.digest: a for r in self._requests for a in r.attachments}.values())  # each one once

    def _drive_task(self) -> asyncio.Task[list[Result]]:
        if self._task is None:
            if not self._channel.started and self._ended_at is None and not self._resumed:
                self._origin = time.monotonic()  # the waterfall's zero: when the panel first starts
            self._task = asyncio.get_running_loop().create_task(self._drive(), name="nbstream panel")
            self.watch_intents(self._task)
        return self._task

    def __await__(self) -> Generator[Any, None, list[Result]]:
        return self._drive_task().__await__()

    @property
    def results(self) -> list[Result | None]:
        """Each row's result in input order; None for a row still queued or running."""
        return [run.result for run in self._runs]

    def cancel(self, row: int | None = None) -> None:
        """Cancel one row, or every row still queued or running (thread-safe).

        A batch is cancelled as a whole, through the API (one request of a batch cannot be).
        """
        if self.job is not None:
            if row is None:
                self._call_soon(lambda: asyncio.ensure_future(self.job.cancel()))  # type: ignore[union-attr]
            return
        for run in self._runs if row is None else [self._row(row)]:
            run.cancel()

    def _call_soon(self, action: Callable[[], object]) -> None:
        loop = self._loop
        if loop is None:
            action()
            return
        try:
            here = asyncio.get_running_loop() is loop
        except RuntimeError:
            here = False
        if here:
            action()
        else:
            loop.call_soon_threadsafe(action)

    def retry(self, row: int) -> ParallelPanel:
        """Run a finished row again (it broke, failed or was cancelled); its text starts over."""
        old = self._row(row)
        if not old.done or self.job is not None:  # a batch row is not re-run on its own
            return self
        self._runs[row] = run = self._new_run(row)
        self._resets.add(row)
        self._sent.pop(row, None)  # the new run's fields all go out again
        self._contents[row] = FrameContent()
        self._changed.add(row)
        if self._task is not None and self._task.done():
            self._task = None  # a finished panel runs again until the retried row ends
        self._drive_task()
        run.start()  # now, even while other rows stream or the panel is finishing
        return self

    def to_pandas(self) -> Any:
        """One row per call: prompt, model, status, tokens, cost, ttft, duration, text (needs pandas)."""
        try:
            import pandas as pd
        except ImportError:
            raise InputError("to_pandas needs pandas: pip install pandas") from None
        records = []
        for label, request, run in zip(self.labels, self._requests, self._runs, strict=True):
            result = run.result
            usage = run.usage()
            records.append({
                "label": label, "prompt": request.prompt, "model": request.model, "status": run.status,
                "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
                "cache_read_tokens": usage.cache_read_input_tokens,
                "cache_write_tokens": usage.cache_creation_input_tokens,
                "cost": result.cost if result else None, "ttft": run.ttft(),
                "duration": result.duration if result else None,
                "text": result.text if result else run.text, "error": result.error if result else None,
            })
            if request.schema is not None:  # structured output: the reply's fields as columns
                spread = _schema.columns(result.data if result else None, request.schema.fields)
                records[-1].update({(f"data.{k}" if k in records[-1] else k): v for k, v in spread.items()})
        return pd.DataFrame.from_records(records)

    # --- running -------------------------------------------------------------------------------

    def _row(self, row: int) -> Run:
        if isinstance(row, bool) or not isinstance(row, int) or not 0 <= row < len(self._runs):
            raise InputError(f"row must be a row number from 0 to {len(self._runs) - 1}, got {row!r}")
        return self._runs[row]

    def _new_run(self, i: int) -> Run:
        if self._custom_ids:
            run: Run = BatchCall(self._requests[i], self._custom_ids[i])
        else:
            run = Run(self._requests[i], limiter=self.limiter, budgets=self.budgets)
        run.observe(lambda r, event: self._on_run(i, r, event))
        return run

    @classmethod
    def resume(cls, batch_id: str, *, poll_interval: float = 2.0) -> ParallelPanel:
        """Reattach to a batch job submitted earlier (even by a kernel that has since restarted).

        Rows whose results were already read come back from the call log; the others wait for their
        batch. Nothing is submitted or paid for again.
        """
        job, rows = logged_job(batch_id)
        prompts = [
            {"prompt": r["prompt"], "model": r["model"], "system": r["system"],
             "max_tokens": json.loads(r["params"] or "{}").get("max_tokens")}
            for r in rows
        ]
        return cls(prompts, batch=True, poll_interval=poll_interval, _job=job, _restore=rows)

    def _batch_changed(self) -> None:
        self._summary_dirty = True
        self._channel.poke()

    async def _drive(self) -> list[Result]:
        self.status = "running"
        self._ended_at = None
        try:
            if self.job is not None:
                await self._run_batch(self.job)
            else:
                await self._warm_cache()
            await self._settle()
        except asyncio.CancelledError:
            # From outside: the kernel interrupt, a timeout, a task group. Every row ends (a batch goes
            # on at the API: ParallelPanel.resume(batch_id) picks it up again, its log rows stay
            # "running"), the panel shows its end, then the cancellation goes on to whoever awaited.
            for run in self._runs:
                run.cancel()
            await asyncio.gather(*(run.start() for run in self._runs if run._task or self.job is None),
                                 return_exceptions=True)
            await self._finish()
            raise
        await self._finish()
        # A row retried while the panel was finishing: run it too, then finish again.
        while any(not run.done for run in self._runs):
            await self._settle()
            await self._finish()
        return [run.result for run in self._runs]  # type: ignore[misc]

    async def _settle(self) -> None:
        """Run every row to its end; a row retried meanwhile joins at once."""
        while pending := [run.start() for run in self._runs if not run.done]:
            await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)

    async def _run_batch(self, job: BatchJob) -> None:
        try:
            await job.run()
        except SourceError as exc:  # submitting failed (a bad key, a bad request...): every row says why
            for run in self._runs:
                if not run.done and isinstance(run, BatchCall) and run.batch_id is None:
                    run.settle(
                        {
                            "type": "errored",
                            "error": {"error": {"type": exc.failure.kind, "message": exc.failure.one_line()}},
                        }
                    )
            if any(not run.done for run in self._runs):
                raise

    async def _warm_cache(self) -> None:
        """With caching on, the first row goes alone until its response has started (the cache is
        written then), so every other row reads the shared prefix instead of writing it again."""
        first = self._runs[0]
        if first.request.cache is None or len(self._runs) < 2 or first.started_at is not None:
            return
        started = asyncio.Event()
        first.observe(lambda run, event: started.set() if type(event) is MessageStarted or run.done else None)
        first.start()
        await started.wait()

    def _on_run(self, i: int, run: Run, event: object) -> None:
        if run is not self._runs[i]:
            return  # a row that was retried: its old run no longer speaks
        result = run.result if type(event) is StatusChanged and event.status in FINAL_STATUSES else None
        if result is not None and self.displayed and in_notebook():
            self._row_copy(i, result)  # its section of the static copy, rendered now on the copy thread
        content = self._contents[i]
        self._changed.add(i)
        before = content.size
        content.add(event)
        self._pending_size += content.size - before
        self._channel.poke(pending=self._pending_size)

    # --- panel -> view -------------------------------------------------------------------------

    def _row_state(self, i: int) -> dict[str, Any]:
        run = self._runs[i]
        timeline = {k: None if v is None else round(v, 3) for k, v in _projection.timeline(run, self._origin).items()}
        return {"i": i, **_projection.view_state(run), "timeline": timeline}

    def _row_changes(self, i: int) -> dict[str, Any]:
        """What changed in row i since the last frame (the view keeps the rest)."""
        state = self._row_state(i)
        stats = rounded(state.pop("stats"))
        fields, figures = self._sent.setdefault(i, (Changes(), Changes()))
        row = {"i": i, **fields.of(state)}
        if changed := figures.of(stats):
            row["stats"] = changed
        return row

    def _row_whole(self, i: int) -> dict[str, Any]:
        """A row's full state, text included (and tool calls, for a call that uses tools)."""
        run = self._runs[i]
        whole = {**self._row_state(i), "text": run.text}
        if _projection.uses_parts(run):
            whole["parts"] = _projection.parts(run)
        return whole

    def _next_frame(self) -> Message | None:
        if not self._changed and not self._summary_dirty:
            return None
        self._summary_dirty = False
        rows = []
        self._pending_size = 0
        for i in sorted(self._changed):
            row = {**self._row_changes(i), **self._contents[i].take()}
            if i in self._resets:
                row["reset"] = True
            rows.append(row)
        self._changed.clear()
        self._resets.clear()
        return {"elapsed": self._elapsed(), "summary": self._summary(), "rows": rows}

    def _resync(self) -> None:
        self._channel.snapshot(self._whole)

    def _whole(self) -> Message:
        self._sent.clear()  # the view starts from this snapshot
        rows = [self._row_whole(i) for i in range(len(self._runs))]
        return {"elapsed": self._elapsed(), "summary": self._summary(), "rows": rows}

    def _elapsed(self) -> float:
        return (self._ended_at or time.monotonic()) - self._origin

    def _summary(self) -> dict[str, Any]:
        summary = summarize(
            self._runs, origin=self._origin, ended_at=self._ended_at, limiter=self.limiter,
            batch=self.job.state().as_dict() if self.job is not None else None,
        )
        summary["budget"] = budget_text(tightest(self._runs[0].budgets)) or None
        return summary

    def _row_copy(self, i: int, result: Result) -> Future[tuple[str, str]]:
        """Row i's section of the static copy for this result: rendered once, on the copy thread (when the
        row ends, or at the panel's end for a row restored from a batch)."""
        rendered = self._row_copies.get(i)
        if rendered is not None and rendered[0] is result:
            return rendered[1]
        future = _copy_worker.submit(panel_row_copy, self.labels[i], result)
        self._row_copies[i] = (result, future)
        return future

    async def _finish(self) -> None:
        self._ended_at = max(run.ended_at or self._origin for run in self._runs)
        self._channel.frames.flush_now()
        show_copy = self.displayed and in_notebook()
        if show_copy:
            # Rows still processing (a batch we stopped waiting for) have no copy yet.
            done = [(i, run.result) for i, run in enumerate(self._runs) if run.result is not None]
            sections = await asyncio.gather(*(asyncio.wrap_future(self._row_copy(i, result)) for i, result in done))
            labels, results = [self.labels[i] for i, _ in done], [result for _, result in done]
            bundle = await asyncio.wrap_future(
                _copy_worker.submit(panel_copy_bundle, labels, results, self._summary(), sections)
            )
            self._channel.show_static_copy(bundle)
        with self.hold_sync():
            self.final = [self._row_whole(i) for i in range(len(self._runs))]
            self.summary = self._summary()
            self.show_text = not show_copy
            self.status = "done"
