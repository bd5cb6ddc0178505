"""Session defaults shared by every surface. ``%config LLMMagics.<name> = value`` writes here too."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._pricing import set_prices
from ._validate import (
    check_budget,
    check_log_path,
    check_model,
    check_non_negative_int,
    check_positive_int,
    check_replay,
    check_seconds,
    check_system,
    check_transport,
)


def default_log_path() -> Path | None:
    """``NBSTREAM_LOG`` (a path, or ``off``), else ``<jupyter data dir>/nbstream/calls.sqlite3``."""
    configured = os.environ.get("NBSTREAM_LOG")
    if configured is not None:
        return None if configured.strip().lower() in ("", "off", "0", "false", "no") else Path(configured)
    from jupyter_core.paths import jupyter_data_dir  # only when the log is on: jupyter_core is slow to import

    return Path(jupyter_data_dir()) / "nbstream" / "calls.sqlite3"


def _default_log_path() -> str | None:
    path = default_log_path()
    return None if path is None else str(path)

_VALIDATORS: dict[str, Callable[[Any], Any]] = {
    "model": check_model,
    "max_tokens": lambda v: check_positive_int(v, "max_tokens"),
    "system": check_system,
    "idle_timeout": lambda v: check_seconds(v, "idle_timeout"),
    "max_retries": lambda v: check_non_negative_int(v, "max_retries"),
    "log_path": check_log_path,
    "transport": check_transport,
    "prices": set_prices,
    "budget": check_budget,
    "replay": check_replay,
}

# Haiku 5.5 is the default: the cheapest and fastest current model, which suits teaching and prototyping.
DEFAULT_VALUES: dict[str, Any] = {
    "model": "claude-haiku-5-5",
    "max_tokens": 1024,
    "system": None,
    "idle_timeout": 60.0,  # seconds without a byte before a stream counts as stalled (the SDK's is 600)
    "max_retries": 3,  # retries before the first token, for 429/529/5xx and connection failures
    # The SDK's aiohttp transport parses HTTP in C: about 40% less CPU per token than its httpx default
    # (measured here, see the README's performance section); "httpx" selects the SDK's own.
    "transport": "aiohttp" if importlib.util.find_spec("aiohttp") is not None else "httpx",
    "prices": {},  # the user's own prices per model (USD per million tokens), over the price table
    "budget": None,  # US dollars this kernel's calls may spend (None: no cap)
    "replay": False,  # answer a request identical to a finished one from the call log (True, or "instant")
}


class Defaults:
    """Validated defaults: assigning a bad value raises a one-line InputError and keeps the old one."""

    model: str
    max_tokens: int
    system: str | None
    idle_timeout: float
    max_retries: int
    log_path: str | None  # the call log's SQLite file; None switches the log off
    transport: str  # "aiohttp" or "httpx": the SDK's HTTP client for new connections
    prices: dict[str, dict[str, float]]  # also set by nbstream.set_price(model, input=..., output=...)
    replay: bool | str  # True: identical requests are answered from the call log ("instant": at once)
    budget: float | None  # US dollars for this kernel's session; calls that would pass it are refused or stopped

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        for name, value in DEFAULT_VALUES.items():
            setattr(self, name, value)
        self.log_path = _default_log_path()  # NBSTREAM_LOG, else <jupyter data dir>/nbstream/calls.sqlite3

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in _VALIDATORS:
            raise AttributeError(f"nbstream has no setting named {name!r}")
        object.__setattr__(self, name, _VALIDATORS[name](value))

    def __repr__(self) -> str:
        return "Defaults(" + ", ".join(f"{k}={getattr(self, k)!r}" for k in _VALIDATORS) + ")"


defaults = Defaults()
