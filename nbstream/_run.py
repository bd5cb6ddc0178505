"""One call's lifecycle: queue, attempts, retries before the first token, streaming, tools, the end.

A :class:`Run` owns the status machine and the clock. It folds each event into its snapshot and tells
its observers (widget, panel, printer, call log) about every event and status change; they read what
they need from the run. ``await run`` always returns a :class:`Result`: a cancel, a failure or a
broken stream is a status, never an exception.

A call with tools is a loop of model turns: each turn is one streamed response (retried, as any
response, only before its first token); when it stops for ``tool_use``, the calls run concurrently
and their results go back in one message for the next turn. Text, usage and cost add up over turns;
``max_turns`` ends a runaway loop.

Cancellation comes in two kinds:

- A user's cancel (the Cancel button, :meth:`Run.cancel`, a panel's "Cancel all", the kernel interrupt of
  a ``%%llm`` cell) ends the run ``cancelled`` and ``await run`` returns that result. It sticks whenever
  it comes: a run cancelled before it has started never sends a request. :meth:`Run.cancel` may be called
  from any thread (a widget's comm handler can run on a subshell thread).
- A cancellation from outside (``asyncio.timeout`` around ``await run``, a task group, shutdown) also ends
  the run ``cancelled`` with its partial result recorded (``run.result``, the call log), and then
  propagates: ``await run`` raises ``CancelledError``, so the timeout or task group works as asyncio says.

Either way, leaving the stream's ``async with`` closes the HTTP response, so the server sees the
connection end at once; running async tools are cancelled, sync ones finish in their threads but their
results are dropped.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Generator, Sequence
from typing import Any

from . import _client, _log, _pricing, _replay, _stop_reasons, _tools
from ._accumulate import MalformedStream, Snapshot
from ._approve import Approvals, NoDecision
from ._budget import Budget
from ._events import (
    FINAL_STATUSES,
    BlockStarted,
    CitationDelta,
    Failure,
    OtherDelta,
    RunEvent,
    SignatureDelta,
    SourceError,
    StatusChanged,
    TextDelta,
    ThinkingDelta,
    ToolAwaitingApproval,
    ToolFinished,
    ToolInputDelta,
    ToolStarted,
    Usage,
)
from ._limiter import Limiter
from ._request import Request
from ._result import Result
from ._session import Session, current_session

log = logging.getLogger("nbstream")

Observer = Callable[["Run", RunEvent], None]

_DELTA_TYPES = (TextDelta, ToolInputDelta, ThinkingDelta, SignatureDelta, CitationDelta, OtherDelta)


def is_output(event: object) -> bool:
    """Whether an event is the model's output of any kind: a delta, or a block that arrives whole (a
    server tool's result, redacted thinking, a block type nbstream does not know)."""
    if isinstance(event, _DELTA_TYPES):
        return True
    return type(event) is BlockStarted and (event.kind == "redacted_thinking" or (
        event.block is not None and event.kind != "server_tool_use"))


def backoff_delay(retries_done: int) -> float:
    """Exponential backoff with jitter, as the SDK does it: ~0.5 s, 1 s, 2 s ... capped at 8 s."""
    return float(min(0.5 * 2**retries_done, 8.0) * (1 - 0.25 * random.random()))


class Run:
    cancellable = True  # a view may offer Cancel for it (one request of a batch cannot be cancelled alone)
    retryable = True  # a view may offer Retry once it broke, failed or was cancelled
    def __init__(
        self,
        request: Request,
        *,
        session: Session | None = None,
        endpoint: _client.Endpoint | None = None,
        limiter: Limiter | None = None,
        budgets: Sequence[Budget] = (),
    ) -> None:
        """``session`` carries the services (default: this kernel's); ``endpoint`` and ``limiter``
        override one of them (a panel's rows share the panel's limiter); ``budgets`` are caps besides the
        session's (a cell's, a panel's)."""
        self.request = request
        self.session = session if session is not None else current_session(endpoint)
        self.endpoint = endpoint if endpoint is not None else self.session.endpoint
        self.limiter = limiter or self.session.limiter
        self._own_budgets = tuple(budgets)
        self.budgets = [b for b in (self.session.budget, *budgets) if b is not None]
        self.stopped_for: Failure | None = None  # why the run was stopped from inside nbstream (a budget)
        self.status: str = "queued"
        self.turns: list[Snapshot] = []  # finished model turns before the current one
        self.snapshot = Snapshot()  # the current model turn
        # _turn_usage's last estimate: (snapshot, its usage, its deltas, their weight, the estimate)
        self._estimate: tuple[Snapshot, Usage, int, float, Usage] | None = None
        self.messages: list[dict[str, Any]] = request.messages()  # the conversation as last sent
        self.failure: Failure | None = None
        self.result: Result | None = None
        self.retry_in = 0.0
        self.attempts = 0
        self.simulated = False
        self.local = False  # a server on this machine answered: an unpriced model costs 0, shown as "local"
        self.replay: str | None = None  # "replayed" / "recorded": a recording answered, no request to the API
        self.request_id: str | None = None
        # monotonic clock marks, for ttft, rates and the panel's waterfall
        self.created_at = time.monotonic()
        self.started_at: float | None = None  # first request sent
        self.attempt_started_at: float | None = None
        self.first_token_at: float | None = None  # the first output of any kind (thinking included)
        self.first_text_at: float | None = None  # the first text of the answer
        self.pauses = 0  # pause_turn continuations so far
        self.ended_at: float | None = None
        self._first_token_request_at: float | None = None
        # Generation time only: from each response's first token to its end, tools and waits left out.
        self._generated_for = 0.0  # seconds, over the responses that have ended
        self._response_first_token_at: float | None = None  # of the response streaming now
        self.tool_time = 0.0  # seconds the model's tool calls ran (between turns)
        self.retry_waits: list[tuple[Failure, float]] = []  # each retry before the first token: why, how long
        self.wall_started_at = time.time()
        self.tool_states: dict[str, dict[str, Any]] = {}  # tool_use id -> running / done / failed, result
        self.log_extra: dict[str, Any] = {}  # extra call-log columns (a chat's name)
        # approve=True: tool calls wait for the user's decision (decide() from a view's Approve / Deny)
        self.approvals = Approvals(request.approve_timeout) if request.approve else None
        self._observers: list[Observer] = []
        self._task: asyncio.Task[Result] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._cancel_requested = False  # a user's cancel: sticks even before the run has started
        self._running = False  # the task's coroutine has begun (before that, task.cancel() would skip it)

    def again(self) -> Run:
        """A fresh run of the same request for a Retry: the same services, log columns and observers
        (a chat that tracks the call sees the retried answer)."""
        run = Run(
            self.request, session=self.session, endpoint=self.endpoint, limiter=self.limiter, budgets=self._own_budgets
        )
        run.log_extra = dict(self.log_extra)
        run._observers = list(self._observers)
        return run

    # --- control -----------------------------------------------------------------------------

    def observe(self, observer: Observer) -> None:
        self._observers.append(observer)

    def start(self) -> asyncio.Task[Result]:
        """Start on the running loop (idempotent) and return the task."""
        if self._task is None:
            self._loop = asyncio.get_running_loop()
            if self.session.log is not None:  # a row now, partial text while streaming, the outcome at the end
                _log.record(self, self.session.log, **self.log_extra)
            self.session.ledger.track(self)
            for budget in self.budgets:
                budget.track(self)
            self._task = self._loop.create_task(self._main(), name=f"nbstream run {self.request.model}")
        return self._task

    def __await__(self) -> Generator[Any, None, Result]:
        return self.start().__await__()

    @property
    def done(self) -> bool:
        return self.status in FINAL_STATUSES

    def cancel(self) -> None:
        """Stop the call (thread-safe), whenever it comes: a run not started yet never sends a request.
        The partial text, its tokens and cost are kept; ``await run`` returns the cancelled result."""
        self._cancel_requested = True
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # not started: start() ends it at once
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._cancel_on_loop()
        else:
            loop.call_soon_threadsafe(self._cancel_on_loop)

    def stop(self, failure: Failure) -> None:
        """End the call as a cancel does, for a reason of nbstream's (a budget's cap): the connection is
        closed, the partial text kept, and the result says why (``cut_off``, or ``failed`` before any text)."""
        if not self.done:
            self.stopped_for = failure
            self.cancel()

    def _cancelled(self) -> Result:
        stop = self.stopped_for
        if stop is None:
            return self._finish("cancelled")
        return self._finish("cut_off" if self.has_output else "failed", stop)

    def _cancel_on_loop(self) -> None:
        # Runs on the run's loop, so checking `done` here cannot race with the run finishing.
        if self._task is not None and self._running and not self.done:
            self._task.cancel()  # else _execute sees the flag when it begins

    def decide(self, tool_id: str | None, approved: bool) -> None:
        """Approve or deny a tool call waiting for a decision (``None``: all of them); thread-safe."""
        approvals, loop = self.approvals, self._loop
        if approvals is None or loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(approvals.decide, tool_id, approved)

    # --- the lifecycle -----------------------------------------------------------------------

    async def _main(self) -> Result:
        self._running = True
        if self._cancel_requested:  # cancelled before it began: nothing is sent
            return self._cancelled()
        try:
            return await self._execute()
        except Exception as exc:  # a defect of nbstream's own: the call still ends, in a clear state
            log.exception("nbstream: a call to %s failed inside nbstream", self.request.model)
            if self.done:
                raise
            return self._finish("cut_off" if self.has_output else "failed", Failure(
                "api_error", f"nbstream failed while running this call ({type(exc).__name__}: {exc})."
            ))

    async def _execute(self) -> Result:
        try:
            _client.check_credentials(self.endpoint)
            while True:
                failure = await self._turn()
                if failure is not None:
                    return self._finish("cut_off" if self.has_output else "failed", failure)
                turn = self.snapshot
                ending = _stop_reasons.ending(turn.stop_reason, turn.stop_details, pauses=self.pauses)
                if ending is not None:
                    return self._finish("cut_off" if self.has_output else "failed", ending)
                if turn.stop_reason == "pause_turn":  # the API continues its turn from the content sent back
                    self.pauses += 1
                    paused = turn.assistant_message()
                    self.messages = [*self.messages, *([paused] if paused is not None else [])]
                    self.turns.append(turn)
                    self.snapshot = Snapshot()
                    continue
                if turn.stop_reason != "tool_use" or not self.request.tools:
                    return self._finish("done")
                if len(self.turns) + 1 >= self.request.max_turns:
                    return self._finish("cut_off", Failure(
                        "turn_limit",
                        f"Stopped after {self.request.max_turns} model turns (max_turns); the model still wanted "
                        "to call tools.",
                    ))
                tools_started = time.monotonic()
                try:
                    results = await _tools.run_calls(turn.tool_uses(), self.request.tools, self._notify, self.approvals)
                except NoDecision as exc:  # approve=True and nobody answered: the run ends, cleanly
                    return self._finish("cut_off", Failure("not_approved", str(exc)))
                self.tool_time += time.monotonic() - tools_started
                assistant = turn.assistant_message()
                assert assistant is not None  # a turn that stopped for tool_use has blocks
                self.messages = [*self.messages, assistant, {"role": "user", "content": results}]
                self.turns.append(turn)
                self.snapshot = Snapshot()
        except asyncio.CancelledError:
            result = self._cancelled()  # recorded either way: the log, the ledger, run.result
            if not self._cancel_requested:
                raise  # from outside (a timeout, a task group, shutdown): theirs to handle
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # the user's cancel is handled here: the task completes with the result
            return result
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
            self.retry_waits.append((failure, delay))
            self._set_status("retrying")
            await asyncio.sleep(delay)
            self.retry_in = 0.0

    async def _attempt(self) -> Failure | None:
        """One HTTP request. Returns None when the response completed, else what went wrong."""
        self.attempts += 1
        self.snapshot = snapshot = Snapshot()
        async with self.limiter.slot():
            route = await _replay.route(self)  # a recording may answer (costs nothing), or a lesson refuse
            if isinstance(route, Failure):
                return route
            if route is not None:  # its client now, as for the API's before the first turn: not in the TTFT
                _client.check_credentials(route.endpoint)
            for budget in self.budgets if route is None else ():  # the input must fit, else nothing is sent
                if (refused := budget.admit(self)) is not None:
                    return refused
            now = time.monotonic()
            self.attempt_started_at = now
            if self.started_at is None:
                self.started_at = now
            if self.first_token_at is None:
                self._set_status("waiting")
            try:
                async with _client.open_stream(
                    self.request.params(self.messages), endpoint=self.endpoint if route is None else route.endpoint,
                    idle_timeout=self.request.idle_timeout, extra_headers=None if route is None else route.headers(),
                ) as stream:
                    self.simulated, self.request_id, self.replay = stream.simulated, stream.request_id, stream.replay
                    self.local = stream.local and not stream.replay
                    async for event in stream.events:
                        snapshot.apply(event)
                        output = is_output(event)
                        if self._response_first_token_at is None and output:
                            self._response_first_token_at = time.monotonic()
                        if self.first_text_at is None and type(event) is TextDelta:
                            self.first_text_at = time.monotonic()
                        first = self.first_token_at is None and output
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
            finally:
                self._end_response()
        if not snapshot.stopped:
            # A clean end of the body without message_stop is a cut-off stream, never a finished one.
            return Failure(
                "truncated", "The stream ended before the API said the message was complete.",
                retryable=True, mid_stream=True,
            )
        return None

    def _end_response(self) -> None:
        if self._response_first_token_at is not None:
            self._generated_for += time.monotonic() - self._response_first_token_at
            self._response_first_token_at = None

    def generation_time(self) -> float:
        """Seconds spent generating: each response from its first token to its end (tools, retries and
        the wait for a later turn's first token are not generation)."""
        now = self.ended_at or time.monotonic()
        current = self._response_first_token_at
        return self._generated_for + (now - current if current is not None else 0.0)

    def output_rate(self) -> float | None:
        """Output tokens per second of generation: the one definition every view shows."""
        generating = self.generation_time()
        return self.usage().output_tokens / generating if generating > 0.2 else None

    def first_token_after(self) -> float | None:
        """Seconds from the call's first request to its first token, retries and their waits included."""
        if self.first_token_at is None or self.started_at is None:
            return None
        return self.first_token_at - self.started_at

    def _set_status(self, status: str) -> None:
        if status != self.status:
            self.status = status
            self._notify(StatusChanged(status))

    def _notify(self, event: RunEvent) -> None:
        if type(event) is ToolStarted:
            self.tool_states[event.tool_id] = {"status": "running", "started": time.monotonic()}
        elif type(event) is ToolAwaitingApproval:
            self.tool_states[event.tool_id] = {"status": "asking"}
        elif type(event) is ToolFinished:
            self.tool_states[event.tool_id] = {
                "status": "done" if event.ok else "failed", "duration": event.duration, "result": event.content,
            }
        for observer in self._observers:
            try:
                observer(self, event)
            except Exception:  # a broken view must not break the call (or lose its result)
                log.exception("nbstream: an observer of %s failed", self.request.model)

    def _finish(self, status: str, failure: Failure | None = None, *, ended_at: float | None = None) -> Result:
        # Synchronous from here to the return: a cancel arriving now sees `done` and does nothing.
        # (`ended_at`: when a call known from the call log really ended, on this process's clock.)
        self._end_response()
        self.ended_at = time.monotonic() if ended_at is None else ended_at
        data = None
        if status == "done" and self.request.schema is not None:  # structured output: parsed, or a clear failure
            data, problem = self.request.schema.read(self.text, self.snapshot.stop_reason)
            if problem is not None:
                status, failure = "failed", Failure("invalid_output", problem)
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
            rate=self.output_rate(),
            first_token_after=self.first_token_after(),
            retry_wait=sum(delay for _, delay in self.retry_waits),
            tool_time=self.tool_time,
            stop_details=self.snapshot.stop_details,
            citations=[c for turn in [*self.turns, self.snapshot] for c in turn.citations()],
            content=[b.as_data() for turn in [*self.turns, self.snapshot] for _, b in sorted(turn.blocks.items())],
            thinking="\n\n".join(
                b.content for turn in [*self.turns, self.snapshot] for _, b in sorted(turn.blocks.items())
                if b.kind == "thinking" and b.content
            ),
            data=data,
            replay=self.replay,
            original_cost=self.priced_cost() if self.replay else None,
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
        # A view asks several times per frame (tokens, cost, the uncached cost, a panel's totals): the
        # estimate is made once per state of the turn (its reported usage and deltas so far).
        last = self._estimate
        if (last is not None and last[0] is snap and last[1] is snap.usage and last[2] == snap.output_deltas
                and last[3] == snap.output_weight):
            return last[4]
        usage = Usage(
            input_tokens=snap.usage.input_tokens,
            output_tokens=snap.estimated_output_tokens(),
            cache_creation_input_tokens=snap.usage.cache_creation_input_tokens,
            cache_read_input_tokens=snap.usage.cache_read_input_tokens,
            cache_creation_1h_tokens=snap.usage.cache_creation_1h_tokens,
            service_tier=snap.usage.service_tier,
            estimated=True,
        )
        self._estimate = (snap, snap.usage, snap.output_deltas, snap.output_weight, usage)
        return usage

    def added_turns(self) -> list[dict[str, Any]]:
        """The messages this call added to its conversation: the prompt, tool rounds, the answer.

        Empty when no answer arrived (a conversation must not end on an unanswered prompt).
        """
        answer = self.snapshot.assistant_message(complete=self.status == "done")
        if answer is None:
            return []
        return [*self.messages[len(self.request.history) :], answer]

    def usage(self) -> Usage:
        """Usage added up over every turn of the call."""
        total = self._turn_usage(self.snapshot)
        for turn in self.turns:
            total = turn.usage + total
        return total

    def cost(self) -> float | None:
        """What the call costs: its tokens at their price, or nothing for a replayed or recorded reply."""
        return 0.0 if self.replay else self.priced_cost()

    def priced_cost(self) -> float | None:
        """Each turn priced on its own (a long-prompt band applies per request), then added up."""
        model, local = self.request.model, self.local
        fast = self.request.settings.speed == "fast"
        turns = [*self.turns, self.snapshot]
        costs = [_pricing.cost(model, self._turn_usage(s), local=local, fast=fast) for s in turns]
        return None if None in costs else sum(costs)  # type: ignore[arg-type]

    def first_text_after(self) -> float | None:
        """Seconds from the request that produced the first token to the first text (thinking and server
        tools before the answer make it later than the TTFT)."""
        if self.first_text_at is None or self._first_token_request_at is None:
            return None
        return self.first_text_at - self._first_token_request_at

    def ttft(self) -> float | None:
        """From the request that produced the first token (retries before it are not the model's latency)."""
        if self.first_token_at is None or self._first_token_request_at is None:
            return None
        return self.first_token_at - self._first_token_request_at
