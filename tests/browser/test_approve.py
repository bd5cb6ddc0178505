"""Tools that ask first (issue 16 item 7) in a real JupyterLab in Chromium: each tool card shows its
arguments with Approve / Deny while the %%llm cell awaits; the clicks reach the kernel as Cancel does."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

SIMULATOR = {"ttft": 0.1, "rate": 200}


@pytest.mark.parametrize("comms_over_subshells", ["perCommTarget", "disabled"])
def test_approve_runs_one_call_and_deny_declines_the_other(lab, simulator, comms_over_subshells):
    lab.open_notebook([
        "%load_ext nbstream\nran = []\n"
        "def lookup(term: str) -> str:\n    '''Look a term up.'''\n    ran.append(term)\n    return term + ': found'",
        "%%llm -m haiku --tools lookup --approve --out answer\nLook up TCP and UDP [[sim: tool_calls=2 tokens=20]]",
        "print(len(ran), answer.status, answer.turns)",
    ])
    lab.run_cell(0)
    lab.run_cell(1, wait=False)
    out = lab.output(1)
    asking = out.locator('.nbstream-tool[data-status="asking"]')
    asking.nth(1).wait_for(timeout=30_000)
    assert asking.count() == 2
    first, second = out.locator(".nbstream-tool").nth(0), out.locator(".nbstream-tool").nth(1)
    assert '"term"' in first.locator(".nbstream-tool-args").inner_text()  # the arguments, before it runs
    assert first.get_by_role("button", name="Approve lookup").is_visible()
    assert lab.cell_running(1)  # the cell still awaits its stream
    first.get_by_role("button", name="Approve lookup").click()
    second.get_by_role("button", name="Deny lookup").click()
    out.locator('.nbstream[data-status="done"], .nbstream-static[data-status="done"]').first.wait_for(timeout=30_000)
    assert lab.wait_cell(1, 30)
    static = out.locator(".nbstream-static").inner_text()
    assert "The user declined this tool call; it was not run." in static  # the denied call's card
    assert "TCP: found" in static  # the approved call's result
    assert lab.run_cell(2)
    assert lab.output_text(2).split() == ["1", "done", "2"]
    record = simulator.requests[-1]["body"]["messages"][-1]["content"]
    assert [r.get("is_error", False) for r in record] == [False, True]
    lab.assert_no_console_errors()
