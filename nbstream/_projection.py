"""What a view shows of a run: its figures, its view state, its parts (text and tool calls) and its
timeline. The same functions serve the widget, the panel rows, the frames and the static copy, so every
place shows the same figures. The run itself is only a state machine and a clock (``_run.py``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from . import _budget, _format, _pricing
from ._content_parts import (
    KNOWN_BLOCKS,
    PAUSED,
    SERVER_TOOL_RESULTS,
    Sources,
    note_part,
    server_tool_part,
    thinking_part,
    unsupported,
)

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


def uses_parts(run: Run) -> bool:
    """Whether a view needs the call's parts, not only its text: tools, thinking, server tools, citations,
    pauses or a block type nbstream does not know."""
    if run.request.tools or run.turns:
        return True
    return any(b.kind != "text" or b.citations or b.other_deltas for b in run.snapshot.blocks.values())


def parts(run: Run) -> list[dict[str, Any]]:
    """The call as a view shows it, in order over every turn: text (cited passages marked), thinking,
    tool calls (client and server, with their results), notes (pauses, unsupported blocks), and the
    numbered sources last."""
    out: list[dict[str, Any]] = []
    turns = [*run.turns, run.snapshot]
    results = {
        b.start.get("tool_use_id"): b.start
        for turn in turns for b in turn.blocks.values() if b.kind in SERVER_TOOL_RESULTS and b.start is not None
    }
    sources = Sources()
    for t, turn in enumerate(turns):
        if t and turns[t - 1].stop_reason == "pause_turn":
            out.append(note_part(f"{t - 1}.p", "paused", PAUSED))
        turn_text = False  # this turn's text blocks run on (citations split the text into blocks)
        for index, block in sorted(turn.blocks.items()):
            key = f"{t}.{index}"
            if block.kind == "text":
                text = block.content + (sources.markers(block.citations)[0] if block.citations else "")
                if text and out and out[-1]["t"] == "text":  # a new turn's text after text: one part
                    out[-1]["text"] += ("" if turn_text else "\n\n") + text
                elif text:
                    out.append({"t": "text", "text": text})
                turn_text = turn_text or bool(text)
            elif block.kind == "tool_use":
                out.append(tool_part(block, run.tool_states.get(block.tool_id or "")))
            elif block.kind in ("thinking", "redacted_thinking"):
                out.append(thinking_part(key, block))
            elif block.kind == "server_tool_use":
                out.append(server_tool_part(block, results.get(block.tool_id)))
            elif block.kind not in KNOWN_BLOCKS:
                out.append(note_part(key, "unsupported", unsupported(block.kind)))
            if block.other_deltas and block.kind in KNOWN_BLOCKS:
                kind = block.other_deltas[0].get("type")
                out.append(note_part(key, "unsupported", f"unsupported delta: {' '.join(str(kind).split())[:80]}"))
    if sources.items:
        out.append({"t": "sources", "items": sources.items})
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
        "thinking_tokens": usage.thinking_tokens or None,
        # The first text came later than the first token (thinking or server tools before the answer).
        "text_after": text_after if ttft is not None and (text_after := run.first_text_after()) is not None
        and text_after - ttft > 0.05 else None,
        "server_tools": usage.web_search_requests + usage.web_fetch_requests or None,
        "truncated": run.snapshot.stop_reason == "max_tokens" or None,
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
            f"truncated: stopped at the token limit ({run.request.max_tokens:,} max_tokens): raise --max-tokens "
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
