"""The parallel panel and tool calls in a real JupyterLab, in Debian's Chromium, against the simulator."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


SIMULATOR = {"ttft": 0.3, "rate": 40}




def prompt_of(record) -> str:
    return record["body"]["messages"][0]["content"]


def test_the_panel_streams_rows_cancels_one_then_all_and_draws_the_waterfall(lab, simulator):
    simulator.reset()
    prompts = ", ".join(
        f"'Row {i}: tell a long story [[sim: tokens={300 + 40 * i} ttft={0.2 + 0.15 * i}]]'" for i in range(6)
    )
    lab.open_notebook([
        "from nbstream import ParallelPanel",
        f"panel = ParallelPanel([{prompts}], model='haiku', concurrency=4).display()",
    ], name="parallel_calls.ipynb")  # the README's screenshot shows this tab name
    lab.run_cell(0)
    lab.run_cell(1)
    panel = lab.output(1).locator(".nbstream-panel")
    panel.wait_for()
    rows = panel.locator(".nbstream-row")
    assert rows.count() == 6
    lab.page.wait_for_function(
        "() => document.querySelectorAll('.nbstream-row[data-status=\"streaming\"]').length === 4", timeout=20_000
    )
    assert panel.locator('.nbstream-row[data-status="queued"]').count() == 2  # the cap: 4 in flight
    lab.page.wait_for_function(
        "() => +document.querySelector('.nbstream-row[data-row=\"0\"]').dataset.tokens > 15", timeout=20_000
    )
    assert panel.locator('.nbstream-row[data-row="0"] .nbstream-preview').inner_text().strip()  # text streams
    bars = panel.locator("svg.nbstream-waterfall g.nbstream-bar")
    assert bars.count() == 6
    assert bars.nth(0).locator("rect.nbstream-seg-generating").get_attribute("width") not in (None, "0", "0%")
    lab.keep_screenshot("panel.png")

    lab.page.get_by_role("button", name=re.compile("Cancel row 2$")).click()
    panel.locator('.nbstream-row[data-row="1"][data-status="cancelled"]').wait_for(timeout=10_000)
    closed = simulator.wait_for(lambda rs: [r for r in rs if r["client_closed_at"]] or None, timeout=5)
    assert [prompt_of(r)[:5] for r in closed] == ["Row 1"]  # exactly that row's HTTP stream
    assert panel.locator('.nbstream-row[data-row="1"] .nbstream-preview').inner_text().strip()  # partial kept

    lab.page.get_by_role("button", name=re.compile("Cancel all")).click()
    panel.and_(lab.page.locator('[data-status="done"]')).wait_for(timeout=10_000)
    statuses = [rows.nth(i).get_attribute("data-status") for i in range(6)]
    assert "streaming" not in statuses and "queued" not in statuses and statuses.count("cancelled") >= 4
    simulator.wait_for(lambda rs: all(r["client_closed_at"] or r["outcome"] == "completed" for r in rs), timeout=5)
    assert panel.get_attribute("data-done") == "6"
    assert not lab.was_set("__pwned")


CARDS = """
    const scope = document.querySelector(`.jp-Notebook .jp-Cell:nth-child(2) .jp-Cell-outputArea ${args[0]}`);
    const cards = [...scope.querySelectorAll('.nbstream-tool')].map(card => {
      const cs = getComputedStyle(card), box = card.getBoundingClientRect();
      const result = card.querySelector('.nbstream-tool-result');
      return {
        top: Math.round(box.top), left: Math.round(box.left), width: Math.round(box.width),
        style: ['display', 'padding-left', 'border-left-width', 'border-top-style', 'border-radius', 'font-size',
                'font-family'].map(p => cs.getPropertyValue(p)),
        status: card.dataset.status, duration: card.querySelector('.nbstream-tool-duration')?.textContent || '',
        args: card.querySelector('.nbstream-tool-args').textContent,
        result: result ? result.querySelector('pre').textContent : '', resultOpen: result ? result.open : null,
      };
    });
    return {cards};
"""


def test_a_tool_call_is_seen_forming_and_its_result_comes_before_the_answer(lab):
    lab.open_notebook([
        "%load_ext nbstream\nimport asyncio\n"
        "async def get_weather(city: str) -> str:\n    '''Weather in a city.'''\n    await asyncio.sleep(1.5)\n"
        "    return f'{city}: 18 C, clear'",
        "%%llm --tools get_weather\nWeather in Paris and Rome? [[sim: tool_calls=2 rate=5 tokens=24]]",
    ], name="tools.ipynb")  # the README's screenshot shows this tab name
    lab.run_cell(0)
    lab.run_cell(1, wait=False)
    card = lab.output(1).locator(".nbstream-tool").first
    lab.output(1).locator('.nbstream-tool[data-status="forming"]').first.wait_for(timeout=20_000)
    # While the card says "forming", its arguments grow piece by piece as they stream in.
    lab.page.wait_for_function(
        """() => { const card = document.querySelector('.nbstream-tool[data-status="forming"]');
                   if (!card) return false;
                   const text = card.querySelector('.nbstream-tool-args').textContent;
                   window.__seen = window.__seen || new Set(); window.__seen.add(text);
                   return window.__seen.size >= 3; }""",
        polling=50, timeout=20_000,
    )
    lab.output(1).locator('.nbstream-tool[data-status="running"]').first.wait_for(timeout=20_000)
    assert lab.output(1).locator(".nbstream-tools .nbstream-tool").count() == 2  # side by side, both running
    assert '"city"' in card.locator(".nbstream-tool-args").inner_text()
    lab.keep_screenshot("tools.png")
    live = lab.evaluate(CARDS, ".nbstream:not(.nbstream-static)")
    widget = lab.output(1).locator(".nbstream")
    widget.and_(lab.page.locator('[data-status="done"]')).wait_for(timeout=30_000)
    lab.output(1).locator(".nbstream-static .nbstream-tool").first.wait_for(timeout=10_000)
    static = lab.output(1).locator(".nbstream-static").inner_text()
    assert static.index("get_weather") < static.index("Here is what the tools returned")  # result, then answer
    # The cards stay cards at the end: side by side, the same look, each with its duration and result.
    final = lab.evaluate(CARDS, ".nbstream-static")
    assert len(final["cards"]) == 2 and final["cards"][0]["top"] == final["cards"][1]["top"]
    assert final["cards"][0]["left"] < final["cards"][1]["left"]
    for got, want in zip(final["cards"], live["cards"], strict=True):
        assert got["style"] == want["style"] and got["width"] == want["width"], (got, want)
        assert got["status"] == "done" and re.fullmatch(r"1\.\d+ s", got["duration"]), got
        assert '"city": "' in got["args"] and got["resultOpen"] is False and "18 C, clear" in got["result"]
