"""Human formatting of the figures every surface shows (the front end has its twin in js/format.js)."""

from __future__ import annotations

from ._events import Result

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
    if value is None:
        return "-"
    if value < 10:
        return f"{value:.2f} s"
    if value < 60:
        return f"{value:.1f} s"
    minutes, secs = divmod(round(value), 60)
    return f"{minutes} min {secs} s"


def dollars(value: float | None, *, estimated: bool = False) -> str:
    if value is None:
        return "cost unknown"
    text = f"${value:.4f}" if value < 0.01 else f"${value:.2f}" if value >= 1 else f"${value:.3f}"
    return ("~" if estimated else "") + text


def tokens(count: int, *, estimated: bool = False) -> str:
    return f"{'~' if estimated else ''}{count:,} tokens"


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
            parts.append(f"{usage.output_tokens / generating:,.0f} tok/s")
        parts.append(seconds(result.duration))
    parts.append(dollars(result.cost, estimated=usage.estimated))
    if result.simulated:
        parts.append("simulated")
    return " · ".join(parts)
