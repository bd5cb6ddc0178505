"""The result of one call: the same type for a cell, a widget, a panel row, a batch row, the call log."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import _format, _static_copy
from ._events import Usage


@dataclass(frozen=True)
class Result:
    """The outcome of one call: the same type for a cell, a widget, a panel row, a batch row.

    ``status`` is ``done``, ``cancelled``, ``failed`` or ``cut_off`` (the stream broke after text had
    arrived; ``text`` holds the partial text). ``ttft`` and ``duration`` are in seconds, ``cost`` in US
    dollars (None when the model is not in the price table). ``error`` is a one-line message or None.
    """

    text: str
    status: str
    model: str
    usage: Usage = field(default_factory=Usage)
    stop_reason: str | None = None
    ttft: float | None = None
    duration: float | None = None
    cost: float | None = None
    error: str | None = None
    prompt: str = ""
    system: str | None = None
    message_id: str | None = None
    request_id: str | None = None
    simulated: bool = False
    local: bool = False  # a server on this machine answered a model with no price: cost 0, shown as "local"
    started_at: float | None = None  # wall-clock epoch seconds
    attempts: int = 1
    turns: int = 1  # model turns (more than one when the model called tools)
    rate: float | None = None  # output tokens per second of generation (tool runs and waits left out)
    first_token_after: float | None = None  # seconds from the first request to the first token (retries in)
    retry_wait: float = 0.0  # seconds waited between attempts before the first token (429, 529, ...)
    tool_time: float = 0.0  # seconds the model's tool calls ran
    stop_details: dict[str, Any] | None = None  # a refusal's {category, explanation}
    citations: list[dict[str, Any]] = field(default_factory=list)  # the sources the answer cites, in order
    content: list[dict[str, Any]] = field(default_factory=list)  # every block of every turn, unknown types too
    thinking: str = ""  # the thinking text the API showed (empty when its display omits it)
    data: Any = None  # with a schema: the reply parsed and checked (a dict, or the pydantic model's instance)
    replay: str | None = None  # "replayed" (from the call log) or "recorded" (from a lesson): no request sent
    original_cost: float | None = None  # a replayed or recorded reply's cost when it was made (``cost`` is 0)

    @property
    def ok(self) -> bool:
        return self.status == "done"

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        preview = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        cost = "local" if self.local else "unknown" if self.cost is None else _format.dollars(self.cost)
        return (
            f"Result(status={self.status!r}, model={self.model!r}, "
            f"output_tokens={self.usage.output_tokens}, cost={cost}, text={preview!r})"
        )

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        return _static_copy.static_copy_bundle(self)
