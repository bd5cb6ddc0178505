"""One call's lifecycle: queue, attempts, retries before the first token, streaming, tools, the end.

A :class:`Run` owns the status machine and the clock. It folds each event into its snapshot and tells
its observers (widget, panel, printer, call log) about every event and status change; they read what
they need from the run. ``await run`` always returns a :class:`Result`: a cancel, a failure or a
broken stream is a status, never an exception.

A call with tools is a loop of model turns: each turn is one streamed response (retried, as any
response, only before its first token); when it stops for ``tool_use``, the calls run concurrently
and their results go back in one message for the next turn. Text, usage and cost add up over turns;
``max_turns`` ends a runaway loop.

Cancellation: :meth:`Run.cancel` may be called from any thread (a widget's comm handler can run on a
subshell thread); it cancels the run's own task on its loop. Leaving the stream's ``async with`` closes
the HTTP response, so the server sees the connection end at once; running async tools are cancelled,
sync ones finish in their threads but their results are dropped.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Generator
from typing import Any

from . import _pricing, _source, _tools
from ._accumulate import MalformedStream, Snapshot
from ._events import (
    FINAL_STATUSES,
    Failure,
    Result,
    RunEvent,
    SourceError,
    StatusChanged,
    TextDelta,
    ThinkingDelta,
    ToolFinished,
    ToolInputDelta,
    ToolStarted,
    Usage,
)
from ._limiter import Limiter
from ._request import Request

log = logging.getLogger("nbstream")

Observer = Callable[["Run", RunEvent], None]

# A finished call the user may run again (a Retry button): it broke, failed or was stopped.
RETRYABLE_STATUSES = frozenset({"cut_off", "failed", "cancelled"})

# Calls outside a panel share this: no cap, but one backoff when the API says slow down.
shared_limiter = Limiter()
_DELTA_TYPES = (TextDelta, ToolInputDelta, ThinkingDelta)


RESULT_PREVIEW = 4000  # characters of a tool's result a view gets (the model gets all of it)


def tool_part(block: Any, state: dict[str, Any] | None) -> dict[str, Any]:
    """One tool call as a view shows it: name, arguments (JSON as streamed), state, result."""
    part: dict[str, Any] = {
        "t": "tool", "id": block.tool_id, "name": block.tool_name, "input": block.content,
        "status": "ready" if block.stopped else "forming",
    }
    if state is not None:
        part["status"] = state["status"]
        if "duration" in state:
            part["duration"] = state["duration"]
            part["result"] = state["result"][:RESULT_PREVIEW]
            part["is_error"] = state["status"] == "failed"
    return part


def backoff_delay(retries_done: int) -> float:
    """Exponential backoff with jitter, as the SDK does it: ~0.5 s, 1 s, 2 s ... capped at 8 s."""
    return min(0.5 * 2**retries_done, 8.0) * (1 - 0.25 * random.random())


class Run:
    def __init__(
        self,
        request: Request,
        *,
        endpoint: _source.Endpoint | None = None,
        limiter: Limiter | None = None,
    ) -> None:
        from ._offline import current_endpoint

        self.request = request
        self.endpoint = endpoint if endpoint is not None else current_endpoint()
        self.limiter = limiter or shared_limiter
        self.status: str = "queued"
        self.turns: list[Snapshot] = []  # finished model turns before the current one
        self.snapshot = Snapshot()  # the current model turn
        self.messages: list[dict[str, Any]] = request.messages()  # the conversation as last sent
        self.failure: Failure | None = None
        self.result: Result | None = None
        self.retry_in = 0.0
        self.attempts = 0
        self.simulated = False
        self.local = False  # a server on this machine answered: an unpriced model costs 0, shown as "local"
        self.request_id: str | None = None
        # monotonic clock marks, for ttft, rates and the panel's waterfall
        self.created_at = time.monotonic()
        self.started_at: float | None = None  # first request sent
        self.attempt_started_at: float | None = None
        self.first_token_at: float | None = None
        self.ended_at: float | None = None
        self._first_token_request_at: float | None = None
        self.wall_started_at = time.time()
        self.tool_states: dict[str, dict[str, Any]] = {}  # tool_use id -> running / done / failed, result
        self.log_extra: dict[str, Any] = {}  # extra call-log columns (a chat's name)
        self._observers: list[Observer] = []
        self._task: asyncio.Task[Result] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- control -----------------------------------------------------------------------------

    def observe(self, observer: Observer) -> None:
        self._observers.append(observer)

    def start(self) -> asyncio.Task[Result]:
        """Start on the running loop (idempotent) and return the task."""
        if self._task is None:
            from ._ledger import ledger
            from ._log import record

            self._loop = asyncio.get_running_loop()
            record(self, **self.log_extra)  # the call log: a row now, partial text while streaming, the outcome at the end
            ledger.track(self)  # the session's spend
            self._task = self._loop.create_task(self._execute(), name=f"nbstream run {self.request.model}")
        return self._task

    def __await__(self) -> Generator[Any, None, Result]:
        return self.start().__await__()

    @property
    def done(self) -> bool:
        return self.status in FINAL_STATUSES

    def cancel(self) -> None:
        """Stop the call (thread-safe). The partial text, its tokens and cost are kept."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._cancel_on_loop()
        else:
            loop.call_soon_threadsafe(self._cancel_on_loop)

    def _cancel_on_loop(self) -> None:
        # Runs on the run's loop, so checking `done` here cannot race with the run finishing.
        if self._task is not None and not self.done:
            self._task.cancel()

    # --- the lifecycle -----------------------------------------------------------------------

    async def _execute(self) -> Result:
        try:
            _source.check_credentials(self.endpoint)
            while True:
                failure = await self._turn()
                if failure is not None:
                    return self._finish("cut_off" if self.has_output else "failed", failure)
                turn = self.snapshot
                if turn.stop_reason != "tool_use" or not self.request.tools:
                    return self._finish("done")
                if len(self.turns) + 1 >= self.request.max_turns:
                    return self._finish("cut_off", Failure(
                        "turn_limit",
                        f"Stopped after {self.request.max_turns} model turns (max_turns); the model still wanted "
                        "to call tools.",
                    ))
                results = await _tools.run_calls(turn.tool_uses(), self.request.tools, self._notify)
                assistant = turn.assistant_message()
                self.messages = [*self.messages, assistant, {"role": "user", "content": results}]
                self.turns.append(turn)
                self.snapshot = Snapshot()
        except asyncio.CancelledError:
            # A user cancel, a kernel interrupt (which cancels the awaiting cell and so this task), or
            # shutdown: all end the same way. The task completes with the cancelled result.
            return self._finish("cancelled")
        except SourceError as exc:
            return self._finish("failed", exc.failure)

    async def _turn(self) -> Failure | None:
        """One model turn: attempts until a response completes, or a failure that is not retried."""
        tries = 0
        while True:
            tries += 1
            failure = await self._attempt()
            if failure is None:
                return None
            # Never retried silently once output has arrived: the text would be lost and re-billed.
            if not (failure.retryable and not self.snapshot.output_deltas and tries <= self.request.max_retries):
                return failure
            delay = failure.retry_after if failure.retry_after is not None else backoff_delay(tries - 1)
            if failure.kind in ("rate_limited", "overloaded"):
                self.limiter.backoff(delay)
            self.failure, self.retry_in = failure, delay
            self._set_status("retrying")
            await asyncio.sleep(delay)
            self.retry_in = 0.0

    async def _attempt(self) -> Failure | None:
        """One HTTP request. Returns None when the response completed, else what went wrong."""
        self.attempts += 1
        self.snapshot = snapshot = Snapshot()
        async with self.limiter.slot():
            now = time.monotonic()
            self.attempt_started_at = now
            if self.started_at is None:
                self.started_at = now
            if self.first_token_at is None:
                self._set_status("waiting")
            try:
                async with _source.open_stream(
                    self.request.params(self.messages), endpoint=self.endpoint, idle_timeout=self.request.idle_timeout
                ) as stream:
                    self.simulated, self.request_id, self.local = stream.simulated, stream.request_id, stream.local
                    async for event in stream.events:
                        snapshot.apply(event)
                        first = self.first_token_at is None and isinstance(event, _DELTA_TYPES)
                        if first:  # status first, so the frame carrying the first token says "streaming"
                            self.first_token_at = time.monotonic()
                            self._first_token_request_at = self.attempt_started_at
                            self.status = "streaming"
                            self.limiter.succeeded()
                        self._notify(event)
                        if first:
                            self._notify(StatusChanged("streaming"))
            except SourceError as exc:
                return exc.failure
            except MalformedStream as exc:
                return Failure("malformed", f"The API sent a malformed stream: {exc}.", mid_stream=True)
        if not snapshot.stopped:
            # A clean end of the body without message_stop is a cut-off stream, never a finished one.
            return Failure(
                "truncated", "The stream ended before the API said the message was complete.",
                retryable=True, mid_stream=True,
            )
        return None

    def _set_status(self, status: str) -> None:
        if status != self.status:
            self.status = status
            self._notify(StatusChanged(status))

    def _notify(self, event: RunEvent) -> None:
        if type(event) is ToolStarted:
            self.tool_states[event.tool_id] = {"status": "running", "started": time.monotonic()}
        elif type(event) is ToolFinished:
            self.tool_states[event.tool_id] = {
                "status": "done" if event.ok else "failed", "duration": event.duration, "result": event.content,
            }
        for observer in self._observers:
            try:
                observer(self, event)
            except Exception:  # a broken view must not break the call (or lose its result)
                log.exception("nbstream: an observer of %s failed", self.request.model)

    def _finish(self, status: str, failure: Failure | None = None) -> Result:
        # Synchronous from here to the return: a cancel arriving now sees `done` and does nothing.
        self.ended_at = time.monotonic()
        self.failure = failure
        self.retry_in = 0.0
        usage = self.usage()
        self.result = Result(
            text=self.text,
            status=status,
            model=self.snapshot.model or self.request.model,
            usage=usage,
            stop_reason=self.snapshot.stop_reason,
            ttft=self.ttft(),
            duration=(self.ended_at - self.started_at) if self.started_at is not None else None,
            cost=self.cost(),
            error=self._error_text(status, failure),
            prompt=self.request.prompt,
            system=self.request.system,
            message_id=self.snapshot.message_id,
            request_id=self.request_id,
            simulated=self.simulated,
            local=self.local and not _pricing.known_model(self.request.model),
            started_at=self.wall_started_at,
            attempts=self.attempts,
            turns=len(self.turns) + 1 if self.started_at is not None else 0,
        )
        self._set_status(status)
        return self.result

    def _error_text(self, status: str, failure: Failure | None) -> str | None:
        if status == "cancelled":
            return "Cancelled; the partial text was kept." if self.has_output else "Cancelled."
        if failure is None:
            return None
        line = failure.one_line()
        if self.attempts > 1 and failure.retryable and not failure.mid_stream:
            line = f"{line} (gave up after {self.attempts} attempts)"
        return line

    # --- what the call has produced so far ------------------------------------------------------

    @property
    def has_output(self) -> bool:
        return bool(self.turns) or bool(self.snapshot.output_deltas)

    @property
    def text(self) -> str:
        """The text of every turn so far (turns separated by a blank line)."""
        return "\n\n".join(t for t in (turn.text for turn in [*self.turns, self.snapshot]) if t)

    def _turn_usage(self, snap: Snapshot) -> Usage:
        """A turn's usage: the API's count once complete, else input as reported plus estimated output."""
        if snap.stopped:
            return snap.usage
        if not snap.started and not snap.output_deltas:
            return Usage()
        return Usage(
            input_tokens=snap.usage.input_tokens,
            output_tokens=snap.estimated_output_tokens(),
            cache_creation_input_tokens=snap.usage.cache_creation_input_tokens,
            cache_read_input_tokens=snap.usage.cache_read_input_tokens,
            cache_creation_1h_tokens=snap.usage.cache_creation_1h_tokens,
            service_tier=snap.usage.service_tier,
            estimated=True,
        )

    def added_turns(self) -> list[dict[str, Any]]:
        """The messages this call added to its conversation: the prompt, tool rounds, the answer.

        Empty when no answer arrived (a conversation must not end on an unanswered prompt).
        """
        answer = self.snapshot.assistant_message(complete=self.status == "done")
        if answer is None:
            return []
        return [*self.messages[len(self.request.history) :], answer]

    def parts(self) -> list[dict[str, Any]]:
        """The call as a view shows it: text and tool calls in order, over every turn."""
        parts: list[dict[str, Any]] = []
        for turn in [*self.turns, self.snapshot]:
            for _, block in sorted(turn.blocks.items()):
                if block.kind == "text" and block.content:
                    if parts and parts[-1]["t"] == "text":  # a new turn's text after text: one part
                        parts[-1]["text"] += "\n\n" + block.content
                    else:
                        parts.append({"t": "text", "text": block.content})
                elif block.kind == "tool_use":
                    parts.append(tool_part(block, self.tool_states.get(block.tool_id or "")))
        return parts

    def usage(self) -> Usage:
        """Usage added up over every turn of the call."""
        total = self._turn_usage(self.snapshot)
        for turn in self.turns:
            total = turn.usage + total
        return total

    def cost(self) -> float | None:
        """Each turn priced on its own (a long-prompt band applies per request), then added up."""
        model, local = self.request.model, self.local
        costs = [_pricing.cost(model, self._turn_usage(s), local=local) for s in [*self.turns, self.snapshot]]
        return None if None in costs else sum(costs)  # type: ignore[arg-type]

    def ttft(self) -> float | None:
        """From the request that produced the first token (retries before it are not the model's latency)."""
        if self.first_token_at is None or self._first_token_request_at is None:
            return None
        return self.first_token_at - self._first_token_request_at

    def stats(self) -> dict[str, Any]:
        """The figures a view shows; the same keys as the widget's ``stats`` trait."""
        now = self.ended_at or time.monotonic()
        usage = self.usage()
        cost = self.cost()
        elapsed = now - self.started_at if self.started_at is not None else 0.0
        generating = now - self.first_token_at if self.first_token_at is not None else 0.0
        uncached = _pricing.uncached_cost(self.request.model, usage, local=self.local)
        local_cost = self.local and not _pricing.known_model(self.request.model)
        cached = usage.cache_read_input_tokens or usage.cache_creation_input_tokens
        return {
            "output_tokens": usage.output_tokens,
            "tokens_exact": not usage.estimated,
            "input_tokens": usage.input_tokens if (self.turns or self.snapshot.started) else None,
            "cache_read_tokens": usage.cache_read_input_tokens,
            "cache_write_tokens": usage.cache_creation_input_tokens,
            "ttft": self.ttft(),
            "elapsed": elapsed,
            "rate": usage.output_tokens / generating if generating > 0.2 else None,
            "cost": cost,
            "cost_exact": not usage.estimated,
            "cost_local": local_cost,
            # What caching saved (negative: what the cache writes cost extra) against the uncached price.
            "cache_saved": (uncached - cost) if cached and not local_cost and cost is not None and uncached is not None else None,
            "turns": len(self.turns) + (1 if self.snapshot.started else 0),
        }

    def view_state(self) -> dict[str, Any]:
        """What a view shows for this run: the same fields for a StreamWidget and a panel row."""
        retrying = self.status == "retrying" and self.failure is not None
        return {
            "status": self.status,
            "stats": self.stats(),
            "error": (self.result.error or "") if self.result is not None else "",
            "notice": self.failure.one_line() if retrying else "",  # type: ignore[union-attr]
            "retry_in": self.retry_in,
            "can_retry": self.status in RETRYABLE_STATUSES,
        }

    def timeline(self, origin: float | None = None) -> dict[str, float | None]:
        """Clock marks in seconds since ``origin`` (default: the run's creation), for waterfalls.

        A run is queued until ``started``, waits for its first token until ``first_token``, then
        generates until ``ended``.
        """
        base = self.created_at if origin is None else origin

        def rel(mark: float | None) -> float | None:
            return None if mark is None else mark - base

        return {"started": rel(self.started_at), "first_token": rel(self.first_token_at), "ended": rel(self.ended_at)}
