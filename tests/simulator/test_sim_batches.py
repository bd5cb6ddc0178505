"""Message Batches (reference §9) through the real SDK over real HTTP: lifecycle, results, cancel, paging."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import anthropic
import httpx2
import pytest
from _simtools import MODEL

from nbstream.simulator import Simulator

AUTH = {"authorization": "Bearer sk-sim"}
SYSTEM = [
    {"type": "text", "text": "Answer like a patient teacher. " * 80, "cache_control": {"type": "ephemeral"}}
]
WEATHER = {
    "name": "get_weather",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}


def params(prompt: str, **extra: Any) -> dict[str, Any]:
    return {"model": MODEL, "max_tokens": 200, "messages": [{"role": "user", "content": prompt}], **extra}


def item(custom_id: str, prompt: str = "Hello [[sim: tokens=12]]", **extra: Any) -> dict[str, Any]:
    return {"custom_id": custom_id, "params": params(prompt, **extra)}


async def wait_until_ended(
    client: anthropic.AsyncAnthropic, batch_id: str, timeout: float = 5.0
) -> anthropic.types.messages.MessageBatch:
    async with asyncio.timeout(timeout):
        while (batch := await client.messages.batches.retrieve(batch_id)).processing_status != "ended":
            await asyncio.sleep(0.05)
    return batch


# -- the lifecycle -------------------------------------------------------------------------------------------


async def test_create_poll_and_read_every_kind_of_result(
    sim: Simulator, client: anthropic.AsyncAnthropic
) -> None:
    sim.configure(batch_seconds=1.0)
    batch = await client.messages.batches.create(
        requests=[
            item("plain"),
            item("tools", "Weather in Paris? [[sim: tool_calls=1]]", tools=[WEATHER]),
            item("cached-1", "First [[sim: tokens=5]]", system=SYSTEM),
            item("cached-2", "Second [[sim: tokens=5]]", system=SYSTEM),
            item("boom", "x [[sim: batch_result=errored error=api_error]]"),
            item("limited", "x [[sim: status=429]]"),
            {"custom_id": "no-max", "params": {"model": MODEL, "messages": params("x")["messages"]}},
            item("typo", "x [[sim: tokns=3]]"),
            item("late", "x [[sim: batch_result=expired]]"),
            item("dropped", "x [[sim: batch_result=canceled]]"),
        ]
    )
    assert re.fullmatch(r"msgbatch_sim_[0-9a-f]{24}", batch.id)
    assert batch.type == "message_batch" and batch.processing_status == "in_progress"
    assert batch.request_counts.processing == 10 and batch.results_url is None
    assert batch.ended_at is None and batch.cancel_initiated_at is None and batch.archived_at is None
    assert (batch.expires_at - batch.created_at).total_seconds() == 24 * 3600

    polled = await client.messages.batches.retrieve(batch.id)
    assert polled.processing_status == "in_progress"
    assert polled.request_counts.model_dump() == {  # nothing but `processing` moves before the end
        "processing": 10, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0,
    }  # fmt: skip
    with pytest.raises(anthropic.AnthropicError, match="Has it finished processing"):
        await client.messages.batches.results(batch.id)  # the SDK checks results_url itself

    ended = await wait_until_ended(client, batch.id)
    assert ended.request_counts.model_dump() == {
        "processing": 0, "succeeded": 4, "errored": 4, "canceled": 1, "expired": 1,
    }  # fmt: skip
    assert ended.ended_at is not None and (ended.ended_at - ended.created_at).total_seconds() == 1.0
    assert ended.results_url == f"{sim.base_url}/v1/messages/batches/{batch.id}/results"

    results = {r.custom_id: r.result async for r in await client.messages.batches.results(batch.id)}
    assert set(results) == {"plain", "tools", "cached-1", "cached-2", "boom", "limited", "no-max", "typo",
                            "late", "dropped"}  # fmt: skip
    plain = results["plain"].message
    assert results["plain"].type == "succeeded" and plain.usage.output_tokens == 12
    assert plain.usage.service_tier == "batch" and plain.stop_reason == "end_turn"
    assert [b.type for b in results["tools"].message.content] == ["text", "tool_use"]
    assert results["tools"].message.content[1].input == {"city": "Paris"}
    prefix = len(SYSTEM[0]["text"]) // 4
    assert results["cached-1"].message.usage.cache_creation_input_tokens == prefix
    assert results["cached-2"].message.usage.cache_read_input_tokens == prefix  # batches share the cache
    errors = {key: (results[key].error.error.type, results[key].error.error.message)
              for key in ("boom", "limited", "no-max", "typo")}  # fmt: skip
    assert errors["boom"] == ("api_error", "Internal server error")
    assert errors["limited"][0] == "rate_limit_error"
    assert errors["no-max"] == ("invalid_request_error", "max_tokens: Field required")
    assert errors["typo"][0] == "invalid_request_error" and "tokns" in errors["typo"][1]
    assert results["boom"].error.type == "error" and results["boom"].error.request_id.startswith("req_sim_")
    assert (results["late"].type, results["dropped"].type) == ("expired", "canceled")

    paths = [(r["method"], r["path"].replace(batch.id, "{id}"), r["batch_id"]) for r in sim.requests]
    assert paths[0] == ("POST", "/v1/messages/batches", batch.id)
    assert ("GET", "/v1/messages/batches/{id}/results", batch.id) in paths
    assert all(r["outcome"] == "completed" and r["status"] == 200 for r in sim.requests)


async def test_results_are_json_lines_for_the_sdks_accept_header(sim: Simulator) -> None:
    sim.configure(batch_seconds=0)
    async with httpx2.AsyncClient(base_url=sim.base_url, headers=AUTH) as http:
        created = await http.post(
            "/v1/messages/batches", json={"requests": [item("a"), item("b"), item("c")]}
        )
        batch = created.json()
        assert batch["processing_status"] == "ended"  # batch_seconds=0: done at once
        response = await http.get(
            f"/v1/messages/batches/{batch['id']}/results", headers={"accept": "application/binary"}
        )
    assert response.status_code == 200 and response.headers["content-type"] == "application/binary"
    lines = response.text.splitlines()
    assert response.text.endswith("\n") and len(lines) == 3
    assert {json.loads(line)["custom_id"] for line in lines} == {"a", "b", "c"}
    rfc3339 = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"
    assert all(re.fullmatch(rfc3339, batch[key]) for key in ("created_at", "expires_at", "ended_at"))


async def test_results_url_follows_the_host_header(sim: Simulator) -> None:
    sim.configure(batch_seconds=0)
    async with httpx2.AsyncClient(base_url=sim.base_url, headers=AUTH) as http:
        created = await http.post(
            "/v1/messages/batches",
            json={"requests": [item("a")]},
            headers={"host": f"localhost:{sim.port}"},
        )
    batch = created.json()
    assert batch["results_url"] == f"http://localhost:{sim.port}/v1/messages/batches/{batch['id']}/results"


async def test_results_before_the_end_or_of_an_unknown_batch_are_errors(
    sim: Simulator, client: anthropic.AsyncAnthropic
) -> None:
    batch = await client.messages.batches.create(requests=[item("a")])  # 2 s by default
    async with httpx2.AsyncClient(base_url=sim.base_url, headers=AUTH) as http:
        early = await http.get(f"/v1/messages/batches/{batch.id}/results")
        unknown = await http.get("/v1/messages/batches/msgbatch_sim_nope/results")
    assert early.status_code == 400
    assert early.json()["type"] == "error" and early.json()["error"]["type"] == "invalid_request_error"
    assert "has not finished processing" in early.json()["error"]["message"]
    assert early.json()["request_id"] == early.headers["request-id"]
    assert unknown.status_code == 404 and unknown.json()["error"]["type"] == "not_found_error"
    with pytest.raises(anthropic.NotFoundError):
        await client.messages.batches.retrieve("msgbatch_sim_nope")


# -- cancel, delete, list ------------------------------------------------------------------------------------


async def test_cancel_mid_way(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    """Four requests done at 0.75, 1.5, 2.25 and 3 s; a cancel at ~1 s keeps the first one."""
    sim.configure(batch_seconds=3.0)
    batch = await client.messages.batches.create(requests=[item(f"r{i}") for i in range(4)])
    await asyncio.sleep(1.0)
    canceling = await client.messages.batches.cancel(batch.id)
    assert canceling.processing_status == "canceling" and canceling.cancel_initiated_at is not None
    assert canceling.request_counts.processing == 4 and canceling.results_url is None
    again = await client.messages.batches.cancel(batch.id)
    assert again.cancel_initiated_at == canceling.cancel_initiated_at  # cancelling twice changes nothing

    ended = await wait_until_ended(client, batch.id, timeout=1.0)  # a tenth of batch_seconds later
    assert ended.request_counts.succeeded == 1 and ended.request_counts.canceled == 3
    assert ended.cancel_initiated_at <= ended.ended_at
    results = {r.custom_id: r.result.type async for r in await client.messages.batches.results(batch.id)}
    assert results == {"r0": "succeeded", "r1": "canceled", "r2": "canceled", "r3": "canceled"}
    after = await client.messages.batches.cancel(batch.id)
    assert after.processing_status == "ended"  # an ended batch stays as it is


async def test_delete_only_once_ended(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    sim.configure(batch_seconds=0.3)
    batch = await client.messages.batches.create(requests=[item("a")])
    with pytest.raises(anthropic.BadRequestError, match="cannot be deleted"):
        await client.messages.batches.delete(batch.id)
    await wait_until_ended(client, batch.id)
    deleted = await client.messages.batches.delete(batch.id)
    assert (deleted.id, deleted.type) == (batch.id, "message_batch_deleted")
    with pytest.raises(anthropic.NotFoundError):
        await client.messages.batches.retrieve(batch.id)
    with pytest.raises(anthropic.NotFoundError):
        await client.messages.batches.delete(batch.id)


async def test_list_pages_newest_first(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    sim.configure(batch_seconds=0)
    ids = [(await client.messages.batches.create(requests=[item("a")])).id for _ in range(5)]
    newest_first = ids[::-1]

    page = await client.messages.batches.list(limit=2)
    assert [b.id for b in page.data] == newest_first[:2]
    assert page.has_more is True and (page.first_id, page.last_id) == (newest_first[0], newest_first[1])
    assert [b.id async for b in client.messages.batches.list(limit=2)] == newest_first  # auto-paging
    default = await client.messages.batches.list()
    assert [b.id for b in default.data] == newest_first and default.has_more is False

    after = await client.messages.batches.list(limit=2, after_id=newest_first[1])
    assert [b.id for b in after.data] == newest_first[2:4] and after.has_more is True
    before = await client.messages.batches.list(limit=2, before_id=newest_first[4])
    assert [b.id for b in before.data] == newest_first[2:4] and before.has_more is True
    first = await client.messages.batches.list(limit=3, before_id=newest_first[2])
    assert [b.id for b in first.data] == newest_first[:2] and first.has_more is False
    for limit in (0, 1001):
        with pytest.raises(anthropic.BadRequestError, match="limit"):
            await client.messages.batches.list(limit=limit)
    assert (await client.messages.batches.list(limit=1000)).has_more is False


# -- creation checks, settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requests", "message"),
    [
        ([], "requests: List should have at least 1 item after validation, not 0"),
        ([item("same"), item("same")], "requests.1.custom_id: 'same' is used more than once"),
        ([item("has space")], "requests.0.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'"),
        ([item("x" * 65)], "requests.0.custom_id: String should match pattern"),
        ([{"custom_id": "a"}], "requests.0.params: Field required"),
    ],
)
async def test_a_malformed_request_list_is_a_400(
    client: anthropic.AsyncAnthropic, requests: list[Any], message: str
) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        await client.messages.batches.create(requests=requests)
    assert info.value.body["error"]["message"].startswith(message)


async def test_at_most_100000_requests(sim: Simulator) -> None:
    tiny = {"model": MODEL, "max_tokens": 1, "messages": []}
    requests = [{"custom_id": f"r{i}", "params": tiny} for i in range(100_001)]
    async with httpx2.AsyncClient(base_url=sim.base_url, headers=AUTH, timeout=30) as http:
        response = await http.post("/v1/messages/batches", json={"requests": requests})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "requests: List should have at most 100000 items after validation, not 100001"
    )


async def test_batch_seconds_setting_and_reset(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    with Simulator(batch_seconds=0) as quick:
        assert quick.settings.batch_seconds == 0.0
    async with httpx2.AsyncClient(base_url=sim.base_url) as http:
        assert (await http.post("/_sim/config", json={"batch_seconds": 0.25})).json()["batch_seconds"] == 0.25
        assert (await http.post("/_sim/config", json={"batch_seconds": -1})).status_code == 400
    assert sim.settings.batch_seconds == 0.25
    with pytest.raises(ValueError, match="batch_seconds"):
        sim.configure(batch_seconds="soon")
    batch = await client.messages.batches.create(requests=[item("a")])
    sim.reset()
    with pytest.raises(anthropic.NotFoundError):
        await client.messages.batches.retrieve(batch.id)
