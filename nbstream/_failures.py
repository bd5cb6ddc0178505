"""Every SDK and transport exception, and every SSE ``error`` event, as one :class:`Failure`.

- before the response starts: ``APIStatusError`` subclasses (the real HTTP status), ``APIConnectionError``
  and ``APITimeoutError``, classified by type and status code;
- mid-stream: an SSE ``error`` event (classified by its error ``type``), a dropped or stalled connection as
  a raw ``httpx2`` exception, a frame that is not JSON or breaks the grammar as ``malformed``.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

import anthropic
import httpx2

from ._events import Failure, FailureKind, SourceError

NO_KEY_HINT = (
    "Set ANTHROPIC_API_KEY, or run %llm_offline (or nbstream.use_offline()) to use the built-in offline model."
)


_STATUS_KINDS: dict[int, tuple[FailureKind, bool]] = {
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
_MID_STREAM_KINDS: dict[str, FailureKind] = {"overloaded_error": "overloaded", "rate_limit_error": "rate_limited"}


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
        return Failure("connection", f"Could not reach the API: {first_line(cause).rstrip('.')}.", retryable=True)
    if isinstance(exc, httpx2.TimeoutException):
        return Failure(
            "stalled",
            f"Stalled: no data for {idle_timeout:g} s, so the connection was closed.",
            retryable=True,
            mid_stream=True,
        )
    if isinstance(exc, httpx2.TransportError):
        return Failure("connection_lost", "Connection lost mid-stream.", retryable=True, mid_stream=True)
    if mid_stream and isinstance(exc, (ValueError, AssertionError, AttributeError, IndexError, KeyError)):
        return Failure("malformed", "The API sent a malformed event.", mid_stream=True)
    return Failure("api_error", f"Unexpected error: {type(exc).__name__}: {first_line(exc)}", mid_stream=mid_stream)


def stream_error_failure(body: Any, *, request_id: str | None) -> Failure:
    """An SSE ``error`` event after the 200: classified by its error ``type``, never by status."""
    error = body.get("error") if isinstance(body, dict) else None
    api_type = error.get("type") if isinstance(error, dict) else None
    api_message = error.get("message") if isinstance(error, dict) else None
    request_id = request_id or (body.get("request_id") if isinstance(body, dict) else None)
    kind = _MID_STREAM_KINDS.get(str(api_type), "api_error")
    detail = f"{api_type}: {api_message}" if api_type else first_line(body) or "an error"
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
        message = f"{status} error: {first_line(body or exc)}"
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


def first_line(value: object) -> str:
    text = str(value).strip().splitlines()
    return " ".join(text[0].split())[:300] if text else ""
