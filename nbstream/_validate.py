"""Validators for every setting and call option: one-line errors, the same wherever a value comes from
(the magic, StreamWidget, ParallelPanel, a chat, ``nbstream.defaults``, ``%config``). A leaf module."""

from __future__ import annotations

import math
import os

from ._errors import InputError
from ._pricing import resolve_model


def check_model(value: object, name: str = "model") -> str:
    if not isinstance(value, str) or not value.strip() or any(c.isspace() for c in value.strip()):
        raise InputError(f"{name} must be a model name such as 'claude-haiku-5-5' or 'sonnet', got {value!r}")
    return resolve_model(value)


def check_positive_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise InputError(f"{name} must be a positive whole number, got {value!r}")
    return value


def check_non_negative_int(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError(f"{name} must be a whole number, 0 or more, got {value!r}")
    return value


def check_seconds(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise InputError(f"{name} must be a positive number of seconds, got {value!r}")
    return float(value)


def check_system(value: object, name: str = "system") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InputError(f"{name} must be text or None, got {type(value).__name__} {value!r}")
    return value if value.strip() else None


def check_prompt(value: object, name: str = "prompt") -> str:
    if not isinstance(value, str):
        raise InputError(f"{name} must be text, got {type(value).__name__}")
    if not value.strip():
        raise InputError(f"the {name} is empty: write something for the model to answer")
    return value


DEFAULT_CONCURRENCY = 5  # calls in flight in a panel unless told otherwise
DEFAULT_MAX_TURNS = 5
EPHEMERAL = {"type": "ephemeral"}


def check_cache(value: object) -> str | None:
    """``True``/"auto": the API's automatic caching (the breakpoint follows the growing prompt);
    "system": cache the system prompt only; ``False``/None: no caching."""
    if value is True:
        return "auto"
    if value is False:
        return None
    if value is None or value == "auto" or value == "system":
        return value
    raise InputError(f"cache must be True, False, 'auto' or 'system', got {value!r}")


TRANSPORTS = ("aiohttp", "httpx")


def check_transport(value: object) -> str:
    if value not in TRANSPORTS:
        raise InputError(f"transport must be 'aiohttp' (the default) or 'httpx' (the SDK's own), got {value!r}")
    return str(value)


def check_log_path(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)) or not str(value).strip():
        raise InputError(f"log_path must be a file path, or None to switch the call log off, got {value!r}")
    return os.fspath(value)


def check_replay(value: object) -> bool | str:
    """``True``: answer a request identical to a finished one in the call log from the log, at its recorded
    pace; "instant": at once; ``False``/None/"off": always send it."""
    if value is None or value is False or value == "off":
        return False
    if value is True or value == "instant":
        return value
    raise InputError(f"replay must be True, False or 'instant', got {value!r}")


def check_budget(value: object, name: str = "budget") -> float | None:
    """None (no budget) or 0 or more US dollars; a one-line InputError otherwise."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < math.inf:
        raise InputError(f"{name} must be 0 or more US dollars (or None for no budget), got {value!r}")
    return float(value)
