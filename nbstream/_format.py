"""Human formatting of the figures every surface shows (the front end has its twin in js/format.js)."""

from __future__ import annotations

from ._events import Result
from ._local import LOCAL_COST_LABEL

STATUS_LABELS = {
    "queued": "queued",
    "waiting": "waiting",
    "retrying": "retrying",
    "streaming": "streaming",
    "done": "done",
    "cancelled": "cancelled",
    "failed": "failed",
    "cut_off": "cut off",
}


def seconds(value: float | None) -> str:
    """0.41 s, 12.3 s, 1 min 5 s, 1 h 2 min (the same rules as js/format.js)."""
    if value is None:
        return "-"
    value = max(0.0, value)
    if value < 0.995:
        return f"{value:.2f} s"
    if value < 59.95:
        return f"{value:.1f} s"
    total = round(value)
    if total < 3600:
        return f"{total // 60} min {total % 60} s"
    return f"{total // 3600} h {total % 3600 // 60} min"


def rate(value: float) -> str:
    return f"{value:.1f} tok/s" if value < 9.95 else f"{value:,.0f} tok/s"


def dollars(value: float | None, *, estimated: bool = False) -> str:
    """$0.0021, $1.23, <$0.0001, with ~ while estimated; "cost unknown" for None."""
    if value is None:
        return "cost unknown"
    prefix = "~" if estimated else ""
    value = max(0.0, value)
    if value == 0:
        return f"{prefix}$0.00"
    if value < 0.0001:
        return f"{prefix}<$0.0001"
    return f"{prefix}${value:.4f}" if value < 1 else f"{prefix}${value:,.2f}"


def result_cost(result: Result) -> str:
    """A result's cost as shown: dollars, or "local" for an unpriced model a server on this machine ran."""
    return LOCAL_COST_LABEL if result.local else dollars(result.cost, estimated=result.usage.estimated)


def tokens(count: int, *, estimated: bool = False) -> str:
    return f"{'~' if estimated else ''}{count:,} {'token' if count == 1 else 'tokens'}"


def summary(result: Result) -> str:
    """One line: model, status when not done, tokens, ttft, rate, duration, cost."""
    usage = result.usage
    parts = [result.model]
    if result.status != "done":
        parts.append(STATUS_LABELS.get(result.status, result.status))
    parts.append(f"{usage.input_tokens:,} in / {tokens(usage.output_tokens, estimated=usage.estimated)} out")
    if usage.cache_read_input_tokens or usage.cache_creation_input_tokens:
        parts.append(
            f"cache {usage.cache_read_input_tokens:,} read / {usage.cache_creation_input_tokens:,} written"
        )
    if result.ttft is not None:
        parts.append(f"TTFT {seconds(result.ttft)}")
    if result.duration is not None:
        generating = result.duration - (result.ttft or 0)
        if result.ttft is not None and generating > 0.2:
            parts.append(rate(usage.output_tokens / generating))
        parts.append(seconds(result.duration))
    parts.append(result_cost(result))
    if result.simulated:
        parts.append("simulated")
    return " · ".join(parts)
