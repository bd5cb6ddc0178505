"""Budgets and replay as a reader sees them in JupyterLab (Debian's Chromium), against the simulator: the
spend against the budget in the live header, a stream stopped at the cap, a replayed answer's label."""

from __future__ import annotations

import uuid

import pytest

pytestmark = pytest.mark.browser

SIMULATOR = {"ttft": 0.1, "rate": 80}


def test_the_header_shows_the_budget_and_a_replayed_answer_says_so(lab, simulator):
    topic = uuid.uuid4().hex[:8]  # a prompt no earlier test logged
    lab.open_notebook([
        "%load_ext nbstream",
        f"%%llm --budget 0.00008\nTell me a long story about {topic}. [[sim: tokens=400 rate=40]]",
        f"%%llm\nExplain {topic} in one line. [[sim: tokens=20]]",
        f"%%llm --replay\nExplain {topic} in one line. [[sim: tokens=20]]",
    ])
    lab.run_cell(0)
    lab.run_cell(1, wait=False)
    lab.wait_status(1, "streaming")
    lab.page.wait_for_function("el => +el.dataset.tokens >= 5", arg=lab.widget(1).element_handle(), timeout=20_000)
    assert "of $0.000080 budget" in lab.widget(1).locator(".nbstream-cost").inner_text()  # live, while streaming
    lab.wait_cell(1, timeout=30)
    stopped = lab.wait_for_output(1, "Stopped: the cell's --budget of $0.000080 is spent")
    assert "of $0.000080 budget" in stopped

    simulator.reset()
    lab.run_cell(2)
    lab.run_cell(3)
    replayed = lab.wait_for_output(3, "REPLAYED")
    assert "was $0.0000" in replayed and len(simulator.requests) == 1  # the replay sent nothing
    original, again = (lab.output(i).locator(".nbstream-static .nbstream-text").text_content() for i in (2, 3))
    assert again.strip() and again == original  # the same answer, shown as the original was
