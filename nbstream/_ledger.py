"""The session's spend: every call that ended in this kernel, added up by model."""

from __future__ import annotations

import html
import threading
from dataclasses import dataclass, field, replace
from typing import Any

from . import _format
from ._events import FINAL_STATUSES, StatusChanged
from ._result import Result


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
        return f"Spend(calls={total.calls}, cost={_format.dollars(total.cost)}, models={sorted(self.by_model)})"

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{h}</th>" for h in self._HEAD)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in self._rows())
        return f'<table class="nbstream-spend"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    def _repr_markdown_(self) -> str:
        lines = ["| " + " | ".join(self._HEAD) + " |", "|" + "---|" * len(self._HEAD)]
        lines += ["| " + " | ".join(row) + " |" for row in self._rows()]
        return "\n".join(lines)


class Ledger:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_model: dict[str, ModelSpend] = {}

    def add(self, result: Result) -> None:
        with self._lock:
            row = self._by_model.get(result.model, ModelSpend(result.model))
            self._by_model[result.model] = row.plus(result)

    def track(self, run: Any) -> None:
        """Add the run's result when it ends (whatever its status: a cancelled call was billed too)."""

        def on_event(r: Any, event: Any) -> None:
            if type(event) is StatusChanged and event.status in FINAL_STATUSES:
                self.add(r.result)

        run.observe(on_event)

    def spend(self) -> Spend:
        with self._lock:
            return Spend(dict(self._by_model))

    def reset(self) -> None:
        with self._lock:
            self._by_model.clear()


ledger = Ledger()


def spend() -> Spend:
    """Calls, tokens by kind (input, output, cache write, cache read) and cost so far in this kernel."""
    return ledger.spend()
