"""Python's figures read exactly like the widget's (js/format.js has the same cases)."""

import pytest

from nbstream._events import Usage
from nbstream._format import dollars, rate, seconds, summary, tokens
from nbstream._result import Result


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.413, "0.41 s"), (0.999, "1.0 s"), (12.34, "12.3 s"), (65, "1 min 5 s"), (3725, "1 h 2 min"), (None, "-")],
)
def test_seconds(value, text):
    assert seconds(value) == text


@pytest.mark.parametrize(
    ("value", "estimated", "text"),
    [(0.0021, False, "$0.0021"), (1234.5, False, "$1,234.50"), (0.00001, False, "<$0.0001"),
     (0.0, False, "$0.00"), (0.0021, True, "~$0.0021"), (None, False, "cost unknown")],
)
def test_dollars(value, estimated, text):
    assert dollars(value, estimated=estimated) == text


def test_tokens_and_rates():
    assert tokens(1234) == "1,234 tokens" and tokens(1) == "1 token" and tokens(5, estimated=True) == "~5 tokens"
    assert rate(83.4) == "83 tok/s" and rate(8.46) == "8.5 tok/s"


def test_summary_names_what_is_not_done_and_what_was_simulated():
    result = Result(text="x", status="cut_off", model="claude-haiku-5-5", usage=Usage(10, 20, estimated=True),
                    ttft=0.5, duration=2.5, cost=None, simulated=True)
    assert summary(result) == (
        "claude-haiku-5-5 · cut off · 10 in / ~20 tokens out · TTFT 0.50 s · 10 tok/s · 2.5 s · cost unknown · simulated"
    )
