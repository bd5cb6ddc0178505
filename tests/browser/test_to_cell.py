"""--to-cell and %llm fix in a real JupyterLab in Chromium: the reply's code appears as a new cell right
below the cell that asked, and it is not run."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

SIMULATOR = {"ttft": 0.05, "rate": 400}


def cell_model(lab, i: int) -> dict:
    return lab.evaluate("""const [i] = args; const m = panel.content.widgets[i].model;
        return {source: m.sharedModel.getSource(), type: m.type, count: m.executionCount ?? null,
                outputs: m.outputs ? m.outputs.length : 0, n: panel.content.widgets.length};""", i)


def test_to_cell_puts_the_code_below_and_does_not_run_it(lab, simulator):
    simulator.reset()
    lab.open_notebook([
        "%load_ext nbstream",
        "%%llm --to-cell\nHere:\n```python\nanswer = 6 * 7\nprint(answer)\n```\n[[sim: echo=1]]",
        "print('the last cell')",
    ])
    lab.run_cell(0)
    assert lab.run_cell(1)

    new = cell_model(lab, 2)
    assert new["n"] == 4
    assert new["source"] == "answer = 6 * 7\nprint(answer)"
    assert new["type"] == "code" and new["count"] is None and new["outputs"] == 0  # not run
    assert cell_model(lab, 3)["source"] == "print('the last cell')"  # inserted below the asking cell
    assert "new cell below (not run)" in lab.output_text(1)
    check = lab.add_cell("print('answer' in dir())")
    lab.run_cell(check)
    assert lab.wait_for_output(check, "False")  # the proposed code never ran in the kernel


def test_llm_fix_proposes_the_fixed_cell_below(lab, simulator):
    simulator.reset()
    lab.open_notebook(["%load_ext nbstream", "values = np.arange(3)\nvalues.sum()", "%llm fix"])
    lab.run_cell(0)
    assert lab.run_cell(1) is False  # NameError
    assert lab.run_cell(2)

    new = cell_model(lab, 3)
    assert new["source"] == "import numpy as np\nvalues = np.arange(3)\nvalues.sum()"
    assert new["count"] is None and new["outputs"] == 0
    static = lab.output(2).locator('.nbstream-static[data-status="done"]')
    static.wait_for(timeout=10_000)
    assert "NameError" in static.inner_text()  # the explanation stays in the fix cell's output


def test_images_and_files_show_above_the_answer_as_thumbnails_and_escaped_names(lab, simulator):
    simulator.reset()
    hostile = "<img src=x onerror=window.__pwned=1>.txt"
    lab.open_notebook([
        "%load_ext nbstream",
        "import io, os, tempfile\nfrom PIL import Image\nos.chdir(tempfile.mkdtemp())\n"
        f"open({hostile!r}, 'w').write('notes')\n"
        "buffer = io.BytesIO(); Image.new('RGB', (60, 40), (200, 40, 40)).save(buffer, 'PNG'); red = buffer.getvalue()",
        f"%%llm --image red --file {hostile!r}\nWhat is this?",
    ])
    lab.run_cell(0)
    lab.run_cell(1)
    assert lab.run_cell(2)

    strip = lab.output(2).locator(".nbstream-attachments")
    thumbnail = strip.locator("img")
    assert thumbnail.count() == 1
    assert lab.page.evaluate("img => img.complete && img.naturalWidth > 0", thumbnail.element_handle())  # decoded
    assert f"{hostile} · text · 5 B" in strip.inner_text()  # the name as text
    lab.output(2).locator('.nbstream-static[data-status="done"]').wait_for(timeout=10_000)
    assert "I received an image (image/png) and a document (text/plain)" in lab.output_text(2)
    assert not lab.was_set("__pwned")
