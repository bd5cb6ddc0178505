"""The reference's §11 fault table, one test per row, each through the real SDK over real HTTP."""

from __future__ import annotations

import json
import time

import anthropic
import httpx2
import pytest
from _simtools import MODEL, collect, params

from nbstream.simulator import Simulator

FAST_RETRY = "retry_after=0.01"  # the SDK sleeps exactly retry-after, so retry rows stay quick


def attempts(sim: Simulator) -> list[dict]:
    return [r for r in sim.requests if r["path"] == "/v1/messages"]


# -- HTTP errors before the stream ---------------------------------------------------------------------------

STATUS_ROWS = [
    (400, anthropic.BadRequestError, "invalid_request_error"),
    (401, anthropic.AuthenticationError, "authentication_error"),
    (402, anthropic.PaymentRequiredError, "billing_error"),
    (403, anthropic.PermissionDeniedError, "permission_error"),
    (404, anthropic.NotFoundError, "not_found_error"),
    (408, anthropic.RequestTimeoutError, "timeout_error"),
    (409, anthropic.ConflictError, "conflict_error"),
    (413, anthropic.ContentTooLargeError, "request_too_large"),
    (422, anthropic.UnprocessableEntityError, "invalid_request_error"),
    (429, anthropic.RateLimitError, "rate_limit_error"),
    (500, anthropic.InternalServerError, "api_error"),
    (502, anthropic.InternalServerError, "api_error"),
    (503, anthropic.ServiceUnavailableError, "api_error"),
    (504, anthropic.GatewayTimeoutError, "timeout_error"),
    (529, anthropic.OverloadedError, "overloaded_error"),
]


@pytest.mark.parametrize(("status", "exc_type", "error_type"), STATUS_ROWS)
async def test_status_gives_the_typed_sdk_error(
    sim: Simulator, client: anthropic.AsyncAnthropic, status: int, exc_type: type, error_type: str
) -> None:
    with pytest.raises(exc_type) as info:
        await collect(client, f"fail [[sim: status={status}]]")
    err = info.value
    assert err.status_code == status and err.type == error_type
    assert err.request_id is not None and err.request_id.startswith("req_sim_")
    assert err.body["type"] == "error" and err.body["request_id"] == err.request_id
    assert err.response.headers["x-nbstream-simulator"] == "1"
    [record] = sim.requests
    assert (
        record["outcome"] == "error_status" and record["status"] == status and record["error"] == error_type
    )


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 413, 422])
async def test_client_errors_are_not_retried(
    sim: Simulator, retrying_client: anthropic.AsyncAnthropic, status: int
) -> None:
    with pytest.raises(anthropic.APIStatusError):
        await collect(retrying_client, f"no retry [[sim: status={status} {FAST_RETRY}]]")
    assert len(attempts(sim)) == 1


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 529])
async def test_retryable_status_on_every_attempt_gives_three_attempts(
    sim: Simulator, retrying_client: anthropic.AsyncAnthropic, status: int
) -> None:
    with pytest.raises(anthropic.APIStatusError) as info:
        await collect(retrying_client, f"always [[sim: status={status} {FAST_RETRY}]]")
    assert info.value.status_code == status
    assert [r["attempt"] for r in attempts(sim)] == [1, 2, 3]


async def test_retry_backoff_without_retry_after(
    sim: Simulator, retrying_client: anthropic.AsyncAnthropic
) -> None:
    """529 every time, no retry-after: the SDK's own backoff (about 0.4-0.5 s, then 0.8-1 s)."""
    with pytest.raises(anthropic.OverloadedError):
        await collect(retrying_client, "overloaded [[sim: status=529]]")
    times = [r["received_at"] for r in attempts(sim)]
    assert len(times) == 3
    assert times[1] - times[0] >= 0.3 and times[2] - times[1] >= 0.6


async def test_529_once_then_ok(sim: Simulator, retrying_client: anthropic.AsyncAnthropic) -> None:
    got = await collect(retrying_client, "flaky [[sim: status=529 times=1]]")
    assert got["final"].stop_reason == "end_turn"
    assert [(r["attempt"], r["outcome"]) for r in attempts(sim)] == [(1, "error_status"), (2, "completed")]


async def test_429_retry_after_then_success(
    sim: Simulator, retrying_client: anthropic.AsyncAnthropic
) -> None:
    got = await collect(retrying_client, "limited [[sim: status=429 retry_after=0.2 times=1]]")
    assert got["final"].stop_reason == "end_turn"
    first, second = attempts(sim)
    assert first["status"] == 429 and second["outcome"] == "completed"
    assert second["received_at"] - first["received_at"] >= 0.19  # the SDK slept retry-after


async def test_retry_after_header_is_sent(client: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.RateLimitError) as info:
        await collect(client, "limited [[sim: status=429 retry_after=3]]")
    assert info.value.response.headers["retry-after"] == "3"


async def test_times_counts_attempts_of_the_same_body_only(
    sim: Simulator, client: anthropic.AsyncAnthropic
) -> None:
    with pytest.raises(anthropic.RateLimitError):
        await collect(client, "A [[sim: status=429 times=1]]")
    with pytest.raises(anthropic.RateLimitError):
        await collect(client, "B [[sim: status=429 times=1]]")  # a different request: its own first attempt
    await collect(client, "A [[sim: status=429 times=1]]")  # A's second attempt succeeds
    sim.reset()
    with pytest.raises(anthropic.RateLimitError):
        await collect(client, "A [[sim: status=429 times=1]]")  # reset forgets the counts


async def test_400_with_should_retry_true_is_retried(
    sim: Simulator, retrying_client: anthropic.AsyncAnthropic
) -> None:
    with pytest.raises(anthropic.BadRequestError):
        await collect(retrying_client, f"odd [[sim: status=400 should_retry=true {FAST_RETRY}]]")
    assert len(attempts(sim)) == 3


async def test_529_with_should_retry_false_is_not_retried(
    sim: Simulator, retrying_client: anthropic.AsyncAnthropic
) -> None:
    with pytest.raises(anthropic.OverloadedError):
        await collect(retrying_client, "final [[sim: status=529 should_retry=false]]")
    assert len(attempts(sim)) == 1


async def test_html_502(client: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.InternalServerError) as info:
        await collect(client, "gateway [[sim: status=502 html=1]]")
    err = info.value
    assert err.status_code == 502 and err.type is None
    assert isinstance(err.body, str) and "<html>" in err.body


# -- connection faults ---------------------------------------------------------------------------------------


async def test_close_before_response(sim: Simulator, retrying_client: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.APIConnectionError) as info:
        await collect(retrying_client, f"hang up [[sim: fault=close_before_response {FAST_RETRY}]]")
    assert not isinstance(info.value, anthropic.APITimeoutError)
    assert isinstance(info.value.__cause__, httpx2.RemoteProtocolError)
    assert [r["outcome"] for r in attempts(sim)] == ["fault", "fault", "fault"]


async def test_close_before_response_once_then_ok(
    sim: Simulator, retrying_client: anthropic.AsyncAnthropic
) -> None:
    got = await collect(retrying_client, "hang up once [[sim: fault=close_before_response times=1]]")
    assert got["final"].stop_reason == "end_turn"
    assert [r["outcome"] for r in attempts(sim)] == ["fault", "completed"]


async def test_port_closed() -> None:
    with Simulator() as stopped:
        base_url = stopped.base_url
    async with anthropic.AsyncAnthropic(base_url=base_url, api_key="sk-sim", max_retries=0) as c:
        with pytest.raises(anthropic.APIConnectionError) as info:
            await collect(c)
    assert isinstance(info.value.__cause__, httpx2.ConnectError)


async def test_headers_delayed_past_the_timeout(
    sim: Simulator, retrying_client: anthropic.AsyncAnthropic
) -> None:
    with pytest.raises(anthropic.APITimeoutError):
        await collect(retrying_client, "slow [[sim: fault=delay_headers secs=5]]", timeout=0.3)
    # The SDK raises as it closes the last connection; give the simulator a moment to see that close.
    records = await sim.wait_for_async(lambda rs: all(r["client_closed_at"] for r in rs) and rs)
    assert len(records) == 3
    for record in records:
        # Each timed-out attempt closed its connection, and the simulator noticed promptly.
        assert record["outcome"] == "fault"
        assert record["client_closed_at"] - record["received_at"] < 1.3
        assert record["headers_sent_at"] is None


async def test_delay_headers_shorter_than_the_timeout(
    sim: Simulator, client: anthropic.AsyncAnthropic
) -> None:
    got = await collect(client, "a bit slow [[sim: fault=delay_headers secs=0.2 tokens=3]]")
    assert got["final"].usage.output_tokens == 3
    record = sim.requests[0]
    assert record["headers_sent_at"] - record["received_at"] >= 0.19 and record["outcome"] == "fault"


# -- mid-stream faults ---------------------------------------------------------------------------------------


async def test_error_event_after_text(sim: Simulator, retrying_client: anthropic.AsyncAnthropic) -> None:
    seen: list[str] = []
    async with retrying_client.messages.stream(
        **params("story [[sim: fault=error_event error=overloaded_error after=5]]")
    ) as stream:
        with pytest.raises(anthropic.APIStatusError) as info:
            async for event in stream:
                seen.append(event.type)
        partial = await stream.get_final_message()  # the partial message, without raising
    err = info.value
    assert type(err) is anthropic.APIStatusError and err.status_code == 200
    assert err.type == "overloaded_error" and err.api_message == "Overloaded"
    assert err.request_id == stream.request_id and err.body["request_id"] == err.request_id
    assert seen.count("text") == 5
    assert partial.stop_reason is None and len(partial.content[0].text) > 0
    [record] = attempts(sim)  # not retried
    assert record["outcome"] == "fault" and record["tokens_sent"] == 5


async def test_error_event_wire_format_matches_the_transcript(sim: Simulator) -> None:
    async with httpx2.AsyncClient() as http:
        response = await http.post(
            sim.base_url + "/v1/messages",
            json=params("x [[sim: fault=error_event after=1]]", stream=True),
            headers={"x-api-key": "sk-sim"},
        )  # reading the whole body proves the chunked body ended cleanly
    frames = response.text.strip("\n").split("\n\n")
    assert [f.split("\n")[0] for f in frames] == [
        "event: message_start",
        "event: content_block_start",
        "event: ping",
        "event: content_block_delta",
        "event: error",
    ]
    assert json.loads(frames[-1].split("\n")[1][6:]) == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
        "request_id": response.headers["request-id"],
    }


async def test_error_event_with_another_type(client: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.APIStatusError) as info:
        await collect(client, "x [[sim: fault=error_event error=api_error after=2]]")
    assert info.value.status_code == 200 and info.value.type == "api_error"


async def test_error_event_with_non_json_data(client: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.APIStatusError) as info:
        await collect(client, "x [[sim: fault=error_event_raw after=2]]")
    assert info.value.status_code == 200 and isinstance(info.value.body, str)


async def test_drop_mid_body(sim: Simulator, retrying_client: anthropic.AsyncAnthropic) -> None:
    texts: list[str] = []
    with pytest.raises(httpx2.RemoteProtocolError):
        async with retrying_client.messages.stream(**params("x [[sim: fault=drop after=10]]")) as stream:
            async for event in stream:
                if event.type == "text":
                    texts.append(event.text)
    assert len(texts) == 10
    [record] = attempts(sim)  # raw transport error, not retried
    assert record["outcome"] == "fault" and record["client_closed_at"] is None


async def test_reset_mid_body(client: anthropic.AsyncAnthropic) -> None:
    """An RST instead of a FIN: the SDK sees a ReadError (not in the reference table; a useful extra)."""
    with pytest.raises(httpx2.ReadError):
        await collect(client, "x [[sim: fault=reset after=10]]")


async def test_stall_past_the_read_timeout(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    started = time.monotonic()
    with pytest.raises(httpx2.ReadTimeout):
        await collect(client, "x [[sim: fault=stall after=3]]", timeout=httpx2.Timeout(5, read=0.3))
    assert time.monotonic() - started < 3
    record = await sim.wait_for_async(lambda rs: rs[0]["client_closed_at"] and rs[0])
    assert record["outcome"] == "fault" and record["tokens_sent"] == 3


async def test_stall_shorter_than_the_read_timeout_resumes(
    sim: Simulator, client: anthropic.AsyncAnthropic
) -> None:
    got = await collect(
        client, "x [[sim: fault=stall secs=0.3 after=3 tokens=8]]", timeout=httpx2.Timeout(5, read=2)
    )
    assert got["final"].usage.output_tokens == 8 and got["final"].stop_reason == "end_turn"
    record = sim.requests[0]
    assert record["ended_at"] - record["first_token_at"] >= 0.29


async def test_clean_eof_before_message_stop(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    got = await collect(client, "x [[sim: fault=eof after=4]]")  # no exception
    types = [e.type for e in got["events"]]
    assert "message_stop" not in types and "message_delta" not in types
    assert got["final"].stop_reason is None and types.count("text") == 4


async def test_frames_without_event_lines(client: anthropic.AsyncAnthropic) -> None:
    async with client.messages.stream(**params("x [[sim: fault=no_event_lines tokens=5]]")) as stream:
        events = [event async for event in stream]
        with pytest.raises(AssertionError):
            await stream.get_final_message()
    assert events == []


async def test_json_body_to_a_streaming_request(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    async with client.messages.stream(**params("x [[sim: fault=json_body tokens=5]]")) as stream:
        events = [event async for event in stream]
        with pytest.raises(AssertionError):
            await stream.get_final_message()
        assert stream.response.headers["content-type"] == "application/json"
    assert events == [] and sim.requests[0]["outcome"] == "fault"


async def test_no_message_start(client: anthropic.AsyncAnthropic) -> None:
    async with client.messages.stream(**params("x [[sim: fault=no_message_start tokens=5]]")) as stream:
        events = [event async for event in stream]
        with pytest.raises(AssertionError):
            await stream.get_final_message()
    assert "content_block_delta" in [e.type for e in events]


async def test_message_delta_without_usage(client: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(AttributeError):
        await collect(client, "x [[sim: fault=delta_without_usage tokens=5]]")


async def test_delta_for_a_block_that_does_not_exist(client: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(IndexError):
        await collect(client, "x [[sim: fault=bad_index after=2]]")


async def test_malformed_delta_data(client: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(ValueError):  # json.JSONDecodeError from the SDK's SSE decoding
        await collect(client, "x [[sim: fault=malformed after=2]]")


async def test_unknown_event_passes_through(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    got = await collect(client, "x [[sim: fault=unknown_event after=3 tokens=6]]")
    types = [e.type for e in got["events"]]
    assert "future_event" in types and types[-1] == "message_stop"
    assert got["final"].stop_reason == "end_turn" and got["final"].usage.output_tokens == 6


@pytest.mark.parametrize("framing", ["crlf=1", "chunk=7", "crlf=1 chunk=3"])
async def test_crlf_and_small_chunks_parse_the_same(client: anthropic.AsyncAnthropic, framing: str) -> None:
    plain = await collect(client, "framed [[sim: seed=5 tokens=30]]")
    framed = await collect(client, f"framed [[sim: seed=5 tokens=30 {framing}]]")
    assert framed["text"] == plain["text"] and framed["final"].stop_reason == "end_turn"


async def test_crlf_is_on_the_wire(sim: Simulator) -> None:
    async with httpx2.AsyncClient() as http:
        response = await http.post(
            sim.base_url + "/v1/messages",
            json=params("x [[sim: crlf=1 tokens=2]]", stream=True),
            headers={"x-api-key": "k"},
        )
    assert response.text.startswith("event: message_start\r\ndata: {") and response.text.endswith("}\r\n\r\n")
    assert "\n" not in response.text.replace("\r\n", "")


# -- directives are loud -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("directive", "named"),
    [
        ("fualt=drop", "fualt"),
        ("rate=fast", "rate"),
        ("status=418", "status"),
        ("fault=explode", "fault"),
        ("tokens", "tokens"),
        ("error=oops", "error"),
        ("after=-1", "after"),
    ],
)
async def test_bad_directive_is_a_400_naming_the_key(
    sim: Simulator, client: anthropic.AsyncAnthropic, directive: str, named: str
) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        await collect(client, f"x [[sim: {directive}]]")
    assert named in info.value.api_message
    assert sim.requests[0]["outcome"] == "error_status"


async def test_stream_only_fault_on_a_json_request_is_a_400(client: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.BadRequestError, match="stream"):
        await client.messages.create(**params("x [[sim: fault=drop]]"))


async def test_directive_in_system_and_later_keys_win(
    sim: Simulator, client: anthropic.AsyncAnthropic
) -> None:
    got = await collect(client, "x [[sim: tokens=4]]", system="[[sim: tokens=9 rate=1000]]")
    assert got["final"].usage.output_tokens == 4
    assert sim.requests[0]["directive"] == {"rate": 1000.0, "tokens": 4}


async def test_directive_faults_apply_to_json_requests_too(client: anthropic.AsyncAnthropic) -> None:
    with pytest.raises(anthropic.RateLimitError):
        await client.messages.create(**params("x [[sim: status=429]]"))
    with pytest.raises(anthropic.APIConnectionError):
        await client.messages.create(**params("x [[sim: fault=close_before_response]]"))


async def test_count_tokens_ignores_faults_but_checks_syntax(client: anthropic.AsyncAnthropic) -> None:
    counted = await client.messages.count_tokens(
        model=MODEL, messages=[{"role": "user", "content": "x [[sim: status=529 fault=drop]]"}]
    )
    assert counted.input_tokens > 0
    with pytest.raises(anthropic.BadRequestError):
        await client.messages.count_tokens(
            model=MODEL, messages=[{"role": "user", "content": "[[sim: bogus=1]]"}]
        )
