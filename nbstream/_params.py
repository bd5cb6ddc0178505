"""The request parameters beyond prompt, model and max_tokens: thinking, effort, stop sequences,
tool_choice, speed, service_tier, metadata, and a pass-through for anything newer.

Each is checked here where the rule is known (its type, its values, a model that refuses it) and sent as
given otherwise. :class:`Settings` holds the checked values; ``body()`` is what they add to the request's
JSON, ``summary()`` what a view shows of them (only what differs from the API's defaults).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ._errors import InputError

THINKING_TYPES = ("adaptive", "enabled", "disabled", "between_tools")
THINKING_DISPLAYS = ("summarized", "omitted")
EFFORTS = ("low", "medium", "high", "xhigh", "max")
SPEEDS = ("standard", "fast")
SERVICE_TIERS = ("auto", "standard_only")
TOOL_CHOICES = ("auto", "any", "none", "tool")
MIN_THINKING_BUDGET = 1024  # the API's floor for thinking.budget_tokens
_THINKING_VALUES = "thinking must be 'adaptive', 'disabled', 'between_tools' or a budget in tokens"

# API version 2026-10-21 (the SDK's) removed these; Claude answers 400 when any is sent.
SAMPLING_PARAMS = ("temperature", "top_p", "top_k")
# Models that always think (thinking cannot be disabled) and models that refuse a forced tool_choice
# (reference: anthropic-protocol.md §2.4 and §6, from the models' "what's new" pages).
ALWAYS_THINKING = frozenset({"claude-opus-5-5", "claude-sonnet-5-5", "claude-fable-5-1", "claude-fable-5-2"})
NO_FORCED_TOOL_CHOICE = frozenset({"claude-opus-5-5", "claude-sonnet-5-5", "claude-fable-5-1"})

# Request keys nbstream builds itself: a pass-through naming one is pointed to its own option.
_OWN_KEYS = {
    "model": "model= (--model)", "messages": "the prompt", "max_tokens": "max_tokens= (--max-tokens)",
    "system": "system= (--system)", "stream": "", "tools": "tools= (--tools)", "cache_control": "cache= (--cache)",
    "thinking": "thinking= (--thinking)", "output_config": "effort= (--effort) or schema= (--schema)",
    "stop_sequences": "stop_sequences= (--stop)", "tool_choice": "tool_choice= (--tool-choice)",
    "speed": "speed= (--speed)", "service_tier": "service_tier= (--service-tier)",
    "metadata": "metadata= (--metadata)",
}


@dataclass(frozen=True)
class Settings:
    """Checked request parameters; empty by default (the API's defaults apply)."""

    thinking: dict[str, Any] | None = None
    effort: str | None = None
    stop_sequences: tuple[str, ...] = ()
    tool_choice: dict[str, Any] | None = None
    speed: str | None = None
    service_tier: str | None = None
    metadata: dict[str, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # passed through as given

    def body(self) -> dict[str, Any]:
        """What these settings add to the request's JSON body (``output_config.format`` comes from the schema)."""
        body: dict[str, Any] = {}
        if self.thinking is not None:
            body["thinking"] = dict(self.thinking)
        if self.effort is not None:
            body["output_config"] = {"effort": self.effort}
        if self.stop_sequences:
            body["stop_sequences"] = list(self.stop_sequences)
        if self.tool_choice is not None:
            body["tool_choice"] = dict(self.tool_choice)
        for name in ("speed", "service_tier"):
            if getattr(self, name) is not None:
                body[name] = getattr(self, name)
        if self.metadata is not None:
            body["metadata"] = dict(self.metadata)
        body.update(self.extra)
        return body

    def summary(self) -> list[str]:
        """The non-default settings as a view shows them (metadata by key only: its values are identifiers)."""
        out = []
        if self.thinking is not None:
            kind = str(self.thinking.get("type"))
            if "budget_tokens" in self.thinking:
                kind += f" {self.thinking['budget_tokens']:,} tokens"
            if self.thinking.get("display"):
                kind += f", {self.thinking['display']}"
            out.append(f"thinking {kind}")
        if self.effort is not None:
            out.append(f"effort {self.effort}")
        if self.stop_sequences:
            out.append("stop " + ", ".join(repr(s) for s in self.stop_sequences))
        if self.tool_choice is not None:
            choice = self.tool_choice.get("name") or self.tool_choice.get("type")
            out.append(f"tool choice {choice}")
        if self.speed is not None:
            out.append(f"speed {self.speed}")
        if self.service_tier is not None:
            out.append(f"service tier {self.service_tier}")
        if self.metadata:
            out.append("metadata " + ", ".join(self.metadata))
        out.extend(f"{key}={json.dumps(value)}" for key, value in self.extra.items())
        return out


def _one_of(value: object, choices: tuple[str, ...], name: str) -> str | None:
    if value is None:
        return None
    if value not in choices:
        raise InputError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return str(value)


def check_thinking(value: object, display: object, *, max_tokens: int) -> dict[str, Any] | None:
    """``"adaptive"``, ``"disabled"``, ``"between_tools"``, a budget in tokens (enabled thinking), or the
    API's own dict (sent as given once its known fields check out)."""
    shown = _one_of(display, THINKING_DISPLAYS, "thinking_display")
    if value is None:
        if shown is not None:
            raise InputError("thinking_display needs thinking too: 'adaptive' or a budget in tokens")
        return None
    if isinstance(value, bool):
        raise InputError(f"{_THINKING_VALUES}, got {value!r}")
    if isinstance(value, int):
        thinking: dict[str, Any] = {"type": "enabled", "budget_tokens": value}
    elif isinstance(value, str):
        if value == "enabled":
            raise InputError(
                f"thinking 'enabled' needs a budget: give it in tokens instead (at least {MIN_THINKING_BUDGET:,})"
            )
        if value not in THINKING_TYPES:
            raise InputError(f"{_THINKING_VALUES}, got {value!r}")
        thinking = {"type": value}
    elif isinstance(value, Mapping) and isinstance(value.get("type"), str):
        thinking = dict(value)
    else:
        raise InputError(f"{_THINKING_VALUES} (or the API's dict), got {value!r}")
    if thinking["type"] == "enabled":
        budget = thinking.get("budget_tokens")
        if isinstance(budget, bool) or not isinstance(budget, int) or budget < MIN_THINKING_BUDGET:
            raise InputError(
                f"the thinking budget must be whole tokens, at least {MIN_THINKING_BUDGET:,}, got {budget!r}"
            )
        if budget >= max_tokens:
            raise InputError(f"the thinking budget ({budget:,} tokens) must be less than max_tokens ({max_tokens:,})")
    if shown is not None:
        if thinking["type"] not in ("adaptive", "enabled"):
            raise InputError(f"thinking_display applies to adaptive or enabled thinking, not {thinking['type']!r}")
        thinking["display"] = shown
    return thinking


def check_stop_sequences(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, Iterable) or isinstance(items, (bytes, Mapping)):
        raise InputError(f"stop_sequences must be a list of strings, got {value!r}")
    out = tuple(items)
    for item in out:
        if not isinstance(item, str) or not item:
            raise InputError(f"each stop sequence must be non-empty text, got {item!r}")
    return out


def check_tool_choice(value: object, tool_names: list[str]) -> dict[str, Any] | None:
    """``"auto"``, ``"any"``, ``"none"``, a tool's name (that tool must be called), or the API's dict."""
    if value is None:
        return None
    if isinstance(value, str):
        choice: dict[str, Any] = {"type": value} if value in TOOL_CHOICES[:3] else {"type": "tool", "name": value}
    elif isinstance(value, Mapping) and value.get("type") in TOOL_CHOICES:
        choice = dict(value)
    else:
        raise InputError(f"tool_choice must be 'auto', 'any', 'none', a tool's name or a dict, got {value!r}")
    if choice["type"] in ("any", "tool") and not tool_names:
        raise InputError(f"tool_choice {value!r} needs tools (--tools / tools=)")
    if choice["type"] == "tool" and choice.get("name") not in tool_names:
        known = ", ".join(tool_names) or "none"
        raise InputError(f"tool_choice names {choice.get('name')!r}, which is not one of the tools (tools: {known})")
    return choice


def check_metadata(value: object) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise InputError(f"metadata must be a dict such as {{'user_id': 'u-123'}}, got {value!r}")
    for key, item in value.items():
        if item is not None and not isinstance(item, str):
            raise InputError(f"metadata {key!r} must be text (an opaque id), got {type(item).__name__}")
    return dict(value)


def check_params(value: object, *, model: str, claude: bool) -> dict[str, Any]:
    """The pass-through: request keys sent as given (JSON values), for anything newer or another server."""
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(isinstance(k, str) and k for k in value):
        raise InputError(f"params must be a dict of request keys, got {value!r}")
    for key in value:
        if key in _OWN_KEYS:
            where = f"; use {_OWN_KEYS[key]}" if _OWN_KEYS[key] else ""
            raise InputError(f"params cannot set {key!r}: nbstream sends it itself{where}")
        if claude and key in SAMPLING_PARAMS:
            raise InputError(
                f"{key} was removed from the Messages API in version 2026-10-21 and {model} answers 400 to it; "
                "it is sent only to other servers (such as llama.cpp's)"
            )
        try:
            json.dumps(value[key], allow_nan=False)
        except (TypeError, ValueError):
            raise InputError(f"params {key!r} must be a JSON value, got {type(value[key]).__name__}") from None
    return dict(value)


def make_settings(
    *,
    model: str,
    max_tokens: int,
    tool_names: list[str],
    thinking: object = None,
    thinking_display: object = None,
    effort: object = None,
    stop_sequences: object = None,
    tool_choice: object = None,
    speed: object = None,
    service_tier: object = None,
    metadata: object = None,
    params: object = None,
) -> Settings:
    """Check every parameter and the model's known refusals. Raises a one-line InputError."""
    claude = model.startswith("claude-")
    settings = Settings(
        thinking=check_thinking(thinking, thinking_display, max_tokens=max_tokens),
        effort=_one_of(effort, EFFORTS, "effort"),
        stop_sequences=check_stop_sequences(stop_sequences),
        tool_choice=check_tool_choice(tool_choice, tool_names),
        speed=_one_of(speed, SPEEDS, "speed"),
        service_tier=_one_of(service_tier, SERVICE_TIERS, "service_tier"),
        metadata=check_metadata(metadata),
        extra=check_params(params, model=model, claude=claude),
    )
    thinking, choice = settings.thinking or {}, settings.tool_choice or {}
    if thinking.get("type") == "disabled" and model in ALWAYS_THINKING:
        raise InputError(f"{model} always thinks: thinking cannot be disabled (the API answers 400)")
    if choice.get("type") in ("any", "tool") and model in NO_FORCED_TOOL_CHOICE:
        raise InputError(f"{model} refuses a forced tool_choice (the API answers 400 to it): use 'auto'")
    return settings


def parse_param(text: str) -> tuple[str, Any]:
    """``--param key=value``: the value as JSON when it reads as JSON (0.2, true, [1,2]), else as text."""
    key, sep, raw = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise InputError(f"--param needs key=value, got {text!r}")
    try:
        return key, json.loads(raw)
    except ValueError:
        return key, raw


def parse_pairs(items: list[str] | None, option: str) -> dict[str, Any] | None:
    """Repeated ``--param k=v`` (or ``--metadata k=v``) as one dict; None when none was given."""
    if not items:
        return None
    out: dict[str, Any] = {}
    for item in items:
        key, value = parse_param(item) if option == "--param" else _text_pair(item, option)
        out[key] = value
    return out


def _text_pair(text: str, option: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise InputError(f"{option} needs key=value, got {text!r}")
    return key.strip(), value
