"""The request parameters the simulated API checks as the real one does: the top-level keys it knows,
thinking, output_config (effort, format), tool_choice, speed, service_tier, metadata, stop_sequences, and
what a model refuses (thinking disabled on a model that always thinks, a forced tool_choice on the 5.5
models). Pure: a request body in, a :class:`ParamError` (a 400) out. The simulator plays the API, so its
rules are written here on their own, not imported from the client it tests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The top-level keys of a Messages request (SDK 2.x's message_create_params), plus `stream`.
KNOWN_KEYS = frozenset({
    "model", "messages", "max_tokens", "system", "stream", "tools", "tool_choice", "thinking", "output_config",
    "stop_sequences", "metadata", "service_tier", "speed", "cache_control", "container", "diagnostics",
    "inference_geo", "user_profile_id", "workspace_id",
})
SAMPLING = ("temperature", "top_p", "top_k")  # taken only by anthropic-version 2023-06-01
VERSION_WITHOUT_SAMPLING = "2026-10-21"

ALWAYS_THINKING = frozenset({"claude-opus-5-5", "claude-sonnet-5-5", "claude-fable-5-1", "claude-fable-5-2"})
NO_FORCED_TOOL_CHOICE = frozenset({"claude-opus-5-5", "claude-sonnet-5-5", "claude-fable-5-1"})


class ParamError(ValueError):
    """A parameter the API would answer 400 to; the message is the API's style of field error."""


def _literal(value: Any, where: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ParamError(f"{where}: Input should be {' or '.join(repr(c) for c in choices)}, got {value!r}")


def _check_thinking(thinking: Any, model: str, max_tokens: int) -> None:
    if not isinstance(thinking, Mapping):
        raise ParamError("thinking: Input should be an object")
    kind = thinking.get("type")
    _literal(kind, "thinking.type", ("adaptive", "enabled", "disabled", "between_tools"))
    if kind == "enabled":
        budget = thinking.get("budget_tokens")
        if isinstance(budget, bool) or not isinstance(budget, int):
            raise ParamError("thinking.enabled.budget_tokens: Field required (an integer)")
        if budget < 1024:
            raise ParamError("thinking.enabled.budget_tokens: Input should be greater than or equal to 1024")
        if budget >= max_tokens:
            raise ParamError("`max_tokens` must be greater than `thinking.budget_tokens`")
    if "display" in thinking:
        if kind not in ("adaptive", "enabled"):
            raise ParamError(f"thinking.{kind}.display: Extra inputs are not permitted")
        if thinking["display"] is not None:
            _literal(thinking["display"], f"thinking.{kind}.display", ("summarized", "omitted"))
    if kind == "disabled" and model in ALWAYS_THINKING:
        raise ParamError(f"thinking: {model} does not support disabling thinking")


def _check_output_config(config: Any) -> None:
    if not isinstance(config, Mapping):
        raise ParamError("output_config: Input should be an object")
    for key in config:
        if key not in ("effort", "format"):
            raise ParamError(f"output_config.{key}: Extra inputs are not permitted")
    if config.get("effort") is not None:
        _literal(config["effort"], "output_config.effort", ("low", "medium", "high", "xhigh", "max"))
    fmt = config.get("format")
    if fmt is not None:
        if not isinstance(fmt, Mapping) or fmt.get("type") != "json_schema":
            raise ParamError("output_config.format.type: Input should be 'json_schema'")
        if not isinstance(fmt.get("schema"), Mapping):
            raise ParamError("output_config.format.schema: Field required (an object)")


def _check_tool_choice(choice: Any, body: Mapping[str, Any]) -> None:
    if not isinstance(choice, Mapping):
        raise ParamError("tool_choice: Input should be an object")
    kind = choice.get("type")
    _literal(kind, "tool_choice.type", ("auto", "any", "tool", "none"))
    names = [t.get("name") for t in body.get("tools") or [] if isinstance(t, Mapping)]
    if kind == "tool" and choice.get("name") not in names:
        raise ParamError(f"tool_choice.name: no tool named {choice.get('name')!r} in tools")
    if kind in ("any", "tool") and body["model"] in NO_FORCED_TOOL_CHOICE:
        raise ParamError(f"tool_choice: forced tool use ('{kind}') is not supported by {body['model']}; use 'auto'")


def check_parameters(body: Mapping[str, Any], version: str | None) -> None:
    """Raise ParamError for a parameter the real API refuses."""
    for key in body:
        if key in SAMPLING:
            if version == VERSION_WITHOUT_SAMPLING:
                raise ParamError(f"{key}: Extra inputs are not permitted (removed in anthropic-version 2026-10-21)")
        elif key not in KNOWN_KEYS:
            raise ParamError(f"{key}: Extra inputs are not permitted")
    model = str(body["model"])
    if "thinking" in body:
        _check_thinking(body["thinking"], model, int(body.get("max_tokens") or 1 << 30))
    if "output_config" in body:
        _check_output_config(body["output_config"])
    if "tool_choice" in body:
        _check_tool_choice(body["tool_choice"], body)
    if "speed" in body and body["speed"] is not None:
        _literal(body["speed"], "speed", ("standard", "fast"))
    if "service_tier" in body:
        _literal(body["service_tier"], "service_tier", ("auto", "standard_only"))
    if "metadata" in body:
        metadata = body["metadata"]
        if not isinstance(metadata, Mapping):
            raise ParamError("metadata: Input should be an object")
        for key, value in metadata.items():
            if key != "user_id":
                raise ParamError(f"metadata.{key}: Extra inputs are not permitted")
            if value is not None and not isinstance(value, str):
                raise ParamError("metadata.user_id: Input should be a valid string")
    stops = body.get("stop_sequences")
    if stops is not None and (not isinstance(stops, list) or not all(isinstance(s, str) for s in stops)):
        raise ParamError("stop_sequences: Input should be a list of strings")
