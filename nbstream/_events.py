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
from dataclasses import dataclass, field
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
class MessageDelta:
    stop_reason: str | None
    usage: Usage  # cumulative: replaces, never adds to, what message_start said


@dataclass(frozen=True, slots=True)
class MessageStopped:
    pass


@dataclass(frozen=True, slots=True)
class SignatureDelta:
    index: int
    signature: str


StreamEvent = (
    MessageStarted | BlockStarted | TextDelta | ToolInputDelta | ThinkingDelta | SignatureDelta | BlockStopped
    | MessageDelta | MessageStopped
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
class ToolFinished:
    """A tool ended: its result (or error) goes back to the model."""

    tool_id: str
    name: str
    ok: bool
    duration: float
    content: str


RunEvent = StreamEvent | StatusChanged | ToolStarted | ToolFinished


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
    estimated: bool = False

    @classmethod
    def from_api(cls, usage: Any) -> Usage:
        """The API's usage, from an SDK object or a plain dict (a batch result, the call log)."""

        def get(obj: Any, name: str) -> Any:
            return obj.get(name) if isinstance(obj, Mapping) else getattr(obj, name, None)

        creation = get(usage, "cache_creation")
        return cls(
            input_tokens=get(usage, "input_tokens") or 0,
            output_tokens=get(usage, "output_tokens") or 0,
            cache_creation_input_tokens=get(usage, "cache_creation_input_tokens") or 0,
            cache_read_input_tokens=get(usage, "cache_read_input_tokens") or 0,
            cache_creation_1h_tokens=(get(creation, "ephemeral_1h_input_tokens") or 0) if creation else 0,
            service_tier=get(usage, "service_tier"),
            inference_geo=get(usage, "inference_geo"),
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
            estimated=self.estimated or other.estimated,
        )

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)


# --- failures --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Failure:
    """What went wrong with one attempt, in one vocabulary for every SDK and transport error.

    ``kind`` is one of: rate_limited, overloaded, server_error, timeout, connection, no_credentials,
    auth, permission, billing, bad_request, not_found, too_large, unprocessable, api_error (an error
    event in the stream), connection_lost, stalled, truncated, malformed.
    ``mid_stream`` is true when the failure happened after the response had started streaming.
    """

    kind: str
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


# --- the result of one call --------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """The outcome of one call: the same type for a cell, a widget, a panel row, a batch row.

    ``status`` is ``done``, ``cancelled``, ``failed`` or ``cut_off`` (the stream broke after text had
    arrived; ``text`` holds the partial text). ``ttft`` and ``duration`` are in seconds, ``cost`` in US
    dollars (None when the model is not in the price table). ``error`` is a one-line message or None.
    """

    text: str
    status: str
    model: str
    usage: Usage = field(default_factory=Usage)
    stop_reason: str | None = None
    ttft: float | None = None
    duration: float | None = None
    cost: float | None = None
    error: str | None = None
    prompt: str = ""
    system: str | None = None
    message_id: str | None = None
    request_id: str | None = None
    simulated: bool = False
    local: bool = False  # a server on this machine answered a model with no price: cost 0, shown as "local"
    started_at: float | None = None  # wall-clock epoch seconds
    attempts: int = 1
    turns: int = 1  # model turns (more than one when the model called tools)

    @property
    def ok(self) -> bool:
        return self.status == "done"

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        preview = self.text if len(self.text) <= 60 else self.text[:57] + "..."
        cost = "local" if self.local else "unknown" if self.cost is None else f"${self.cost:.4f}"
        return (
            f"Result(status={self.status!r}, model={self.model!r}, "
            f"output_tokens={self.usage.output_tokens}, cost={cost}, text={preview!r})"
        )

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        from ._static_copy import static_copy_bundle

        return static_copy_bundle(self)
