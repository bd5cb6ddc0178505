"""Tools, conversations, prompt caching, the ledger and token counting, through the real SDK."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Literal

import pytest

import nbstream
from nbstream import Chat, InputError, ParallelPanel, StreamWidget, _projection, tool
from nbstream._events import ToolFinished, ToolStarted
from nbstream._ledger import ledger

LONG_SYSTEM = "You are a meticulous tutor. " * 400  # well above any model's minimum cacheable prefix


pytestmark = pytest.mark.usefixtures("routed")


def timings(widget) -> dict[str, list[float]]:
    seen: dict[str, list[float]] = {}
    widget.run.observe(
        lambda _r, e: seen.setdefault(e.name, []).append(time.monotonic())
        if isinstance(e, (ToolStarted, ToolFinished)) else None
    )
    return seen


async def test_two_tools_that_each_take_a_second_run_at_once(simulator):
    @tool
    async def weather(city: str) -> str:
        """The weather in a city."""
        await asyncio.sleep(1)
        return f"{city}: 18 C, clear"

    @tool
    def population(city: str) -> int:
        """How many people live in a city."""
        time.sleep(1)  # a sync tool runs in a worker thread
        return 2_100_000

    widget = StreamWidget(
        "Weather and population of Paris? [[sim: tool_calls=2 tokens=20]]", tools=[weather, population]
    )
    seen = timings(widget)
    result = await widget
    assert result.status == "done" and result.turns == 2
    (start_a, end_a), (start_b, end_b) = seen["weather"], seen["population"]
    assert max(start_a, start_b) < min(end_a, end_b)  # they overlapped
    assert max(end_a, end_b) - min(start_a, start_b) < 1.5  # about one second, not two

    first, second = simulator.requests
    assert [t["name"] for t in first["body"]["tools"]] == ["weather", "population"]
    calls = second["body"]["messages"][-2]["content"]
    results = second["body"]["messages"][-1]
    assert second["body"]["messages"][-2]["role"] == "assistant" and results["role"] == "user"
    tool_ids = [b["id"] for b in calls if b["type"] == "tool_use"]
    assert [b["tool_use_id"] for b in results["content"]] == tool_ids  # both results, one message
    assert "Paris: 18 C" in str(results["content"]) and "2100000" in str(results["content"])
    assert result.usage.output_tokens == sum(r["tokens_sent"] for r in simulator.requests)
    assert result.cost == pytest.approx(sum(
        nbstream._pricing.cost("claude-haiku-5-5", nbstream.Usage(r["input_tokens"], r["tokens_sent"]))
        for r in simulator.requests
    ))


async def test_a_tool_that_raises_tells_the_model_and_the_loop_goes_on(simulator):
    def lookup(term: str) -> str:
        """Look a term up."""
        raise ValueError("the index is offline")

    result = await StreamWidget("Define TCP [[sim: tool_calls=1]]", tools=[lookup])
    assert result.status == "done"
    (answer,) = simulator.requests[1]["body"]["messages"][-1]["content"]
    assert answer["is_error"] is True and "ValueError: the index is offline" in answer["content"]
    assert "failed" in result.text.lower()


async def test_invalid_arguments_from_the_model_are_an_error_result():
    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    widget = StreamWidget("Add [[sim: tool_calls=1 tokens=5]]", tools=[add])
    result = await widget
    assert result.status == "done"


async def test_the_turn_cap_ends_a_runaway_loop(simulator):
    def ping(host: str) -> str:
        """Ping a host."""
        return "pong"

    result = await StreamWidget("Keep pinging [[sim: tool_calls=1 tool_loop=1 tokens=5]]", tools=[ping], max_turns=3)
    assert result.status == "cut_off" and "max_turns" in result.error and result.turns == 3
    assert len(simulator.requests) == 3


async def test_cancel_stops_the_loop_and_running_tools(simulator):
    cancelled = threading.Event()

    async def slow(city: str) -> str:
        """Slow."""
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "late"

    widget = StreamWidget("Go [[sim: tool_calls=1 tokens=5]]", tools=[slow])
    started = asyncio.Event()
    widget.run.observe(lambda _r, e: started.set() if isinstance(e, ToolStarted) else None)
    widget.start()
    await started.wait()
    widget.cancel()
    result = await asyncio.wait_for(asyncio.shield(widget.run.start()), 5)
    assert result.status == "cancelled" and cancelled.is_set()
    assert result.text  # the first turn's text stays
    assert len(simulator.requests) == 1  # no further turn


def test_tools_get_their_schema_from_hints_and_docstring():
    @tool
    def forecast(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius", days: int = 1) -> str:
        """Forecast for a city.

        Args:
            city: The city, e.g. Paris.
            days: How many days ahead.
        """
        return ""

    schema = forecast.definition["input_schema"]
    assert forecast.definition["description"] == "Forecast for a city."
    assert schema["required"] == ["city"]
    assert schema["properties"]["unit"]["enum"] == ["celsius", "fahrenheit"]
    assert schema["properties"]["city"]["description"] == "The city, e.g. Paris."
    assert forecast("Oslo") == ""  # still callable as a function


@pytest.mark.parametrize(
    ("tools", "message"),
    [("not a list", "tools must be a list"), ([42], "a tool must be a function"), (["twice"], "share the name"),
     ([len], "cannot build its schema")],
)
def test_bad_tools_are_refused(tools, message):
    def search(q: str) -> str:
        """Search."""
        return q

    if tools == ["twice"]:
        tools = [search, tool(search)]
    with pytest.raises(InputError, match=message) as info:
        StreamWidget("hi", tools=tools)
    assert "\n" not in str(info.value)


async def test_a_chat_keeps_exact_history_when_a_cell_is_run_again(simulator):
    chat = Chat("history test", system="Be brief.")
    await chat.send("first question [[sim: tokens=5]]", key="cell-1", display=False)
    await chat.send("second question [[sim: tokens=6]]", key="cell-2", display=False)
    await chat.send("second question, asked again [[sim: tokens=7]]", key="cell-2", display=False)
    roles = [(m["role"], m["content"] if m["role"] == "user" else None) for m in chat.messages]
    assert roles == [
        ("user", "first question [[sim: tokens=5]]"), ("assistant", None),
        ("user", "second question, asked again [[sim: tokens=7]]"), ("assistant", None),
    ]
    sent = simulator.requests[-1]["body"]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]  # no duplicated turn was sent
    await chat.send("a new first question [[sim: tokens=3]]", key="cell-1", display=False)
    assert len(chat) == 1  # re-running cell 1 drops the turns that answered the old one


async def test_tool_rounds_stay_paired_across_chat_cells(simulator):
    def lookup(term: str) -> str:
        """Look a term up."""
        return f"{term} is a protocol"

    chat = Chat("tools across cells", tools=[lookup])
    first = await chat.send("What is TCP? [[sim: tool_calls=2 tokens=8]]", key="a", display=False)
    second = await chat.send("And UDP? [[sim: tokens=8]]", key="b", display=False)
    assert first.status == second.status == "done"  # the simulator checks tool_use/tool_result pairing
    kinds = [[b["type"] for b in m["content"]] if isinstance(m["content"], list) else ["text"] for m in chat.messages]
    assert kinds[1].count("tool_use") == 2 and kinds[2] == ["tool_result", "tool_result"]


async def test_a_failed_turn_is_not_kept_in_the_chat():
    chat = Chat("failures")
    result = await chat.send("hi [[sim: status=400]]", display=False)
    assert result.status == "failed" and chat.messages == []


async def test_the_second_chat_turn_reads_the_cache(simulator):
    chat = Chat("cached", model="sonnet", system=LONG_SYSTEM)
    first = await chat.send("one [[sim: tokens=5]]", display=False)
    second = await chat.send("two [[sim: tokens=5]]", display=False)
    assert first.usage.cache_creation_input_tokens > 1000 and first.usage.cache_read_input_tokens == 0
    assert second.usage.cache_read_input_tokens >= first.usage.cache_creation_input_tokens
    assert simulator.requests[0]["body"]["cache_control"] == {"type": "ephemeral"}
    widget = StreamWidget("", _request=chat.prepare("three [[sim: tokens=5]]"))
    await widget
    saved = _projection.stats(widget.run)["cache_saved"]
    assert saved is not None and saved > 0  # the cost line can say what caching saved


async def test_a_panel_with_one_system_prompt_writes_the_cache_once_and_reads_it_after(simulator):
    panel = ParallelPanel(
        [f"row {i} [[sim: tokens=5]]" for i in range(4)], model="sonnet", system=LONG_SYSTEM, cache="system"
    )
    results = await panel
    writes = [r.usage.cache_creation_input_tokens for r in results]
    reads = [r.usage.cache_read_input_tokens for r in results]
    assert writes[0] > 1000 and writes[1:] == [0, 0, 0]
    assert reads[0] == 0 and all(r == writes[0] for r in reads[1:])
    assert simulator.requests[0]["body"]["system"][0]["cache_control"] == {"type": "ephemeral"}


async def test_count_tokens_sends_nothing_to_generate(simulator):
    counted = await nbstream.count("How long is this prompt? " * 20, model="sonnet", max_tokens=100)
    assert counted.input_tokens > 100 and counted.model == "claude-sonnet-5-5"
    assert counted.input_cost == pytest.approx(counted.input_tokens * 2 / 1e6)
    assert counted.max_output_cost == pytest.approx(100 * 10 / 1e6)
    assert [r["path"] for r in simulator.requests] == ["/v1/messages/count_tokens"]


async def test_the_ledger_adds_up_spend_by_model():
    ledger.reset()
    await StreamWidget("a [[sim: tokens=10]]", model="haiku")
    await StreamWidget("b [[sim: tokens=20]]", model="sonnet")
    await StreamWidget("c [[sim: tokens=30]]", model="sonnet")
    spend = nbstream.spend()
    assert spend.by_model["claude-sonnet-5-5"].calls == 2 and spend.by_model["claude-sonnet-5-5"].output_tokens == 50
    assert spend.total.calls == 3 and spend.total.output_tokens == 60
    assert spend.total.cost == pytest.approx(sum(r.cost for r in spend.by_model.values()))
    assert "claude-sonnet-5-5" in spend._repr_html_()
