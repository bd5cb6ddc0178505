"""Where a call is answered from a recording instead of the API: a recorded lesson in use, or replay.

Replay (``--replay``, ``nbstream.defaults.replay``): a request identical to one the call log holds as
finished is played back from the log's recording through nbstream's loopback server (no request to the
API, cost $0, the original cost beside it, labelled *replayed*); one with no match goes to the API as
usual. Under a lesson (``_lesson``) every call goes to the loopback server, and a request the lesson
does not hold is refused with one line before anything is sent.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import _lesson, _player
from ._client import Endpoint
from ._events import Failure
from ._log import CallLog
from ._recording import request_key

if TYPE_CHECKING:
    from ._run import Run


@dataclass(frozen=True)
class Route:
    """Send this turn to the loopback server, which plays the recorded turn stored under ``key``."""

    endpoint: Endpoint
    key: str
    instant: bool = False

    def headers(self) -> dict[str, str]:
        return _player.play_headers(self.key, instant=self.instant)


async def route(run: Run) -> Route | Failure | None:
    """How this model turn of the run is answered: a Route, a refusal, or None for the API as usual."""
    lesson = _lesson.current()
    in_lesson = lesson is not None and run.endpoint is not None and run.endpoint == lesson.endpoint
    mode = run.request.replay
    if not in_lesson and not mode:
        return None
    key = request_key(run.request.params(run.messages))
    if in_lesson:
        assert lesson is not None
        return Route(run.endpoint, key) if key in lesson else Failure("not_in_lesson", lesson.missing())  # type: ignore[arg-type]
    server = _player.player()
    if key not in server.playback:
        log = run.session.log
        if log is None or run.turns:  # a later turn of a replayed call was registered with its first turn
            return None
        found = await asyncio.to_thread(_find, log, key)
        if found is None:
            return None
        server.playback.add(found["turns"], label="replayed", simulated=bool(found.get("simulated")))
    return Route(_player.endpoint(), key, instant=mode == "instant")


def _find(log: CallLog, key: str) -> dict[str, object] | None:
    """The recording of the latest finished call with this request (an original before a replay of it)."""
    rows = log.query(
        "SELECT recording FROM calls WHERE request_key = ? AND status = 'done' AND recording IS NOT NULL "
        "ORDER BY replay IS NULL DESC, started_at DESC LIMIT 1",
        (key,),
    )
    if not rows:
        return None
    recording: dict[str, object] = json.loads(rows[0]["recording"])
    turns = recording.get("turns")
    return recording if isinstance(turns, list) and turns and turns[0].get("key") == key else None
