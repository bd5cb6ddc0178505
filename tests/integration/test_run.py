"""One call's lifecycle through the real SDK over real HTTP to the simulator, for every scenario."""

from __future__ import annotations

import asyncio

import pytest

from nbstream._client import Endpoint
from nbstream._events import StatusChanged, TextDelta
from nbstream._limiter import Limiter
from nbstream._offline import use_api
from nbstream._request import make_request
from nbstream._run import Run


@pytest.fixture
def call(simulator):
    simulator.reset()
    endpoint = Endpoint(simulator.base_url, "sk-test")

    def make(prompt: str, **options) -> Run:
        return Run(make_request(prompt, **options), endpoint=endpoint, limiter=Limiter())

    return make


def record(run: Run) -> list[object]:
    seen: list[object] = []
    run.observe(lambda _run, event: seen.append(event))
    return seen


async def test_a_reply_streams_with_the_apis_usage_cost_and_timings(call, simulator):
    run = call("Hello [[sim: tokens=40]]", model="sonnet", max_tokens=100)
    events = record(run)
    result = await run
    assert result.status == "done" and result.stop_reason == "end_turn" and result.error is None
    assert result.usage.output_tokens == 40 and not result.usage.estimated
    assert result.usage.input_tokens == simulator.requests[0]["input_tokens"]
    assert result.model == "claude-sonnet-5-5"
    assert result.cost == pytest.approx((result.usage.input_tokens * 2 + 40 * 10) / 1e6)
    assert result.simulated and result.request_id.startswith("req_sim_")
    assert 0 < result.ttft < result.duration
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == result.text
    statuses = [e.status for e in events if isinstance(e, StatusChanged)]
    assert statuses == ["waiting", "streaming", "done"]


async def test_max_tokens_is_a_finished_reply_with_its_stop_reason(call):
    result = await call("Hello [[sim: tokens=50]]", max_tokens=10)
    assert result.status == "done" and result.stop_reason == "max_tokens"
    assert result.usage.output_tokens == 10


@pytest.mark.parametrize(
    ("directive", "kind"),
    [
        ("status=429 retry_after=0.1 times=2", "rate_limited"),
        ("status=529 retry_after=0.1 times=1", "overloaded"),
        ("status=500 retry_after=0.1 times=1", "server_error"),
        ("fault=close_before_response times=1", "connection"),
        ("fault=error_event after=0 error=overloaded_error times=1", "overloaded"),
    ],
)
async def test_retryable_failures_before_the_first_token_are_retried_visibly(call, simulator, directive, kind):
    run = call(f"Hello [[sim: {directive} tokens=5]]")
    events = record(run)
    result = await run
    assert result.status == "done", result.error
    assert "retrying" in [e.status for e in events if isinstance(e, StatusChanged)]
    assert result.attempts == len(simulator.requests) > 1


async def test_retry_after_is_honoured(call, simulator):
    result = await call("Hello [[sim: status=429 retry_after=0.4 times=1 tokens=3]]")
    first, second = simulator.requests
    assert second["received_at"] - first["received_at"] >= 0.4
    assert result.status == "done"


async def test_retries_are_bounded_and_end_in_a_failed_state_with_the_apis_message(call, simulator):
    result = await call("Hello [[sim: status=429 retry_after=0.05]]", max_retries=2)
    assert result.status == "failed"
    assert "429 rate_limit_error" in result.error and "gave up after 3 attempts" in result.error
    assert len(simulator.requests) == 3


@pytest.mark.parametrize(
    ("status", "fragment", "hint"),
    [
        (401, "authentication_error", "ANTHROPIC_API_KEY"),
        (403, "permission_error", "not allowed"),
        (400, "invalid_request_error", None),
        (404, "not_found_error", "Check the model name"),
        (413, "request_too_large", "Shorten the prompt"),
    ],
)
async def test_client_errors_fail_at_once_with_a_hint(call, simulator, status, fragment, hint):
    result = await call(f"Hello [[sim: status={status}]]")
    assert result.status == "failed" and fragment in result.error
    assert hint is None or hint in result.error
    assert len(simulator.requests) == 1  # never retried


@pytest.mark.parametrize(
    ("fault", "says"),
    [
        ("fault=error_event after=20 error=overloaded_error", "overloaded_error"),
        ("fault=error_event after=20 error=api_error", "api_error"),
        ("fault=drop after=20", "Connection lost"),
        ("fault=reset after=20", "Connection lost"),
        ("fault=eof after=20", "ended before"),
        ("fault=malformed after=20", "malformed"),
        ("fault=bad_index after=20", "malformed"),
    ],
)
async def test_a_stream_that_breaks_after_text_is_cut_off_with_the_partial_text_kept(call, simulator, fault, says):
    result = await call(f"Tell a story [[sim: tokens=200 {fault}]]")
    assert result.status == "cut_off"
    assert says in result.error and "\n" not in result.error
    assert len(result.text) > 20 and result.usage.estimated
    assert len(simulator.requests) == 1  # never retried silently once text arrived


async def test_a_stall_is_cut_off_and_the_connection_closed(call, simulator):
    result = await call("Tell a story [[sim: tokens=200 fault=stall after=20]]", idle_timeout=0.3)
    assert result.status == "cut_off" and "Stalled" in result.error
    await simulator.wait_for_async(lambda rs: rs[0]["client_closed_at"] is not None, timeout=2)


async def test_unknown_event_types_are_ignored(call):
    result = await call("Hello [[sim: tokens=30 fault=unknown_event after=10]]")
    assert result.status == "done" and result.usage.output_tokens == 30


async def test_cancel_closes_the_http_stream_and_keeps_tokens_and_cost(call, simulator):
    run = call("Tell a long story [[sim: tokens=5000 rate=200]]")
    run.start()
    await simulator.wait_for_async(lambda rs: rs and rs[0]["tokens_sent"] > 20, timeout=5)
    run.cancel()
    result = await run
    assert result.status == "cancelled" and result.text
    assert result.usage.output_tokens > 0 and result.usage.estimated and result.cost > 0
    # the server sees the connection end within a second of the cancel
    rec = await simulator.wait_for_async(lambda rs: rs[0]["client_closed_at"] and rs[0], timeout=1)
    assert rec["outcome"] == "client_closed"


async def test_cancel_while_waiting_for_the_first_token(call, simulator):
    run = call("Hello [[sim: ttft=5]]")
    run.start()
    await simulator.wait_for_async(lambda rs: len(rs) == 1, timeout=5)
    run.cancel()
    result = await run
    assert result.status == "cancelled" and result.text == "" and result.usage.output_tokens == 0
    await simulator.wait_for_async(lambda rs: rs[0]["outcome"] == "client_closed", timeout=2)


async def test_cancel_from_another_thread(call, simulator):
    run = call("Tell a long story [[sim: tokens=5000 rate=200]]")
    run.start()
    await simulator.wait_for_async(lambda rs: rs and rs[0]["tokens_sent"] > 5, timeout=5)
    await asyncio.to_thread(run.cancel)  # as a comm handler on a subshell thread would
    assert (await run).status == "cancelled"


async def test_a_cancel_after_the_end_changes_nothing(call):
    run = call("Hello [[sim: tokens=5]]")
    result = await run
    run.cancel()
    assert (await run) is result and result.status == "done"


async def test_no_credentials_is_one_sentence_and_sends_nothing(monkeypatch, simulator):
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "ANTHROPIC_PROFILE",
                 "ANTHROPIC_CONFIG_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", "/nonexistent-nbstream-test")
    simulator.reset()
    use_api()  # the user chose the API (without a choice, no credentials mean the offline model)
    result = await Run(make_request("hi"), endpoint=None, limiter=Limiter())
    assert result.status == "failed"
    assert result.error.startswith("No Anthropic API key found. Set ANTHROPIC_API_KEY")
    assert "%llm_offline" in result.error
    assert simulator.requests == []


async def test_a_cut_off_stream_widget_can_be_retried(routed):
    from nbstream import StreamWidget

    simulator = routed
    widget = StreamWidget("Tell a story [[sim: tokens=60 fault=error_event after=20 times=1]]")
    first = await widget
    assert first.status == "cut_off" and widget.can_retry
    sent: list[dict] = []
    widget.send = sent.append  # what the front end would receive
    widget.retry()
    assert sent[0] == {"type": "snapshot", "seq": sent[0]["seq"], "text": "", "parts": []} and widget.text == ""
    again = await widget
    assert again.status == "done" and again.usage.output_tokens == 60 and not widget.can_retry
    assert widget.result is again and widget.text == again.text
    assert len(simulator.requests) == 2
