"""The vocabulary every surface shares: stream events, usage, failures, results and statuses.

The source adapter turns SDK events into these; the run folds them into a snapshot; widgets, the
panel, the terminal printer and the call log all read the same types.

Status machine (one for every surface)::

    waiting -> streaming -> done | cancelled | failed | cut_off
    waiting -> retrying -> waiting        (only before the first token)
    waiting -> failed | cancelled
    queued -> waiting                     (a panel row waiting for a slot)

A call that uses tools streams several model turns; between them its tools run (ToolStarted /
ToolFinished) and its status stays "streaming".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

Status = Literal["waiting", "retrying", "streaming", "done", "cancelled", "failed", "cut_off"]
FINAL_STATUSES: frozenset[str] = frozenset({"done", "cancelled", "failed", "cut_off"})


# --- stream events (what one HTTP stream says, in nbstream's words) ---------------------------


@dataclass(frozen=True, slots=True)
class MessageStarted:
    message_id: str
    model: str
    usage: Usage


@dataclass(frozen=True, slots=True)
class BlockStarted:
    index: int
    kind: str  # "text", "tool_use", "thinking", "redacted_thinking", or a future block type
    tool_id: str | None = None
    tool_name: str | None = None
    data: str | None = None  # a redacted_thinking block's opaque data
    block: dict[str, Any] | None = None  # the whole start block, for kinds other than text/tool_use/thinking


@dataclass(frozen=True, slots=True)
class TextDelta:
    index: int
    text: str


@dataclass(frozen=True, slots=True)
class ToolInputDelta:
    index: int
    partial_json: str


@dataclass(frozen=True, slots=True)
class ThinkingDelta:
    index: int
    text: str


@dataclass(frozen=True, slots=True)
class BlockStopped:
    index: int


@dataclass(frozen=True, slots=True)
class CitationDelta:
    index: int
    citation: dict[str, Any]  # char_location, page_location, web_search_result_location, ...


@dataclass(frozen=True, slots=True)
class OtherDelta:
    """A delta type nbstream does not know: kept in its block (and shown as unsupported), never fatal."""

    index: int
    delta: dict[str, Any]


@dataclass(frozen=True, slots=True)
class MessageDelta:
    stop_reason: str | None
    usage: Usage  # cumulative: replaces, never adds to, what message_start said
    stop_details: dict[str, Any] | None = None  # a refusal's {category, explanation}


@dataclass(frozen=True, slots=True)
class MessageStopped:
    pass


@dataclass(frozen=True, slots=True)
class SignatureDelta:
    index: int
    signature: str


StreamEvent = (
    MessageStarted | BlockStarted | TextDelta | ToolInputDelta | ThinkingDelta | SignatureDelta | CitationDelta
    | OtherDelta | BlockStopped | MessageDelta | MessageStopped
)


# --- run events (what happens around the streams: status, tool execution) --------------------


@dataclass(frozen=True, slots=True)
class StatusChanged:
    status: str


@dataclass(frozen=True, slots=True)
class ToolStarted:
    """A tool the model called has started running."""

    tool_id: str
    name: str


@dataclass(frozen=True, slots=True)
class ToolAwaitingApproval:
    """A tool call waits for the user's Approve / Deny (``approve=True``) before it runs."""

    tool_id: str
    name: str


@dataclass(frozen=True, slots=True)
class ToolFinished:
    """A tool ended: its result (or error) goes back to the model."""

    tool_id: str
    name: str
    ok: bool
    duration: float
    content: str


RunEvent = StreamEvent | StatusChanged | ToolAwaitingApproval | ToolStarted | ToolFinished


# --- usage -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts as the API reports them.

    ``estimated`` is true when the stream ended before the API's final count arrived (a cancel or a
    cut-off stream): ``output_tokens`` is then nbstream's estimate from the text received.
    """

    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_1h_tokens: int = 0  # the part of cache_creation_input_tokens written with a 1 h TTL
    service_tier: str | None = None
    inference_geo: str | None = None
    thinking_tokens: int = 0  # of output_tokens, when the API breaks them down (output_tokens_details)
    web_search_requests: int = 0  # server tool calls, billed per call (server_tool_use)
    web_fetch_requests: int = 0
    estimated: bool = False

    @classmethod
    def from_api(cls, usage: Any) -> Usage:
        """The API's usage, from an SDK object or a plain dict (a batch result, the call log)."""

        def get(obj: Any, name: str) -> Any:
            return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)

        creation = get(usage, "cache_creation")
        details, server = get(usage, "output_tokens_details"), get(usage, "server_tool_use")
        return cls(
            input_tokens=get(usage, "input_tokens") or 0,
            output_tokens=get(usage, "output_tokens") or 0,
            cache_creation_input_tokens=get(usage, "cache_creation_input_tokens") or 0,
            cache_read_input_tokens=get(usage, "cache_read_input_tokens") or 0,
            cache_creation_1h_tokens=(get(creation, "ephemeral_1h_input_tokens") or 0) if creation else 0,
            service_tier=get(usage, "service_tier"),
            inference_geo=get(usage, "inference_geo"),
            thinking_tokens=(get(details, "thinking_tokens") or 0) if details else 0,
            web_search_requests=(get(server, "web_search_requests") or 0) if server else 0,
            web_fetch_requests=(get(server, "web_fetch_requests") or 0) if server else 0,
        )

    def merged(self, later: Usage) -> Usage:
        """Fold a cumulative ``message_delta`` usage over this one: later non-zero counts replace."""
        return dataclasses.replace(
            self,
            input_tokens=later.input_tokens or self.input_tokens,
            output_tokens=later.output_tokens,
            cache_creation_input_tokens=later.cache_creation_input_tokens or self.cache_creation_input_tokens,
            cache_read_input_tokens=later.cache_read_input_tokens or self.cache_read_input_tokens,
            service_tier=later.service_tier or self.service_tier,
            inference_geo=later.inference_geo or self.inference_geo,
            thinking_tokens=later.thinking_tokens or self.thinking_tokens,
            web_search_requests=later.web_search_requests or self.web_search_requests,
            web_fetch_requests=later.web_fetch_requests or self.web_fetch_requests,
        )

    def __add__(self, other: Usage) -> Usage:
        """Sum two responses' usage (the turns of one tool-using call, or a ledger)."""
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_creation_input_tokens=self.cache_creation_input_tokens + other.cache_creation_input_tokens,
            cache_read_input_tokens=self.cache_read_input_tokens + other.cache_read_input_tokens,
            cache_creation_1h_tokens=self.cache_creation_1h_tokens + other.cache_creation_1h_tokens,
            service_tier=self.service_tier or other.service_tier,
            inference_geo=self.inference_geo or other.inference_geo,
            thinking_tokens=self.thinking_tokens + other.thinking_tokens,
            web_search_requests=self.web_search_requests + other.web_search_requests,
            web_fetch_requests=self.web_fetch_requests + other.web_fetch_requests,
            estimated=self.estimated or other.estimated,
        )

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


# --- failures --------------------------------------------------------------------------------


FailureKind = Literal[
    # the HTTP status of a response that never started (see _failures._STATUS_KINDS)
    "bad_request", "auth", "billing", "permission", "not_found", "timeout", "too_large", "unprocessable",
    "rate_limited", "overloaded", "server_error",
    # before any response
    "no_credentials", "connection",
    # after the response started
    "api_error",  # an error event in the stream (or an exception nbstream has no better name for)
    "connection_lost", "stalled", "truncated", "malformed",
    # the run's own limits
    "turn_limit",  # a tool loop reached max_turns
    # the model's own endings that are not a finished answer (see _stop_reasons)
    "refusal", "context_window", "paused",
    "invalid_output",  # a reply that does not fit the request's schema (structured output)
    "not_approved",  # approve=True: nobody approved or denied a tool call in time
    "budget",  # refused before sending, or stopped mid-stream, at a budget's cap
    "not_in_lesson",  # a recorded lesson is in use and holds no reply to this request
    # Message Batches: one request's outcome, or the whole job's
    "batch_errored", "expired", "canceled", "batch", "logged",
]
"""Every kind of failure nbstream reports: a closed set (``typing.get_args(FailureKind)``)."""


@dataclass(frozen=True, slots=True)
class Failure:
    """What went wrong with one attempt, in one vocabulary for every SDK and transport error.

    ``kind`` is one of :data:`FailureKind`. ``mid_stream`` is true when the failure happened after the
    response had started streaming.
    """

    kind: FailureKind
    message: str
    retryable: bool = False
    retry_after: float | None = None
    status_code: int | None = None
    api_type: str | None = None
    request_id: str | None = None
    mid_stream: bool = False
    hint: str | None = None

    def one_line(self) -> str:
        """The user-facing sentence: what happened, the API's own words, and a hint if there is one."""
        text = self.message
        if self.hint:
            text = f"{text} {self.hint}"
        return " ".join(text.split())


class SourceError(Exception):
    """Raised by the source adapter; carries a :class:`Failure`."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.one_line())
        self.failure = failure
