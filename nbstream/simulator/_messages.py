"""The Messages API: ``POST /v1/messages`` (SSE and JSON), ``POST /v1/messages/count_tokens``, errors.

A request is validated, its directive applied (pre-response faults, error statuses), the prompt cache
consulted (``_cache``), then its reply (see ``_reply``) is either sent as one JSON Message or streamed as
SSE. The streamer walks the reply's steps and paces the token steps by elapsed time, so it needs no change
for new kinds of block. Message Batches (``_batches``) reuse the validation, directives and replies.
"""

from __future__ import annotations

import dataclasses
import json
import math
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ._cache import PromptCache
from ._directives import MID_STREAM_FAULTS, STREAM_ONLY_FAULTS, Directive, DirectiveError, parse_directives
from ._http import ClientGone, Connection, Request
from ._latency import pace
from ._media import MediaError, check_media
from ._params import ParamError, check_parameters
from ._prompt import PromptError, breakpoints
from ._reply import Reply, estimate_input_tokens, plan_reply
from ._tools import ToolPairingError, check_tool_pairing

__all__ = [
    "EVENT_ERROR_MESSAGES",
    "JSON_CONTENT_TYPE",
    "STATUS_ERRORS",
    "APIError",
    "Exchange",
    "Settings",
    "check_fault_fits",
    "count_tokens",
    "create_message",
    "error_body",
    "new_request_id",
    "request_directive",
    "send_body",
    "send_error",
    "send_json",
    "validate_request",
]

SSE_CONTENT_TYPE = "text/event-stream; charset=utf-8"
JSON_CONTENT_TYPE = "application/json"

# HTTP status -> (error.type, message). Types follow the reference §3.1/§3.2; where the docs give none
# (408, 422, 502, 503) the closest documented type is used. The SDK picks its exception class by status alone.
STATUS_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request_error", "Invalid request (simulated)"),
    401: ("authentication_error", "invalid x-api-key"),
    402: ("billing_error", "Your credit balance is too low to access the Anthropic API (simulated)"),
    403: (
        "permission_error",
        "Your API key does not have permission to use the specified resource (simulated)",
    ),
    404: ("not_found_error", "Not found (simulated)"),
    408: ("timeout_error", "Request timed out (simulated)"),
    409: ("conflict_error", "Conflict (simulated)"),
    413: ("request_too_large", "Request exceeds the maximum allowed number of bytes (simulated)"),
    422: ("invalid_request_error", "Unprocessable entity (simulated)"),
    429: ("rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit (simulated)"),
    500: ("api_error", "Internal server error (simulated)"),
    502: ("api_error", "Bad gateway (simulated)"),
    503: ("api_error", "Service unavailable (simulated)"),
    504: ("timeout_error", "Gateway timeout (simulated)"),
    529: ("overloaded_error", "Overloaded"),
}
# Messages for mid-stream `error` events (`fault=error_event error=TYPE`), one per directive error type.
EVENT_ERROR_MESSAGES = {
    "overloaded_error": "Overloaded",
    "api_error": "Internal server error",
    "rate_limit_error": "Rate limited",
    "timeout_error": "Request timed out",
    "invalid_request_error": "Invalid request",
    "authentication_error": "invalid x-api-key",
    "billing_error": "Your credit balance is too low",
    "permission_error": "Permission denied",
    "not_found_error": "Not found",
    "request_too_large": "Request too large",
    "conflict_error": "Conflict",
}
_FLUSH_EVERY = 64  # at most this many due events are batched into one socket write


def new_request_id() -> str:
    return "req_sim_" + secrets.token_hex(12)


def _now() -> float:
    return time.monotonic()


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


# ------------------------------------------------------------------------------------------------------------
# Settings, records and the per-request exchange


@dataclasses.dataclass(frozen=True)
class Settings:
    """Timing and size defaults; a request's directive overrides them.

    ``ttft``/``rate`` None (the default): each model's latency profile (``_latency``); a number pins it for
    every model.
    """

    ttft: float | None = None
    rate: float | None = None
    tokens: int | None = None  # None: a reply shaped by the prompt (else 150-300 tokens); N: exactly N tokens
    batch_seconds: float = 2.0  # how long a whole Message Batch takes to process

    def __post_init__(self) -> None:
        def number(value: Any) -> bool:
            return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)

        if self.ttft is not None and not (number(self.ttft) and self.ttft >= 0):
            raise ValueError(f"ttft must be None or a number of seconds >= 0, not {self.ttft!r}")
        if self.rate is not None and not (number(self.rate) and self.rate > 0):
            raise ValueError(f"rate must be None or a number of tokens per second > 0, not {self.rate!r}")
        if self.tokens is not None and not (
            isinstance(self.tokens, int) and not isinstance(self.tokens, bool) and self.tokens >= 0
        ):
            raise ValueError(f"tokens must be None or an integer >= 0, not {self.tokens!r}")
        if not (number(self.batch_seconds) and self.batch_seconds >= 0):
            raise ValueError(f"batch_seconds must be a number of seconds >= 0, not {self.batch_seconds!r}")
        if self.ttft is not None:
            object.__setattr__(self, "ttft", float(self.ttft))
        if self.rate is not None:
            object.__setattr__(self, "rate", float(self.rate))
        object.__setattr__(self, "batch_seconds", float(self.batch_seconds))

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Record(Protocol):
    """One entry of the request log (implemented by the server; updates are thread-safe)."""

    def update(self, **fields: Any) -> None: ...


@dataclasses.dataclass
class Exchange:
    """Everything a handler needs for one request."""

    conn: Connection
    request: Request
    record: Record
    request_id: str
    settings: Settings
    attempt: int  # 1-based attempt number of this exact request body
    cache: PromptCache  # the simulator's prompt cache
    next_sample: Callable[[], int] = lambda: 0  # 0, 1, 2...: replies already given to this exact body

    def headers(self, content_type: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return {
            "content-type": content_type,
            "request-id": self.request_id,
            "x-nbstream-simulator": "1",
            **(extra or {}),
        }

    def client_gone(self, *, faulted: bool) -> None:
        """Log that the client went away while this request was in progress."""
        self.conn.must_close = True
        if self.conn.closed_by_server:
            return
        closed_at = self.conn.closed_at if self.conn.closed_at is not None else _now()
        self.record.update(
            outcome="fault" if faulted else "client_closed", client_closed_at=closed_at, ended_at=_now()
        )


# ------------------------------------------------------------------------------------------------------------
# Errors


class APIError(Exception):
    """An error response to send instead of a result."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        *,
        type: str | None = None,
        headers: Mapping[str, str] | None = None,
        html: bool = False,
    ) -> None:
        default_type, default_message = STATUS_ERRORS.get(status, ("api_error", "Error (simulated)"))
        super().__init__(message or default_message)
        self.status = status
        self.type = type or default_type
        self.message = message or default_message
        self.headers = dict(headers or {})
        self.html = html


def error_body(type: str, message: str, request_id: str | None) -> dict[str, Any]:
    return {"type": "error", "error": {"type": type, "message": message}, "request_id": request_id}


def _html_page(status: int) -> bytes:
    title = f"{status} {'Bad Gateway' if status == 502 else 'Error'}"
    page = f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n"
    return (page + "</body>\r\n</html>\r\n").encode()


async def send_error(ex: Exchange, error: APIError) -> None:
    if error.html:
        headers = ex.headers("text/html; charset=utf-8", error.headers)
        body = _html_page(error.status)
    else:
        headers = ex.headers(JSON_CONTENT_TYPE, error.headers)
        body = _dumps(error_body(error.type, error.message, ex.request_id)).encode()
    # The log is updated before the bytes go out: a client that reads the log right after its call returns
    # must find the record complete.
    now = _now()
    ex.record.update(
        outcome="error_status", status=error.status, error=error.type, headers_sent_at=now, ended_at=now
    )
    try:
        await ex.conn.send(error.status, headers, body)
    except ClientGone:
        ex.client_gone(faulted=False)


# ------------------------------------------------------------------------------------------------------------
# Validation and estimates


def validate_request(body: Any, headers: Mapping[str, str], *, need_max_tokens: bool) -> None:
    if not isinstance(body, dict):
        raise APIError(400, "request body must be a JSON object")
    if "model" not in body:
        raise APIError(400, "model: Field required")
    if not isinstance(body["model"], str) or not body["model"]:
        raise APIError(400, "model: Input should be a valid string")
    if need_max_tokens:
        if "max_tokens" not in body:
            raise APIError(400, "max_tokens: Field required")
        max_tokens = body["max_tokens"]
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
            raise APIError(400, f"max_tokens: Input should be a positive integer, got {max_tokens!r}")
    if "messages" not in body:
        raise APIError(400, "messages: Field required")
    messages = body["messages"]
    if not isinstance(messages, list):
        raise APIError(400, "messages: Input should be a valid list")
    if not messages:
        raise APIError(400, "messages: at least one message is required")
    for i, message in enumerate(messages):
        if not isinstance(message, dict):
            raise APIError(400, f"messages.{i}: Input should be an object")
        if message.get("role") not in ("user", "assistant"):
            raise APIError(
                400, f"messages.{i}.role: Input should be 'user' or 'assistant', got {message.get('role')!r}"
            )
        if not isinstance(message.get("content"), str | list):
            raise APIError(400, f"messages.{i}.content: Input should be a string or a list of content blocks")
    if "system" in body and not isinstance(body["system"], str | list):
        raise APIError(400, "system: Input should be a string or a list of text blocks")
    if "tools" in body:
        _validate_tools(body["tools"])
    try:
        check_tool_pairing(messages)
        breakpoints(body)  # checks every cache_control
        check_media(body)
    except (ToolPairingError, PromptError, MediaError) as exc:
        raise APIError(400, str(exc)) from None
    if "stream" in body and not isinstance(body["stream"], bool):
        raise APIError(400, "stream: Input should be a valid boolean")
    try:
        check_parameters(body, headers.get("anthropic-version"))
    except ParamError as exc:
        raise APIError(400, str(exc)) from None
    # Any `claude-*` id is accepted so that new models work; the real API answers unknown ids with a 404.
    if not body["model"].startswith("claude-"):
        raise APIError(404, f"model: {body['model']}")


def _validate_tools(tools: Any) -> None:
    if not isinstance(tools, list):
        raise APIError(400, "tools: Input should be a valid list")
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise APIError(400, f"tools.{i}: Input should be an object")
        if not isinstance(tool.get("name"), str) or not tool["name"]:
            raise APIError(400, f"tools.{i}.name: Field required")
        if "input_schema" in tool and not isinstance(tool["input_schema"], dict):
            raise APIError(400, f"tools.{i}.input_schema: Input should be an object")


def request_directive(body: Mapping[str, Any]) -> Directive:
    """The request's directive; APIError(400) for a bad one."""
    try:
        return parse_directives(body)
    except DirectiveError as exc:
        raise APIError(400, str(exc)) from None


def check_fault_fits(directive: Directive, *, stream: bool) -> None:
    """APIError(400) for a stream-only fault in a request that is not streamed."""
    if directive.fault in STREAM_ONLY_FAULTS and not stream:
        raise APIError(
            400, f'simulator directive fault={directive.fault} needs a streaming request ("stream": true)'
        )


# ------------------------------------------------------------------------------------------------------------
# Endpoints


async def count_tokens(ex: Exchange, body: Any) -> None:
    """``POST /v1/messages/count_tokens``. Directives are validated (typos stay loud) but not applied."""
    validate_request(body, ex.request.headers, need_max_tokens=False)
    ex.record.update(directive=request_directive(body).as_dict())
    input_tokens = estimate_input_tokens(body)
    await send_json(ex, {"input_tokens": input_tokens}, outcome="completed", input_tokens=input_tokens)


async def create_message(ex: Exchange, body: Any) -> None:
    """``POST /v1/messages``: pre-response faults, then an error status, a JSON Message or an SSE stream."""
    validate_request(body, ex.request.headers, need_max_tokens=True)
    directive = request_directive(body)
    ex.record.update(directive=directive.as_dict(), **check_media(body))
    stream = body.get("stream") is True
    check_fault_fits(directive, stream=stream)
    active = directive.applies(ex.attempt)
    fault = directive.fault if active else None

    if fault == "close_before_response":
        ex.record.update(outcome="fault", ended_at=_now())
        ex.conn.close()
        return
    if fault == "delay_headers" and await ex.conn.wait_closed(directive.secs):
        ex.client_gone(faulted=True)
        return
    if active and directive.status is not None:
        headers: dict[str, str] = {}
        if directive.retry_after is not None:
            headers["retry-after"] = f"{directive.retry_after:g}"
        if directive.should_retry is not None:
            headers["x-should-retry"] = "true" if directive.should_retry else "false"
        raise APIError(directive.status, headers=headers, html=directive.html)

    sample = ex.next_sample()
    reply = plan_reply(body, directive, ex.settings.tokens, cache=ex.cache.use(body), sample=sample)
    usage = reply.usage
    ttft, rate = pace(
        reply.model,
        uncached_tokens=usage.input_tokens + usage.cache_creation_5m + usage.cache_creation_1h,
        cached_tokens=usage.cache_read,
        ttft=directive.ttft if directive.ttft is not None else ex.settings.ttft,
        rate=directive.rate if directive.rate is not None else ex.settings.rate,
        seed=reply.seed,
    )
    ex.record.update(
        stop_reason=reply.stop_reason,
        input_tokens=usage.input_tokens,
        cache_read_input_tokens=usage.cache_read,
        cache_creation_input_tokens=usage.cache_creation_5m + usage.cache_creation_1h,
        sample=sample,
        ttft_planned=ttft,
        rate_planned=rate,
    )
    if not stream or fault == "json_body":
        await _json_reply(ex, reply, ttft, rate, faulted=fault == "json_body")
    else:
        await _Streamer(ex, reply, directive, fault, ttft, rate).run()


async def send_json(ex: Exchange, obj: Any, **fields: Any) -> None:
    """A 200 JSON response; `fields` go into the log record, which is completed before the bytes leave."""
    await send_body(ex, _dumps(obj).encode(), JSON_CONTENT_TYPE, **fields)


async def send_body(ex: Exchange, body: bytes, content_type: str, **fields: Any) -> None:
    """A 200 response with `body`; `fields` go into the log record first."""
    now = _now()
    if fields.get("tokens_sent"):
        fields["first_token_at"] = now  # every token arrives with the body
    ex.record.update(status=200, headers_sent_at=now, ended_at=now, **fields)
    await ex.conn.send(200, ex.headers(content_type), body)


async def _json_reply(ex: Exchange, reply: Reply, ttft: float, rate: float, *, faulted: bool) -> None:
    """The whole Message after the time the stream would have taken (a streaming request gets ttft only)."""
    delay = ttft if faulted else ttft + reply.usage.output_tokens / rate
    try:
        if await ex.conn.wait_closed(ex.request.received_at + delay - _now()):
            raise ClientGone
        await send_json(
            ex,
            reply.message(final=True),
            tokens_sent=reply.usage.output_tokens,
            outcome="fault" if faulted else "completed",
        )
    except ClientGone:
        ex.client_gone(faulted=False)


class _Streamer:
    """Streams one reply as SSE, paced by elapsed time, injecting at most one fault."""

    def __init__(
        self, ex: Exchange, reply: Reply, directive: Directive, fault: str | None, ttft: float, rate: float
    ) -> None:
        self.ex = ex
        self.reply = reply
        self.directive = directive
        self.fault = fault
        self.mid_fault = fault if fault in MID_STREAM_FAULTS else None
        # Structural faults (no_message_start, no_event_lines, ...) are in effect from the first byte.
        self.fired = fault is not None and self.mid_fault is None
        self.newline = "\r\n" if directive.crlf else "\n"
        self.named = fault != "no_event_lines"
        self.first_due = ex.request.received_at + ttft
        self.interval = 1.0 / rate
        self.frames: list[bytes] = []
        self.sent = 0  # token events written to the socket
        self.queued = 0  # token events in self.frames
        self.index = 0  # the block being streamed

    # -- framing ---------------------------------------------------------------------------------------------

    def frame(
        self, event: Mapping[str, Any] | None, *, name: str | None = None, data: str | None = None
    ) -> None:
        if data is None:
            data = '{"type": "ping"}' if event and event["type"] == "ping" else _dumps(event)
        name = name or (event["type"] if event else "message")
        nl = self.newline
        self.frames.append(((f"event: {name}{nl}" if self.named else "") + f"data: {data}{nl}{nl}").encode())

    async def flush(self, *, last: bool = False, **fields: Any) -> None:
        """Write the queued frames (`last`: and end the body); `fields` go into the log first."""
        if self.ex.conn.closed:
            raise ClientGone
        if self.queued:
            if self.sent == 0:
                fields["first_token_at"] = _now()
            self.sent += self.queued
            self.queued = 0
            fields["tokens_sent"] = self.sent
        if fields:
            if "outcome" in fields:
                fields["ended_at"] = _now()
            self.ex.record.update(**fields)
        if self.frames or last:
            frames, self.frames = self.frames, []
            await self.ex.conn.write_chunks(frames, self.directive.chunk, last=last)

    # -- the stream ------------------------------------------------------------------------------------------

    async def run(self) -> None:
        ex = self.ex
        try:
            await ex.conn.start_chunked(200, ex.headers(SSE_CONTENT_TYPE, {"cache-control": "no-cache"}))
            ex.record.update(status=200, headers_sent_at=_now())
            if self.fault != "no_message_start":
                self.frame({"type": "message_start", "message": self.reply.message(final=False)})
            pinged = False
            for step in self.reply.steps():
                if step.kind in ("token", "stop") and await self.maybe_fire():
                    return
                if step.kind in ("token", "silent"):
                    await self.pace()
                    self.queued += 1
                if step.kind != "silent":  # a thinking token the display omits: its time passes, nothing is sent
                    self.frame(step.event)
                if step.kind == "start":
                    self.index = step.event["index"]
                    if not pinged:  # the real API sends one ping right after the first block starts
                        self.frame({"type": "ping"})
                        pinged = True
            if await self.maybe_fire(force=True):
                return
            delta: dict[str, Any] = {
                "type": "message_delta",
                "delta": {
                    "stop_reason": self.reply.stop_reason,
                    "stop_sequence": self.reply.stop_sequence,
                    "stop_details": self.reply.stop_details,
                },
            }
            if self.fault != "delta_without_usage":
                delta["usage"] = self.reply.usage.delta(self.sent + self.queued)
            self.frame(delta)
            self.frame({"type": "message_stop"})
            await self.flush(last=True, outcome="fault" if self.fired else "completed")
        except ClientGone:
            ex.client_gone(faulted=self.fired)

    async def pace(self) -> None:
        """Wait until the next token is due; while behind schedule, batch due tokens into one write."""
        due = self.first_due + (self.sent + self.queued) * self.interval
        wait = due - _now()
        if wait > 0:
            await self.flush()
            if await self.ex.conn.wait_closed(wait):
                raise ClientGone
        elif len(self.frames) >= _FLUSH_EVERY:
            await self.flush()

    async def maybe_fire(self, *, force: bool = False) -> bool:
        """Inject the mid-stream fault once `after` tokens are out; True if the stream has ended."""
        fault = self.mid_fault
        if fault is None or self.fired or not (force or self.sent + self.queued >= self.directive.after):
            return False
        self.fired = True
        ex = self.ex
        if fault in ("error_event", "error_event_raw"):
            if fault == "error_event":
                kind = self.directive.error
                self.frame(error_body(kind, EVENT_ERROR_MESSAGES[kind], ex.request_id))
            else:
                self.frame(
                    None, name="error", data="upstream connect error or disconnect/reset before headers"
                )
            await self.flush(last=True, outcome="fault")
        elif fault == "eof":
            await self.flush(last=True, outcome="fault")
        elif fault == "drop":
            await self.flush(outcome="fault")
            ex.conn.close()
        elif fault == "reset":
            await self.flush(outcome="fault")
            ex.conn.reset()
        elif fault == "stall":
            await self.flush()
            started = _now()
            if await ex.conn.wait_closed(self.directive.secs):
                raise ClientGone
            self.first_due += _now() - started  # resume at the same rate, not with a burst
            return False
        elif fault == "malformed":
            broken = (
                f'{{"type":"content_block_delta","index":{self.index},"delta":{{"type":"text_delta","text":"'
            )
            self.frame(None, name="content_block_delta", data=broken + "unterminated")
            return False
        elif fault == "unknown_event":
            self.frame(
                {
                    "type": "future_event",
                    "index": self.index,
                    "note": "an event type from the future (simulated)",
                }
            )
            return False
        elif fault == "bad_index":
            bad = len(self.reply.blocks) + 1
            self.frame(
                {"type": "content_block_delta", "index": bad, "delta": {"type": "text_delta", "text": "?"}}
            )
            return False
        return True
