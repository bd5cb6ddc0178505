"""%%llm in Notebook 7 (the ``notebook`` package), in Debian's Chromium, against the simulator.

The same promises as test_stream_widget.py makes for JupyterLab 4: the reply streams live,
the token counter moves, Cancel stops the request and keeps the partial text. Cells are run
from the keyboard (click into the cell, Shift+Enter), as a Notebook 7 user would; see
``NotebookPage`` in lab.py.
"""

from __future__ import annotations

import re
import time

import pytest

pytestmark = pytest.mark.browser



SIMULATOR = {"ttft": 0.1, "rate": 80}
APP = "notebook"  # one Notebook 7 server; ``lab`` pages on it are NotebookPages




def test_notebook7_streams_live_and_cancel_stops_it_keeping_the_partial_text(lab, simulator):
    nb = lab
    simulator.reset()
    nb.open_notebook(["%load_ext nbstream", "%%llm\nTell me a long story about TCP. [[sim: tokens=3000 rate=40]]"])
    assert nb.evaluate("return [app.name, app.version[0]]") == ["Jupyter Notebook", "7"]  # not Lab
    # Notebook 7.6 keeps its default whatever the kernels-settings say (see NotebookPage).
    assert nb.evaluate("return panel.sessionContext.session.kernel.commsOverSubshells") == "perCommTarget"
    assert nb.run_cell(0) is True
    nb.run_cell(1, wait=False)

    nb.wait_status(1, "streaming")
    nb.page.wait_for_function(
        "el => +el.dataset.tokens >= 10", arg=nb.widget(1).element_handle(), timeout=20_000
    )
    first = nb.tokens(1)
    time.sleep(0.5)
    assert nb.tokens(1) > first  # the live counter moves while tokens arrive
    box = nb.widget(1)
    assert box.locator(".nbstream-text h2, .nbstream-text p").count() > 0  # rendered Markdown
    assert "[[sim:" not in box.locator(".nbstream-text").inner_text()
    assert nb.cell_running(1)

    clicked_at = time.monotonic()
    nb.page.get_by_role("button", name=re.compile("Cancel")).click()
    nb.wait_status(1, "cancelled", timeout=5_000)
    assert nb.wait_cell(1, timeout=10) is True  # cancelling is not an error

    # the server saw the connection end; the partial text stays on screen, once, marked cancelled
    nb.check_cancelled(1, simulator, clicked_at)
    nb.assert_no_console_errors()


def test_notebook7_a_short_answer_is_done_and_shown_once(lab):
    nb = lab
    nb.open_notebook(["%load_ext nbstream", "%%llm\nhi [[sim: tokens=20 rate=200]]"])
    assert nb.run_cell(0) is True
    assert nb.run_cell(1, timeout=30) is True
    nb.wait_status(1, "done")
    assert nb.widget(1).locator(".nbstream-tokens").inner_text().startswith("20 tokens")
    static = nb.output(1).locator('.nbstream-static[data-status="done"]')
    static.wait_for(timeout=10_000)
    answer = static.locator("p, li").first.inner_text()[:40]
    assert answer and nb.output_text(1).count(answer) == 1  # shown once while live
    nb.assert_no_console_errors()
