"""Tool use (scripted turns) and thinking blocks, through the real SDK over real HTTP."""

from __future__ import annotations

import json
import re
from typing import Any

import anthropic
import httpx2
import pytest
from _simtools import MODEL, params

from nbstream.simulator import DirectiveError, Simulator, parse_directive_text
from nbstream.simulator._tools import example_input

WEATHER = {
    "name": "get_weather",
    "description": "Get current weather for a city.",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        },
        "required": ["city"],
    },
}
SEARCH = {
    "name": "search",
    "input_schema": {
        "type": "object",
        "properties": {
            "query": {"type": "string"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 10},
        },
        "required": ["query"],
    },
}
PROMPT = "What is the weather in two cities? [[sim: tool_calls=2]]"


async def stream_all(
    client: anthropic.AsyncAnthropic, **kwargs: Any
) -> tuple[list[Any], anthropic.types.Message]:
    events = []
    async with client.messages.stream(**kwargs) as stream:
        async for event in stream:
            events.append(event)
        return events, await stream.get_final_message()


def results_for(message: anthropic.types.Message, *contents: Any) -> list[dict[str, Any]]:
    """One tool_result per tool_use of `message`, with the given contents (a dict adds is_error)."""
    uses = [b for b in message.content if b.type == "tool_use"]
    blocks = []
    for use, content in zip(uses, contents, strict=True):
        block = {"type": "tool_result", "tool_use_id": use.id, "content": content}
        if isinstance(content, dict):
            block.update(content=content["content"], is_error=True)
        blocks.append(block)
    return blocks


# -- a tool-calling turn -------------------------------------------------------------------------------------


async def test_two_parallel_tool_calls_stream_like_the_api(
    sim: Simulator, client: anthropic.AsyncAnthropic
) -> None:
    events, final = await stream_all(client, **params(PROMPT, tools=[WEATHER]))

    assert final.stop_reason == "tool_use"
    text, first, second = final.content
    assert text.type == "text" and text.text == "Let me look that up."
    assert (first.type, first.name) == ("tool_use", "get_weather")
    assert first.input == {"city": "Paris", "unit": "celsius"}
    assert (second.name, second.input) == ("get_weather", {"city": "Tokyo", "unit": "celsius"})
    assert re.fullmatch(r"toolu_sim_[0-9a-f]{24}", first.id) and first.id != second.id

    starts = [e for e in events if e.type == "content_block_start"]
    assert [s.content_block.type for s in starts] == ["text", "tool_use", "tool_use"]
    assert starts[1].content_block.input == {} and starts[1].content_block.id == first.id
    json_events = [e for e in events if e.type == "input_json"]
    assert json_events[-1].snapshot == second.input  # the helper's partial parse ends with the whole input
    per_block = {1: "", 2: ""}
    for event in events:
        if event.type == "content_block_delta" and event.delta.type == "input_json_delta":
            per_block[event.index] += event.delta.partial_json
    assert json.loads(per_block[1]) == first.input and json.loads(per_block[2]) == second.input
    deltas = [e for e in events if e.type == "content_block_delta"]
    counted = [d for d in deltas if d.delta.type == "text_delta" or d.delta.partial_json]
    assert final.usage.output_tokens == len(counted)  # the "" delta is not a token

    [record] = sim.requests
    assert record["stop_reason"] == "tool_use" and record["tokens_sent"] == final.usage.output_tokens
    assert record["directive"] == {"tool_calls": 2}


async def test_wire_format_of_a_tool_use_block(sim: Simulator) -> None:
    """The raw frames, as in transcript tools2.sse: `input: {}`, then `""`, then JSON fragments."""
    async with (
        httpx2.AsyncClient() as http,
        http.stream(
            "POST",
            sim.base_url + "/v1/messages",
            json=params(PROMPT, tools=[WEATHER], stream=True),
            headers={"authorization": "Bearer sk-sim"},
        ) as response,
    ):
        raw = (await response.aread()).decode()
    frames = [json.loads(f.split("\n")[1][6:]) for f in raw.strip("\n").split("\n\n")]
    tool_start = next(f for f in frames if f["type"] == "content_block_start" and f["index"] == 1)
    assert tool_start["content_block"] == {
        "type": "tool_use",
        "id": tool_start["content_block"]["id"],
        "name": "get_weather",
        "input": {},
    }
    block_1 = [f for f in frames if f["type"] == "content_block_delta" and f["index"] == 1]
    assert block_1[0]["delta"] == {"type": "input_json_delta", "partial_json": ""}
    pieces = [f["delta"]["partial_json"] for f in block_1[1:]]
    assert len(pieces) > 2 and "".join(pieces) == '{"city": "Paris", "unit": "celsius"}'
    names = [f["type"] for f in frames]
    assert names[names.index("content_block_stop") + 1 :].count("content_block_start") == 2
    delta = frames[-2]
    assert delta["type"] == "message_delta" and delta["delta"]["stop_reason"] == "tool_use"


async def test_calls_cycle_through_the_tools_and_json_replies_match(client: anthropic.AsyncAnthropic) -> None:
    message = await client.messages.create(
        **params("Find cats and the weather [[sim: tool_calls=3]]", tools=[WEATHER, SEARCH])
    )
    uses = [b for b in message.content if b.type == "tool_use"]
    assert [u.name for u in uses] == ["get_weather", "search", "get_weather"]
    assert uses[1].input == {"query": "Find cats and the weather", "limit": 3}
    assert message.stop_reason == "tool_use" and message.content[0].text == "Let me look that up."


def test_inputs_follow_the_schema() -> None:
    schema = {
        "type": "object",
        "properties": {
            "location": {"type": "string", "description": "City name"},
            "query": {"type": "string"},
            "when": {"type": "string", "format": "date"},
            "days": {"type": "integer", "minimum": 5, "maximum": 14},
            "ratio": {"type": "number", "exclusiveMaximum": 1},
            "mode": {"enum": ["fast", "slow"]},
            "verbose": {"type": "boolean"},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2},
            "filters": {
                "type": "object",
                "properties": {"user_id": {"type": "string"}, "note": {"type": ["string", "null"]}},
            },
            "code": {"type": "string", "maxLength": 3},
            "nothing": {"type": "null"},
        },
        "required": ["location", "extra"],
    }
    value = example_input(schema, words=["Tell", "me", "about", "otters"])
    assert value == {
        "location": "Paris",
        "query": "Tell me about otters",
        "when": "2026-11-21",
        "days": 5,
        "ratio": 0.5,
        "mode": "fast",
        "verbose": True,
        "tags": ["otters", "otters"],  # the prompt's content words, not "Tell" or "about"
        "filters": {"user_id": "sim_001", "note": "otters"},
        "code": "ott",
        "nothing": None,
        "extra": "otters",
    }
    assert example_input(schema, words=["x"]) == example_input(schema, words=["x"])  # deterministic
    assert example_input({"type": "object"}) == {}
    assert example_input(WEATHER["input_schema"], index=1)["city"] == "Tokyo"


def test_inputs_take_the_place_and_the_term_the_prompt_names() -> None:
    words = "What's the weather and the local time in New York".split()
    assert [example_input(WEATHER["input_schema"], index=i, words=words)["city"] for i in (0, 1)] == [
        "New York",
        "New York",
    ]  # every call asks about the city in the question, not one from a list
    two = "Weather in Paris and Lima".split()
    assert [example_input(WEATHER["input_schema"], index=i, words=two)["city"] for i in (0, 1)] == ["Paris", "Lima"]
    lookup = {"type": "object", "properties": {"term": {"type": "string"}}}
    assert example_input(lookup, words="What does TCP stand for".split()) == {"term": "TCP"}
    assert example_input(lookup, words="Please define photosynthesis".split()) == {"term": "photosynthesis"}


# -- tool results --------------------------------------------------------------------------------------------


async def test_the_answer_quotes_each_result_and_reports_errors(
    sim: Simulator, client: anthropic.AsyncAnthropic
) -> None:
    first = await client.messages.create(**params(PROMPT, tools=[WEATHER]))
    results = results_for(first, "18°C, clear", {"content": [{"type": "text", "text": "city not found"}]})
    conversation = [
        {"role": "user", "content": PROMPT},
        first.to_param(),  # the SDK's own way to send the assistant turn back
        {"role": "user", "content": results},
    ]
    _, answer = await stream_all(
        client, model=MODEL, max_tokens=1024, tools=[WEATHER], messages=conversation
    )
    assert answer.stop_reason == "end_turn"
    [block] = answer.content
    assert block.text.startswith(
        "Here is what the tools returned:\n\n"
        "- get_weather said: 18°C, clear.\n"
        "- get_weather failed: city not found.\n\n"
    )
    # then a short answer that says the failure matters, instead of pretending to know the weather
    assert block.text.endswith("The tool failed, so I cannot answer that reliably right now; please try again later.")
    assert [r["stop_reason"] for r in sim.requests] == ["tool_use", "end_turn"]

    short = await client.messages.create(
        model=MODEL, max_tokens=1024, tools=[WEATHER], messages=conversation[:2] + [
            {"role": "user", "content": results + [{"type": "text", "text": "Thanks [[sim: tokens=30]]"}]}
        ],
    )  # fmt: skip
    assert short.usage.output_tokens == 30 and "get_weather said" in short.content[0].text


@pytest.mark.parametrize(
    ("last_content", "message"),
    [
        (
            lambda results: results[:1],
            "messages.2: Did not find 1 tool_result block(s) at the beginning of this message. Messages "
            "following tool_use blocks must begin with a matching number of tool_result blocks.",
        ),
        (
            lambda results: [{"type": "text", "text": "here you go"}, *results],
            "messages.2: Did not find 2 tool_result block(s) at the beginning of this message. Messages "
            "following tool_use blocks must begin with a matching number of tool_result blocks.",
        ),
        (
            lambda results: "just text",
            "messages.2: Did not find 2 tool_result block(s) at the beginning of this message. Messages "
            "following tool_use blocks must begin with a matching number of tool_result blocks.",
        ),
        (
            lambda results: [*results, {**results[0]}],
            "messages.2.content.2: unexpected `tool_use_id` found in `tool_result` blocks: {id0}. Each "
            "`tool_result` block must have a corresponding `tool_use` block in the previous message.",
        ),
    ],
)
async def test_unpaired_tool_results_are_the_apis_400(
    sim: Simulator, client: anthropic.AsyncAnthropic, last_content: Any, message: str
) -> None:
    first = await client.messages.create(**params(PROMPT, tools=[WEATHER]))
    results = results_for(first, "18°C", "21°C")
    conversation = [
        {"role": "user", "content": PROMPT},
        first.to_param(),
        {"role": "user", "content": last_content(results)},
    ]
    with pytest.raises(anthropic.BadRequestError) as info:
        await client.messages.create(model=MODEL, max_tokens=1024, tools=[WEATHER], messages=conversation)
    assert info.value.body["error"] == {
        "type": "invalid_request_error",
        "message": message.format(id0=results[0]["tool_use_id"]),
    }
    assert sim.requests[-1]["outcome"] == "error_status"


async def test_a_result_without_a_tool_use_is_refused(client: anthropic.AsyncAnthropic) -> None:
    orphan = [{"type": "tool_result", "tool_use_id": "toolu_nope", "content": "x"}]
    with pytest.raises(anthropic.BadRequestError, match=r"messages\.0\.content\.0: unexpected `tool_use_id`"):
        await client.messages.create(**params(orphan))
    with pytest.raises(anthropic.BadRequestError, match="Did not find 1 tool_result"):
        await client.messages.count_tokens(
            model=MODEL,
            messages=[
                {"role": "user", "content": "hi"},
                {
                    "role": "assistant",
                    "content": [{"type": "tool_use", "id": "t1", "name": "x", "input": {}}],
                },
                {"role": "user", "content": "no results"},
            ],
        )


# -- tool loops and tool_choice ------------------------------------------------------------------------------


async def test_tool_loop_calls_tools_every_turn_until_the_client_stops(
    sim: Simulator, client: anthropic.AsyncAnthropic
) -> None:
    """A client with a cap of 4 model turns never gets a final answer."""
    messages: list[Any] = [{"role": "user", "content": "Loop forever [[sim: tool_loop=1]]"}]
    turns = []
    for _ in range(4):
        message = await client.messages.create(
            model=MODEL, max_tokens=1024, tools=[SEARCH], messages=messages
        )
        turns.append(message)
        if message.stop_reason != "tool_use":
            break
        messages += [message.to_param(), {"role": "user", "content": results_for(message, "nothing yet")}]
    assert [t.stop_reason for t in turns] == ["tool_use"] * 4
    assert [len([b for b in t.content if b.type == "tool_use"]) for t in turns] == [1, 1, 1, 1]
    assert turns[0].content[0].text == "Let me look that up."
    assert turns[1].content[0].text == "Let me check one more thing."
    assert len(sim.requests) == 4


async def test_tool_choice_is_honoured(client: anthropic.AsyncAnthropic) -> None:
    tools = [WEATHER, SEARCH]
    none = await client.messages.create(**params(PROMPT, tools=tools, tool_choice={"type": "none"}))
    assert none.stop_reason == "end_turn" and [b.type for b in none.content] == ["text"]

    single = await client.messages.create(
        **params(PROMPT, tools=tools, tool_choice={"type": "auto", "disable_parallel_tool_use": True})
    )
    assert [b.type for b in single.content] == ["text", "tool_use"]

    # A forced choice on a model that takes it (Sonnet 5.5, Opus 5.5 and Fable 5.1 answer 400 to one).
    forced = await client.messages.create(**{
        **params("No directive here", tools=tools, tool_choice={"type": "tool", "name": "search"}),
        "model": "claude-haiku-5-5",
    })
    assert [b.name for b in forced.content if b.type == "tool_use"] == ["search"]
    with pytest.raises(anthropic.BadRequestError, match="forced tool use"):
        await client.messages.create(**params("x", tools=tools, tool_choice={"type": "any"}))


async def test_without_tools_or_a_directive_the_model_just_answers(
    client: anthropic.AsyncAnthropic,
) -> None:
    no_tools = await client.messages.create(**params(PROMPT))
    assert no_tools.stop_reason == "end_turn" and [b.type for b in no_tools.content] == ["text"]
    no_directive = await client.messages.create(**params("Just chat", tools=[WEATHER]))
    assert no_directive.stop_reason == "end_turn"


async def test_max_tokens_drops_tool_calls_that_do_not_fit(client: anthropic.AsyncAnthropic) -> None:
    message = await client.messages.create(**params(PROMPT, tools=[WEATHER], max_tokens=8))
    assert message.stop_reason == "max_tokens"
    assert [b.type for b in message.content] == ["text"] and message.usage.output_tokens <= 8


def test_tool_directives_are_checked() -> None:
    assert parse_directive_text("[[sim: tool_calls=2 tool_loop=1 thinking=1]]").as_dict() == {
        "tool_calls": 2,
        "tool_loop": True,
        "thinking": True,
    }
    with pytest.raises(DirectiveError, match="tool_calls"):
        parse_directive_text("[[sim: tool_calls=0]]")


# -- thinking ------------------------------------------------------------------------------------------------


async def test_thinking_block_comes_first_with_its_signature(client: anthropic.AsyncAnthropic) -> None:
    events, final = await stream_all(client, **params("Think first [[sim: thinking=1 tokens=20]]"))
    thought, text = final.content
    assert thought.type == "thinking" and thought.thinking and thought.signature
    assert text.type == "text"
    deltas = [e.delta for e in events if e.type == "content_block_delta" and e.index == 0]
    assert {d.type for d in deltas[:-1]} == {"thinking_delta"}
    assert deltas[-1].type == "signature_delta" and deltas[-1].signature == thought.signature
    thinking_tokens = len(deltas) - 1
    assert final.usage.output_tokens == thinking_tokens + 20
    assert [e.type for e in events].count("thinking") == thinking_tokens  # the helper's thinking events

    prompt = PROMPT.replace("]]", " thinking=1]]")
    with_tools = await client.messages.create(**params(prompt, tools=[WEATHER]))
    assert [b.type for b in with_tools.content] == ["thinking", "text", "tool_use", "tool_use"]
    assert with_tools.content[0].thinking.startswith("I should call get_weather first.")
