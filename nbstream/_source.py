"""The one module that talks to the Anthropic SDK.

The official async client sends every request (real HTTP, always): authentication, headers, base URL,
timeouts, and the typed errors of a failed response. For a stream nbstream then reads the response
body itself, through the SDK's public ``with_streaming_response`` API, and turns the Server-Sent Events
straight into its own events: the SDK's typed stream events cost twice the CPU per token (measured
with ``python -m benchmarks``), which a kernel streaming 50 calls at once cannot spare.

Every SDK and ``httpx2`` exception becomes a :class:`Failure`:

- before the response starts: ``APIStatusError`` subclasses (the real HTTP status), ``APIConnectionError``
  and ``APITimeoutError``;
- mid-stream: an SSE ``error`` event (classified by its ``type``), a dropped or stalled connection as a
  raw ``httpx2`` exception, a frame that is not JSON or breaks the grammar as ``malformed``.

The SDK's own retries are off (``max_retries=0``): the run retries itself, so it can show
"retrying in N s" and share one backoff across a panel.
"""

from __future__ import annotations

import asyncio
import email.utils
import inspect
import os
import time
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anthropic
import httpx2
import jiter

from ._events import (
    BlockStarted,
    BlockStopped,
    Failure,
    MessageDelta,
    MessageStarted,
    MessageStopped,
    SignatureDelta,
    SourceError,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ToolInputDelta,
    Usage,
)
from ._local import is_loopback

SIMULATOR_HEADER = "x-nbstream-simulator"
NO_KEY_HINT = (
    "Set ANTHROPIC_API_KEY, or run %llm_offline (or nbstream.use_offline()) to use the built-in offline model."
)


@dataclass(frozen=True)
class Endpoint:
    """An explicit server and key (the offline simulator). None means: let the SDK read the environment."""

    base_url: str
    api_key: str

    def __repr__(self) -> str:  # never show the key
        return f"Endpoint(base_url={self.base_url!r})"


@dataclass
class OpenStream:
    """A stream whose response has started: its events, and what the response headers said."""

    events: AsyncIterator[StreamEvent]
    request_id: str | None
    simulated: bool
    local: bool = False  # answered by a server on this machine (loopback), not the simulator


# One client per (event loop, credentials), so connections are pooled across calls.
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[tuple, anthropic.AsyncAnthropic]] = (
    weakref.WeakKeyDictionary()
)


def _client(endpoint: Endpoint | None) -> anthropic.AsyncAnthropic:
    loop = asyncio.get_running_loop()
    if endpoint is not None:
        key: tuple = ("explicit", endpoint.base_url, endpoint.api_key)
    else:  # the SDK reads these itself; re-create the client when the user changes them
        key = tuple(
            os.environ.get(name)
            for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "ANTHROPIC_PROFILE")
        )
    per_loop = _clients.setdefault(loop, {})
    client = per_loop.get(key)
    if client is None:
        kwargs: dict[str, Any] = {"max_retries": 0}
        if endpoint is not None:
            kwargs.update(base_url=endpoint.base_url, api_key=endpoint.api_key)
        try:
            client = anthropic.AsyncAnthropic(**kwargs)
        except anthropic.AnthropicError as exc:  # e.g. a profile directory without a profile
            raise SourceError(
                Failure("no_credentials", f"The Anthropic client could not be set up: {_first_line(exc).rstrip('.')}.")
            ) from None
        if client.api_key is None and client.auth_token is None and client.credentials is None:
            raise SourceError(Failure("no_credentials", "No Anthropic API key found.", hint=NO_KEY_HINT))
        per_loop[key] = client
    return client


def check_credentials(endpoint: Endpoint | None) -> None:
    """Raise SourceError(no_credentials) now, before anything is sent, if no key can be found."""
    _client(endpoint)


@asynccontextmanager
async def open_stream(
    params: dict[str, Any], *, endpoint: Endpoint | None, idle_timeout: float
) -> AsyncIterator[OpenStream]:
    """POST /v1/messages with ``stream: true``; yield once the response has started.

    ``idle_timeout`` is the longest silence allowed between bytes (the transport's read timeout):
    a stall mid-stream then ends as ``stalled`` and the connection is closed. Leaving the block (end,
    error or cancellation) closes the HTTP response, which closes the connection mid-stream.
    """
    client = _client(endpoint)
    timeout = httpx2.Timeout(connect=10.0, read=idle_timeout, write=30.0, pool=30.0)
    model = str(params.get("model", ""))
    opening = client.messages.with_streaming_response.create(**params, stream=True, timeout=timeout)
    try:
        response = await opening.__aenter__()
    except Exception as exc:  # noqa: BLE001 - every failure becomes a Failure; cancellation passes
        raise SourceError(classify(exc, model=model, idle_timeout=idle_timeout)) from None
    http = response.http_response
    try:
        yield OpenStream(
            events=_events(http, model=model, idle_timeout=idle_timeout),
            request_id=http.headers.get("request-id"),
            simulated=http.headers.get(SIMULATOR_HEADER) == "1",
            local=http.headers.get(SIMULATOR_HEADER) != "1" and is_loopback(str(http.url)),
        )
    finally:
        await opening.__aexit__(None, None, None)


class SSEParser:
    """Server-Sent Events framing, line by line, as the SDK reads it: ``event:`` and ``data:`` fields
    (data lines joined with a newline), a blank line dispatches, comments and other fields are ignored,
    and a frame without an event name is dropped. Pure: tested on recorded transcripts."""

    __slots__ = ("_data", "_event")

    def __init__(self) -> None:
        self._event: str | None = None
        self._data: list[str] = []

    def feed(self, line: str) -> tuple[str, str] | None:
        """One line (without its ending); returns (event, data) when a frame is complete."""
        if not line:
            event, data = self._event, self._data
            self._event, self._data = None, []
            if event is None or not data:
                return None
            return event, data[0] if len(data) == 1 else "\n".join(data)
        if line.startswith("data:"):
            self._data.append(line[6:] if line.startswith("data: ") else line[5:])
        elif line.startswith("event:"):
            self._event = line[6:].strip()
        return None


async def _events(http: Any, *, model: str, idle_timeout: float) -> AsyncIterator[StreamEvent]:
    parser = SSEParser()
    lines = http.aiter_lines()
    while True:
        try:
            line = await lines.__anext__()
        except StopAsyncIteration:
            return
        except Exception as exc:  # noqa: BLE001 - a dropped or stalled connection, mid-stream
            raise SourceError(classify(exc, model=model, idle_timeout=idle_timeout, mid_stream=True)) from None
        frame = parser.feed(line)
        if frame is not None:
            event = decode(*frame)
            if event is not None:
                yield event


def decode(name: str, data: str) -> StreamEvent | None:
    """One SSE frame as nbstream's event (None for pings and what nbstream does not use)."""
    if name == "ping":
        return None
    try:
        payload = jiter.from_json(data.encode())
    except ValueError:
        if name == "error":  # an error event whose data is not JSON
            raise SourceError(stream_error_failure(data, request_id=None)) from None
        raise SourceError(Failure("malformed", "The API sent a malformed event.", mid_stream=True)) from None
    if name == "error":
        raise SourceError(stream_error_failure(payload, request_id=None))
    try:
        return translate(payload)
    except (KeyError, TypeError, AttributeError, ValueError):
        raise SourceError(Failure("malformed", "The API sent a malformed event.", mid_stream=True)) from None


def translate(event: dict[str, Any]) -> StreamEvent | None:
    """One stream event's JSON in nbstream's words (dispatched on its ``type``, as the SDK does);
    None for event, block and delta types nbstream does not use: forward compatible."""
    kind = event.get("type")
    if kind == "content_block_delta":
        delta = event["delta"]
        delta_type = delta.get("type")
        if delta_type == "text_delta":
            return TextDelta(event["index"], delta["text"])
        if delta_type == "input_json_delta":
            return ToolInputDelta(event["index"], delta["partial_json"])
        if delta_type == "thinking_delta":
            return ThinkingDelta(event["index"], delta["thinking"])
        if delta_type == "signature_delta":  # kept: a thinking block goes back to the API with it
            return SignatureDelta(event["index"], delta["signature"])
        return None  # citations, future delta types
    if kind == "message_start":
        message = event["message"]
        return MessageStarted(message.get("id") or "", message.get("model") or "", Usage.from_api(message.get("usage") or {}))
    if kind == "content_block_start":
        block = event["content_block"]
        return BlockStarted(event["index"], block["type"], block.get("id"), block.get("name"), block.get("data"))
    if kind == "content_block_stop":
        return BlockStopped(event["index"])
    if kind == "message_delta":
        return MessageDelta((event.get("delta") or {}).get("stop_reason"), Usage.from_api(event.get("usage") or {}))
    if kind == "message_stop":
        return MessageStopped()
    return None


# --- tools and token counting ----------------------------------------------------------------


def function_tool(fn: Any, *, name: str | None = None, description: str | None = None) -> Any:
    """The SDK's own tool from a plain function: JSON schema from type hints and docstring, with
    pydantic validation of the model's arguments (``call(arguments)``)."""
    make = anthropic.beta_async_tool if inspect.iscoroutinefunction(fn) else anthropic.beta_tool
    return make(fn, name=name, description=description)


async def count_tokens(params: dict[str, Any], *, endpoint: Endpoint | None) -> int:
    """POST /v1/messages/count_tokens for these parameters (no max_tokens, no stream)."""
    client = _client(endpoint)
    fields = {k: v for k, v in params.items() if k in ("model", "messages", "system", "tools", "tool_choice")}
    try:
        counted = await client.messages.count_tokens(**fields)
    except Exception as exc:  # noqa: BLE001
        raise SourceError(classify(exc, model=str(params.get("model", "")))) from None
    return counted.input_tokens


# --- Message Batches ------------------------------------------------------------------------


async def _batches(endpoint: Endpoint | None, call: Any) -> Any:
    try:
        return await call(_client(endpoint).messages.batches)
    except SourceError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise SourceError(classify(exc)) from None


async def create_batch(requests: list[dict[str, Any]], *, endpoint: Endpoint | None) -> dict[str, Any]:
    """POST /v1/messages/batches with ``[{"custom_id", "params"}, ...]``; the batch object as a dict."""
    batch = await _batches(endpoint, lambda b: b.create(requests=requests))
    return batch.model_dump(mode="json")


async def retrieve_batch(batch_id: str, *, endpoint: Endpoint | None) -> dict[str, Any]:
    batch = await _batches(endpoint, lambda b: b.retrieve(batch_id))
    return batch.model_dump(mode="json")


async def cancel_batch(batch_id: str, *, endpoint: Endpoint | None) -> dict[str, Any]:
    batch = await _batches(endpoint, lambda b: b.cancel(batch_id))
    return batch.model_dump(mode="json")


async def batch_results(batch_id: str, *, endpoint: Endpoint | None) -> AsyncIterator[dict[str, Any]]:
    """An ended batch's results, one ``{"custom_id", "result": {...}}`` dict per line (any order)."""
    lines = await _batches(endpoint, lambda b: b.results(batch_id))
    try:
        async for line in lines:
            yield line.model_dump(mode="json", exclude_none=True)
    except Exception as exc:  # noqa: BLE001 - a dropped connection while reading the results
        raise SourceError(classify(exc, mid_stream=True)) from None


# --- failures --------------------------------------------------------------------------------

_STATUS_KINDS = {
    400: ("bad_request", False),
    401: ("auth", False),
    402: ("billing", False),
    403: ("permission", False),
    404: ("not_found", False),
    408: ("timeout", True),
    409: ("server_error", True),
    413: ("too_large", False),
    422: ("unprocessable", False),
    429: ("rate_limited", True),
    529: ("overloaded", True),
}
_MID_STREAM_KINDS = {"overloaded_error": "overloaded", "rate_limit_error": "rate_limited"}


def _hint(kind: str, model: str) -> str | None:
    return {
        "auth": "Check that ANTHROPIC_API_KEY holds a valid key.",
        "permission": "Your key is not allowed to use this model or feature.",
        "billing": "Check your plan and billing settings.",
        "not_found": f"Check the model name ({model!r})." if model else None,
        "too_large": "Shorten the prompt.",
    }.get(kind) or None


def classify(exc: BaseException, *, model: str = "", idle_timeout: float = 0.0, mid_stream: bool = False) -> Failure:
    """Map any exception from the SDK or its transport to a Failure."""
    if isinstance(exc, SourceError):
        return exc.failure
    if isinstance(exc, anthropic.APIStatusError):
        return _status_failure(exc, model=model, mid_stream=mid_stream)
    if isinstance(exc, anthropic.APITimeoutError):
        return Failure("timeout", f"No response within {idle_timeout:g} s.", retryable=True)
    if isinstance(exc, anthropic.APIConnectionError):
        cause = exc.__cause__ or exc
        return Failure("connection", f"Could not reach the API: {_first_line(cause).rstrip('.')}.", retryable=True)
    if isinstance(exc, httpx2.TimeoutException):
        return Failure(
            "stalled",
            f"Stalled: no data for {idle_timeout:g} s, so the connection was closed.",
            retryable=True,
            mid_stream=True,
        )
    if isinstance(exc, httpx2.TransportError):
        return Failure("connection_lost", "Connection lost mid-stream.", retryable=True, mid_stream=True)
    if isinstance(exc, TypeError) and "authentication method" in str(exc):
        return Failure("no_credentials", "No Anthropic API key found.", hint=NO_KEY_HINT)
    if mid_stream and isinstance(exc, (ValueError, AssertionError, AttributeError, IndexError, KeyError)):
        return Failure("malformed", "The API sent a malformed event.", mid_stream=True)
    return Failure("api_error", f"Unexpected error: {type(exc).__name__}: {_first_line(exc)}", mid_stream=mid_stream)


def stream_error_failure(body: Any, *, request_id: str | None) -> Failure:
    """An SSE ``error`` event after the 200: classified by its error ``type``, never by status."""
    error = body.get("error") if isinstance(body, dict) else None
    api_type = error.get("type") if isinstance(error, dict) else None
    api_message = error.get("message") if isinstance(error, dict) else None
    request_id = request_id or (body.get("request_id") if isinstance(body, dict) else None)
    kind = _MID_STREAM_KINDS.get(str(api_type), "api_error")
    detail = f"{api_type}: {api_message}" if api_type else _first_line(body) or "an error"
    return Failure(
        kind, f"The API reported {detail} mid-stream.", retryable=True, api_type=api_type,
        request_id=request_id, mid_stream=True, status_code=200,
    )


def _status_failure(exc: anthropic.APIStatusError, *, model: str, mid_stream: bool) -> Failure:
    body = exc.body
    error = body.get("error") if isinstance(body, dict) else None
    api_type = error.get("type") if isinstance(error, dict) else None
    api_message = error.get("message") if isinstance(error, dict) else None
    request_id = exc.request_id or (body.get("request_id") if isinstance(body, dict) else None)
    if exc.status_code == 200 or mid_stream:  # an SSE error event after the 200
        return stream_error_failure(body, request_id=request_id)
    status = exc.status_code
    kind, retryable = _STATUS_KINDS.get(status, ("server_error", status >= 500))
    should_retry = exc.response.headers.get("x-should-retry")
    if should_retry in ("true", "false"):
        retryable = should_retry == "true"
    if api_message:
        message = f"{status} {api_type}: {api_message}"
    elif isinstance(body, str) and body.lstrip().startswith("<"):
        message = f"{status} error: the server answered with an HTML page."
    else:
        message = f"{status} error: {_first_line(body or exc)}"
    return Failure(
        kind, message, retryable=retryable, retry_after=retry_after(exc.response.headers),
        status_code=status, api_type=api_type, request_id=request_id, hint=_hint(kind, model),
    )


def retry_after(headers: Any) -> float | None:
    """Seconds the server asked us to wait (``retry-after-ms`` first, then ``retry-after``)."""
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _first_line(value: object) -> str:
    text = str(value).strip().splitlines()
    return " ".join(text[0].split())[:300] if text else ""
