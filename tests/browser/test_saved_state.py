"""With JupyterLab's "Save Widget State Automatically" on, the saved notebook holds the widget's final
state (so it re-renders without a kernel) and never the API key or a request header."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.browser
SECRET = "sk-ant-browser-saved-3d9f"


SIMULATOR = {"ttft": 0.05, "rate": 400}
API_KEY = SECRET


def test_saved_widget_state_is_final_and_holds_no_secret(lab, lab_server):
    lab_server.put_setting("@jupyter-widgets/jupyterlab-manager:plugin", {"saveState": True})
    try:
        lab.open_notebook(
            [
                "%load_ext nbstream",
                "%%llm\nExplain TCP. [[sim: tokens=60]]",
                "from nbstream import ParallelPanel\nawait ParallelPanel(['a [[sim: tokens=5]]', 'b [[sim: tokens=6]]']).display()",
            ],
            name="saved.ipynb",
        )
        assert lab.run_all()
        lab.page.locator('.nbstream[data-status="done"]').first.wait_for()
        lab.save()
        raw = (lab_server.root_dir / "saved.ipynb").read_text()
        notebook = json.loads(raw)
        state = notebook["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
        ours = [m["state"] for m in state.values() if m["state"].get("_view") in ("stream", "panel")]
        assert {s["_view"] for s in ours} == {"stream", "panel"}
        stream = next(s for s in ours if s["_view"] == "stream")
        assert stream["status"] == "done" and stream["text"]
        assert SECRET not in raw
        assert "bearer" not in raw.lower()
    finally:
        lab_server.put_setting("@jupyter-widgets/jupyterlab-manager:plugin", {"saveState": False})
