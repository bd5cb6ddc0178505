"""The built-in offline model: the simulator on 127.0.0.1, reached by the real SDK over real HTTP.

``use_offline()`` (or ``%llm_offline``, or ``NBSTREAM_OFFLINE=1`` in the environment) starts it in a
background thread of this process and routes every call there; its output is labelled as simulated.
Where the SDK finds no credentials at all (no key, token, base URL or profile) and the user has chosen
neither way, calls go there too, with one line saying so: a notebook runs as pasted, offline, and every
reply is labelled *simulated*. ``use_api()`` (``%llm_offline off``) sends calls to the API again.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from ._client import Endpoint, credentials_found

OFFLINE_KEY = "sk-offline-simulator"  # the simulator accepts any key; this one marks the route
_lock = threading.Lock()
_endpoint: Endpoint | None = None
_simulator: Any = None
_chosen = False  # an explicit use_offline()/use_api() wins over NBSTREAM_OFFLINE


def current_endpoint() -> Endpoint | None:
    """Where calls go: the offline simulator when chosen, else None (the SDK reads the environment)."""
    if not _chosen:
        if os.environ.get("NBSTREAM_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
            use_offline()
        elif not credentials_found():
            url = use_offline()
            print(
                f"nbstream: no Anthropic API key found, so calls go to the built-in offline model at {url} "
                "(replies are simulated). Set ANTHROPIC_API_KEY, then run %llm_offline off (nbstream.use_api())."
            )
    return _endpoint


def use_offline(*, ttft: float | None = None, rate: float | None = None) -> str:
    """Send every call to the offline simulator (started on first use); returns its base URL.

    ``ttft`` (seconds to first token) and ``rate`` (tokens per second) change its pace.
    """
    global _endpoint, _simulator, _chosen
    with _lock:
        _chosen = True
        if _simulator is None:
            from .simulator import Simulator

            _simulator = Simulator().start()
        settings = {k: v for k, v in (("ttft", ttft), ("rate", rate)) if v is not None}
        if settings:
            _simulator.configure(**settings)
        base_url: str = _simulator.base_url
        _endpoint = Endpoint(base_url, OFFLINE_KEY)
        return base_url


def chosen_endpoint() -> Endpoint | None:
    """Where calls go as chosen so far (no side effects: the offline model is not started)."""
    return _endpoint


def route_to(endpoint: Endpoint) -> None:
    """Send every call to this server (a recorded lesson's loopback server), as an explicit choice."""
    global _endpoint, _chosen
    with _lock:
        _endpoint, _chosen = endpoint, True


def use_api() -> None:
    """Send calls to the Anthropic API again (as configured by ANTHROPIC_API_KEY / ANTHROPIC_BASE_URL)."""
    global _endpoint, _chosen
    _endpoint, _chosen = None, True
