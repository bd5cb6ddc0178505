"""Every request parameter (issue 16 item 6) through the real SDK to the simulator: what goes on the wire,
what the simulated API refuses as the real one does, what the call log keeps and what the widget shows."""

from __future__ import annotations

import json

import anthropic
import pytest

from nbstream import InputError, ParallelPanel, StreamWidget, tool
from nbstream._log import CallLog

pytestmark = pytest.mark.usefixtures("routed")


@tool
def lookup(term: str) -> str:
    """Look a term up."""
    return f"{term}: found"


EVERY_PARAMETER = {
    "thinking": 2048, "thinking_display": "summarized", "effort": "high", "stop_sequences": ["END", "##"],
    "speed": "fast", "service_tier": "standard_only", "metadata": {"user_id": "u-123"},
}
ON_THE_WIRE = {
    "thinking": {"type": "enabled", "budget_tokens": 2048, "display": "summarized"},
    "output_config": {"effort": "high"},
    "stop_sequences": ["END", "##"],
    "speed": "fast",
    "service_tier": "standard_only",
    "metadata": {"user_id": "u-123"},
}


async def test_every_parameter_goes_on_the_wire_as_the_api_names_it(simulator):
    widget = StreamWidget("Say hello [[sim: tokens=8]]", model="haiku", max_tokens=4096, **EVERY_PARAMETER)
    result = await widget
    assert result.status == "done", result.error
    (sent,) = simulator.requests
    for key, value in ON_THE_WIRE.items():
        assert sent["body"][key] == value
    assert not {"temperature", "top_p", "top_k", "extra_body"} & set(sent["body"])
    assert widget.settings == [
        "thinking enabled 2,048 tokens, summarized", "effort high", "stop 'END', '##'", "speed fast",
        "service tier standard_only", "metadata user_id",
    ]


@pytest.mark.parametrize(("thinking", "wire"), [
    ("adaptive", {"type": "adaptive"}),
    ("disabled", {"type": "disabled"}),
    ("between_tools", {"type": "between_tools"}),
    ({"type": "adaptive", "display": "omitted"}, {"type": "adaptive", "display": "omitted"}),
])
async def test_thinking_modes(simulator, thinking, wire):
    result = await StreamWidget("hi [[sim: tokens=3]]", model="haiku", thinking=thinking)
    assert result.status == "done", result.error
    assert simulator.requests[0]["body"]["thinking"] == wire


async def test_tool_choice_names_a_tool(simulator):
    widget = StreamWidget("Look up TCP [[sim: tool_calls=1 tokens=5]]", model="haiku", tools=[lookup], tool_choice="lookup")
    result = await widget
    assert result.status == "done", result.error
    assert simulator.requests[0]["body"]["tool_choice"] == {"type": "tool", "name": "lookup"}
    assert "tool choice lookup" in widget.settings


async def test_a_pass_through_reaches_the_server_as_given(simulator):
    """A key nbstream does not know is sent as written (the SDK's extra_body); the simulated API, as the real
    one, refuses a key it does not know: the run shows the API's 400 in one line."""
    result = await StreamWidget("hi", model="haiku", params={"future_knob": {"level": 3}})
    assert result.status == "failed"
    assert simulator.requests[0]["body"]["future_knob"] == {"level": 3}
    assert "future_knob: Extra inputs are not permitted" in result.error and "\n" not in result.error


async def test_a_model_that_refuses_a_setting_is_answered_by_the_simulator_as_by_the_api(simulator):
    """The simulator checks what the real API checks, for clients that skip nbstream's own checks."""
    client = anthropic.AsyncAnthropic(base_url=simulator.base_url, api_key="sk-test", max_retries=0)
    base = {"max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
    cases = [
        ({"model": "claude-opus-5-5", "thinking": {"type": "disabled"}}, "does not support disabling thinking"),
        ({"model": "claude-haiku-5-5", "extra_body": {"temperature": 0.2}}, "removed in anthropic-version 2026-10-21"),
        ({"model": "claude-haiku-5-5", "output_config": {"effort": "extreme"}}, "output_config.effort"),
        ({"model": "claude-haiku-5-5", "speed": "ludicrous"}, "speed"),
        ({"model": "claude-haiku-5-5", "thinking": {"type": "enabled", "budget_tokens": 100}}, "1024"),
        ({"model": "claude-haiku-5-5", "metadata": {"email": "a@b.c"}}, "metadata.email"),
    ]
    for params, message in cases:
        with pytest.raises(anthropic.BadRequestError, match=message):
            await client.messages.create(**base, **params)  # type: ignore[arg-type, call-overload]
    old = anthropic.AsyncAnthropic(
        base_url=simulator.base_url, api_key="sk-test", default_headers={"anthropic-version": "2023-06-01"}
    )
    reply = await old.messages.create(**base, model="claude-haiku-5-5", extra_body={"temperature": 0.2})
    assert reply.stop_reason is not None  # the old version still takes sampling parameters
    await client.close()
    await old.close()


async def test_the_call_log_keeps_the_parameters(simulator, tmp_path):
    from nbstream._session import Session, current_session

    log = CallLog(tmp_path / "calls.sqlite")
    session = current_session()
    widget = StreamWidget("hi [[sim: tokens=3]]", model="haiku", effort="low", stop_sequences="STOP")
    widget.run.session = Session(endpoint=session.endpoint, log=log, ledger=session.ledger, limiter=session.limiter)
    await widget
    log.flush()
    (row,) = log.read(1)
    params = json.loads(row["params"])
    assert params["output_config"] == {"effort": "low"} and params["stop_sequences"] == ["STOP"]
    log.close()


async def test_panel_rows_send_the_parameters(simulator):
    panel = ParallelPanel(["one [[sim: tokens=3]]", "two [[sim: tokens=3]]"], model="haiku", effort="medium")
    results = await panel
    assert [r.status for r in results] == ["done", "done"]
    assert all(r["body"]["output_config"] == {"effort": "medium"} for r in simulator.requests)
    assert [row["settings"] for row in panel.rows] == [["effort medium"], ["effort medium"]]  # each row's header


BAD = [
    ({"thinking": "enabled"}, "thinking 'enabled' needs a budget"),
    ({"thinking": 512}, "at least 1,024, got 512"),
    ({"thinking": 8000, "max_tokens": 4000}, "must be less than max_tokens (4,000)"),
    ({"thinking": True}, "thinking must be"),
    ({"thinking": "deep"}, "got 'deep'"),
    ({"thinking_display": "summarized"}, "thinking_display needs thinking too"),
    ({"thinking": "disabled", "thinking_display": "omitted"}, "thinking_display applies to adaptive or enabled"),
    ({"thinking_display": "full", "thinking": "adaptive"}, "thinking_display must be one of summarized, omitted"),
    ({"thinking": "disabled", "model": "opus"}, "claude-opus-5-5 always thinks: thinking cannot be disabled"),
    ({"effort": "extreme"}, "effort must be one of low, medium, high, xhigh, max, got 'extreme'"),
    ({"stop_sequences": [""]}, "each stop sequence must be non-empty text"),
    ({"stop_sequences": 5}, "stop_sequences must be a list of strings"),
    ({"tool_choice": "any"}, "tool_choice 'any' needs tools"),
    ({"tool_choice": "lookup"}, "tool_choice 'lookup' needs tools"),
    ({"tool_choice": "search", "tools": [lookup]}, "tool_choice names 'search', which is not one of the tools (tools: lookup)"),
    ({"tool_choice": 3}, "tool_choice must be"),
    ({"tool_choice": "any", "tools": [lookup], "model": "sonnet"}, "claude-sonnet-5-5 refuses a forced tool_choice (the API answers 400 to it)"),
    ({"speed": "ludicrous"}, "speed must be one of standard, fast"),
    ({"service_tier": "priority"}, "service_tier must be one of auto, standard_only"),
    ({"metadata": "u-1"}, "metadata must be a dict"),
    ({"metadata": {"user_id": 5}}, "metadata 'user_id' must be text"),
    ({"params": {"temperature": 0.2}}, "temperature was removed from the Messages API in version 2026-10-21"),
    ({"params": {"top_k": 5}, "model": "claude-sonnet-5-5"}, "top_k was removed"),
    ({"params": {"max_tokens": 5}},
     "params cannot set 'max_tokens': nbstream sends it itself; use max_tokens= (--max-tokens)"),
    ({"params": {"stop_sequences": ["x"]}}, "use stop_sequences= (--stop)"),
    ({"params": {"thinking": {}}}, "params cannot set 'thinking'"),
    ({"params": {"x": object()}}, "params 'x' must be a JSON value"),
    ({"params": ["temperature"]}, "params must be a dict"),
]


@pytest.mark.parametrize(("options", "message"), BAD)
def test_bad_parameters_are_one_line_errors_and_nothing_is_sent(simulator, options, message):
    with pytest.raises(InputError) as info:
        StreamWidget("hello", **{"model": "haiku", **options})
    assert message in str(info.value) and "\n" not in str(info.value)
    assert simulator.requests == []


def test_sampling_parameters_pass_through_to_other_servers():
    """A model that is not Claude's (a llama.cpp server's) takes temperature, as given."""
    widget = StreamWidget("hi", model="gemma-3-270m", params={"temperature": 0.0, "top_k": 1})
    assert widget.run.request.params()["temperature"] == 0.0 and widget.settings == ["temperature=0.0", "top_k=1"]


async def test_a_forced_tool_choice_applies_to_the_first_turn_only(simulator):
    """Forced on every turn, the model could never answer; after the tool results the turn is 'auto'."""
    result = await StreamWidget("Look up TCP [[sim: tool_calls=1 tokens=5]]", model="haiku", tools=[lookup], tool_choice="any")
    assert result.status == "done" and result.turns == 2
    first, second = simulator.requests
    assert first["body"]["tool_choice"] == {"type": "any"} and second["body"]["tool_choice"] == {"type": "auto"}


async def test_fast_mode_is_priced_at_the_fast_mode_prices(simulator):
    """speed="fast" on Opus 5.5 costs $8 / $40 per million tokens, not the standard $4 / $20."""
    standard = await StreamWidget("hi [[sim: tokens=40]]", model="opus", thinking="adaptive")
    fast = await StreamWidget("hi [[sim: tokens=40]]", model="opus", thinking="adaptive", speed="fast")
    assert standard.usage == fast.usage and standard.usage.output_tokens == 40
    expected = (fast.usage.input_tokens * 8.0 + 40 * 40.0) / 1e6
    assert fast.cost == pytest.approx(expected) and fast.cost == pytest.approx(2 * standard.cost)


async def test_nbstream_sends_the_sdks_api_version_which_refuses_temperature(simulator):
    """nbstream sends the SDK's anthropic-version (2026-10-21): with nbstream's own check bypassed, the
    simulated API refuses temperature as the real one does under that version (it takes it under 2023-06-01)."""
    from nbstream._params import Settings
    from nbstream._request import Request
    from nbstream._run import Run

    request = Request(prompt="hi", model="claude-haiku-5-5", max_tokens=16, settings=Settings(extra={"temperature": 0.2}))
    result = await Run(request)
    assert result.status == "failed"
    assert "temperature: Extra inputs are not permitted (removed in anthropic-version 2026-10-21)" in result.error
    assert simulator.requests[0]["body"]["temperature"] == 0.2
