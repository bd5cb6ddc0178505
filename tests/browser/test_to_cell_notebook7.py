"""--to-cell in Notebook 7: the same set_next_input payload becomes a new cell below, not run."""

from __future__ import annotations

import pytest

from .test_to_cell import cell_model

pytestmark = pytest.mark.browser

SIMULATOR = {"ttft": 0.05, "rate": 400}
APP = "notebook"


def test_notebook7_puts_the_code_below_and_does_not_run_it(lab, simulator):
    nb = lab
    simulator.reset()
    nb.open_notebook([
        "%load_ext nbstream",
        "%%llm --to-cell\n```python\nanswer = 6 * 7\n```\n[[sim: echo=1]]",
        "print('the last cell')",
    ])
    assert nb.evaluate("return [app.name, app.version[0]]") == ["Jupyter Notebook", "7"]
    assert nb.run_cell(0) is True
    assert nb.run_cell(1) is True

    new = cell_model(nb, 2)
    assert new["n"] == 4 and new["source"] == "answer = 6 * 7"
    assert new["count"] is None and new["outputs"] == 0  # not run
    assert cell_model(nb, 3)["source"] == "print('the last cell')"
