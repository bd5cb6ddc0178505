"""A panel's summary line: calls by status, tokens, cost, latency percentiles, wall time and speed-up.

A pure function of the panel's runs and clock, shared by the live panel's frames and its static copy.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from typing import Any

from ._limiter import Limiter
from ._run import Run


def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear-interpolated percentile (p in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def summarize(
    runs: Sequence[Run], *, origin: float, ended_at: float | None, limiter: Limiter, batch: dict[str, Any] | None
) -> dict[str, Any]:
    counts: dict[str, int] = {}
    input_tokens = output_tokens = 0
    cost, cost_partial, estimated = 0.0, False, False
    ttfts, durations = [], []
    now = ended_at or time.monotonic()
    busy = 0.0
    for run in runs:
        counts[run.status] = counts.get(run.status, 0) + 1
        usage = run.usage()
        input_tokens += usage.input_tokens
        output_tokens += usage.output_tokens
        estimated |= usage.estimated
        run_cost = run.cost()  # the figure each row shows (_projection.stats)
        if run_cost is None:
            cost_partial = True
        else:
            cost += run_cost
        if (ttft := run.ttft()) is not None:
            ttfts.append(ttft)
        if run.started_at is not None:
            busy += (run.ended_at or now) - run.started_at
            if run.ended_at is not None:
                durations.append(run.ended_at - run.started_at)
    wall = now - origin
    # A batch's requests wait together for the batch: their durations added up against its wall time is
    # no speed-up of anything (issue 11: "a meaningless 12x"); shown for streamed panels only.
    speedup = busy / wall if batch is None and wall > 0 and busy > 0 else None
    return {
        "total": len(runs), "done": sum(run.done for run in runs), "counts": counts,
        "input_tokens": input_tokens, "output_tokens": output_tokens,
        "cost": None if cost_partial and cost == 0 else cost, "cost_partial": cost_partial,
        "cost_exact": not estimated,
        "ttft_p50": percentile(ttfts, 50), "ttft_p95": percentile(ttfts, 95),
        "duration_p50": percentile(durations, 50), "duration_p95": percentile(durations, 95),
        "wall": wall, "sum_durations": busy if batch is None else None, "speedup": speedup,
        "concurrency": limiter.concurrency, "in_flight": limiter.in_flight,
        "paused_for": limiter.pause_remaining(),
        "batch": batch,
    }
