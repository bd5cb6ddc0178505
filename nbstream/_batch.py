"""Message Batches: many prompts at half price, filled in as each batch's results land.

A batch row is a :class:`BatchCall`, a Run whose response arrives from the Batches API instead of a
stream: the same result type, statuses, call log and ledger, and usage with ``service_tier: "batch"``
so costs come out at batch prices (stacking with cache prices). A :class:`BatchJob` splits the
requests into batches under the API's limits, submits them, polls on the kernel's loop with a
backing-off interval (the kernel stays free), and reads each ended batch's JSON Lines results once.

Resume: every row is in the call log from submission on (kind ``batch``, its batch id and custom id).
After a kernel restart ``nbstream.batches()`` lists the jobs and ``ParallelPanel.resume(batch_id)``
reattaches: rows whose results were already read come back from the log (not fetched again, not
paid again); the others wait for their batch as before.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import _batches_api
from ._accumulate import message_events
from ._errors import InputError
from ._events import Failure, SourceError
from ._ledger import session_budget
from ._limiter import Limiter
from ._log import current_log
from ._request import Request
from ._result import Result
from ._run import Run
from ._static_style import NO_MATH  # money in these tables is not math
from ._validate import check_positive_int

MAX_REQUESTS = 100_000  # per batch (API limit)
MAX_BYTES = 200 * 2**20  # per batch: the API allows 256 MB; leave room for the envelope
RESULT_STATUS = {"succeeded": "done", "errored": "failed", "canceled": "cancelled", "expired": "failed"}


async def _committed() -> None:
    """Wait, off the event loop, until the call log has committed what is queued."""

    log = current_log()
    if log is not None:
        await asyncio.to_thread(log.flush)


def custom_ids(job: str, count: int) -> list[str]:
    """Row i of job J is ``nbs-J-i``: unique in the batch, and leads back to the row after a restart."""
    return [f"nbs-{job}-{i}" for i in range(count)]


def row_of(custom_id: str) -> int:
    return int(custom_id.rsplit("-", 1)[1])


def split(entries: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Requests in batches of at most MAX_REQUESTS and MAX_BYTES each, in order."""
    batches: list[list[dict[str, Any]]] = [[]]
    size = 0
    for entry in entries:
        entry_size = len(json.dumps(entry).encode())
        if batches[-1] and (len(batches[-1]) >= MAX_REQUESTS or size + entry_size > MAX_BYTES):
            batches.append([])
            size = 0
        batches[-1].append(entry)
        size += entry_size
    return batches


class BatchCall(Run):
    """One request of a batch: waiting until its batch ends, then done, failed or cancelled at once."""

    cancellable = False  # one request of a batch cannot be cancelled or re-run on its own
    retryable = False

    def __init__(self, request: Request, custom_id: str) -> None:
        super().__init__(request, limiter=Limiter())
        self.custom_id = custom_id
        self.batch_id: str | None = None
        self.log_extra.update(kind="batch", custom_id=custom_id)
        self._settled: asyncio.Future[Result] | None = None
        self.submitted_at: float | None = None

    def submitted(self, batch_id: str, when: float) -> None:
        self.batch_id = batch_id
        self.log_extra["batch_id"] = batch_id
        self.submitted_at = self.started_at = self.attempt_started_at = when
        self._set_status("waiting")

    async def _execute(self) -> Result:
        loop = asyncio.get_running_loop()
        if self._settled is None:
            self._settled = loop.create_future()
        try:
            return await asyncio.shield(self._settled)
        except asyncio.CancelledError:
            if self.done:
                return self.result  # type: ignore[return-value]
            raise  # stopped waiting: the request goes on in its batch and the log keeps it "running"

    def settle(self, outcome: dict[str, Any], *, ended_at: float | None = None) -> Result:
        """Fold this request's batch result in and end the row (synchronous: results arrive in bulk)."""
        if self.done:
            return self.result  # type: ignore[return-value]
        kind = outcome.get("type")
        failure: Failure | None = None
        if kind == "succeeded":
            for event in message_events(outcome.get("message") or {}):
                self.snapshot.apply(event)
                self._notify(event)
        elif kind == "errored":
            error = (outcome.get("error") or {}).get("error") or {}
            failure = Failure(
                "batch_errored", f"The batch request errored: {error.get('type')}: {error.get('message')}."
            )
        elif kind == "expired":
            failure = Failure("expired", "Expired: the batch ended (after 24 h) before this request was processed.")
        elif kind == "canceled":
            failure = Failure("canceled", "Canceled with its batch before it was processed.")
        else:
            failure = Failure("malformed", f"The batch returned an unknown result type {kind!r}.")
        status = RESULT_STATUS.get(str(kind), "failed")
        result = self._finish(status, failure, ended_at=ended_at)
        if self._settled is not None and not self._settled.done():
            self._settled.set_result(result)
        return result

    def restore_logged(self, row: dict[str, Any], clock: float) -> None:
        """End the row as the call log recorded it (its result was read before a restart), at its logged
        times (``clock``: this process's monotonic clock minus the wall clock)."""
        self.batch_id = row["batch_id"]
        if row["started_at"] is not None:
            self.submitted_at = self.started_at = self.attempt_started_at = row["started_at"] + clock
        ended = row["ended_at"] + clock if row["ended_at"] is not None else None
        if row["status"] == "done":
            self.settle({"type": "succeeded", "message": _restored_message(row)}, ended_at=ended)
        else:
            failure = Failure("logged", row["error"] or "Ended before this kernel started.")
            self._finish(row["status"], failure, ended_at=ended)

    def _error_text(self, status: str, failure: Failure | None) -> str | None:
        return failure.one_line() if failure is not None else super()._error_text(status, failure)



@dataclass
class BatchState:
    """What the panel shows about its batches."""

    ids: list[str]
    status: str  # submitting, in_progress, canceling, ended
    counts: dict[str, int]
    next_poll_in: float | None

    def as_dict(self) -> dict[str, Any]:
        return {"ids": self.ids, "status": self.status, "counts": self.counts, "next_poll_in": self.next_poll_in}


class BatchJob:
    """One job: its calls, the batches they were sent in, and the polling loop."""

    def __init__(
        self,
        calls: list[BatchCall],
        *,
        job: str | None = None,
        poll_interval: float = 2.0,
        max_interval: float = 60.0,
        on_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.job = job or uuid.uuid4().hex[:10]
        self.calls = calls
        self.poll_interval, self.max_interval = poll_interval, max_interval
        self.on_change = on_change
        self.batches: dict[str, dict[str, Any]] = {}  # batch id -> the latest batch object
        self._read: set[str] = set()  # batches whose results were read
        self._next_poll_at: float | None = None
        self._endpoint = calls[0].endpoint if calls else None

    # --- state ---------------------------------------------------------------------------------

    def state(self) -> BatchState:
        counts: dict[str, int] = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        statuses = set()
        for batch in self.batches.values():
            statuses.add(batch.get("processing_status"))
            for name, value in (batch.get("request_counts") or {}).items():
                counts[name] = counts.get(name, 0) + int(value)
        status = (
            "submitting" if not self.batches
            else "canceling" if "canceling" in statuses
            else "in_progress" if "in_progress" in statuses
            else "ended"
        )
        remaining = None if self._next_poll_at is None else max(0.0, self._next_poll_at - time.monotonic())
        return BatchState(list(self.batches), status, counts, remaining)

    # --- the loop --------------------------------------------------------------------------------

    async def submit(self) -> None:
        pending = [call for call in self.calls if call.batch_id is None and not call.done]
        entries = [{"custom_id": call.custom_id, "params": call.request.params()} for call in pending]
        by_id = {call.custom_id: call for call in pending}
        for chunk in split(entries) if entries else []:
            batch = await _batches_api.create_batch(chunk, endpoint=self._endpoint)
            self.batches[batch["id"]] = batch
            now = time.monotonic()
            for entry in chunk:
                call = by_id[entry["custom_id"]]
                call.submitted(batch["id"], now)
                call.start()  # the call log's row: kind batch, with its batch and custom ids
            await _committed()  # a batch missing from the log could not be resumed after a crash
            self.on_change()

    async def run(self) -> None:
        """Submit what is not submitted yet, then poll (backing off) until every call has its result."""
        await self.submit()
        for call in self.calls:  # rows restored from the log: their log row and sinks come back too
            if call.batch_id is not None and not call.done:
                call.start()
        interval = self.poll_interval
        while any(not call.done for call in self.calls):
            for batch_id in [b for b in self.batches if b not in self._read]:
                try:
                    batch = await _batches_api.retrieve_batch(batch_id, endpoint=self._endpoint)
                    self.batches[batch_id] = batch
                    if batch.get("processing_status") == "ended":
                        await self._read_results(batch_id)
                except SourceError as exc:
                    if not exc.failure.retryable:  # the batch is gone (or the key): its rows say why
                        self._fail(batch_id, exc.failure.one_line())
                    # a retryable failure (529, a dropped connection): try again at the next poll
            self.on_change()
            if all(call.done for call in self.calls):
                break
            self._next_poll_at = time.monotonic() + interval
            await asyncio.sleep(interval)
            self._next_poll_at = None
            interval = min(interval * 1.5, self.max_interval)
        self.on_change()

    async def _read_results(self, batch_id: str) -> None:
        calls = {call.custom_id: call for call in self.calls if call.batch_id == batch_id}
        if all(call.done for call in calls.values()):
            self._read.add(batch_id)  # every result is already here (from the log): read nothing
            return
        async for line in _batches_api.batch_results(batch_id, endpoint=self._endpoint):
            call = calls.get(line.get("custom_id", ""))
            if call is not None:
                call.settle(line.get("result") or {})
        self._fail(batch_id, "Missing from the batch results.")  # none may wait forever
        self._read.add(batch_id)

    def _fail(self, batch_id: str, message: str) -> None:
        for call in self.calls:
            if call.batch_id == batch_id and not call.done:
                call._finish("failed", Failure("batch", message))
        self._read.add(batch_id)

    async def cancel(self) -> None:
        """Cancel every batch still processing (through the API); rows end as its results come back."""
        for batch_id, batch in list(self.batches.items()):
            if batch.get("processing_status") == "in_progress":
                self.batches[batch_id] = await _batches_api.cancel_batch(batch_id, endpoint=self._endpoint)
        self.on_change()


def check_batch_requests(requests: list[Request]) -> None:
    if session_budget() is not None:  # a batch cannot be stopped part-way, so no cap can hold it
        raise InputError(
            "a Message Batch cannot be stopped part-way, so it cannot run under nbstream.defaults.budget: "
            "set it to None for the batch"
        )
    for number, request in enumerate(requests, start=1):
        if request.tools:
            raise InputError(
                f"row {number}: a batch runs one model turn per prompt, so tools (which need a live loop) "
                "cannot be used with batch=True"
            )
        if request.history:
            raise InputError(f"row {number}: a chat's history cannot be sent as a batch")


# --- resuming from the call log -------------------------------------------------------------------


def _log() -> Any:

    log = current_log()
    if log is None:
        raise InputError("the call log is switched off, so batches cannot be listed or resumed")
    return log


def logged_job(batch_id: str) -> tuple[str, list[dict[str, Any]]]:
    """The job a batch belongs to, and its rows from the call log, in input order."""
    if not isinstance(batch_id, str) or not batch_id.strip():
        raise InputError(f"resume needs a batch id such as 'msgbatch_...', got {batch_id!r}")
    log = _log()
    found = log.query("SELECT custom_id FROM calls WHERE batch_id = ? AND kind = 'batch' LIMIT 1", (batch_id,))
    if not found:
        raise InputError(f"the call log has no batch {batch_id!r} (see nbstream.batches())")
    job = found[0]["custom_id"].split("-")[1]
    rows = log.query("SELECT * FROM calls WHERE kind = 'batch' AND custom_id LIKE ?", (f"nbs-{job}-%",))
    return job, sorted(rows, key=lambda r: row_of(r["custom_id"]))


def restore(job: BatchJob, rows: list[dict[str, Any]]) -> None:
    """Put logged rows back in place: results already read are restored from the log, not fetched again.

    Every row keeps its logged times (when it was submitted, when it ended), so a resumed panel shows
    how long the batch really took, not the time since the resume.
    """
    clock = time.monotonic() - time.time()  # a logged wall time + clock = the same moment on this clock
    for call, row in zip(job.calls, rows, strict=True):
        call.log_extra["call_id"] = row["call_id"]  # the same log row is updated, not a new one added
        if row["status"] in ("done", "failed", "cancelled"):
            call.restore_logged(row, clock)
        else:
            submitted = row["started_at"] + clock if row["started_at"] is not None else time.monotonic()
            call.submitted(row["batch_id"], submitted)
            job.batches.setdefault(row["batch_id"], {})


def _restored_message(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["message_id"], "model": row["model"], "stop_reason": row["stop_reason"],
        "content": [{"type": "text", "text": row["text"]}] if row["text"] else [],
        "usage": {
            "input_tokens": row["input_tokens"], "output_tokens": row["output_tokens"],
            "cache_creation_input_tokens": row["cache_creation_input_tokens"],
            "cache_read_input_tokens": row["cache_read_input_tokens"], "service_tier": "batch",
        },
    }


@dataclass(frozen=True)
class BatchSummary:
    """One batch job from the call log."""

    job: str
    batch_ids: tuple[str, ...]
    created: float
    requests: int
    counts: dict[str, int]

    @property
    def finished(self) -> bool:
        return self.counts.get("running", 0) == 0


class BatchList(list):  # type: ignore[type-arg]
    """``nbstream.batches()``: recent batch jobs, newest first, with a table for notebooks."""

    def _repr_html_(self) -> str:
        from html import escape

        head = "<tr><th>batch</th><th>submitted</th><th>requests</th><th>waiting</th><th>outcomes</th></tr>"
        rows = []
        for b in self:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(b.created)) if b.created else ""
            outcomes = ", ".join(f"{n} {s}" for s, n in sorted(b.counts.items()) if s != "running")
            cells = (", ".join(b.batch_ids), when, str(b.requests), str(b.counts.get("running", 0)), outcomes)
            rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
        return f'<table class="nbstream-batches {NO_MATH}"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'


def batches(n: int = 20) -> BatchList:
    """Recent batch jobs from the call log, newest first: unfinished ones can be resumed with
    ``ParallelPanel.resume(batch_id)``."""

    check_positive_int(n, "n")
    rows = _log().query("SELECT custom_id, batch_id, status, started_at FROM calls WHERE kind = 'batch'")
    jobs: dict[str, dict[str, Any]] = {}
    for row in rows:
        job = jobs.setdefault(row["custom_id"].split("-")[1], {"ids": [], "created": row["started_at"], "counts": {}})
        if row["batch_id"] and row["batch_id"] not in job["ids"]:
            job["ids"].append(row["batch_id"])
        job["created"] = min(job["created"] or 0, row["started_at"] or 0) or row["started_at"]
        job["counts"][row["status"]] = job["counts"].get(row["status"], 0) + 1
    summaries = [
        BatchSummary(name, tuple(j["ids"]), j["created"] or 0.0, sum(j["counts"].values()), j["counts"])
        for name, j in jobs.items()
    ]
    return BatchList(sorted(summaries, key=lambda b: b.created, reverse=True)[:n])
