"""What a view shows of a run: its figures, its view state, its parts (text and tool calls) and its
timeline. The same functions serve the widget, the panel rows, the frames and the static copy, so every
place shows the same figures. The run itself is only a state machine and a clock (``_run.py``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from . import _budget, _format, _pricing

if TYPE_CHECKING:  # annotations only: the run module does not import this one
    from ._accumulate import Block
    from ._events import Failure
    from ._run import Run

RESULT_PREVIEW = 4000  # characters of a tool's result a view gets (the model gets all of it)

# A finished call the user may run again (a Retry button): it broke, failed or was stopped.
RETRYABLE_STATUSES = frozenset({"cut_off", "failed", "cancelled"})


def tool_part(block: Block, state: dict[str, Any] | None) -> dict[str, Any]:
    """One tool call as a view shows it: name, arguments (JSON as streamed), state, result."""
    part: dict[str, Any] = {
        "t": "tool", "id": block.tool_id, "name": block.tool_name, "input": block.content,
        "status": "ready" if block.stopped else "forming",
    }
    if state is not None:
        part["status"] = state["status"]
        if "duration" in state:
            part["duration"] = state["duration"]
            part["result"] = state["result"][:RESULT_PREVIEW]
            part["is_error"] = state["status"] == "failed"
    return part


def parts(run: Run) -> list[dict[str, Any]]:
    """The call as a view shows it: text and tool calls in order, over every turn."""
    out: list[dict[str, Any]] = []
    for turn in [*run.turns, run.snapshot]:
        for _, block in sorted(turn.blocks.items()):
            if block.kind == "text" and block.content:
                if out and out[-1]["t"] == "text":  # a new turn's text after text: one part
                    out[-1]["text"] += "\n\n" + block.content
                else:
                    out.append({"t": "text", "text": block.content})
            elif block.kind == "tool_use":
                out.append(tool_part(block, run.tool_states.get(block.tool_id or "")))
    return out


def stats(run: Run) -> dict[str, Any]:
    """The figures a view shows; the same keys as the widget's ``stats`` trait."""
    now = run.ended_at or time.monotonic()
    usage = run.usage()
    cost = run.cost()
    elapsed = now - run.started_at if run.started_at is not None else 0.0
    ttft, after_start = run.ttft(), run.first_token_after()
    # From the first request, when retries before the first token make it longer than the TTFT.
    retried = ttft is not None and after_start is not None and after_start - ttft > 0.05
    uncached = _pricing.uncached_cost(run.request.model, usage, local=run.local)
    local_cost = run.local and not _pricing.known_model(run.request.model)
    cached = usage.cache_read_input_tokens or usage.cache_creation_input_tokens
    return {
        "output_tokens": usage.output_tokens,
        "tokens_exact": not usage.estimated,
        "input_tokens": usage.input_tokens if (run.turns or run.snapshot.started) else None,
        "cache_read_tokens": usage.cache_read_input_tokens,
        "cache_write_tokens": usage.cache_creation_input_tokens,
        "ttft": ttft,
        "ttft_total": after_start if retried else None,
        "elapsed": elapsed,
        "rate": run.output_rate(),  # over generation time only: the same figure the result keeps
        "tool_time": run.tool_time or None,
        "cost": cost,
        "cost_exact": not usage.estimated,
        "cost_local": local_cost,  # an unpriced model a server on this machine ran: shown as "local"
        # What caching saved (negative: what the cache writes cost extra) against the uncached price.
        "cache_saved": (uncached - cost) if cached and not local_cost and cost is not None and uncached is not None
        else None,
        "turns": len(run.turns) + (1 if run.snapshot.started else 0),
        # A replayed or recorded reply costs nothing; its cost when it was made is shown beside it.
        "replay": run.replay,
        "original_cost": run.priced_cost() if run.replay else None,
        "budget": _budget.budget_text(_budget.tightest(run.budgets)) if run.budgets else None,  # spend against it
    }


def view_state(run: Run) -> dict[str, Any]:
    """What a view shows for this run: the same fields for a StreamWidget and a panel row."""
    failure = run.failure
    state: dict[str, Any] = {
        "status": run.status,
        "stats": stats(run),
        "error": (run.result.error or "") if run.result is not None else "",
        "notice": failure.one_line() if run.status == "retrying" and failure is not None else ending_notes(run),
        "retry_in": run.retry_in,
        "can_retry": run.retryable and run.status in RETRYABLE_STATUSES,
    }
    if not run.cancellable:
        state["can_cancel"] = False
    return state


def retry_note(waits: list[tuple[Failure, float]]) -> str:
    """"retried once after a 429, waited 2.0 s": why the first token came later than the TTFT says."""
    if not waits:
        return ""
    reasons = []
    for failure, _ in waits:
        reason = f"a {failure.status_code}" if failure.status_code and failure.status_code != 200 else failure.kind
        if reason not in reasons:
            reasons.append(reason.replace("_", " "))
    times = {1: "once", 2: "twice"}.get(len(waits), f"{len(waits)} times")
    waited = sum(delay for _, delay in waits)
    return f"retried {times} after {' and '.join(reasons)}, waited {_format.seconds(waited)}"


def ending_notes(run: Run) -> str:
    """What a finished call's header says besides its figures: retries, and a reply cut at max_tokens."""
    if run.result is None:
        return ""
    notes = [retry_note(run.retry_waits)]
    if run.result.stop_reason == "max_tokens":
        notes.append(
            f"stopped at the token limit ({run.request.max_tokens:,} max_tokens): raise --max-tokens "
            "(max_tokens=) for a longer answer"
        )
    return " · ".join(n for n in notes if n)


def timeline(run: Run, origin: float | None = None) -> dict[str, float | None]:
    """Clock marks in seconds since ``origin`` (default: the run's creation), for waterfalls.

    A run is queued until ``started``, waits for its first token until ``first_token``, then
    generates until ``ended``.
    """
    base = run.created_at if origin is None else origin

    def rel(mark: float | None) -> float | None:
        return None if mark is None else mark - base

    return {"started": rel(run.started_at), "first_token": rel(run.first_token_at), "ended": rel(run.ended_at)}
