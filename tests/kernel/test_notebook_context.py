"""The notebook as a prompt's context in a real kernel: {In[n]}, {Out[n]}, {_}, {Err}, {Err[n]} and
rendered variables reach the model through the SDK; a missing reference is one line and sends nothing."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.kernel


def sent_prompt(simulator) -> str:
    (request,) = simulator.requests
    return request["body"]["messages"][-1]["content"]


def one_line_error(run) -> str:
    assert run.reply["status"] == "error"
    shown = [line for e in run.errors() for line in e["traceback"]]
    assert len(shown) == 1, shown
    return shown[0]


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


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("%%llm\nExplain {Out[99]}", "the prompt uses {Out[99]}, but cell 99 has no result"),
        ("%%llm\nExplain {In[99]}", "the prompt uses {In[99]}, but there is no cell 99 before this one"),
        ("%%llm\nExplain {Err}", "the prompt uses {Err}, but no cell has raised an error yet"),
        ("%%llm\nExplain {Err[1]}", "the prompt uses {Err[1]}, but cell 1 raised no error"),
        ("%%llm\nExplain {In}", "{In} without a cell number"),
        ("%%llm\nExplain {missing_name}", "no variable named 'missing_name' is defined"),
        ("%%llm\nDescribe {blob}", "{blob} is binary data (4 bytes)"),
        ("%%llm\nRun {__import__('os').getcwd()}", "not a variable name"),
    ],
)
def test_a_missing_or_bad_reference_is_one_line_and_sends_nothing(kernel, simulator, cell, message):
    kernel.ok("blob = b'\\x89PNG'")
    run = kernel.run(cell)
    assert message in one_line_error(run)
    assert simulator.requests == []
