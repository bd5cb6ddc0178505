"""Bad input for every option of issue 16 (references, --fix, --to-cell, --image, --file) in a real kernel:
one line naming the problem, and nothing is sent."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.kernel


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
        ("%%llm --to-cell --parallel\na\n---\nb", "--to-cell take one streamed reply"),
        ("%%llm --fix --models haiku,sonnet\nhi", "--fix take one streamed reply"),
        ("%%llm --fix --count\nhi", "--fix and --count take one streamed reply"),
        ("%%llm --to-cell -n 2\nhi", "do not combine with --parallel, --models, -n, --batch or --count"),
        ("%%llm --to-cel\nhi", "did you mean --to-cell?"),
        ("from nbstream import StreamWidget\nStreamWidget('hi', to_cell='yes')", "to_cell must be True or False, got 'yes'"),
        ("%%llm --image nowhere.png\nhi", "--image 'nowhere.png': no such file (and no variable of that name)"),
        ("%%llm --image count\nhi", "--image count: a int is not an image"),
        ("%%llm --image last-figure\nhi", "--image last-figure: no cell has displayed a figure since %load_ext"),
        ("%%llm --file blob\nhi", "--file blob: neither a PDF nor UTF-8 text"),
        ("%%llm --image\nhi", "argument --image: expected one argument"),
        ("%%llm --imag x.png\nhi", "did you mean --image?"),
    ],
)
def test_bad_input_is_one_line_and_sends_nothing(kernel, simulator, cell, message):
    kernel.ok("count = 3\nblob = b'\\xff\\xfe\\x00\\x81'")
    run = kernel.run(cell)
    shown = [line for e in run.errors() for line in e["traceback"]] or run.stream_text("stderr").strip().splitlines()
    assert len(shown) == 1 and message in shown[0], shown
    assert simulator.requests == []
