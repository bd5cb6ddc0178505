import json, time
import pytest
from .test_one_rendering import REPLY, LOOK, SELECTORS, PROPS, look, _cell
pytestmark = pytest.mark.browser
SIMULATOR = {"ttft": 0.05, "rate": 3000}

def test_untrusted(lab):
    lab.open_notebook(["%load_ext nbstream", "%%llm --raw\n" + REPLY + "[[sim: echo=1 rate=3000]]"], name="u.ipynb")
    assert lab.run_all()
    lab.output(1).locator('.nbstream-static[data-status="done"]').wait_for(timeout=20_000)
    trusted = look(lab, f"{_cell(lab, 1)} .nbstream-static")
    lab.save()
    nb = json.loads((lab.server.root_dir / "u.ipynb").read_text())
    cells = nb["cells"]
    for c in cells:
        c.setdefault("metadata", {})
    lab.open_notebook(cells, name="u2.ipynb", trusted=False)
    time.sleep(2)
    lab.output(1).screenshot(path="/tmp/nbstream-shots/untrusted.png")
    print("static count", lab.output(1).locator(".nbstream-static").count())
    un = look(lab, f"{_cell(lab, 1)} .nbstream-static")
    if un:
        for sel in SELECTORS:
            for got, want in zip(un[sel], trusted[sel]):
                diff = {p: (got[p], want[p]) for p in PROPS if got[p] != want[p]}
                if diff: print(sel, diff)
