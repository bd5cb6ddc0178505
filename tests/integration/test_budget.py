"""Budgets through the real SDK over real HTTP to the simulator: refused before sending, stopped at the cap
mid-stream with the connection closed, a panel that starts no row after the cap, unpriced models."""

from __future__ import annotations

import pytest

import nbstream
from nbstream import InputError, ParallelPanel, StreamWidget
from nbstream._events import Usage
from nbstream._ledger import ledger
from nbstream._pricing import cost

SIMULATOR = {"ttft": 0.05, "rate": 400}
pytestmark = pytest.mark.usefixtures("routed")
MODEL = "claude-haiku-5-5"


@pytest.fixture(autouse=True)
def fresh_session_budget():
    ledger.reset()
    yield
    nbstream.defaults.budget = None
    ledger.reset()


def output_cost(tokens: int) -> float:
    return cost(MODEL, Usage(output_tokens=tokens))


def prompt_of(record) -> str:
    return record["body"]["messages"][0]["content"]


async def test_a_panel_worth_ten_budgets_stops_at_the_cap_and_sends_nothing_after_it(simulator):
    # 40 rows of 400 output tokens at concurrency 4: ten times the budget if they all ran.
    row_cost = output_cost(400)
    budget = 40 * row_cost / 10
    prompts = [f"row-{i} [[sim: tokens=400]]" for i in range(40)]
    panel = ParallelPanel(prompts, model=MODEL, concurrency=4, budget=budget)
    results = await panel
    [cap] = panel.budgets
    assert cap.reached_at is not None

    total = sum(r.cost or 0.0 for r in results)
    # What may be overspent: the tokens in flight when the cap was reached, one delta (one token) for
    # each of the four concurrent rows (a delta's estimate may round up to two).
    in_flight = 4 * output_cost(2)
    print(f"\nbudget ${budget:.6f}, recorded ${total:.6f}, overspend ${total - budget:.8f} "
          f"({(total - budget) / output_cost(1):.1f} output tokens; allowed {in_flight / output_cost(1):.0f})")
    assert budget <= total <= budget + in_flight

    stopped = [r for r in results if r.status == "cut_off"]
    refused = [r for r in results if r.status == "failed"]
    assert stopped and all(r.text and "budget" in r.error for r in stopped)  # partial text kept, reason given
    assert refused and all(r.error.startswith("Not sent:") and "budget" in r.error for r in refused)
    assert len(stopped) + len(refused) + sum(r.status == "done" for r in results) == 40

    # The server saw a request only from rows started before the cap, and each stopped row's connection closed.
    requests = await simulator.wait_for_async(lambda log: all(r["outcome"] for r in log) and log)  # closes seen
    sent = {prompt_of(r) for r in requests}
    assert len(requests) == len(sent) == 40 - len(refused)
    assert not sent & {r.prompt for r in refused}
    started = [run for run in panel._runs if run.started_at is not None]
    assert all(run.started_at < cap.reached_at for run in started)
    assert {prompt_of(r) for r in requests if r["outcome"] == "client_closed"} == {r.prompt for r in stopped}
    assert panel.summary["budget"].endswith(f"of {nbstream._format.dollars(budget)} budget")


async def test_the_input_must_fit_or_nothing_is_sent(simulator):
    long_prompt = "word " * 4000  # 20,000 characters: about 5,000 input tokens, $0.0005 on Haiku
    widget = StreamWidget(long_prompt, model=MODEL, budget=0.0001)
    result = await widget
    assert result.status == "failed" and result.error.startswith("Not sent: its input would cost about $0.00050")
    assert simulator.requests == []
    assert widget.stats["budget"] == "$0.00 of $0.00010 budget"


async def test_the_session_budget_counts_every_call_and_spend_shows_what_is_left(simulator):
    nbstream.defaults.budget = output_cost(150)
    first = await StreamWidget("one [[sim: tokens=100]]", model=MODEL)
    assert first.status == "done"
    second = await StreamWidget("two [[sim: tokens=400]]", model=MODEL)
    assert second.status == "cut_off" and "the session budget" in second.error
    third = await StreamWidget("three [[sim: tokens=10]]", model=MODEL)
    assert third.status == "failed" and "is spent" in third.error
    assert len(simulator.requests) == 2
    spent = nbstream.spend()
    assert spent.total.cost == pytest.approx(first.cost + second.cost)
    assert "left" in repr(spent) and "budget" in spent._repr_markdown_()


async def test_an_unpriced_model_is_refused_under_a_budget_until_priced(simulator, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "https://api.example.invalid")  # not a server on this machine
    result = await StreamWidget("hi", model="claude-unpriced-9", budget=1.0)
    assert result.status == "failed" and "has no price" in result.error and "set_price" in result.error
    assert simulator.requests == []


def test_bad_budgets_get_one_line_and_change_nothing():
    for bad in (-1, "1", float("nan"), float("inf"), True):
        with pytest.raises(InputError, match="budget must be 0 or more US dollars"):
            nbstream.defaults.budget = bad
        with pytest.raises(InputError, match="budget must be 0 or more US dollars"):
            ParallelPanel(["a"], budget=bad)
    assert nbstream.defaults.budget is None


async def test_raising_the_session_budget_lets_calls_through_again(simulator):
    nbstream.defaults.budget = output_cost(50)
    stopped = await StreamWidget("long [[sim: tokens=400]]", model=MODEL)
    assert stopped.status == "cut_off"
    nbstream.defaults.budget = 1.0
    again = await StreamWidget("short [[sim: tokens=10]]", model=MODEL)
    assert again.status == "done"


def test_a_message_batch_is_refused_under_a_budget_before_anything_is_sent(simulator):
    """A batch cannot be stopped part-way: under the session's budget (or its own) it is one line, not sent."""
    nbstream.defaults.budget = 0.50
    with pytest.raises(InputError, match="cannot run under nbstream.defaults.budget"):
        ParallelPanel(["a", "b"], model=MODEL, batch=True)
    with pytest.raises(InputError, match="budget does not combine with batch=True"):
        ParallelPanel(["a", "b"], model=MODEL, batch=True, budget=0.10)
    nbstream.defaults.budget = None
    ParallelPanel(["a", "b"], model=MODEL, batch=True)  # without a budget: a batch as before
    assert simulator.requests == []
