"""The notebook as a prompt's context in a real kernel: {In[n]}, {Out[n]}, {_}, {Err}, {Err[n]} and
rendered variables reach the model through the SDK; a missing reference is one line and sends nothing."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.kernel


def sent_prompt(simulator) -> str:
    (request,) = simulator.requests
    return request["body"]["messages"][-1]["content"]


def test_cells_results_and_errors_fill_the_prompt(kernel, simulator):
    kernel.ok("total = 6 * 7\ntotal")  # cell 2: Out[2] is 42
    kernel.ok("import pandas as pd\nframe = pd.DataFrame({'city': ['Oslo', 'Lima'] * 30, 'n': range(60)})")
    failing = kernel.run("def lookup(table):\n    return table['missing']\n\nlookup({})")  # cell 4
    assert failing.reply["status"] == "error"
    kernel.run("raise ValueError('\\x1b[31mcoloured\\x1b[0m message')")  # cell 5: the last error
    simulator.reset()

    kernel.ok("%%llm --max-tokens 20\nSource: {In[2]}\nResult: {Out[2]} / {_}\nLast: {Err}\nCell 4: {Err[4]}\n"
              "Table: {frame} [[sim: tokens=5]]")

    prompt = sent_prompt(simulator)
    assert "Source: total = 6 * 7\ntotal\n" in prompt
    assert "Result: 42 / " in prompt
    assert "Last: ValueError in cell 5: coloured message" in prompt
    assert "\x1b" not in prompt  # no ANSI codes, in the message or the traceback
    cell4 = prompt.split("Cell 4: ", 1)[1]
    assert cell4.startswith("KeyError in cell 4: 'missing'\n\nTraceback (most recent call last):")
    assert "lookup({})" in cell4 and "return table['missing']" in cell4  # the cell's lines, as IPython keeps them
    assert "interactiveshell.py" not in cell4  # IPython's own frames are left out
    assert "DataFrame with 60 rows × 2 columns" in prompt and "| 19 | Lima | 19 |" in prompt
    assert "| 20 |" not in prompt and "(the first 20 of 60 rows are shown)" in prompt
