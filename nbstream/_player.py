"""nbstream's loopback server for recorded replies: one simulator in this process whose playback plays
them (``simulator/_playback.py``), reached by the real SDK over real HTTP like any Messages API server."""

from __future__ import annotations

import threading
import time
from typing import Any

from ._client import Endpoint

PLAYER_KEY = "sk-nbstream-player"  # the loopback server takes any key; no real key is ever sent there
_lock = threading.Lock()
_server: Any = None


def player() -> Any:
    """The server (a :class:`~nbstream.simulator.Simulator`), started on first use."""
    global _server
    with _lock:
        if _server is None:
            from .simulator import Simulator  # the simulator loads only when a recording is played

            _server = Simulator().start()
        return _server


def endpoint() -> Endpoint:
    return Endpoint(player().base_url, PLAYER_KEY)


def play_headers(key: str, *, instant: bool = False) -> dict[str, str]:
    """What tells the server which recorded turn to play, when the request left, and at what pace."""
    from .simulator._playback import PACE_HEADER, PLAY_HEADER, SENT_AT_HEADER

    headers = {PLAY_HEADER: key, SENT_AT_HEADER: repr(time.monotonic())}
    if instant:
        headers[PACE_HEADER] = "instant"
    return headers
