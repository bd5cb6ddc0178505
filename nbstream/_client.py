"""The client: the one place that sends requests through the Anthropic SDK.

The official async client sends every request (real HTTP, always): authentication, headers, base URL,
timeouts, and the typed errors of a failed response. For a stream nbstream then reads the response
body itself, through the SDK's public ``with_streaming_response`` API, and turns the Server-Sent Events
straight into its own events: the SDK's typed stream events cost twice the CPU per token (measured
with ``python -m benchmarks``), which a kernel streaming 50 calls at once cannot spare.

Exceptions become a :class:`Failure` in ``_failures``; the SSE body is parsed in ``_sse``; the Message
Batches endpoints are in ``_batches_api``.

The SDK's own retries are off (``max_retries=0``): the run retries itself, so it can show
"retrying in N s" and share one backoff across a panel.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import os
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anthropic
import httpx2

from ._config import defaults
from ._events import Failure, SourceError, StreamEvent
from ._failures import NO_KEY_HINT, classify, first_line
from ._local import is_loopback
from ._sse import SSEParser, decode

SIMULATOR_HEADER = "x-nbstream-simulator"
REPLAY_HEADER = "x-nbstream-replay"  # nbstream's loopback server played a recorded reply: "replayed" or "recorded"


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
    replay: str | None = None  # a recorded reply played back by nbstream's loopback server


_ENV_NAMES = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "ANTHROPIC_PROFILE")

# One client per (event loop, transport, credentials), so connections are pooled across calls.
_clients: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str | None, ...], anthropic.AsyncAnthropic]
] = weakref.WeakKeyDictionary()


def sdk_client(endpoint: Endpoint | None) -> anthropic.AsyncAnthropic:
    loop = asyncio.get_running_loop()
    transport = defaults.transport
    if endpoint is not None:
        key: tuple[str | None, ...] = (transport, "explicit", endpoint.base_url, endpoint.api_key)
    else:  # the SDK reads these itself; re-create the client when the user changes them
        key = (transport, *(os.environ.get(name) for name in _ENV_NAMES))
    per_loop = _clients.setdefault(loop, {})
    client = per_loop.get(key)
    if client is None:
        kwargs: dict[str, Any] = {"max_retries": 0}
        if transport == "aiohttp":  # the SDK's own aiohttp client: proxies and base URL as the SDK honours them
            kwargs["http_client"] = anthropic.DefaultAioHttpClient()
        if endpoint is not None:
            kwargs.update(base_url=endpoint.base_url, api_key=endpoint.api_key)
        try:
            client = anthropic.AsyncAnthropic(**kwargs)
        except anthropic.AnthropicError as exc:  # e.g. a profile directory without a profile
            raise SourceError(
                Failure("no_credentials", f"The Anthropic client could not be set up: {first_line(exc).rstrip('.')}.")
            ) from None
        if client.api_key is None and client.auth_token is None and client.credentials is None:
            raise SourceError(Failure("no_credentials", "No Anthropic API key found.", hint=NO_KEY_HINT))
        per_loop[key] = client
    return client


@functools.cache
def _credentials_in(environment: tuple[str | None, ...], home: str | None) -> bool:
    try:
        client = anthropic.AsyncAnthropic(max_retries=0)
    except anthropic.AnthropicError:  # e.g. a profile directory without a profile
        return False
    return not (client.api_key is None and client.auth_token is None and client.credentials is None)


def credentials_found() -> bool:
    """Whether the SDK finds a key, a token, a base URL or a profile in this environment (nothing is sent)."""
    environment = tuple(os.environ.get(name) for name in _ENV_NAMES)
    return bool(os.environ.get("ANTHROPIC_BASE_URL")) or _credentials_in(environment, os.environ.get("HOME"))


def check_credentials(endpoint: Endpoint | None) -> None:
    """Raise SourceError(no_credentials) now, before anything is sent, if no key can be found."""
    sdk_client(endpoint)


@asynccontextmanager
async def open_stream(
    params: dict[str, Any], *, endpoint: Endpoint | None, idle_timeout: float,
    extra_headers: dict[str, str] | None = None,
) -> AsyncIterator[OpenStream]:
    """POST /v1/messages with ``stream: true``; yield once the response has started.

    ``idle_timeout`` is the longest silence allowed between bytes (the transport's read timeout):
    a stall mid-stream then ends as ``stalled`` and the connection is closed. Leaving the block (end,
    error or cancellation) closes the HTTP response, which closes the connection mid-stream.
    """
    client = sdk_client(endpoint)
    timeout = httpx2.Timeout(connect=10.0, read=idle_timeout, write=30.0, pool=30.0)
    model = str(params.get("model", ""))
    opening = client.messages.with_streaming_response.create(
        **sdk_arguments(params), stream=True, timeout=timeout, extra_headers=extra_headers
    )
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
            replay=http.headers.get(REPLAY_HEADER),
        )
    finally:
        await opening.__aexit__(None, None, None)


async def _events(http: Any, *, model: str, idle_timeout: float) -> AsyncIterator[StreamEvent]:
    parser = SSEParser()
    chunks = http.aiter_bytes()  # as they arrive: whole SSE frames are split off in C (SSEParser.feed_bytes)
    while True:
        try:
            chunk = await chunks.__anext__()
        except StopAsyncIteration:
            return
        except Exception as exc:  # noqa: BLE001 - a dropped or stalled connection, mid-stream
            raise SourceError(classify(exc, model=model, idle_timeout=idle_timeout, mid_stream=True)) from None
        for frame in parser.feed_bytes(chunk):
            event = decode(*frame)
            if event is not None:
                yield event


@functools.cache
def _create_keywords() -> frozenset[str]:
    named = inspect.signature(anthropic.resources.messages.AsyncMessages.create).parameters
    return frozenset(named) - {"self", "stream", "timeout", "extra_headers", "extra_query", "extra_body"}


def sdk_arguments(params: dict[str, Any]) -> dict[str, Any]:
    """The request body as ``messages.create`` keywords: a key this SDK does not name (a pass-through such as
    a llama.cpp server's ``temperature``, or a field newer than the SDK) goes in ``extra_body``, as given."""
    known = _create_keywords()
    extra = {k: v for k, v in params.items() if k not in known}
    if not extra:
        return params
    return {**{k: v for k, v in params.items() if k in known}, "extra_body": extra}


# --- tools and token counting ----------------------------------------------------------------


def function_tool(fn: Any, *, name: str | None = None, description: str | None = None) -> Any:
    """The SDK's own tool from a plain function: JSON schema from type hints and docstring, with
    pydantic validation of the model's arguments (``call(arguments)``)."""
    make = anthropic.beta_async_tool if inspect.iscoroutinefunction(fn) else anthropic.beta_tool
    return make(fn, name=name, description=description)


async def count_tokens(params: dict[str, Any], *, endpoint: Endpoint | None) -> int:
    """POST /v1/messages/count_tokens for these parameters (no max_tokens, no stream)."""
    client = sdk_client(endpoint)
    counted_keys = ("model", "messages", "system", "tools", "tool_choice", "thinking", "output_config", "speed")
    fields = {k: v for k, v in params.items() if k in counted_keys}
    try:
        counted = await client.messages.count_tokens(**fields)
    except Exception as exc:  # noqa: BLE001
        raise SourceError(classify(exc, model=str(params.get("model", "")))) from None
    return counted.input_tokens
