"""What a model turn's stop reason means for the call: go on, or end in which state and why. Pure.

``end_turn``, ``stop_sequence`` and ``max_tokens`` end a call ``done`` (``max_tokens`` is marked truncated
in its header, see ``_projection.ending_notes``); ``tool_use`` runs the tools; ``pause_turn`` sends the
assistant content back unchanged so the API continues it (at most :data:`PAUSE_LIMIT` times); a refusal
and a full context window are endings of their own, never a normal ``done``.
"""

from __future__ import annotations

from typing import Any

from ._events import Failure

PAUSE_LIMIT = 5  # continuations of one call's paused turns before nbstream stops asking

REFUSAL_CATEGORIES = {
    "cyber": "cyber security", "bio": "biological risk", "frontier_llm": "frontier AI risk",
    "reasoning_extraction": "reasoning extraction", "general_harms": "general harms",
}


def refusal_failure(details: dict[str, Any] | None) -> Failure:
    """A refusal in one line: its category and the API's explanation, when given."""
    details = details or {}
    category = details.get("category")
    explanation = details.get("explanation")
    text = "Claude declined to answer"
    if isinstance(category, str) and category:
        text += f" (category: {REFUSAL_CATEGORIES.get(category, category)})"
    text += f": {' '.join(explanation.split())}" if isinstance(explanation, str) and explanation.strip() else "."
    return Failure("refusal", text, api_type=category if isinstance(category, str) else None, mid_stream=True)


def ending(stop_reason: str | None, stop_details: dict[str, Any] | None, *, pauses: int) -> Failure | None:
    """The failure a turn's stop reason ends the call with (None: not an ending of its own)."""
    if stop_reason == "refusal":
        return refusal_failure(stop_details)
    if stop_reason == "model_context_window_exceeded":
        return Failure(
            "context_window", "The reply stopped: the conversation filled the model's context window.",
            mid_stream=True, hint="Start a new chat or send less context.",
        )
    if stop_reason == "pause_turn" and pauses >= PAUSE_LIMIT:
        return Failure(
            "paused", f"The API paused this turn {pauses + 1} times; nbstream stopped continuing it "
            f"after {PAUSE_LIMIT} continuations.", mid_stream=True,
        )
    return None
