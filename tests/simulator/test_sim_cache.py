"""Prompt caching (reference §7): writes, reads, minimums, TTLs, automatic caching; through the real SDK."""

from __future__ import annotations

from typing import Any

import anthropic
import httpx2
import pytest
from _simtools import MODEL

from nbstream.simulator import Simulator
from nbstream.simulator._cache import PromptCache, minimum_cacheable_tokens
from nbstream.simulator._prompt import estimate_input_tokens

EPHEMERAL = {"type": "ephemeral"}
LONG = "You are a careful assistant who explains things step by step. " * 40  # 2,520 chars: 630 tokens
TOOL = {
    "name": "lookup",
    "description": "Look things up in a very large reference book. " * 60,  # over 512 tokens on its own
    "input_schema": {"type": "object", "properties": {"query": {"type": "string"}}},
}


def body(system: Any = None, prompt: str = "Hi [[sim: tokens=5]]", **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "model": MODEL,
        "max_tokens": 100,
        "messages": [{"role": "user", "content": prompt}],
        **extra,
    }
    if system is not None:
        params["system"] = system
    return params


def cached_system(text: str = LONG, **cache_control: Any) -> list[dict[str, Any]]:
    return [{"type": "text", "text": text, "cache_control": {**EPHEMERAL, **cache_control}}]


def counts(usage: Any) -> tuple[int, int, int]:
    return usage.input_tokens, usage.cache_creation_input_tokens, usage.cache_read_input_tokens


async def test_first_call_writes_and_the_second_reads(
    sim: Simulator, client: anthropic.AsyncAnthropic
) -> None:
    params = body(cached_system())
    total = estimate_input_tokens(params)
    prefix = len(LONG) // 4  # the system block is the whole cached prefix

    starts, deltas = [], []
    for _ in range(2):
        async with client.messages.stream(**params) as stream:
            async for event in stream:
                if event.type == "message_start":
                    starts.append(event.message.usage)
                elif event.type == "message_delta":
                    deltas.append(event.usage)
    write, read = starts
    assert counts(write) == (total - prefix, prefix, 0)
    assert write.cache_creation.ephemeral_5m_input_tokens == prefix
    assert write.cache_creation.ephemeral_1h_input_tokens == 0
    assert counts(read) == (total - prefix, 0, prefix)
    assert read.cache_creation.ephemeral_5m_input_tokens == 0
    for start, delta in zip(starts, deltas, strict=True):  # message_delta repeats them (cumulative)
        assert counts(delta) == counts(start) and delta.output_tokens == 5

    logged = [
        (r["input_tokens"], r["cache_creation_input_tokens"], r["cache_read_input_tokens"])
        for r in sim.requests
    ]
    assert logged == [(total - prefix, prefix, 0), (total - prefix, 0, prefix)]

    message = await client.messages.create(**params)  # the JSON path reports the same
    assert counts(message.usage) == (total - prefix, 0, prefix)
    counted = await client.messages.count_tokens(
        model=MODEL, system=params["system"], messages=params["messages"]
    )
    assert counted.input_tokens == total  # count_tokens ignores caching


async def test_below_the_minimum_nothing_is_cached(
    sim: Simulator, client: anthropic.AsyncAnthropic
) -> None:
    """630 tokens: enough for Sonnet 5.5 (512), not for Haiku 4.5 (4,096) nor Sonnet 4.6 (1,024)."""
    for model in ("claude-haiku-4-5", "claude-sonnet-4-6", "claude-haiku-4-5"):
        message = await client.messages.create(**body(cached_system(), model=model))
        assert message.usage.cache_creation_input_tokens == 0 and message.usage.cache_read_input_tokens == 0
        assert message.usage.input_tokens == estimate_input_tokens(body(cached_system()))
    assert [r["cache_creation_input_tokens"] for r in sim.requests] == [0, 0, 0]
    big = await client.messages.create(**body(cached_system(LONG * 7), model="claude-haiku-4-5"))
    assert big.usage.cache_creation_input_tokens == len(LONG) * 7 // 4  # 4,410 tokens: over the minimum


async def test_one_hour_ttl_is_reported_apart(client: anthropic.AsyncAnthropic) -> None:
    """The tokens up to a breakpoint belong to that breakpoint's TTL: tools (1h), then system (5m)."""
    tool = {**TOOL, "cache_control": {**EPHEMERAL, "ttl": "1h"}}
    params = body(cached_system(), tools=[tool])
    tool_tokens = estimate_input_tokens(body(tools=[TOOL], prompt=""))
    system_tokens = len(LONG) // 4
    first = await client.messages.create(**params)
    assert first.usage.cache_creation.ephemeral_1h_input_tokens == tool_tokens
    assert first.usage.cache_creation.ephemeral_5m_input_tokens == system_tokens
    assert first.usage.cache_creation_input_tokens == tool_tokens + system_tokens
    assert first.usage.input_tokens == estimate_input_tokens(params) - tool_tokens - system_tokens

    # Another system prompt: the tools' 1h entry is read, the new system block written.
    other = await client.messages.create(**body(cached_system(LONG.upper()), tools=[tool]))
    assert other.usage.cache_read_input_tokens == tool_tokens
    assert other.usage.cache_creation.ephemeral_5m_input_tokens == system_tokens
    assert other.usage.cache_creation.ephemeral_1h_input_tokens == 0


async def test_top_level_cache_control_caches_the_conversation_as_it_grows(
    sim: Simulator, client: anthropic.AsyncAnthropic
) -> None:
    messages: list[Any] = [{"role": "user", "content": LONG + " [[sim: tokens=20]]"}]
    first = await client.messages.create(
        model=MODEL, max_tokens=100, messages=messages, cache_control=EPHEMERAL
    )
    whole = estimate_input_tokens(sim.requests[-1]["body"])
    assert counts(first.usage) == (0, whole, 0)  # the last block is marked: everything is cached

    messages += [first.to_param(), {"role": "user", "content": "And then?"}]
    second = await client.messages.create(
        model=MODEL, max_tokens=100, messages=messages, cache_control=EPHEMERAL
    )
    grown = estimate_input_tokens(sim.requests[-1]["body"])
    # The breakpoint moved to the new last block; the previous turn's entry is found looking back.
    assert second.usage.cache_read_input_tokens == whole
    assert second.usage.cache_creation_input_tokens == grown - whole
    assert second.usage.input_tokens == 0


async def test_a_changed_prefix_misses(client: anthropic.AsyncAnthropic) -> None:
    await client.messages.create(**body(cached_system()))
    changed = await client.messages.create(**body(cached_system(LONG + "!")))
    assert changed.usage.cache_read_input_tokens == 0 and changed.usage.cache_creation_input_tokens > 0
    other_model = await client.messages.create(**body(cached_system(), model="claude-opus-5-5"))
    assert other_model.usage.cache_read_input_tokens == 0  # each model has its own cache
    same = await client.messages.create(**body(cached_system(), prompt="A new question"))
    assert same.usage.cache_read_input_tokens == len(LONG) // 4  # only what follows the breakpoint changed


async def test_several_breakpoints_read_the_longest_and_write_the_rest(
    client: anthropic.AsyncAnthropic,
) -> None:
    tool = {**TOOL, "cache_control": EPHEMERAL}
    await client.messages.create(**body(tools=[tool]))
    both = await client.messages.create(**body(cached_system(), tools=[tool]))
    tool_tokens = estimate_input_tokens(body(tools=[TOOL], prompt=""))
    assert both.usage.cache_read_input_tokens == tool_tokens
    assert both.usage.cache_creation_input_tokens == len(LONG) // 4


async def test_reset_clears_the_cache(sim: Simulator, client: anthropic.AsyncAnthropic) -> None:
    await client.messages.create(**body(cached_system()))
    sim.reset()
    assert (await client.messages.create(**body(cached_system()))).usage.cache_read_input_tokens == 0
    async with httpx2.AsyncClient(base_url=sim.base_url) as http:
        assert (await http.post("/_sim/reset")).status_code == 200
    assert (await client.messages.create(**body(cached_system()))).usage.cache_read_input_tokens == 0


@pytest.mark.parametrize(
    ("params", "message"),
    [
        (
            body(cached_system() * 5),
            "A maximum of 4 blocks with cache_control may be provided. Found 5.",
        ),
        (body(cached_system(ttl="2h")), "system.0.cache_control.ttl: Input should be '5m' or '1h'"),
        (body(cache_control={"type": "persistent"}), "cache_control.type: Input should be 'ephemeral'"),
    ],
)
async def test_bad_cache_control_is_a_400(
    client: anthropic.AsyncAnthropic, params: Any, message: str
) -> None:
    with pytest.raises(anthropic.BadRequestError) as info:
        await client.messages.create(**params)
    assert info.value.body["error"] == {"type": "invalid_request_error", "message": message}


def test_cache_control_does_not_change_the_estimate() -> None:
    marked = body(cached_system(), tools=[{**TOOL, "cache_control": EPHEMERAL}], cache_control=EPHEMERAL)
    plain = body([{"type": "text", "text": LONG}], tools=[TOOL])
    assert estimate_input_tokens(marked) == estimate_input_tokens(plain)
    assert estimate_input_tokens(plain) > estimate_input_tokens(body(LONG, tools=[]))  # tools count too


# -- the cache itself (a fake clock) -------------------------------------------------------------------------


def test_entries_expire_and_reads_refresh_them() -> None:
    now = [0.0]
    cache = PromptCache(clock=lambda: now[0])
    five, hour = body(cached_system()), body(cached_system(LONG.upper(), ttl="1h"))
    assert cache.use(five).write_5m > 0 and cache.use(hour).write_1h > 0
    now[0] = 299.0
    assert cache.use(five).read > 0  # refreshed: now expires at 599
    now[0] = 598.0
    assert cache.use(five).read > 0  # refreshed again: expires at 898
    now[0] = 899.0
    assert cache.use(five).read == 0  # expired, so this call wrote it again
    assert cache.use(hour).read > 0  # 1h entries outlive 5m ones
    now[0] = 899.0 + 3601.0
    assert cache.use(hour).read == 0
    cache.clear()
    assert len(cache) == 0


def test_minimum_cacheable_prefix_per_model() -> None:
    expected = {
        "claude-opus-5-5": 512,
        "claude-sonnet-5-5": 512,
        "claude-opus-5": 512,
        "claude-fable-5": 512,
        "claude-fable-5-2": 512,
        "claude-mythos-5-1": 512,
        "claude-opus-4-8": 1024,
        "claude-sonnet-5": 1024,
        "claude-sonnet-4-6": 1024,
        "claude-sonnet-4-5-20250929": 1024,
        "claude-opus-4-7": 2048,
        "claude-opus-4-6": 4096,
        "claude-opus-4-5-20251101": 4096,
        "claude-haiku-4-5": 4096,
        "claude-haiku-5-5": 1024,
        "claude-unknown-9": 1024,
    }
    assert {model: minimum_cacheable_tokens(model) for model in expected} == expected
