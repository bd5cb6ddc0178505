"""nbstream's function API in a real marimo (``marimo run``, headless Chromium).

marimo has no IPython magics and no ipykernel: ``nbstream.stream()`` / ``nbstream.parallel()`` start on
marimo's event loop and the widget is a cell's output as it is (no ``mo.ui.anywidget`` wrapper needed).
marimo renders it inside a shadow root; Playwright's CSS locators pierce open shadow roots.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
import urllib.request

import pytest

pytest.importorskip("marimo")

from .lab import REPO_ROOT, free_port  # noqa: E402

pytestmark = pytest.mark.browser

SIMULATOR = {"ttft": 0.1, "rate": 80}
LONG = "Tell me a long story about TCP. [[sim: tokens=3000 rate=40]]"


def marimo_notebook(*cells: str) -> str:
    body = "".join(
        f"\n\n@app.cell\ndef _():\n{textwrap.indent(textwrap.dedent(cell).strip(), '    ')}\n    return\n"
        for cell in cells
    )
    return f"import marimo\n\napp = marimo.App()\n{body}\n\nif __name__ == '__main__':\n    app.run()\n"


@pytest.fixture
def marimo_page(simulator, browser, tmp_path):
    """``open(*cells) -> page``: ``marimo run`` of a notebook made of these cells, open in Chromium."""
    procs, contexts = [], []

    def open_(*cells: str):
        simulator.reset()
        path = tmp_path / f"nb{len(procs)}.py"
        path.write_text(marimo_notebook(*cells))
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "PYTEST_"))}
        env.update(ANTHROPIC_BASE_URL=simulator.base_url, ANTHROPIC_API_KEY="sk-test-marimo",
                   PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")])))
        log = open(tmp_path / f"marimo{len(procs)}.log", "wb")  # noqa: SIM115 (closed with the process)
        procs.append((subprocess.Popen(
            [sys.executable, "-m", "marimo", "run", str(path), "--headless", "--no-token",
             "--host", "127.0.0.1", "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        ), log))
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline or procs[-1][0].poll() is not None:
                    raise RuntimeError((tmp_path / f"marimo{len(procs) - 1}.log").read_text()) from None
                time.sleep(0.2)
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"http://127.0.0.1:{port}/")
        return page

    yield open_
    for context in contexts:
        context.close()
    for proc, log in procs:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def closed_within_a_second(simulator, since: float) -> float:
    record = simulator.wait_for(lambda rs: rs and rs[-1]["client_closed_at"] and rs[-1], timeout=5)
    assert record["outcome"] == "client_closed"
    assert record["client_closed_at"] - since < 1.0
    return record["client_closed_at"] - since


def test_a_stream_widget_streams_styled_beside_other_cells_and_its_cancel_closes_the_stream(marimo_page, simulator):
    page = marimo_page(
        f"import nbstream\nw = nbstream.stream({LONG!r})\nw",
        "import marimo as mo\nmo.md('the other cell ran')",
    )
    widget = page.locator(".nbstream").first
    page.locator('.nbstream[data-status="streaming"]').first.wait_for()
    page.get_by_text("the other cell ran").wait_for()  # the stream does not block other cells
    page.wait_for_function("el => +el.dataset.tokens >= 10", arg=widget.element_handle())
    first = int(widget.get_attribute("data-tokens"))
    time.sleep(0.5)
    assert int(widget.get_attribute("data-tokens")) > first
    # The stylesheet reached marimo's shadow root: the Cancel button is laid out as the CSS says.
    cancel = page.get_by_role("button", name=re.compile("Cancel"))
    assert cancel.evaluate("b => getComputedStyle(b).borderRadius") != "0px"

    clicked_at = time.monotonic()
    cancel.click()
    page.locator('.nbstream[data-status="cancelled"]').first.wait_for(timeout=10_000)
    latency = closed_within_a_second(simulator, clicked_at)
    print(f"marimo 0.25: cancel click -> server saw the close in {latency * 1000:.0f} ms")


def test_await_in_another_cell_returns_the_result(marimo_page, simulator):
    page = marimo_page(
        "import nbstream\nw = nbstream.stream('Explain the TCP handshake. [[sim: tokens=60 rate=200 seed=3]]')\nw",
        "import marimo as mo\nresult = await w\nmo.md(f'awaited: {result.status} {result.usage.output_tokens} tokens')",
    )
    page.get_by_text("awaited: done 60 tokens").wait_for()
    page.locator('.nbstream[data-status="done"]').first.wait_for()


def test_a_parallel_panel_streams_and_a_rows_cancel_closes_only_that_stream(marimo_page, simulator):
    page = marimo_page(
        f"import nbstream\np = nbstream.parallel([{LONG!r}, {LONG + ' again'!r}])\np",
        "import marimo as mo\nmo.md('the other cell ran')",
    )
    page.get_by_text("the other cell ran").wait_for()
    page.locator('.nbstream-row[data-status="streaming"]').nth(1).wait_for()  # both rows stream
    time.sleep(0.5)
    clicked_at = time.monotonic()
    page.get_by_role("button", name=re.compile("Cancel row 1$")).click()
    page.locator('.nbstream-row[data-row="0"][data-status="cancelled"]').wait_for(timeout=10_000)
    closed = simulator.wait_for(lambda rs: [r for r in rs if r["client_closed_at"]] or None, timeout=5)
    assert len(closed) == 1 and closed[0]["client_closed_at"] - clicked_at < 1.0
    assert page.locator('.nbstream-row[data-row="1"]').get_attribute("data-status") == "streaming"
