"""The session's spend: every call that ended in this kernel, added up by model."""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass, field, replace
from typing import Any

from . import _format, _static_style
from ._budget import Budget
from ._config import defaults
from ._events import FINAL_STATUSES, StatusChanged
from ._result import Result
from ._static_style import NO_MATH  # money in these tables is not math


@dataclass(frozen=True)
class ModelSpend:
    model: str
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    cost: float = 0.0  # of the calls whose model is in the price table
    unpriced_calls: int = 0  # calls whose cost is unknown (a model the price table does not know)

    def plus(self, result: Result) -> ModelSpend:
        usage = result.usage
        return replace(
            self,
            calls=self.calls + 1,
            input_tokens=self.input_tokens + usage.input_tokens,
            output_tokens=self.output_tokens + usage.output_tokens,
            cache_write_tokens=self.cache_write_tokens + usage.cache_creation_input_tokens,
            cache_read_tokens=self.cache_read_tokens + usage.cache_read_input_tokens,
            cost=self.cost + (result.cost or 0.0),
            unpriced_calls=self.unpriced_calls + (result.cost is None),
        )


@dataclass(frozen=True)
class Spend:
    """Calls, tokens by kind and cost so far in this kernel, by model (``nbstream.spend()``)."""

    by_model: dict[str, ModelSpend] = field(default_factory=dict)
    budget: dict[str, float] | None = None  # the session budget: {"spent", "cap"} (None: no budget)

    def budget_line(self) -> str:
        """"budget $2.00 · spent $0.42 · left $1.58" ("" without a budget)."""
        if self.budget is None:
            return ""
        cap, spent = self.budget["cap"], self.budget["spent"]
        return (f"budget {_format.dollars(cap)} · spent {_format.dollars(spent)} · "
                f"left {_format.dollars(max(0.0, cap - spent))}")

    @property
    def total(self) -> ModelSpend:
        total = ModelSpend("all models")
        for row in self.by_model.values():
            total = replace(
                total,
                calls=total.calls + row.calls,
                input_tokens=total.input_tokens + row.input_tokens,
                output_tokens=total.output_tokens + row.output_tokens,
                cache_write_tokens=total.cache_write_tokens + row.cache_write_tokens,
                cache_read_tokens=total.cache_read_tokens + row.cache_read_tokens,
                cost=total.cost + row.cost,
                unpriced_calls=total.unpriced_calls + row.unpriced_calls,
            )
        return total

    def _rows(self) -> list[tuple[str, ...]]:
        rows = [*self.by_model.values(), self.total] if self.by_model else [self.total]
        return [
            (
                r.model, f"{r.calls:,}", f"{r.input_tokens:,}", f"{r.output_tokens:,}", f"{r.cache_write_tokens:,}",
                f"{r.cache_read_tokens:,}",
                _format.dollars(r.cost) + (f" + {r.unpriced_calls} unpriced" if r.unpriced_calls else ""),
            )
            for r in rows
        ]

    _HEAD = ("model", "calls", "input", "output", "cache write", "cache read", "cost")

    def __repr__(self) -> str:
        total = self.total
        budget = f", {self.budget_line()}" if self.budget else ""
        return f"Spend(calls={total.calls}, cost={_format.dollars(total.cost)}, models={sorted(self.by_model)}{budget})"

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in self._HEAD)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in self._rows())
        caption = f"<caption>{html.escape(self.budget_line())}</caption>" if self.budget else ""
        return (f'<table class="nbstream-spend {NO_MATH}">{caption}<thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table>")

    def _repr_markdown_(self) -> str:
        lines = ["| " + " | ".join(self._HEAD) + " |", "|" + "---|" * len(self._HEAD)]
        lines += ["| " + " | ".join(row) + " |" for row in self._rows()]
        if self.budget:
            lines += ["", _static_style.escape_dollars(self.budget_line())]
        return "\n".join(lines)


class Ledger:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_model: dict[str, ModelSpend] = {}
        self._total_cost = 0.0  # kept as calls end: a budget reads it after every streamed event

    def add(self, result: Result) -> None:
        with self._lock:
            row = self._by_model.get(result.model, ModelSpend(result.model))
            self._by_model[result.model] = row.plus(result)
            self._total_cost += result.cost or 0.0

    def total_cost(self) -> float:
        return self._total_cost

    def track(self, run: Any) -> None:
        """Add the run's result when it ends (whatever its status: a cancelled call was billed too)."""

        def on_event(r: Any, event: Any) -> None:
            if type(event) is StatusChanged and event.status in FINAL_STATUSES:
                self.add(r.result)

        run.observe(on_event)

    def spend(self) -> Spend:
        budget = session_budget()
        with self._lock:
            by_model = dict(self._by_model)
        return Spend(by_model, budget.as_dict() if budget is not None else None)

    def reset(self) -> None:
        with self._lock:
            self._by_model.clear()
            self._total_cost = 0.0


ledger = Ledger()


def spend() -> Spend:
    """Calls, tokens by kind (input, output, cache write, cache read) and cost so far in this kernel."""
    return ledger.spend()


# --- the session's budget: a cap over what the ledger has counted -----------------------------------

_session: Budget | None = None


def session_budget() -> Budget | None:
    """This kernel's budget (``nbstream.defaults.budget``), over everything the ledger has counted."""
    global _session
    if defaults.budget is None:
        return None
    if _session is None:
        _session = Budget(lambda: defaults.budget, name="the session budget", base=ledger.total_cost)
    return _session
