"""The figures tell what happened (issue 11 item 4): the TTFT of the attempt that answered and the wait
before it, one tokens-per-second over generation time only, the token limit, the same in header and footer.
Through the real SDK over real HTTP to the simulator."""

from __future__ import annotations

import time

import pytest

from nbstream import StreamWidget, _projection, tool
from nbstream._format import summary

SIMULATOR = {"ttft": 0.05, "rate": 200}
pytestmark = pytest.mark.usefixtures("routed")


async def test_a_retried_call_shows_its_ttft_and_when_its_first_token_came():
    widget = StreamWidget("Hello [[sim: status=429 retry_after=0.6 times=1 tokens=40]]")
    result = await widget
    assert result.status == "done" and result.attempts == 2
    assert result.ttft < 0.5 and result.first_token_after > 0.6 + result.ttft - 0.05
    assert result.retry_wait == pytest.approx(0.6)
    stats = _projection.stats(widget.run)
    assert stats["ttft"] == result.ttft and stats["ttft_total"] == result.first_token_after
    assert widget.notice == "retried once after a 429, waited 0.60 s"
    line = summary(result)
    assert f"TTFT {result.ttft:.2f} s (" in line and "from the start" in line
    assert "2 attempts, waited 0.60 s" in line


async def test_a_reply_cut_at_max_tokens_says_so_with_the_fix():
    widget = StreamWidget("Hello [[sim: tokens=50]]", max_tokens=10)
    result = await widget
    assert result.status == "done" and result.stop_reason == "max_tokens"
    assert "stopped at the token limit (10 max_tokens)" in widget.notice and "--max-tokens" in widget.notice
    assert "stopped at max_tokens" in summary(result)


async def test_tokens_per_second_leave_tool_time_out_and_agree_everywhere():
    @tool
    def slow_lookup(term: str) -> str:
        """Look a term up (slowly)."""
        time.sleep(1.0)
        return f"{term}: a protocol"

    widget = StreamWidget(
        "What is TCP? [[sim: tool_calls=1 tokens=40 rate=200]]", tools=[slow_lookup], max_turns=3
    )
    result = await widget
    assert result.status == "done" and result.turns == 2
    assert result.tool_time >= 1.0
    naive = result.usage.output_tokens / (result.duration - result.ttft)  # what the old footer showed
    assert result.rate > 1.5 * naive  # the second of tool time is not counted as generating
    assert _projection.stats(widget.run)["rate"] == result.rate  # the header's figure is the footer's
    assert f"{round(result.rate)} tok/s" in summary(result) or f"{result.rate:.1f} tok/s" in summary(result)
