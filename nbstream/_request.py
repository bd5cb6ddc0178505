"""What one call sends, validated once before anything is sent.

Every surface (the magic, StreamWidget, ParallelPanel, configuration) validates through the functions
here, so a bad value gets the same one-line error wherever it comes from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from ._approve import DEFAULT_TIMEOUT as DEFAULT_APPROVE_TIMEOUT
from ._attachments import Attachment, check_attachments
from ._config import defaults
from ._errors import InputError
from ._params import Settings, make_settings
from ._schema import Schema, make_schema
from ._server_tools import server_tools, split_tools
from ._tools import check_tools
from ._validate import (
    DEFAULT_MAX_TURNS,
    EPHEMERAL,
    check_cache,
    check_model,
    check_non_negative_int,
    check_positive_int,
    check_prompt,
    check_replay,
    check_seconds,
    check_system,
)


@dataclass(frozen=True)
class Request:
    """One call's parameters. Build it with :func:`make_request`, which validates and fills defaults."""

    prompt: str
    model: str
    max_tokens: int
    system: str | None = None
    idle_timeout: float = 60.0
    max_retries: int = 3
    history: tuple[dict[str, Any], ...] = ()  # earlier turns of a conversation
    tools: tuple[Any, ...] = ()  # nbstream Tools
    max_turns: int = 5  # model turns per call: a cap on runaway tool loops
    cache: str | None = None  # None, "auto" or "system"
    server_tools: tuple[dict[str, Any], ...] = ()  # tools the API runs itself (web search, code execution, ...)
    settings: Settings = Settings()  # thinking, effort, stop sequences, tool_choice, ... (_params)
    schema: Schema | None = None  # structured output: output_config.format, and the reply checked (_schema)
    approve: bool = False  # each tool call waits for the user's Approve / Deny (_approve)
    approve_timeout: float = DEFAULT_APPROVE_TIMEOUT  # seconds without a decision before the run stops
    attachments: tuple[Attachment, ...] = ()  # images and files, sent before the prompt's text
    replay: bool | str = False  # True/"instant": answered from the call log when an identical call finished

    def messages(self) -> list[dict[str, Any]]:
        if self.attachments:
            content: Any = [*(a.block() for a in self.attachments), {"type": "text", "text": self.prompt}]
            return [*self.history, {"role": "user", "content": content}]
        return [*self.history, {"role": "user", "content": self.prompt}]

    def shown_settings(self) -> list[str]:
        """What a view shows of this request's parameters: only those that differ from the API's defaults."""
        shown = self.settings.summary()
        return [*shown, self.schema.summary()] if self.schema is not None else shown

    def params(self, messages: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """The keyword arguments for ``client.messages.create``: no credentials, no headers."""
        params: dict[str, Any] = {
            "model": self.model,
            "max_tokens": self.max_tokens,
            "messages": self.messages() if messages is None else messages,
        }
        if self.system:
            system_block: dict[str, Any] = {"type": "text", "text": self.system}
            if self.cache == "system":
                system_block["cache_control"] = EPHEMERAL
            params["system"] = [system_block] if self.cache == "system" else self.system
        if self.tools or self.server_tools:
            params["tools"] = [*(t.definition for t in self.tools), *self.server_tools]
        if self.cache == "auto":
            params["cache_control"] = EPHEMERAL  # automatic caching: the last cacheable block
        params.update(self.settings.body())
        if self.schema is not None:
            output_format = {"type": "json_schema", "schema": self.schema.wire}
            params["output_config"] = {**params.get("output_config", {}), "format": output_format}
        choice = params.get("tool_choice")
        later_turn = messages is not None and len(messages) > len(self.history) + 1
        if choice and choice["type"] in ("any", "tool") and later_turn:
            # A forced tool call is the first turn's; after the tool results the model may answer ("auto").
            params["tool_choice"] = {k: v for k, v in choice.items() if k != "name"} | {"type": "auto"}
        return params


class CallOptions(TypedDict, total=False):
    """The options every surface takes for a call, defined once: StreamWidget, ParallelPanel (for all
    rows), Chat, ``nbstream.count`` and ``%%llm`` pass them through to :func:`make_request`. Left out (or
    None): the session default (``nbstream.defaults``, ``%config LLMMagics``)."""

    model: str | None  # a model id or alias: haiku, sonnet, opus
    system: str | None
    max_tokens: int | None
    idle_timeout: float | None  # seconds without a byte before a stream counts as stalled
    max_retries: int | None  # retries before the first token (429, 529, 5xx, connection)
    tools: list[Any] | None  # functions (or nbstream.tool objects) the model may call
    max_turns: int | None  # model turns per call: a cap on tool loops
    cache: bool | str | None  # True/"auto", "system", or False/None
    web_search: bool | None  # let the model search the web (a server tool, billed per search)
    web_fetch: bool | None  # let the model fetch web pages (a server tool)
    code_execution: bool | None  # let the model run code in the API's sandbox (a server tool)
    thinking: str | int | dict[str, Any] | None  # "adaptive", "disabled", "between_tools", or a budget in tokens
    thinking_display: str | None  # "summarized" or "omitted"
    effort: str | None  # output_config.effort: low, medium, high, xhigh, max
    stop_sequences: list[str] | str | None
    tool_choice: str | dict[str, Any] | None  # "auto", "any", "none" or a tool's name
    speed: str | None  # "standard" or "fast"
    service_tier: str | None  # "auto" or "standard_only"
    metadata: dict[str, str] | None  # {"user_id": ...}
    params: dict[str, Any] | None  # any other request keys, sent as given (e.g. temperature for llama.cpp)
    schema: Any  # structured output: a JSON schema, a pydantic model, or "name, age int, tags list[str]"
    approve: bool | None  # tool calls ask first: Approve / Deny in the view before each runs
    approve_timeout: float | None  # seconds to wait for a decision (default 300), then the run stops
    images: Any  # one or a list: paths, bytes, PIL images, matplotlib figures, "last-figure"
    files: Any  # one or a list: paths of PDFs or text files
    replay: bool | str | None  # True: from the call log at the recorded pace when it holds this request; "instant"


CALL_OPTIONS: tuple[str, ...] = tuple(CallOptions.__annotations__)


def check_approve(approve: object, timeout: object, *, has_tools: bool) -> dict[str, Any]:
    if approve is None or approve is False:
        if timeout is not None:
            raise InputError("approve_timeout needs approve=True (--approve)")
        return {}
    if approve is not True:
        raise InputError(f"approve must be True or False, got {approve!r}")
    if not has_tools:
        raise InputError("approve=True (--approve) asks before each tool call: give tools too (--tools / tools=)")
    seconds = DEFAULT_APPROVE_TIMEOUT if timeout is None else check_seconds(timeout, "approve_timeout")
    return {"approve": True, "approve_timeout": seconds}


def make_request(
    prompt: object,
    *,
    model: object = None,
    max_tokens: object = None,
    system: object = None,
    idle_timeout: object = None,
    max_retries: object = None,
    tools: object = None,
    max_turns: object = None,
    cache: object = None,
    images: object = None,
    files: object = None,
    replay: object = None,
    history: object = (),
    web_search: object = None,
    web_fetch: object = None,
    code_execution: object = None,
    schema: object = None,
    approve: object = None,
    approve_timeout: object = None,
    **settings: object,
) -> Request:
    """Validate and fill from the session defaults (``%config LLMMagics...``). Raises InputError.

    ``tools`` is the general tools list: functions (run here) and server tool definitions (dicts with a
    ``type`` and a ``name``, run by the API). ``settings``: thinking, thinking_display, effort,
    stop_sequences, tool_choice, speed, service_tier, metadata, params (checked by ``_params.make_settings``)."""
    checked_model = check_model(defaults.model if model is None else model)
    checked_max = check_positive_int(defaults.max_tokens if max_tokens is None else max_tokens, "max_tokens")
    functions, given = split_tools(tools)
    servers = server_tools(given, web_search=web_search, web_fetch=web_fetch, code_execution=code_execution)
    checked_tools = check_tools(functions)
    if clash := {t.name for t in checked_tools} & {t["name"] for t in servers}:
        raise InputError(f"two tools share the name {sorted(clash)[0]!r}")
    return Request(
        prompt=check_prompt(prompt),
        model=checked_model,
        max_tokens=checked_max,
        system=check_system(defaults.system if system is None else system),
        idle_timeout=check_seconds(
            defaults.idle_timeout if idle_timeout is None else idle_timeout, "idle_timeout"
        ),
        max_retries=check_non_negative_int(
            defaults.max_retries if max_retries is None else max_retries, "max_retries"
        ),
        history=tuple(history),  # type: ignore[arg-type]
        tools=checked_tools,
        server_tools=servers,
        max_turns=check_positive_int(DEFAULT_MAX_TURNS if max_turns is None else max_turns, "max_turns"),
        cache=check_cache(cache),
        settings=make_settings(
            model=checked_model, max_tokens=checked_max, tool_names=[t.name for t in checked_tools], **settings
        ),
        schema=make_schema(schema),
        **check_approve(approve, approve_timeout, has_tools=bool(checked_tools)),
        attachments=check_attachments(images, files),
        replay=check_replay(defaults.replay if replay is None else replay),
    )
