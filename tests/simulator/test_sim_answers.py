"""Replies shaped by the prompt, new samples for identical requests, and tool arguments from the prompt,
through the real SDK over real HTTP."""

from __future__ import annotations

import asyncio

import anthropic
import pytest
from _simtools import collect, params

from nbstream.simulator import Simulator

WEATHER = {
    "name": "get_weather",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
LOCAL_TIME = {
    "name": "local_time",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
LOOKUP = {
    "name": "lookup",
    "input_schema": {"type": "object", "properties": {"term": {"type": "string"}}, "required": ["term"]},
}


async def text_of(client: anthropic.AsyncAnthropic, prompt: str, **extra: object) -> str:
    message = await client.messages.create(**params(prompt, **extra))
    return "".join(block.text for block in message.content if block.type == "text")


async def test_a_haiku_when_asked_for_one(client: anthropic.AsyncAnthropic) -> None:
    haiku = (await collect(client, "Write a haiku about latency."))["text"]
    lines = haiku.split("  \n")  # Markdown line breaks, so it renders as three lines
    assert len(lines) == 3 and all(line.strip() for line in lines) and "\n\n" not in haiku
    assert 8 <= len(haiku.split()) <= 17


@pytest.mark.parametrize(
    ("review", "sentiment"),
    [
        ("The battery lasts two days and the screen is gorgeous.", "Positive"),
        ("Arrived broken, and support never answered.", "Negative"),
        ("It works. Nothing special.", "Neutral"),
        ("Decent value for the price, though shipping was slow.", "Mixed"),
    ],
)
async def test_one_word_when_asked_for_one_word(
    client: anthropic.AsyncAnthropic, review: str, sentiment: str
) -> None:
    got = await collect(client, f"Sentiment of this review, one word: {review}")
    assert got["text"] == sentiment and got["final"].usage.output_tokens <= 3


async def test_one_word_picks_from_the_choices_the_prompt_offers(client: anthropic.AsyncAnthropic) -> None:
    word = await text_of(client, "Is UDP reliable? Answer in one word: yes or no.")
    assert word in {"Yes", "No"}


async def test_sentence_counts_and_paragraphs_are_honoured(client: anthropic.AsyncAnthropic) -> None:
    one = await text_of(client, "In one sentence: what is DNS?")
    two = await text_of(client, "Explain what a mutex is in two sentences.")
    paragraph = await text_of(client, "What is QUIC, in one paragraph?")
    assert one.count(". ") == 0 and one.endswith(".") and "DNS" in one
    assert two.count(". ") == 1 and "mutex" in two
    assert paragraph.count(". ") == 2 and "\n" not in paragraph and "QUIC" in paragraph
    story = await collect(client, "Tell me a long story about TCP.")
    assert story["final"].usage.output_tokens >= 150  # a long request gets a long reply, not three sentences
    unknown = await text_of(client, "Explain photosynthesis in two sentences.")
    assert unknown.count(". ") == 1 and unknown.endswith(".")  # the shape holds even without the facts


async def test_the_notebooks_own_prompts_get_written_answers(client: anthropic.AsyncAnthropic) -> None:
    kid = await text_of(client, "Explain the TCP handshake to a ten-year-old, using a pizza delivery as an analogy.")
    assert "SYN-ACK" in kid and "pizza" in kid
    other = await text_of(client, "Explain the TCP handshake to a ten-year-old, using a phone call as an analogy.")
    assert "a phone call" in other and "pizza" not in other
    history = await collect(client, "Tell me the whole history of computing, in detail.", max_tokens=4000)
    assert history["final"].usage.output_tokens > 600 and "Babbage" in history["text"]
    assert (await text_of(client, "What does TCP stand for?")).startswith("TCP stands for **Transmission")


async def test_shaped_replies_still_stop_at_max_tokens(client: anthropic.AsyncAnthropic) -> None:
    got = await collect(client, "Tell me the whole history of computing, in detail.", max_tokens=20)
    assert got["final"].stop_reason == "max_tokens" and got["final"].usage.output_tokens == 20


async def test_identical_requests_get_different_samples(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    """`-n 4` sends four identical bodies at once: four different, plausible names come back."""
    prompt = "Suggest a name for a coffee shop run by cats."
    names = await asyncio.gather(*(text_of(client, prompt, max_tokens=60) for _ in range(4)))
    assert len(set(names)) == 4 and all(name.startswith("**") for name in names)
    assert sorted(r["sample"] for r in sim.requests) == [0, 1, 2, 3]
    generic = await asyncio.gather(*(text_of(client, "Tell me something") for _ in range(2)))
    assert generic[0] != generic[1]  # the generic Markdown varies too


async def test_a_pinned_length_or_seed_keeps_the_scripted_text(client: anthropic.AsyncAnthropic) -> None:
    scripted = await collect(client, "Write a haiku about latency. [[sim: tokens=40]]")
    assert scripted["final"].usage.output_tokens == 40 and scripted["text"].startswith("#")
    seeded = await text_of(client, "Write a haiku about latency. [[sim: seed=4]]")
    assert seeded.startswith("#") and len(seeded.split()) > 50


async def test_tool_arguments_come_from_the_prompt(client: anthropic.AsyncAnthropic) -> None:
    message = await client.messages.create(
        **params("What's the weather and the local time in Paris? [[sim: tool_calls=2]]", tools=[WEATHER, LOCAL_TIME])
    )
    calls = [(b.name, b.input) for b in message.content if b.type == "tool_use"]
    assert calls == [("get_weather", {"city": "Paris"}), ("local_time", {"city": "Paris"})]
    lookup = await client.messages.create(**params("What does TCP stand for? [[sim: tool_calls=1]]", tools=[LOOKUP]))
    assert [b.input for b in lookup.content if b.type == "tool_use"] == [{"term": "TCP"}]


async def test_after_a_failed_tool_the_answer_comes_from_memory(client: anthropic.AsyncAnthropic) -> None:
    question = "What does TCP stand for? [[sim: tool_calls=1]]"
    first = await client.messages.create(**params(question, tools=[LOOKUP]))
    use = next(b for b in first.content if b.type == "tool_use")
    failed = {"type": "tool_result", "tool_use_id": use.id, "content": "service down", "is_error": True}
    answer = await client.messages.create(
        **params(question, tools=[LOOKUP]) | {"messages": [
            {"role": "user", "content": question}, first.to_param(), {"role": "user", "content": [failed]},
        ]}
    )  # fmt: skip
    text = answer.content[0].text
    assert "- lookup failed: service down." in text and "Transmission Control Protocol" in text
