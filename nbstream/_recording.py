"""A call's reply as recorded: each model turn's blocks, usage and the timing of its stream, compactly.

The call log keeps one per finished call (its ``recording`` column); replay (``--replay``) and recorded
lessons (``nbstream.save_lesson``) play them back through nbstream's loopback server. A turn is found by
its request's key: a digest of exactly what was sent (model, system, messages, tools, parameters), so
the API key, headers and base URL play no part.

A turn's ``deltas`` are ``[block, characters, milliseconds since the previous delta]`` (the first one's
time is the time to first token, from the request being sent): the same chunks at the same pace.
"""

from __future__ import annotations

import hashlib
import json
import time
from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._events import MessageStarted, TextDelta, ThinkingDelta, ToolInputDelta

if TYPE_CHECKING:
    from ._accumulate import Snapshot
    from ._run import Run

FORMAT = 1  # the recording's own version (a lesson file has its version too)
_DELTAS = (TextDelta, ToolInputDelta, ThinkingDelta)


def request_key(params: dict[str, Any]) -> str:
    """The digest of what one model turn sends (credentials, headers and the base URL are never in it)."""
    canonical = json.dumps(params, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class _Turn:
    key: str
    sent_at: float  # time.monotonic() when the request was sent
    last: float
    # block, characters, milliseconds: three ints a delta, flat (12 bytes, not a list of lists at ~90)
    deltas: array[int] = field(default_factory=lambda: array("i"))


class Recorder:
    """A run's observer: the key and the delta timings of every model turn (the rest is in the run)."""

    def __init__(self) -> None:
        self.turns: list[_Turn] = []

    def __call__(self, run: Run, event: object) -> None:
        kind = type(event)
        if kind in _DELTAS:
            now = time.monotonic()
            turn = self.turns[-1] if self.turns else None
            if turn is None:
                return
            text = event.text if kind is not ToolInputDelta else event.partial_json  # type: ignore[attr-defined]
            turn.deltas.extend((event.index, len(text), round((now - turn.last) * 1000)))  # type: ignore[attr-defined]
            turn.last = now
        elif kind is MessageStarted:
            sent = run.attempt_started_at or time.monotonic()
            turn = _Turn(request_key(run.request.params(run.messages)), sent, sent)
            if self.turns and self.turns[-1].key == turn.key:  # the same turn again, retried
                self.turns[-1] = turn
            else:
                self.turns.append(turn)

    def recording(self, run: Run) -> dict[str, Any] | None:
        """The recording of a call that ended ``done`` (None for any other ending)."""
        snapshots = [*run.turns, run.snapshot]
        turns, self.turns = self.turns, []  # the call has ended: its recording goes to the log, not kept here
        if run.status != "done" or len(snapshots) != len(turns):
            return None
        return {
            "v": FORMAT,
            "simulated": run.simulated,
            "turns": [_turn(t, s) for t, s in zip(turns, snapshots, strict=True)],
        }


def _turn(turn: _Turn, snap: Snapshot) -> dict[str, Any]:
    blocks = []
    for _, block in sorted(snap.blocks.items()):
        recorded: dict[str, Any] = {"type": block.kind, "content": block.content}
        if block.kind == "tool_use":
            recorded.update(id=block.tool_id, name=block.tool_name)
        elif block.kind == "thinking":
            recorded["signature"] = block.signature
        elif block.kind == "redacted_thinking":
            recorded["data"] = block.data
        blocks.append(recorded)
    usage = snap.usage
    return {
        "key": turn.key,
        "id": snap.message_id,
        "model": snap.model,
        "stop_reason": snap.stop_reason,
        "usage": {
            "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
            "cache_creation_input_tokens": usage.cache_creation_input_tokens,
            "cache_read_input_tokens": usage.cache_read_input_tokens,
            "cache_creation": {"ephemeral_1h_input_tokens": usage.cache_creation_1h_tokens},
        },
        "blocks": blocks,
        "deltas": turn.deltas,  # [[block, characters, ms], ...] in its JSON (recording_json)
    }


def _as_triples(value: object) -> object:
    if isinstance(value, array):  # a turn's flat deltas: zipped in C (a long reply has 20,000)
        return list(zip(value[0::3], value[1::3], value[2::3], strict=True))
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def recording_json(recording: dict[str, Any]) -> str:
    """A recording as the call log stores it, its deltas as ``[[block, characters, ms], ...]``; made on
    the log's writer thread, never on the loop."""
    return json.dumps(recording, ensure_ascii=False, default=_as_triples)


def ttft_of(turn: dict[str, Any]) -> float | None:
    """A recorded turn's time to first token, in seconds."""
    deltas = turn.get("deltas") or []
    return deltas[0][2] / 1000 if deltas else None
