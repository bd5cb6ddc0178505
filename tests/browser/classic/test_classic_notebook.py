"""The classic Notebook 6.5 with ipywidgets 7.7 on ipykernel 6.17 and IPython 7.34: Colab's stack.

Runs in the old-stack virtualenv (compat/oldstack.sh: `make test-oldstack`); skipped where the
installed notebook is not the classic one. The page exposes ``Jupyter.notebook``; a cell's outputs
are in its ``.output_wrapper``. On this kernel a comm message waits in the kernel's queue while a
cell runs: the Cancel click reaches the stream through nbstream's intent pump.
"""

from __future__ import annotations

import re
import time
import urllib.parse

import pytest

notebook = pytest.importorskip("notebook")
if not notebook.__version__.startswith("6."):
    pytest.skip("the classic Notebook 6 runs in the old-stack leg (make test-oldstack)", allow_module_level=True)

from ..lab import LabServer, unique_name  # noqa: E402

pytestmark = pytest.mark.browser

SIMULATOR = {"ttft": 0.1, "rate": 80}
LONG = "Tell me a long story about TCP. [[sim: tokens=3000 rate=40]]"


@pytest.fixture(scope="module")
def classic_server(simulator, tmp_path_factory):
    server = LabServer(
        env={"ANTHROPIC_BASE_URL": simulator.base_url, "ANTHROPIC_API_KEY": "sk-test-classic"},
        app="classic", base_dir=tmp_path_factory.mktemp("classic"),
    )
    server.start()
    yield server
    server.stop()


class ClassicPage:
    """One notebook in the classic Notebook's page, driven through ``Jupyter.notebook``."""

    def __init__(self, server: LabServer, browser) -> None:
        self.server = server
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.page.set_default_timeout(30_000)

    def open(self, cells: list[str]) -> ClassicPage:
        name = f"{unique_name('classic')}.ipynb"
        self.server.write_notebook(name, cells)
        self.page.goto(f"{self.server.url}/notebooks/{urllib.parse.quote(name)}?token={self.server.token}")
        self.page.wait_for_function(
            "() => window.Jupyter?.notebook?._fully_loaded && Jupyter.notebook.kernel?.is_connected()", timeout=60_000
        )
        return self

    def run(self, i: int, wait: bool = True) -> None:
        self.page.evaluate("(i) => Jupyter.notebook.execute_cells([i])", i)
        if wait:
            self.wait_cell(i)

    def wait_cell(self, i: int, timeout: float = 30_000) -> None:
        self.page.wait_for_function(
            "(i) => { const c = Jupyter.notebook.get_cell(i);"
            " return typeof c.input_prompt_number === 'number' && !c.element.hasClass('running'); }",
            arg=i, timeout=timeout,
        )

    def wait_output(self, i: int, text: str) -> None:
        # A cell's prompt number comes with the shell reply; its printed output may come just after it.
        self.output(i).get_by_text(text).wait_for(timeout=30_000)

    def outputs(self, i: int) -> list[dict]:
        return self.page.evaluate("(i) => Jupyter.notebook.get_cell(i).output_area.toJSON()", i)

    def output(self, i: int):
        return self.page.locator("#notebook-container .cell").nth(i).locator(".output_wrapper")

    def widget(self, i: int):
        return self.output(i).locator(".nbstream").first

    def wait_status(self, i: int, status: str, timeout: float = 30_000) -> None:
        self.output(i).locator(f'.nbstream[data-status="{status}"]').first.wait_for(timeout=timeout)

    def wait_tokens(self, i: int, at_least: int) -> None:
        self.page.wait_for_function(
            "([el, n]) => +el.dataset.tokens >= n", arg=[self.widget(i).element_handle(), at_least], timeout=30_000
        )

    def static_copy(self, i: int, status: str) -> str:
        static = self.output(i).locator(f'.nbstream-static[data-status="{status}"]')
        static.wait_for(timeout=10_000)
        return static.inner_text()

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def classic(classic_server, browser, simulator):
    simulator.reset()
    page = ClassicPage(classic_server, browser)
    yield page
    page.close()
    classic_server.delete_all_sessions()


def assert_closed_within_a_second(simulator, since: float) -> float:
    record = simulator.wait_for(lambda rs: rs[-1]["client_closed_at"] and rs[-1], timeout=5)
    assert record["outcome"] == "client_closed"
    latency = record["client_closed_at"] - since
    assert latency < 1.0
    return latency


def test_a_cell_streams_counts_and_its_cancel_button_closes_the_http_stream(classic, simulator):
    classic.open(["%load_ext nbstream", f"%%llm --out story\n{LONG}", "print(story.status, len(story.text) > 0)"])
    classic.run(0)
    classic.run(1, wait=False)
    classic.wait_status(1, "streaming")
    classic.wait_tokens(1, 10)
    first = int(classic.widget(1).get_attribute("data-tokens"))
    time.sleep(0.5)
    assert int(classic.widget(1).get_attribute("data-tokens")) > first  # the counter moves
    assert classic.widget(1).locator(".nbstream-text p, .nbstream-text h2").count() > 0  # rendered Markdown

    clicked_at = time.monotonic()
    classic.widget(1).get_by_role("button", name=re.compile("Cancel")).click()
    classic.wait_status(1, "cancelled", timeout=10_000)
    print(f"classic Notebook 6.5 / ipykernel 6.17: cancel click -> server saw the close in "
          f"{assert_closed_within_a_second(simulator, clicked_at) * 1000:.0f} ms")
    classic.wait_cell(1)
    kept = classic.static_copy(1, "cancelled")
    assert len(kept) > 40
    classic.run(2)
    classic.wait_output(2, "cancelled True")


def test_the_kernel_interrupt_cancels_and_leaves_the_static_copy(classic, simulator):
    classic.open(["%load_ext nbstream", f"%%llm\n{LONG}"])
    classic.run(0)
    classic.run(1, wait=False)
    classic.wait_tokens(1, 10)
    interrupted_at = time.monotonic()
    classic.page.evaluate("() => Jupyter.notebook.kernel.interrupt()")
    classic.wait_status(1, "cancelled", timeout=10_000)
    assert_closed_within_a_second(simulator, interrupted_at)
    classic.wait_cell(1)
    assert len(classic.static_copy(1, "cancelled")) > 40
    errors = [o for o in classic.outputs(1) if o["output_type"] == "error"]
    assert [e["ename"] for e in errors] == ["Interrupted"]  # one line, no traceback


def test_a_finished_answer_is_left_as_a_static_copy_once(classic, simulator):
    classic.open(["%load_ext nbstream", "%%llm\nExplain the TCP handshake. [[sim: tokens=80 rate=400 seed=7]]"])
    classic.run(0)
    classic.run(1)
    classic.wait_status(1, "done")
    text = classic.static_copy(1, "done")
    assert len(text) > 40
    first_words = text.split("\n")[0][:30]
    assert classic.output(1).inner_text().count(first_words) == 1  # the widget hides its own copy


def test_a_panel_rows_cancel_closes_only_that_stream(classic, simulator):
    classic.open(["%load_ext nbstream", f"%%llm --parallel --out rows\n{LONG}\n---\n{LONG} again",
                  "print([r.status for r in rows])"])
    classic.run(0)
    classic.run(1, wait=False)
    classic.output(1).locator('.nbstream-row[data-status="streaming"]').nth(1).wait_for()
    time.sleep(0.5)
    clicked_at = time.monotonic()
    classic.output(1).get_by_role("button", name=re.compile("Cancel row 1$")).click()
    classic.output(1).locator('.nbstream-row[data-row="0"][data-status="cancelled"]').wait_for(timeout=10_000)
    record = simulator.wait_for(lambda rs: [r for r in rs if r["client_closed_at"]] or None, timeout=5)
    assert len(record) == 1 and record[0]["client_closed_at"] - clicked_at < 1.0
    classic.output(1).get_by_role("button", name=re.compile("Cancel all")).click()
    classic.wait_cell(1)
    classic.run(2)
    classic.wait_output(2, "['cancelled', 'cancelled']")


def test_run_all_waits_for_each_answer(classic, simulator):
    classic.open([
        "%load_ext nbstream",
        "%%llm --out first\nExplain the TCP handshake. [[sim: tokens=60 rate=200 seed=1]]",
        "print('after:', first.status, first.usage.output_tokens)",
    ])
    classic.page.evaluate("() => Jupyter.notebook.execute_all_cells()")
    classic.wait_output(2, "after: done 60")  # the next cell ran once the answer was in
    classic.static_copy(1, "done")


@pytest.mark.parametrize(("directive", "status"), [
    ("tokens=200 fault=drop after=30", "cut_off"),  # the connection dropped mid-stream
    ("tokens=200 fault=error_event after=30 error=overloaded_error", "cut_off"),  # failed after text
    ("status=400", "failed"),  # failed before any text
], ids=["cut off", "failed after text", "failed"])
def test_every_other_ending_leaves_the_static_copy(classic, simulator, directive, status):
    classic.open(["%load_ext nbstream", f"%%llm\nExplain the TCP handshake. [[sim: {directive}]]"])
    classic.run(0)
    classic.run(1)
    classic.wait_status(1, status)
    kept = classic.static_copy(1, status)
    if status == "cut_off":  # the partial text is kept, once
        first_words = kept.split("\n")[0][:30]
        assert len(kept) > 40 and classic.output(1).inner_text().count(first_words) == 1
    assert not [o for o in classic.outputs(1) if o["output_type"] == "error"]  # a state, not a traceback


def test_to_cell_puts_the_code_below_unrun(classic, simulator):
    classic.open(["%load_ext nbstream", "%%llm --to-cell\n```python\nanswer = 6 * 7\n```\n[[sim: echo=1]]",
                  "print('the last cell')"])
    classic.run(0)
    classic.run(1)
    classic.page.wait_for_function("() => Jupyter.notebook.ncells() === 4", timeout=10_000)
    new = classic.page.evaluate("""() => { const c = Jupyter.notebook.get_cell(2);
        return {text: c.get_text(), type: c.cell_type, count: c.input_prompt_number ?? null,
                outputs: c.output_area.outputs.length, below: Jupyter.notebook.get_cell(3).get_text()}; }""")
    assert new == {"text": "answer = 6 * 7", "type": "code", "count": None, "outputs": 0,
                   "below": "print('the last cell')"}
