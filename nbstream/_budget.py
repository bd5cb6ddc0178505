"""Budgets that hold: a cap in US dollars over a set of calls (this kernel's session, one cell, one panel).

Before a call is sent, the input it would cost (a local estimate, as close as ``--count`` would say) must
fit in what is left, else it is refused and nothing is sent. While calls stream, the budget adds up their
running cost after every event; when the total reaches the cap, every call under it that is still going
stops at once (the connection closed, the partial text kept) and those not yet sent end without a request.
So what may be overspent is at most the tokens already in flight when the cap was reached.

A model without a price cannot be budgeted: with a budget set it is refused, unless a server on this
machine answers it (no API cost) or the user gives its price (``nbstream.set_price``).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from . import _format, _pricing
from ._accumulate import token_weight
from ._events import (
    FINAL_STATUSES,
    Failure,
    MessageDelta,
    MessageStarted,
    StatusChanged,
    TextDelta,
    ThinkingDelta,
    ToolInputDelta,
    Usage,
)
from ._local import is_loopback
from ._validate import check_budget

if TYPE_CHECKING:
    from ._run import Run

_COSTLY = (TextDelta, ToolInputDelta, ThinkingDelta, MessageStarted, MessageDelta)


def estimate_input_tokens(params: dict[str, Any]) -> int:
    """What the request's prompt weighs in tokens, estimated locally (nothing is sent): the larger of the
    live estimate's weight and four characters a token, so it errs on the side of the budget."""
    text = json.dumps(
        {k: params.get(k) for k in ("system", "messages", "tools")}, ensure_ascii=False, default=str
    )
    return int(max(token_weight(text), len(text) / 4)) + 1


class Budget:
    """A cap over the calls it tracks. ``base`` adds spend made elsewhere (the session's ledger)."""

    def __init__(
        self, cap: float | Callable[[], float | None], *, name: str, base: Callable[[], float] | None = None
    ) -> None:
        self._cap = cap
        self.name = name  # "the session budget", "the cell's budget", "the panel's budget"
        self._base = base
        self._lock = threading.Lock()
        self._finished = 0.0  # cost of the calls that ended (when there is no base to count them)
        self._live: dict[int, float] = {}  # id(run) -> its running cost (or its reserved input cost)
        self._live_total = 0.0
        self._runs: dict[int, Run] = {}  # calls not ended yet: stopped when the cap is reached
        self.reached_at: float | None = None  # time.monotonic() when the cap was first reached

    @property
    def cap(self) -> float | None:
        return self._cap() if callable(self._cap) else self._cap

    def spent(self) -> float:
        """Spent so far: ended calls, plus the running cost of the calls in flight."""
        base = self._base() if self._base is not None else self._finished
        return base + self._live_total

    def left(self) -> float | None:
        cap = self.cap
        return None if cap is None else max(0.0, cap - self.spent())

    def as_dict(self) -> dict[str, float] | None:
        cap = self.cap
        return None if cap is None else {"spent": self.spent(), "cap": cap}

    # --- before a call is sent ------------------------------------------------------------------

    def admit(self, run: Run) -> Failure | None:
        """None if the call may be sent (its input cost is then reserved), else why not."""
        cap = self.cap
        if cap is None:
            return None
        model = run.request.model
        if _pricing.cost(model, Usage(input_tokens=1)) is None and not _answered_here(run):
            return Failure("budget", f"{model} has no price, so {self.name} cannot hold it; nothing was sent. "
                           f"Give its price: nbstream.set_price({model!r}, input=..., output=...).")
        estimate = _pricing.cost(model, Usage(input_tokens=estimate_input_tokens(run.request.params(run.messages))))
        estimate = estimate or 0.0
        with self._lock:
            spent = self.spent()
            if spent >= cap or spent + estimate > cap:  # (a cap raised later lets calls through again)
                return self._refusal(cap, spent, estimate)
            self._set_live(run, max(self._live.get(id(run), 0.0), estimate))
        return None

    def _refusal(self, cap: float, spent: float, estimate: float) -> Failure:
        left = max(0.0, cap - spent)
        if left == 0:
            why = f"{self.name} of {_format.dollars(cap)} is spent ({_format.dollars(spent)})"
        else:
            why = (f"its input would cost about {_format.dollars(estimate)} and {_format.dollars(left)} of "
                   f"{self.name} of {_format.dollars(cap)} is left")
        return Failure("budget", f"Not sent: {why}.")

    # --- while calls run -------------------------------------------------------------------------

    def track(self, run: Run) -> None:
        with self._lock:
            self._runs[id(run)] = run
        run.observe(self._on_run)

    def _on_run(self, run: Run, event: object) -> None:
        if type(event) is StatusChanged and event.status in FINAL_STATUSES:
            with self._lock:
                self._set_live(run, None)
                self._runs.pop(id(run), None)
                if self._base is None and run.result is not None:
                    self._finished += run.result.cost or 0.0
            return
        if not isinstance(event, _COSTLY):
            return
        cost = run.cost() or 0.0
        with self._lock:
            self._set_live(run, max(cost, self._live.get(id(run), 0.0)))
            cap = self.cap
            reached = cap is not None and self.spent() >= cap
            if reached:
                self.reached_at = self.reached_at or time.monotonic()  # the first time, for tests and reports
                # A response whose final count brought the cap is complete: it ends as it is, the others stop.
                complete = run if type(event) is MessageDelta else None
                stopping = [r for r in self._runs.values()
                            if not r.done and r.stopped_for is None and r is not complete]
        if reached:
            spent = f"{self.name} of {_format.dollars(cap)} is spent"
            stopped = Failure("budget", f"Stopped: {spent}; the partial text was kept.")
            unsent = Failure("budget", f"Not sent: {spent}.")
            for other in stopping:  # in flight: the connection closes now; queued: no request at all
                other.stop(stopped if other.started_at is not None else unsent)

    def _set_live(self, run: Run, cost: float | None) -> None:
        old = self._live.pop(id(run), 0.0) if cost is None else self._live.get(id(run), 0.0)
        if cost is not None:
            self._live[id(run)] = cost
        self._live_total += (cost or 0.0) - old


def budget_of(value: object, name: str) -> list[Budget]:
    """A view's ``budget=`` (dollars, or a Budget shared with other views) as the list a Run takes."""
    if isinstance(value, Budget):
        return [value]
    cap = check_budget(value)
    return [] if cap is None else [Budget(cap, name=name)]


def _answered_here(run: Run) -> bool:
    """The call goes to a server on this machine: a model without a price costs nothing there."""
    url = run.endpoint.base_url if run.endpoint is not None else os.environ.get("ANTHROPIC_BASE_URL", "")
    return bool(url) and is_loopback(url)


def tightest(budgets: Sequence[Budget]) -> dict[str, float] | None:
    """The budget with the least left, as ``{"spent", "cap"}``, for a view's header (None: no budget)."""
    shown = [b.as_dict() for b in budgets]
    figures = [f for f in shown if f is not None]
    return min(figures, key=lambda f: f["cap"] - f["spent"]) if figures else None


def budget_text(figures: dict[str, float] | None) -> str:
    """"$0.04 of $0.10 budget" (the header's and the summary's words, as js/stream_header.js writes them)."""
    if not figures:
        return ""
    return f"{_format.dollars(figures['spent'])} of {_format.dollars(figures['cap'])} budget"
