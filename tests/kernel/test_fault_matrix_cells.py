"""Every fault, for a %%llm cell in a real kernel: a clear state in the widget, never a traceback."""

from __future__ import annotations

import pytest
from conftest import KernelSession, kernel_env
from fault_matrix import FAULTS, IDS

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module")
def one_kernel(simulator):
    session = KernelSession(kernel_env(ANTHROPIC_BASE_URL=simulator.base_url, ANTHROPIC_API_KEY="sk-test"))
    session.ok("%load_ext nbstream")
    yield session
    session.shutdown()


def final_state(execution) -> dict:
    opens = [m for m in execution.of_type("comm_open") if m["content"]["data"]["state"].get("_view") == "stream"]
    state = dict(opens[0]["content"]["data"]["state"])
    seen = []
    for update in execution.updates():
        state.update(update["content"]["data"]["state"])
        seen.append(state["status"])
    state["seen"] = seen
    return state


@pytest.mark.parametrize(("name", "directive", "options", "status", "words", "requests"), FAULTS, ids=IDS)
def test_llm_cell(one_kernel, simulator, name, directive, options, status, words, requests):
    simulator.reset()
    one_kernel.ok(f"%config LLMMagics.max_retries = {options.get('max_retries', 3)}")
    flags = f"--idle-timeout {options['idle_timeout']}" if "idle_timeout" in options else ""
    run = one_kernel.run(f"%%llm {flags} --out r\nTell a story [[sim: {directive}]]")
    assert run.reply["status"] == "ok" and not run.errors()  # a state, not a traceback
    state = final_state(run)
    assert state["status"] == status
    for word in words:
        assert word in state["error"]
    if requests > 1:
        assert "retrying" in state["seen"]
    assert state["can_retry"] == (status in ("failed", "cut_off"))
    static = [d for d in run.displays() if "nbstream-static" in d["data"].get("text/html", "")]
    assert len(static) == 1 and f'data-status="{status}"' in static[0]["data"]["text/html"]
    if status == "cut_off":  # the partial text is kept, on screen and in the result
        assert state["text"] and state["text"][:20] in static[0]["data"]["text/markdown"]
    check = one_kernel.ok("print(r.status, len(r.text) > 0)").stream_text().split()
    assert check == [status, str(status in ("done", "cut_off"))]
    assert len(simulator.requests) == requests
