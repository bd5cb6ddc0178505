"""Human formatting of the figures every surface shows: the same rules as the widget's js/format.js.

Both are tested against one table of cases, tests/fixtures/format_cases.json. A missing figure
(None) reads as nothing, except a cost ("cost unknown") and a token count (0); negative values
read as 0; halves round up, as JS's ``toFixed`` and ``Math.round`` do on the float's exact value.

A leaf module: it takes plain values (and, for :func:`summary`, anything shaped like a Result).
"""

from __future__ import annotations

import math
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal
from typing import Protocol

LOCAL_COST_LABEL = "local"  # the cost of an unpriced model that a server on this machine answered

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

# Enough digits for any float's exact value: the arithmetic below never rounds on its own.
_EXACT = Context(prec=800)


def _number(value: object) -> float | None:
    """A finite number, else None (a bool is not a figure, as in JS)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _fixed(value: float, places: int) -> str:
    """``value`` with ``places`` decimals, halves up: JS's ``value.toFixed(places)``."""
    return str(Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP, context=_EXACT))


def _round(value: float) -> int:
    """The nearest integer, halves towards +infinity: JS's ``Math.round``."""
    return int(_EXACT.add(Decimal(value), Decimal("0.5")).to_integral_value(rounding=ROUND_FLOOR))


def integer(value: float) -> str:
    """1234567 → "1,234,567" (rounded)."""
    return f"{_round(value):,}"


def status_label(status: str | None) -> str:
    """A call's status as shown: "cut off" for cut_off; an unknown status as it is."""
    return STATUS_LABELS.get(status or "", status or "")


def seconds(value: float | None) -> str:
    """0.41 s, 12.3 s, 1 min 5 s, 1 h 2 min; "" for None."""
    v = _number(value)
    if v is None:
        return ""
    v = max(0.0, v)
    if v < 0.995:
        return f"{_fixed(v, 2)} s"
    if v < 59.95:
        return f"{_fixed(v, 1)} s"
    total = _round(v)
    if total < 3600:
        return f"{total // 60} min {total % 60} s"
    return f"{total // 3600} h {total % 3600 // 60} min"


def rate(value: float | None) -> str:
    """83 tok/s, 8.5 tok/s; "" for None."""
    v = _number(value)
    if v is None:
        return ""
    v = max(0.0, v)
    return f"{_fixed(v, 1)} tok/s" if v < 9.95 else f"{integer(v)} tok/s"


def dollars(value: float | None, *, estimated: bool = False) -> str:
    """$0.000042, $0.0021, $0.1235, $1.23, with ~ while estimated; "cost unknown" for None.

    Below a cent, two significant digits (a short Haiku call costs a few hundred-thousandths of a dollar:
    enough to compare calls); up to a dollar, four decimals; then cents."""
    v = _number(value)
    if v is None:
        return "cost unknown"
    prefix = "~" if estimated else ""
    v = max(0.0, v)
    if v == 0:
        return f"{prefix}$0.00"
    if v < 0.000001:
        return f"{prefix}<$0.000001"
    if v < 0.01:
        return f"{prefix}${_fixed(v, max(4, 1 - math.floor(math.log10(v))))}"
    if v < 0.99995:  # four decimals below a dollar, unless they would round up to one ("$1.0000")
        return f"{prefix}${_fixed(v, 4)}"
    whole, cents = _fixed(v, 2).split(".")
    return f"{prefix}${int(whole):,}.{cents}"


def result_cost(result: ResultLike) -> str:
    """A result's cost as shown: dollars, or "local" for an unpriced model a server on this machine ran."""
    return LOCAL_COST_LABEL if result.local else dollars(result.cost, estimated=result.usage.estimated)


def tokens(count: float | None, *, estimated: bool = False) -> str:
    """1,234 tokens, 1 token, with ~ while estimated."""
    v = max(0.0, _number(count) or 0.0)
    return f"{'~' if estimated else ''}{integer(v)} {'token' if _round(v) == 1 else 'tokens'}"


def cache(read: float | None, written: float | None, saved: float | None = None, *, estimated: bool = False) -> str:
    """"cache 1,830 read · 512 written · saved $0.0012" ("· cache write +$0.0003" when the writes
    cost more than they saved); "" when the call used no cache. ``saved`` None: not shown."""
    r = max(0, _round(_number(read) or 0.0))
    w = max(0, _round(_number(written) or 0.0))
    if r == 0 and w == 0:
        return ""
    text = "cache " + " · ".join(([f"{integer(r)} read"] if r else []) + ([f"{integer(w)} written"] if w else []))
    money = _number(saved)
    if money:
        prefix, amount = "~" if estimated else "", dollars(abs(money))
        text += f" · saved {prefix}{amount}" if money > 0 else f" · cache write {prefix}+{amount}"
    return text


def turns(count: float | None) -> str:
    """"3 turns" for a call of several model turns (it used tools); "" for one."""
    v = _number(count)
    n = _round(v) if v is not None else 0
    return f"{integer(n)} turns" if n > 1 else ""


class UsageLike(Protocol):
    """What :func:`summary` reads of a call's usage (nbstream's Usage)."""

    @property
    def input_tokens(self) -> int: ...
    @property
    def output_tokens(self) -> int: ...
    @property
    def cache_read_input_tokens(self) -> int: ...
    @property
    def cache_creation_input_tokens(self) -> int: ...
    @property
    def estimated(self) -> bool: ...


class ResultLike(Protocol):
    """What :func:`summary` reads of a call's outcome (nbstream's Result)."""

    @property
    def status(self) -> str: ...
    @property
    def model(self) -> str: ...
    @property
    def usage(self) -> UsageLike: ...
    @property
    def ttft(self) -> float | None: ...
    @property
    def duration(self) -> float | None: ...
    @property
    def cost(self) -> float | None: ...
    @property
    def simulated(self) -> bool: ...
    @property
    def local(self) -> bool: ...
    @property
    def turns(self) -> int: ...
    @property
    def rate(self) -> float | None: ...
    @property
    def first_token_after(self) -> float | None: ...
    @property
    def attempts(self) -> int: ...
    @property
    def retry_wait(self) -> float: ...
    @property
    def stop_reason(self) -> str | None: ...


def summary(result: ResultLike) -> str:
    """One line: model, status when not done, tokens, cache, turns, ttft, rate, duration, cost."""
    usage = result.usage
    parts = [result.model]
    if result.status != "done":
        parts.append(status_label(result.status))
    # Input counts every prompt token, cached or not (the cache figure says how many were cached).
    prompt = usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens
    parts.append(f"{prompt:,} in / {tokens(usage.output_tokens, estimated=usage.estimated)} out")
    for figure in (cache(usage.cache_read_input_tokens, usage.cache_creation_input_tokens), turns(result.turns)):
        if figure:
            parts.append(figure)
    if result.ttft is not None:
        after = result.first_token_after
        later = f" ({seconds(after)} from the start)" if after is not None and after - result.ttft > 0.05 else ""
        parts.append(f"TTFT {seconds(result.ttft)}{later}")
    if result.rate is not None:
        parts.append(rate(result.rate))
    if result.duration is not None:
        parts.append(seconds(result.duration))
    parts.append(result_cost(result))
    if result.attempts > 1 and result.retry_wait > 0:
        parts.append(f"{result.attempts} attempts, waited {seconds(result.retry_wait)}")
    if result.stop_reason == "max_tokens":
        parts.append("stopped at max_tokens")
    if result.simulated:
        parts.append("simulated")
    replay = getattr(result, "replay", None)  # played back from a recording: $0, its cost then beside it
    if replay:
        parts.append(f"{replay} (was {dollars(getattr(result, 'original_cost', None))})")
    return " · ".join(parts)
