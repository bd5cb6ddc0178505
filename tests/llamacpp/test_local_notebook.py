"""notebooks/local_model.ipynb, executed headless (nbclient) against the real llama-server, end to end."""

from __future__ import annotations

import json
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = [pytest.mark.llamacpp, pytest.mark.kernel]
NOTEBOOK = pathlib.Path(__file__).parents[2] / "notebooks" / "local_model.ipynb"


def test_the_local_model_notebook_runs_end_to_end_on_the_real_server(proxy, monkeypatch, tmp_path):
    for name in ("ANTHROPIC_BASE_URL", "ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "NBSTREAM_OFFLINE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NBSTREAM_LOCAL_URL", proxy.base_url)  # the session's server, seen by the recorder
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()

    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "local model at " + proxy.base_url in printed
    assert "cost=local" in printed and "cancelled with" in printed
    assert "['done', 'done', 'done', 'done']" in printed

    # The %%llm cell's static copy holds exactly the text the server sent for its prompt.
    first = next(e for e in proxy.messages() if "lighthouse" in json.dumps(e.request_json()))
    llm_cell = next(c for c in nb.cells if c.source.startswith("%%llm --out story"))
    static = [o for o in llm_cell.outputs if "nbstream-static" in o.get("data", {}).get("text/html", "")]
    assert len(static) == 1 and 'data-status="done"' in static[0].data["text/html"]
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    texts = [m["state"]["text"] for m in state.values() if m["state"].get("_view") == "stream"]
    assert first.streamed_text() in texts

    count = next(e for e in proxy.exchanges("/v1/messages/count_tokens"))
    assert f"{count.response_json()['input_tokens']} input tokens" in json.dumps([o for o in outputs])
