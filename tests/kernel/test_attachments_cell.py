"""--image and --file in a real kernel: variables, paths and the last displayed figure become content
blocks; the cell shows a thumbnail or the file's name, escaped; bad input is one line, nothing sent."""

from __future__ import annotations

import base64

import pytest

pytestmark = pytest.mark.kernel

SETUP = """
import io, pathlib, tempfile
from PIL import Image
folder = pathlib.Path(tempfile.mkdtemp())
picture = Image.new("RGB", (40, 30), (10, 120, 200))
(folder / "plot.png").write_bytes(b"")
picture.save(folder / "plot.png")
(folder / "<img src=x onerror=alert(1)>.pdf").write_bytes(b"%PDF-1.4\\n%%EOF\\n")
(folder / "notes.txt").write_text("plain notes")
"""


def attachment_outputs(run) -> list[dict]:
    return [d["data"] for d in run.displays() if "nbstream-attachments" in d["data"].get("text/html", "")]


def test_variables_paths_and_the_last_figure_are_sent_and_shown(kernel, simulator):
    kernel.ok(SETUP)
    kernel.ok("%matplotlib inline\nimport matplotlib.pyplot as plt\nplt.plot([1, 3, 2]);")  # displays a figure
    simulator.reset()
    kernel.ok("import os\nos.chdir(folder)")
    run = kernel.ok('%%llm --image picture --image plot.png --image last-figure --file "<img src=x onerror=alert(1)>.pdf"'
                    " --file notes.txt\nWhat is in these?")

    (request,) = simulator.requests
    content = request["body"]["messages"][-1]["content"]
    assert [b["type"] for b in content] == ["image", "image", "image", "document", "document", "text"]
    assert (request["images"], request["documents"]) == (3, 2)
    figure = base64.b64decode(content[2]["source"]["data"])
    assert figure.startswith(b"\x89PNG") and len(figure) > 2000  # the inline backend's PNG of the plot
    assert content[3]["title"] == "<img src=x onerror=alert(1)>.pdf"  # sent as given: it is the API's text
    assert content[4]["source"] == {"type": "text", "media_type": "text/plain", "data": "plain notes"}

    (strip,) = attachment_outputs(run)
    html = strip["text/html"]
    assert html.count('<img src="data:image/png;base64,') == 3  # a thumbnail of each image
    assert "onerror=alert(1)>" not in html and "&lt;img src=x onerror=alert(1)&gt;.pdf · PDF" in html
    assert "notes.txt · text · 11 B" in html and "picture · PNG" in html
    assert strip["text/plain"].startswith("attached: picture · PNG")


def test_a_panel_sends_the_images_on_every_row_and_shows_them_once(kernel, simulator):
    kernel.ok(SETUP)
    simulator.reset()
    run = kernel.ok("%%llm --parallel --image picture\nOne word for it.\n---\nTwo words for it.")
    assert [r["images"] for r in simulator.requests] == [1, 1]
    (strip,) = attachment_outputs(run)
    assert strip["text/html"].count("<img ") == 1 and "picture · PNG" in strip["text/plain"]
