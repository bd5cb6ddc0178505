"""Python's figures read exactly like the widget's: js/format.js is tested against the same table of cases."""

import json
from pathlib import Path

import pytest

from nbstream import _format
from nbstream._events import Usage
from nbstream._format import dollars, rate, seconds, summary, tokens
from nbstream._result import Result

CASES = json.loads((Path(__file__).parents[1] / "fixtures" / "format_cases.json").read_text(encoding="utf-8"))

#: How each table of cases calls its function (the JS twin's `exact` is Python's `estimated=not exact`).
CALLS = {
    "seconds": lambda c: _format.seconds(c["value"]),
    "rate": lambda c: _format.rate(c["value"]),
    "cost": lambda c: _format.dollars(c["value"], estimated=not c["exact"]),
    "tokens": lambda c: _format.tokens(c["value"], estimated=not c["exact"]),
    "integer": lambda c: _format.integer(c["value"]),
    "cache": lambda c: _format.cache(c["read"], c["written"], c["saved"], estimated=not c["exact"]),
    "turns": lambda c: _format.turns(c["value"]),
    "status": lambda c: _format.status_label(c["value"]),
}


def test_every_table_of_the_shared_cases_is_checked():
    assert sorted(k for k in CASES if k != "about") == sorted(CALLS)


@pytest.mark.parametrize(
    ("name", "case"), [(name, case) for name in CALLS for case in CASES[name]], ids=lambda v: json.dumps(v)
)
def test_shared_format_cases(name, case):
    assert CALLS[name](case) == case["text"]


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.413, "0.41 s"), (0.999, "1.0 s"), (12.34, "12.3 s"), (65, "1 min 5 s"), (3725, "1 h 2 min"), (None, "")],
)
def test_seconds(value, text):
    assert seconds(value) == text


@pytest.mark.parametrize(
    ("value", "estimated", "text"),
    [(0.0021, False, "$0.0021"), (1234.5, False, "$1,234.50"), (0.00001, False, "$0.000010"),
     (0.0, False, "$0.00"), (0.0021, True, "~$0.0021"), (None, False, "cost unknown")],
)
def test_dollars(value, estimated, text):
    assert dollars(value, estimated=estimated) == text


def test_tokens_and_rates():
    assert tokens(1234) == "1,234 tokens" and tokens(1) == "1 token" and tokens(5, estimated=True) == "~5 tokens"
    assert rate(83.4) == "83 tok/s" and rate(8.46) == "8.5 tok/s"


def test_summary_names_what_is_not_done_and_what_was_simulated():
    result = Result(text="x", status="cut_off", model="claude-haiku-5-5", usage=Usage(10, 20, estimated=True),
                    ttft=0.5, duration=2.5, cost=None, simulated=True, rate=10.0)
    assert summary(result) == (
        "claude-haiku-5-5 · cut off · 10 in / ~20 tokens out · TTFT 0.50 s · 10 tok/s · 2.5 s · cost unknown"
        " · simulated"
    )


def test_summary_shows_cache_and_turns_as_the_widget_header_does():
    result = Result(text="x", status="done", model="m", usage=Usage(10, 20, cache_read_input_tokens=1830,
                    cache_creation_input_tokens=0), duration=1.0, cost=0.5, turns=3)
    # Input counts every prompt token, the cached ones too (issue 11: "after prompt caching the footer says 0 in").
    assert summary(result) == "m · 1,840 in / 20 tokens out · cache 1,830 read · 3 turns · 1.0 s · $0.5000"


def test_summary_tells_retries_a_later_first_token_and_the_token_limit():
    result = Result(text="x", status="done", model="m", usage=Usage(10, 50), ttft=0.4, duration=3.5, cost=0.0021,
                    rate=48.0, first_token_after=2.6, attempts=2, retry_wait=2.0, stop_reason="max_tokens")
    assert summary(result) == (
        "m · 10 in / 50 tokens out · TTFT 0.40 s (2.6 s from the start) · 48 tok/s · 3.5 s · $0.0021"
        " · 2 attempts, waited 2.0 s · stopped at max_tokens"
    )


def test_format_is_a_leaf_module():
    """It imports nothing of nbstream (an import cycle through it is impossible)."""
    import ast

    tree = ast.parse(Path(_format.__file__).read_text(encoding="utf-8"))
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert [m for m in imported if m.startswith("nbstream") or not m or m.startswith(".")] == []
    assert all(n.level == 0 for n in ast.walk(tree) if isinstance(n, ast.ImportFrom))
