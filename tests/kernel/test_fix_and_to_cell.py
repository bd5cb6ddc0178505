"""--fix, %llm fix and --to-cell in a real kernel: the reply's code comes back as IPython's set_next_input
payload (a new cell below, not run) on the execute reply of the cell that asked; the fix request carries
the failing cell's source and its traceback."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.kernel

CODE_REPLY = "Here:\n```python\ntotal = sum(range(10))\nprint(total)\n```\n"


def new_cells(run) -> list[dict]:
    return [p for p in run.reply.get("payload", []) if p.get("source") == "set_next_input"]


def test_fix_sends_the_failing_cell_and_its_traceback_and_puts_the_fix_below(kernel, simulator):
    failing = kernel.run("values = np.arange(5)\nvalues.mean()")  # cell 2: NameError
    assert failing.reply["status"] == "error"
    simulator.reset()

    run = kernel.ok("%%llm --fix --out fixed\nKeep it short.")

    (request,) = simulator.requests
    prompt = request["body"]["messages"][-1]["content"]
    assert "Cell 2 of my notebook failed." in prompt
    assert "```python\nvalues = np.arange(5)\nvalues.mean()\n```" in prompt
    assert "Traceback (most recent call last):" in prompt and "NameError: name 'np' is not defined" in prompt
    assert "Keep it short." in prompt
    assert "corrected cell" in request["body"]["system"]  # the fix instructions, as the system prompt
    (cell,) = new_cells(run)
    assert cell["replace"] is False  # a new cell below, not a replacement of this one
    assert cell["text"] == "import numpy as np\nvalues = np.arange(5)\nvalues.mean()"
    assert "nbstream: the reply's code was sent as a new cell below (not run)." in run.stream_text()
    assert kernel.ok("print(fixed.status)").stream_text().strip() == "done"
    assert "values" not in kernel.ok("print(sorted(k for k in dir() if not k.startswith('_')))").stream_text()


def test_the_line_form_fixes_the_last_error(kernel, simulator):
    kernel.run("settings = {}\nsettings['colour']")
    run = kernel.ok("%llm fix")
    (cell,) = new_cells(run)
    assert cell["text"] == "settings = {}\nsettings.get('colour')"


def test_fix_without_an_error_is_one_line_and_sends_nothing(kernel, simulator):
    run = kernel.run("%llm fix")
    (error,) = run.errors()
    assert error["traceback"] == ["InputError: there is no error to fix: no cell has raised one since %load_ext nbstream"]
    assert simulator.requests == []
    assert new_cells(run) == []


def test_nbstreams_own_errors_are_not_what_fix_fixes(kernel, simulator):
    kernel.run("1 / 0")
    kernel.run("%%llm --max-tokens 0\nhi")  # a bad option: a one-line InputError, not recorded
    kernel.ok("%llm fix")
    assert "ZeroDivisionError: division by zero" in simulator.requests[-1]["body"]["messages"][-1]["content"]


def test_to_cell_puts_the_code_blocks_below_unrun(kernel, simulator):
    run = kernel.ok(f"%%llm --to-cell\n{CODE_REPLY} [[sim: echo=1]]")
    (cell,) = new_cells(run)
    assert cell == {"source": "set_next_input", "text": "total = sum(range(10))\nprint(total)", "replace": False}
    assert "total" not in kernel.ok("print(dir())").stream_text()  # not run


def test_to_cell_without_a_code_block_adds_no_cell_and_says_so(kernel, simulator):
    run = kernel.ok("%%llm --to-cell\nJust words. [[sim: echo=1]]")
    assert new_cells(run) == []
    assert "nbstream: the reply has no code block: no cell was added." in run.stream_text()


def test_from_code_an_awaited_widget_adds_the_cell_and_one_left_running_does_not(kernel, simulator):
    kernel.ok("from nbstream import StreamWidget")
    awaited = kernel.ok(f"w = StreamWidget({CODE_REPLY + ' [[sim: echo=1]]'!r}, to_cell=True).display()\nawait w")
    assert [c["text"] for c in new_cells(awaited)] == ["total = sum(range(10))\nprint(total)"]

    # Not awaited: the cell ends first, so a payload would land on another cell's reply: none is sent.
    started = kernel.ok(f"w2 = StreamWidget({CODE_REPLY + ' [[sim: echo=1 ttft=0.5]]'!r}, to_cell=True).display()")
    later = kernel.ok("r = await w2\nprint(r.status)")
    assert later.stream_text().strip() == "done"
    assert new_cells(started) == [] and new_cells(later) == []


def test_from_code_nbstream_fix_proposes_the_cell_below(kernel, simulator):
    kernel.run("import json\nparsed = json.loads(text)")
    run = kernel.ok("import nbstream\nresult = await nbstream.fix('Use the variable raw instead.')\nprint(result.status)")
    assert "done" in run.stream_text()
    (cell,) = new_cells(run)
    assert cell["text"] == "text = None  # give text its value before it is used\nimport json\nparsed = json.loads(text)"
    prompt = simulator.requests[-1]["body"]["messages"][-1]["content"]
    assert "NameError: name 'text' is not defined" in prompt and "Use the variable raw instead." in prompt
