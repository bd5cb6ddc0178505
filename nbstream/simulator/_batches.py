"""Message Batches (reference §9): create, retrieve, list, cancel, delete and results.

Nothing runs in the background. When a batch is created, every request's result is decided at once, by the
same validation, directives, reply and prompt cache as ``POST /v1/messages`` (with ``service_tier:
"batch"``), and the requests are given completion times spread evenly over ``batch_seconds``. Every read
derives the batch's state from the clock: ``in_progress`` until its last request is done, then ``ended``.
As in the API, the counts other than ``processing`` stay 0 until the batch has ended, and ``results_url`` is
null until then. Cancelling makes the batch ``canceling`` and ends it a tenth of ``batch_seconds`` later
(sooner if it was about to end anyway); the requests not done when the cancel came are ``canceled``.

A request's params may say ``[[sim: batch_result=errored|expired|canceled]]`` (``errored`` takes its
error type from ``error=``, default ``overloaded_error``); ``status=CODE`` also makes it ``errored``, with
that status's error type. Params that fail validation, or carry a bad directive, end ``errored`` with the
400 that ``POST /v1/messages`` would have given. Timing directives and connection faults do not apply.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import random
import re
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ._cache import PromptCache
from ._messages import (
    EVENT_ERROR_MESSAGES,
    STATUS_ERRORS,
    APIError,
    Exchange,
    Settings,
    check_fault_fits,
    error_body,
    new_request_id,
    request_directive,
    send_body,
    send_json,
    validate_request,
)
from ._reply import plan_reply

__all__ = ["MAX_REQUESTS", "Batch", "BatchStore"]

MAX_REQUESTS = 100_000
CUSTOM_ID_PATTERN = "^[a-zA-Z0-9_-]{1,64}$"
_CUSTOM_ID_RE = re.compile(CUSTOM_ID_PATTERN)
_LIST_DEFAULT, _LIST_MAX = 20, 1000
_CANCELING_SHARE = 0.1  # a cancel takes this share of batch_seconds to finish
_EXPIRES_AFTER = timedelta(hours=24)
# The SDK downloads results with `Accept: application/binary`; answer in kind (it parses JSON Lines anyway).
RESULTS_CONTENT_TYPE = "application/binary"
_MAX_BATCHES = 10_000  # a long-running simulator forgets its oldest batches


def _timestamp(moment: datetime) -> str:
    """RFC 3339 in UTC, as the API writes it: ``2026-11-20T12:00:00.123456Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclasses.dataclass
class _Request:
    custom_id: str
    result: dict[str, Any]  # decided at creation
    done_at: float  # clock time at which it completes


@dataclasses.dataclass
class Batch:
    id: str
    created_at: float  # clock time (time.monotonic() unless the store is given another clock)
    created_wall: datetime
    ends_at: float
    duration: float
    requests: list[_Request]
    cancel_at: float | None = None

    def status(self, now: float) -> str:
        if now >= self.ends_at:
            return "ended"
        return "in_progress" if self.cancel_at is None else "canceling"

    def cancel(self, now: float) -> None:
        """Start cancelling (once; a batch that has ended is left as it is)."""
        if self.cancel_at is None and now < self.ends_at:
            self.cancel_at = now
            self.ends_at = min(self.ends_at, now + self.duration * _CANCELING_SHARE)

    def result_of(self, request: _Request) -> dict[str, Any]:
        if self.cancel_at is not None and request.done_at > self.cancel_at:
            return {"type": "canceled"}
        return request.result

    def _wall(self, moment: float) -> str:
        return _timestamp(self.created_wall + timedelta(seconds=moment - self.created_at))

    def as_json(self, now: float, host: str) -> dict[str, Any]:
        """The MessageBatch object (reference §9); `host` makes the absolute results_url."""
        status = self.status(now)
        counts = dict.fromkeys(("processing", "succeeded", "errored", "canceled", "expired"), 0)
        if status == "ended":
            for request in self.requests:
                counts[self.result_of(request)["type"]] += 1
        else:
            counts["processing"] = len(self.requests)
        ended = status == "ended"
        return {
            "id": self.id,
            "type": "message_batch",
            "processing_status": status,
            "request_counts": counts,
            "created_at": _timestamp(self.created_wall),
            "expires_at": _timestamp(self.created_wall + _EXPIRES_AFTER),
            "ended_at": self._wall(self.ends_at) if ended else None,
            "cancel_initiated_at": None if self.cancel_at is None else self._wall(self.cancel_at),
            "archived_at": None,
            "results_url": f"http://{host}/v1/messages/batches/{self.id}/results" if ended else None,
        }

    def results_jsonl(self) -> bytes:
        """One JSON line per request, in an order of their own (clients must match them by custom_id)."""
        order = list(self.requests)
        random.Random(self.id).shuffle(order)
        lines = [
            json.dumps({"custom_id": r.custom_id, "result": self.result_of(r)}, ensure_ascii=False) + "\n"
            for r in order
        ]
        return "".join(lines).encode()


class BatchStore:
    """The simulator's batches, and the endpoint handlers that work on them."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._clock = clock
        self._wall = wall
        self._lock = threading.Lock()
        self._batches: dict[str, Batch] = {}  # oldest first

    def clear(self) -> None:
        with self._lock:
            self._batches.clear()

    def _get(self, ex: Exchange, batch_id: str) -> Batch:
        ex.record.update(batch_id=batch_id)
        with self._lock:
            batch = self._batches.get(batch_id)
        if batch is None:
            raise APIError(404, f"Message batch {batch_id} not found", type="not_found_error")
        return batch

    @staticmethod
    def _host(ex: Exchange) -> str:
        return ex.request.headers.get("host") or ex.conn.local_address

    async def _send_batch(self, ex: Exchange, batch: Batch) -> None:
        await send_json(ex, batch.as_json(self._clock(), self._host(ex)), outcome="completed")

    # -- endpoints -------------------------------------------------------------------------------------------

    async def create(self, ex: Exchange, body: Any) -> None:
        """``POST /v1/messages/batches``: the request list is checked now, each request's params later."""
        requests = _check_requests(body)
        settings, cache, headers = ex.settings, ex.cache, ex.request.headers
        # Planning 100,000 replies takes a while: do it off the event loop so other requests keep flowing.
        results = await asyncio.to_thread(
            lambda: [
                _decide(params, headers, settings, cache, sample)
                for (_, params), sample in zip(requests, _samples(requests), strict=True)
            ]
        )
        now = self._clock()
        duration = settings.batch_seconds
        batch = Batch(
            id="msgbatch_sim_" + secrets.token_hex(12),
            created_at=now,
            created_wall=self._wall(),
            ends_at=now + duration,
            duration=duration,
            requests=[
                _Request(custom_id, result, now + duration * (i + 1) / len(requests))
                for i, ((custom_id, _), result) in enumerate(zip(requests, results, strict=True))
            ],
        )
        with self._lock:
            self._batches[batch.id] = batch
            while len(self._batches) > _MAX_BATCHES:
                del self._batches[next(iter(self._batches))]
        ex.record.update(batch_id=batch.id)
        await self._send_batch(ex, batch)

    async def retrieve(self, ex: Exchange, body: Any, batch_id: str) -> None:
        """``GET /v1/messages/batches/{id}``."""
        await self._send_batch(ex, self._get(ex, batch_id))

    async def list_batches(self, ex: Exchange, body: Any) -> None:
        """``GET /v1/messages/batches?limit=&after_id=&before_id=``: newest first."""
        query = urllib.parse.parse_qs(ex.request.query, keep_blank_values=True)
        limit = _limit(query.get("limit", [None])[-1])
        after_id = query.get("after_id", [None])[-1]
        before_id = query.get("before_id", [None])[-1]
        if after_id and before_id:
            raise APIError(400, "after_id and before_id cannot be used together")
        with self._lock:
            newest_first = list(reversed(self._batches.values()))
        ids = [batch.id for batch in newest_first]
        if after_id:
            start = ids.index(after_id) + 1 if after_id in ids else len(ids)
            page, has_more = newest_first[start : start + limit], start + limit < len(ids)
        elif before_id:
            end = ids.index(before_id) if before_id in ids else 0
            start = max(0, end - limit)
            page, has_more = newest_first[start:end], start > 0
        else:
            page, has_more = newest_first[:limit], limit < len(ids)
        now, host = self._clock(), self._host(ex)
        await send_json(
            ex,
            {
                "data": [batch.as_json(now, host) for batch in page],
                "has_more": has_more,
                "first_id": page[0].id if page else None,
                "last_id": page[-1].id if page else None,
            },
            outcome="completed",
        )

    async def cancel(self, ex: Exchange, body: Any, batch_id: str) -> None:
        """``POST /v1/messages/batches/{id}/cancel``: ``canceling`` now, ``ended`` soon after."""
        batch = self._get(ex, batch_id)
        with self._lock:
            batch.cancel(self._clock())
        await self._send_batch(ex, batch)

    async def delete(self, ex: Exchange, body: Any, batch_id: str) -> None:
        """``DELETE /v1/messages/batches/{id}``: only once the batch has ended."""
        batch = self._get(ex, batch_id)
        status = batch.status(self._clock())
        if status != "ended":
            raise APIError(
                400,
                f"Message batch {batch_id} cannot be deleted while its processing_status is {status!r}; "
                "cancel it and wait until it has ended",
            )
        with self._lock:
            self._batches.pop(batch_id, None)
        await send_json(ex, {"id": batch_id, "type": "message_batch_deleted"}, outcome="completed")

    async def results(self, ex: Exchange, body: Any, batch_id: str) -> None:
        """``GET /v1/messages/batches/{id}/results``: JSON Lines, once the batch has ended."""
        batch = self._get(ex, batch_id)
        status = batch.status(self._clock())
        if status != "ended":
            raise APIError(
                400,
                f"Message batch {batch_id} has not finished processing (processing_status {status!r}); "
                "results are available once it has ended",
            )
        await send_body(ex, batch.results_jsonl(), RESULTS_CONTENT_TYPE, outcome="completed")


# ------------------------------------------------------------------------------------------------------------
# Creation: the checks the API makes at once, and each request's result


def _check_requests(body: Any) -> list[tuple[str, Any]]:
    """(custom_id, params) for each request; APIError(400) if the list itself is malformed."""
    if not isinstance(body, dict):
        raise APIError(400, "request body must be a JSON object")
    if "requests" not in body:
        raise APIError(400, "requests: Field required")
    requests = body["requests"]
    if not isinstance(requests, list):
        raise APIError(400, "requests: Input should be a valid list")
    if not requests:
        raise APIError(400, "requests: List should have at least 1 item after validation, not 0")
    if len(requests) > MAX_REQUESTS:
        raise APIError(
            400,
            f"requests: List should have at most {MAX_REQUESTS} items after validation, not {len(requests)}",
        )
    seen: set[str] = set()
    checked = []
    for i, item in enumerate(requests):
        if not isinstance(item, dict):
            raise APIError(400, f"requests.{i}: Input should be a valid dictionary")
        custom_id = item.get("custom_id")
        if custom_id is None:
            raise APIError(400, f"requests.{i}.custom_id: Field required")
        if not isinstance(custom_id, str) or not _CUSTOM_ID_RE.match(custom_id):
            raise APIError(400, f"requests.{i}.custom_id: String should match pattern '{CUSTOM_ID_PATTERN}'")
        if custom_id in seen:
            raise APIError(
                400, f"requests.{i}.custom_id: {custom_id!r} is used more than once; custom_id must be unique"
            )
        seen.add(custom_id)
        if "params" not in item:
            raise APIError(400, f"requests.{i}.params: Field required")
        if not isinstance(item["params"], dict):
            raise APIError(400, f"requests.{i}.params: Input should be a valid dictionary")
        checked.append((custom_id, item["params"]))
    return checked


def _errored(type: str, message: str) -> dict[str, Any]:
    return {"type": "errored", "error": error_body(type, message, new_request_id())}


def _samples(requests: list[tuple[str, Any]]) -> list[int]:
    """For each request, how many identical params came before it in the batch: each gets its own sample."""
    seen: dict[str, int] = {}
    samples = []
    for _, params in requests:
        key = json.dumps(params, sort_keys=True, default=str)
        samples.append(seen.get(key, 0))
        seen[key] = samples[-1] + 1
    return samples


def _decide(
    params: Any, headers: Mapping[str, str], settings: Settings, cache: PromptCache, sample: int = 0
) -> dict[str, Any]:
    """One request's result, as ``POST /v1/messages`` (not streamed) would have answered it."""
    try:
        validate_request(params, headers, need_max_tokens=True)
        if params.get("stream") is True:
            raise APIError(400, "stream: Batch requests cannot be streamed")
        directive = request_directive(params)
        check_fault_fits(directive, stream=False)
    except APIError as error:
        return _errored(error.type, error.message)
    if directive.batch_result in ("canceled", "expired"):
        return {"type": directive.batch_result}
    if directive.batch_result == "errored":
        return _errored(directive.error, EVENT_ERROR_MESSAGES[directive.error])
    if directive.status is not None and directive.applies(1):
        return _errored(*STATUS_ERRORS[directive.status])
    reply = plan_reply(
        params, directive, settings.tokens, cache=cache.use(params), service_tier="batch", sample=sample
    )
    return {"type": "succeeded", "message": reply.message(final=True)}


def _limit(raw: str | None) -> int:
    if raw is None:
        return _LIST_DEFAULT
    try:
        limit = int(raw)
    except ValueError:
        raise APIError(400, "limit: Input should be a valid integer") from None
    if limit < 1:
        raise APIError(400, "limit: Input should be greater than or equal to 1")
    if limit > _LIST_MAX:
        raise APIError(400, f"limit: Input should be less than or equal to {_LIST_MAX}")
    return limit
