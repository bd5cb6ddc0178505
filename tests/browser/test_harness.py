"""Smoke tests for the browser harness itself (JupyterLab + Playwright + Debian Chromium)."""

from __future__ import annotations

import re
import time

import pytest

from .lab import REPO_ROOT

pytestmark = pytest.mark.browser

CANCEL_WIDGET = '''
import anywidget, traitlets, asyncio
class W(anywidget.AnyWidget):
    _esm = """export default { render({model, el}) {
      let b = document.createElement('button'); b.className='stop'; b.textContent='Stop';
      b.onclick = () => model.send({type:'cancel'}); el.appendChild(b);
      let s = document.createElement('span'); s.className='n'; el.appendChild(s);
      model.on('msg:custom', (m) => { s.textContent = String(m.n); });
    } }"""
w = W(); display(w)
'''

CANCEL_RUN = '''
import asyncio, threading
state = {"cancel": False, "loop": None, "threads": []}

def _on_msg(widget, content, buffers):
    # may run on the main thread or on a subshell thread (mechanics §2a): be thread-agnostic
    state["threads"].append(threading.current_thread().name)
    if content.get("type") == "cancel":
        state["loop"].call_soon_threadsafe(state.__setitem__, "cancel", True)

w.on_msg(_on_msg)

async def run():
    state["loop"] = asyncio.get_running_loop()
    i = 0
    for i in range(400):
        if state["cancel"]:
            break
        w.send({"n": i})
        await asyncio.sleep(0.05)
    return i

n = await run()
print(f"final count={n} cancelled={state['cancel']} handler_threads={state['threads']}")
'''


def test_print_output(lab):
    lab.open_notebook(['print("hello from kernel")'])
    assert lab.run_cell(0) is True
    assert "hello from kernel" in lab.output_text(0)
    lab.assert_no_console_errors()


def test_ipywidget_renders(lab):
    lab.open_notebook(["import ipywidgets as w; w.IntSlider(value=7)"])
    lab.run_cell(0)
    slider = lab.output(0).locator(".jupyter-widgets")
    slider.first.wait_for()
    assert "7" in lab.output_text(0)  # the slider's readout
    lab.assert_no_console_errors()


@pytest.mark.parametrize("comms_over_subshells", ["perCommTarget", "disabled"])
def test_anywidget_cancel_while_awaiting(lab, comms_over_subshells):
    """A click sends a custom message that the kernel handles while the cell still awaits."""
    lab.open_notebook([CANCEL_WIDGET, CANCEL_RUN])
    setting = lab.server.get_setting("@jupyterlab/apputils-extension:kernels-settings")
    assert setting["settings"]["commsOverSubshells"] == comms_over_subshells

    lab.run_cell(0)
    lab.output(0).locator(".stop").wait_for()
    lab.run_cell(1, wait=False)  # streams for up to 20 s unless cancelled

    counter = lab.output(0).locator(".n")
    lab.page.wait_for_function(
        "(el) => Number(el.textContent) > 5", arg=counter.element_handle(), timeout=15_000
    )
    t_click = time.monotonic()
    lab.output(0).locator(".stop").click()
    assert lab.wait_cell(1, timeout=15) is True
    elapsed = time.monotonic() - t_click

    out = lab.output_text(1)
    m = re.search(r"final count=(\d+) cancelled=(\w+) handler_threads=(.*)", out)
    assert m, out
    count, cancelled = int(m[1]), m[2]
    print(f"\n[{comms_over_subshells}] cell ended {elapsed:.2f}s after click: {m[0]}")
    assert cancelled == "True"
    assert count < 100, out  # well below 400: the click was handled mid-await
    lab.assert_no_console_errors()


def test_save_and_reload_keeps_output(lab):
    lab.open_notebook(['print("persisted " + "output")'])
    lab.run_cell(0)
    lab.wait_for_output(0, "persisted output")
    lab.save()
    saved = lab.server.read_notebook(lab.path)
    assert "persisted output" in "".join(o.get("text", "") for o in saved.cells[0].outputs)

    lab.reload()
    assert "persisted output" in lab.output_text(0)
    lab.assert_no_console_errors()


def test_canary_detects_script_execution(lab):
    """Positive control for ``lab.was_set``: trusted HTML output with an onerror handler runs."""
    lab.open_notebook([
        "from IPython.display import HTML\n"
        "HTML('<img class=\"bad\" src=\"data:,\" onerror=\"window.__pwned = 1\">')",
        "print('harmless')",
    ])
    assert not lab.was_set("__pwned")
    lab.run_cell(1)
    assert not lab.was_set("__pwned")
    lab.run_cell(0)
    lab.page.wait_for_function("() => window.__pwned === 1", timeout=10_000)
    assert lab.was_set("__pwned")
    assert lab.canary_writes() == [{"name": "__pwned", "value": "1"}]


def test_interrupt_and_restart(lab):
    lab.open_notebook(["import time; x = 42; time.sleep(60)", "print(x)"])
    lab.run_cell(0, wait=False)
    lab.page.wait_for_timeout(500)
    lab.interrupt_kernel()
    lab.wait_cell(0, timeout=15)
    assert "KeyboardInterrupt" in lab.output_text(0)
    lab.run_cell(1)
    assert "42" in lab.output_text(1)
    lab.restart_kernel()
    assert lab.run_cell(1) is False  # x is gone after the restart
    assert "NameError" in lab.output_text(1)
    lab.shutdown_kernel()
    assert lab.kernel_status() == "none"
    assert lab.server.kernels() == []


def test_second_server_with_kernel_env(lab_factory, lab_server_factory, monkeypatch):
    """``lab_server_factory(env=...)`` starts a server whose kernels see ``env``; ANTHROPIC_*
    variables of the pytest process are not inherited (no accidental real-API calls)."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-must-not-leak")
    server = lab_server_factory(env={"ANTHROPIC_BASE_URL": "http://127.0.0.1:9/sim",
                                     "NBSTREAM_HARNESS_MARKER": "second"})
    lab = lab_factory(server=server)
    lab.open_notebook([
        "import os, importlib.util\n"
        "print(os.environ.get('ANTHROPIC_BASE_URL'), os.environ.get('NBSTREAM_HARNESS_MARKER'),\n"
        "      os.environ.get('ANTHROPIC_API_KEY'))\n"
        "print('nbstream from', list(importlib.util.find_spec('nbstream').submodule_search_locations))",
    ])
    lab.run_cell(0)
    out = lab.output_text(0)
    assert "http://127.0.0.1:9/sim second None" in out
    assert f"nbstream from ['{REPO_ROOT / 'nbstream'}']" in out  # kernels import the working tree


@pytest.mark.parametrize("trusted", [False, True])
def test_trusted_notebook_with_saved_output(lab, trusted):
    """Script-written notebooks are untrusted unless signed (``trusted=True``)."""
    saved = {
        "cell_type": "code", "execution_count": 1, "metadata": {}, "source": "show()",
        "outputs": [{"output_type": "display_data", "metadata": {},
                     "data": {"text/html": "<b class='saved-html'>saved</b>", "text/plain": "saved"}}],
    }
    lab.open_notebook([saved], trusted=trusted)
    lab.output(0).get_by_text("saved").wait_for()
    assert lab.evaluate("return panel.content.model.cells.get(0).trusted") is trusted
