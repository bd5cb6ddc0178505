"""Counting a prompt's tokens before anything is generated (the API's count_tokens endpoint)."""

from __future__ import annotations

from dataclasses import dataclass

from typing_extensions import Unpack

from . import _client, _format, _lesson, _pricing, _static_style
from ._events import Usage
from ._offline import current_endpoint
from ._recording import request_key
from ._request import CallOptions, Request, make_request


@dataclass(frozen=True)
class TokenCount:
    """What a prompt will cost to send: its input tokens, their price, and the most output could add."""

    model: str
    input_tokens: int
    max_tokens: int
    input_cost: float | None
    max_output_cost: float | None

    def summary(self) -> str:
        line = f"{self.input_tokens:,} input tokens on {self.model} · input {_format.dollars(self.input_cost)}"
        if self.max_output_cost is not None:
            line += (
                f" · up to {self.max_tokens:,} output tokens would add at most {_format.dollars(self.max_output_cost)}"
            )
        return line

    def __repr__(self) -> str:
        return f"TokenCount({self.summary()})"

    def _repr_html_(self) -> str:
        # Hosts typeset $…$ in the HTML and Markdown they render: "$0.0021 … up to $0.0200" is money.
        return _static_style.plain_html(self.summary())

    def _repr_markdown_(self) -> str:
        return _static_style.escape_dollars(self.summary())


async def count_tokens(request: Request) -> TokenCount:
    """Ask the API (or the offline model) how many input tokens this request has. Sends no generation."""
    params = request.params()
    lesson = _lesson.current()
    if lesson is not None and current_endpoint() == lesson.endpoint:  # a recorded lesson: its own count
        tokens = lesson.input_tokens(request_key(params))
    else:
        tokens = await _client.count_tokens(params, endpoint=current_endpoint())
    fast = request.settings.speed == "fast"
    input_cost = _pricing.cost(request.model, Usage(input_tokens=tokens), fast=fast)
    with_output = _pricing.cost(request.model, Usage(input_tokens=tokens, output_tokens=request.max_tokens), fast=fast)
    max_output_cost = None if with_output is None or input_cost is None else with_output - input_cost
    return TokenCount(request.model, tokens, request.max_tokens, input_cost, max_output_cost)


async def count(prompt: str, **options: Unpack[CallOptions]) -> TokenCount:
    """``await nbstream.count("prompt", model="sonnet")``: input tokens and cost, before generating."""
    return await count_tokens(make_request(prompt, **options))
