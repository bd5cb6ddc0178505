"""What one call sends, validated once before anything is sent.

Every surface (the magic, StreamWidget, ParallelPanel, configuration) validates through the functions
here, so a bad value gets the same one-line error wherever it comes from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

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


@dataclass(frozen=True)
class Request:
    """One call's parameters. Build it with :func:`make_request`, which validates and fills defaults."""

    prompt: str
    model: str
    max_tokens: int
    system: str | None = None
    idle_timeout: float = 60.0
    max_retries: int = 3
    extra: dict[str, Any] = field(default_factory=dict)  # further Messages API parameters

    def params(self) -> dict[str, Any]:
        """The keyword arguments for ``client.messages.create``: no credentials, no headers."""
        params: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "messages": [{"role": "user", "content": self.prompt}],
        }
        if self.system:
            params["system"] = self.system
        params.update(self.extra)
        return params


def make_request(
    prompt: object,
    *,
    model: object = None,
    max_tokens: object = None,
    system: object = None,
    idle_timeout: object = None,
    max_retries: object = None,
) -> Request:
    """Validate and fill from the session defaults (``%config LLMMagics...``). Raises InputError."""
    from ._config import defaults

    return Request(
        prompt=check_prompt(prompt),
        model=check_model(defaults.model if model is None else model),
        max_tokens=check_positive_int(defaults.max_tokens if max_tokens is None else max_tokens, "max_tokens"),
        system=check_system(defaults.system if system is None else system),
        idle_timeout=check_seconds(
            defaults.idle_timeout if idle_timeout is None else idle_timeout, "idle_timeout"
        ),
        max_retries=check_non_negative_int(
            defaults.max_retries if max_retries is None else max_retries, "max_retries"
        ),
    )
