"""The Message Batches endpoints (create, retrieve, cancel, results) through the SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from anthropic.resources.messages.batches import AsyncBatches
from anthropic.types.messages import MessageBatch

from ._client import Endpoint, sdk_client
from ._events import SourceError
from ._failures import classify


async def _batches(endpoint: Endpoint | None, call: Callable[[AsyncBatches], Awaitable[Any]]) -> Any:
    try:
        return await call(sdk_client(endpoint).messages.batches)
    except SourceError:
        raise
    except Exception as exc:  # noqa: BLE001
        raise SourceError(classify(exc)) from None


async def create_batch(requests: list[dict[str, Any]], *, endpoint: Endpoint | None) -> dict[str, Any]:
    """POST /v1/messages/batches with ``[{"custom_id", "params"}, ...]``; the batch object as a dict."""
    batch: MessageBatch = await _batches(endpoint, lambda b: b.create(requests=requests))  # type: ignore[arg-type]  # plain dicts for the SDK's TypedDict params
    return batch.model_dump(mode="json")


async def retrieve_batch(batch_id: str, *, endpoint: Endpoint | None) -> dict[str, Any]:
    batch: MessageBatch = await _batches(endpoint, lambda b: b.retrieve(batch_id))
    return batch.model_dump(mode="json")


async def cancel_batch(batch_id: str, *, endpoint: Endpoint | None) -> dict[str, Any]:
    batch: MessageBatch = await _batches(endpoint, lambda b: b.cancel(batch_id))
    return batch.model_dump(mode="json")


async def batch_results(batch_id: str, *, endpoint: Endpoint | None) -> AsyncIterator[dict[str, Any]]:
    """An ended batch's results, one ``{"custom_id", "result": {...}}`` dict per line (any order)."""
    lines = await _batches(endpoint, lambda b: b.results(batch_id))
    try:
        async for line in lines:
            yield line.model_dump(mode="json", exclude_none=True)
    except Exception as exc:  # noqa: BLE001 - a dropped connection while reading the results
        raise SourceError(classify(exc, mid_stream=True)) from None
