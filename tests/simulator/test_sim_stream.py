"""The happy paths, through the real SDK over real HTTP: streaming, JSON, count_tokens, timing, control."""

from __future__ import annotations

import json
import re
import time

import anthropic
import httpx2
import pytest
from _simtools import MODEL, collect, params

from nbstream.simulator import Simulator
from nbstream.simulator._reply import estimate_input_tokens


async def test_plain_stream_text_usage_and_stop_reason(
    sim: Simulator, client: anthropic.AsyncAnthropic
) -> None:
    got = await collect(client, "Tell me about streaming")
    final = got["final"]
    deltas = [e for e in got["events"] if e.type == "content_block_delta"]

    assert [e.type for e in got["events"]][:2] == ["message_start", "content_block_start"]
    assert [e.type for e in got["events"]][-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert final.stop_reason == "end_turn"
    assert final.id.startswith("msg_sim_")
    assert final.model == MODEL
    assert final.content[0].type == "text" and final.content[0].text == got["text"]
    assert 150 <= final.usage.output_tokens <= 300
    assert final.usage.output_tokens == len(deltas)  # one token per delta event
    assert all(0 < len(d.delta.text) <= 4 for d in deltas)
    body = params("Tell me about streaming", stream=True)
    assert final.usage.input_tokens == estimate_input_tokens(body)
    assert final.usage.cache_creation_input_tokens == 0 and final.usage.cache_read_input_tokens == 0
    assert final.usage.service_tier == "standard"
    assert got["headers"]["x-nbstream-simulator"] == "1"
    assert re.fullmatch(r"req_sim_[0-9a-f]+", got["headers"]["request-id"])

    [record] = sim.requests
    assert record["id"] == got["headers"]["request-id"]
    assert record["outcome"] == "completed"
    assert record["stream"] is True and record["model"] == MODEL and record["path"] == "/v1/messages"
    assert record["tokens_sent"] == final.usage.output_tokens
    assert (
        record["received_at"] <= record["headers_sent_at"] <= record["first_token_at"] <= record["ended_at"]
    )
    assert record["client_closed_at"] is None
    assert record["body"]["messages"] == [{"role": "user", "content": "Tell me about streaming"}]


async def test_wire_format_matches_the_reference(sim: Simulator) -> None:
    """Raw bytes: response head, `event:`+`data:` on every frame, one ping after the first block start."""
    async with (
        httpx2.AsyncClient() as http,
        http.stream(
            "POST",
            sim.base_url + "/v1/messages",
            json=params("wire", stream=True),
            headers={"authorization": "Bearer sk-sim", "anthropic-version": "2026-10-21"},
        ) as response,
    ):
        raw = (await response.aread()).decode()
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["transfer-encoding"] == "chunked"
    assert raw.endswith("\n\n") and "\r" not in raw

    frames = [f.split("\n") for f in raw.strip("\n").split("\n\n")]
    names = []
    for lines in frames:
        assert len(lines) == 2 and lines[0].startswith("event: ") and lines[1].startswith("data: ")
        name, data = lines[0][len("event: ") :], json.loads(lines[1][len("data: ") :])
        assert data["type"] == name
        names.append(name)
    assert names[:3] == ["message_start", "content_block_start", "ping"]
    assert names.count("ping") == 1
    assert names[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert frames[2][1] == 'data: {"type": "ping"}'

    start = json.loads(frames[0][1][6:])["message"]
    assert start["content"] == [] and start["stop_reason"] is None and start["stop_details"] is None
    assert set(start["usage"]) == {
        "input_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "cache_creation",
        "output_tokens",
        "service_tier",
    }
    assert start["usage"]["cache_creation"] == {
        "ephemeral_5m_input_tokens": 0,
        "ephemeral_1h_input_tokens": 0,
    }
    delta = json.loads(frames[-2][1][6:])
    assert delta["delta"] == {"stop_reason": "end_turn", "stop_sequence": None, "stop_details": None}
    assert set(delta["usage"]) == {
        "input_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "output_tokens",
    }
    assert delta["usage"]["output_tokens"] == names.count("content_block_delta")


async def test_replies_are_samples_reproducible_after_a_reset_and_pinned_by_seed(
    sim: Simulator, client: anthropic.AsyncAnthropic
) -> None:
    """Identical requests get different samples (as from a real model); the sequence repeats after a reset."""
    a1 = (await collect(client, "What is a token?"))["text"]
    a2 = (await collect(client, "What is a token?"))["text"]
    b = (await collect(client, "Something else entirely"))["text"]
    assert a1 != a2 and a1 != b
    sim.reset()
    assert (await collect(client, "What is a token?"))["text"] == a1
    assert (await collect(client, "What is a token?"))["text"] == a2
    s1 = (await collect(client, "one [[sim: seed=7]]"))["text"]
    s2 = (await collect(client, "two [[sim: seed=7]]"))["text"]
    s3 = (await collect(client, "two [[sim: seed=7]]"))["text"]
    assert s1 == s2 == s3  # seed= pins the text, however often it is asked
    assert [r["sample"] for r in sim.requests] == [0, 1, 0, 0, 1]


async def test_reply_is_varied_markdown(client: anthropic.AsyncAnthropic) -> None:
    texts = [(await collect(client, f"prompt {i} [[sim: tokens=260]]"))["text"] for i in range(6)]
    for text in texts:
        assert text.startswith("#")
        assert "\n- " in text and "**" in text and "`" in text
    assert any("```" in text for text in texts)
    assert all(text.count("```") % 2 == 0 for text in texts)  # fences are never left open


async def test_tokens_directive_and_max_tokens_cap(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    exact = await collect(client, "count [[sim: tokens=37]]")
    assert exact["final"].usage.output_tokens == 37 and exact["final"].stop_reason == "end_turn"

    capped = await collect(client, "count [[sim: tokens=37]]", max_tokens=10)
    assert capped["final"].usage.output_tokens == 10 and capped["final"].stop_reason == "max_tokens"
    assert exact["text"].startswith(capped["text"])

    natural = await collect(client, "natural length", max_tokens=5)
    assert natural["final"].stop_reason == "max_tokens" and natural["final"].usage.output_tokens == 5
    assert [r["tokens_sent"] for r in sim.requests] == [37, 10, 5]


async def test_stop_sequences(client: anthropic.AsyncAnthropic) -> None:
    full = (await collect(client, "stops [[sim: seed=3]]"))["text"]
    word = full.split()[5]
    got = await collect(client, "stops [[sim: seed=3]]", stop_sequences=[word])
    assert got["final"].stop_reason == "stop_sequence" and got["final"].stop_sequence == word
    assert got["text"] == full[: full.index(word)]


async def test_non_streaming_returns_the_same_message_after_the_stream_time(
    sim: Simulator, client: anthropic.AsyncAnthropic
) -> None:
    started = time.monotonic()
    message = await client.messages.create(**params("same prompt [[sim: tokens=40 ttft=0.1 rate=200]]"))
    elapsed = time.monotonic() - started
    assert elapsed >= 0.1 + 40 / 200 - 0.02
    assert message.usage.output_tokens == 40 and message.stop_reason == "end_turn"
    assert message.id.startswith("msg_sim_") and message._request_id.startswith("req_sim_")
    record = sim.requests[-1]
    assert record["stream"] is False and record["outcome"] == "completed" and record["tokens_sent"] == 40


async def test_non_streaming_text_equals_streamed_text(client: anthropic.AsyncAnthropic) -> None:
    streamed = await collect(client, "identical")
    message = await client.messages.create(**params("identical"))
    assert message.content[0].text == streamed["text"]
    assert message.usage.output_tokens == streamed["final"].usage.output_tokens


async def test_count_tokens(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    body = {"model": MODEL, "system": "Be brief.", "messages": [{"role": "user", "content": "x" * 400}]}
    counted = await client.messages.count_tokens(**body)
    assert counted.input_tokens == estimate_input_tokens(body) == 103
    streamed = await collect(client, "x" * 400, system="Be brief.")
    assert streamed["final"].usage.input_tokens == counted.input_tokens
    assert sim.requests[0]["path"] == "/v1/messages/count_tokens"
    assert sim.requests[0]["outcome"] == "completed"


async def test_time_to_first_token_is_honoured(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    started = time.monotonic()
    first_text_at = None
    async with client.messages.stream(**params("slow start [[sim: ttft=0.3 tokens=5]]")) as stream:
        async for event in stream:
            if event.type == "text" and first_text_at is None:
                first_text_at = time.monotonic()
    assert first_text_at is not None and first_text_at - started >= 0.28
    record = sim.requests[0]
    assert record["first_token_at"] - record["received_at"] >= 0.29


async def test_high_rate_delivers_one_delta_per_token(
    sim: Simulator, client: anthropic.AsyncAnthropic
) -> None:
    """rate=5000 tokens=5000: about a second (a smoke check, the bound is generous)."""
    started = time.monotonic()
    deltas = 0
    async with client.messages.stream(
        **params("fast [[sim: ttft=0 rate=5000 tokens=5000]]", max_tokens=6000)
    ) as s:
        async for event in s:
            deltas += event.type == "content_block_delta"
        final = await s.get_final_message()
    elapsed = time.monotonic() - started
    assert deltas == 5000 and final.usage.output_tokens == 5000
    assert elapsed < 3.0
    record = sim.requests[0]
    assert record["ended_at"] - record["received_at"] >= 0.95  # paced, not dumped at once


async def test_rate_paces_the_stream(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    await collect(client, "paced [[sim: ttft=0 rate=100 tokens=30]]")
    record = sim.requests[0]
    assert record["ended_at"] - record["first_token_at"] >= 0.28  # 29 intervals of 10 ms


async def test_configure_at_runtime_and_over_http(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    sim.configure(tokens=12)
    assert (await collect(client))["final"].usage.output_tokens == 12
    async with httpx2.AsyncClient(base_url=sim.base_url) as http:
        answer = await http.post("/_sim/config", json={"tokens": 7, "ttft": 0.0})
        assert answer.status_code == 200
        assert answer.json() == {"ttft": 0.0, "rate": 2000.0, "tokens": 7, "batch_seconds": 2.0}
        assert (await http.post("/_sim/config", json={"tokenz": 7})).status_code == 400
        assert (await http.post("/_sim/config", json={"rate": 0})).status_code == 400
        assert (await http.get("/_sim/config")).json()["tokens"] == 7
    assert (await collect(client))["final"].usage.output_tokens == 7
    sim.configure(tokens=None)
    assert 150 <= (await collect(client))["final"].usage.output_tokens <= 300
    with pytest.raises(ValueError, match="rate"):
        sim.configure(rate=-1)


async def test_request_log_over_http_and_reset(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    await collect(client, "logged [[sim: tokens=3]]")
    async with httpx2.AsyncClient(base_url=sim.base_url) as http:
        records = (await http.get("/_sim/requests")).json()
        assert len(records) == 1 and records[0]["directive"] == {"tokens": 3}
        assert records[0]["outcome"] == "completed"
        assert (await http.post("/_sim/reset")).json() == {"ok": True}
        assert (await http.get("/_sim/requests")).json() == []
    assert sim.requests == []


async def test_record_never_holds_the_api_key(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    await collect(client, "secret? [[sim: tokens=2]]")
    assert "sk-sim" not in json.dumps(sim.requests)


async def test_record_has_every_documented_field(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    await collect(client, "fields [[sim: tokens=2]]")
    assert set(sim.requests[0]) >= {
        "id",
        "path",
        "model",
        "stream",
        "directive",
        "body",
        "received_at",
        "headers_sent_at",
        "first_token_at",
        "ended_at",
        "tokens_sent",
        "outcome",
        "client_closed_at",
    }


def test_sdk_sync_client_works_too(sim: Simulator) -> None:
    with (
        anthropic.Anthropic(base_url=sim.base_url, api_key="sk-sim", max_retries=0) as sync_client,
        sync_client.messages.stream(**params("sync [[sim: tokens=9]]")) as stream,
    ):
        text = "".join(stream.text_stream)
    assert len(text) > 0 and sim.requests[0]["tokens_sent"] == 9
