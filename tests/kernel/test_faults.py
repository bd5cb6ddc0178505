"""Faults a notebook user meets, in a real kernel: a killed kernel, a re-run cell, a closed widget."""

from __future__ import annotations

import json
import signal
import sqlite3
import time

import pytest

pytestmark = pytest.mark.kernel


def first_frame(m) -> bool:
    return m["msg_type"] == "comm_msg" and "frame" in json.dumps(m["content"])


def test_a_killed_kernel_loses_at_most_seconds_and_the_next_one_sees_the_call_interrupted(
    kernel_factory, simulator, tmp_path
):
    log = tmp_path / "calls.sqlite3"
    kernel = kernel_factory(NBSTREAM_LOG=str(log))
    kernel.ok("%load_ext nbstream")
    execution = kernel.start("%%llm\nA long story [[sim: tokens=5000 rate=100]]")
    kernel.collect(execution, until=first_frame)
    time.sleep(3.5)  # more than the 2 s commit interval
    kernel.km.signal_kernel(signal.SIGKILL)  # a crash: no chance to clean up
    kernel.km.shutdown_kernel(now=True)

    connection = sqlite3.connect(log)
    status, text = connection.execute("SELECT status, text FROM calls").fetchone()
    connection.close()
    assert status == "running" and len(text) > 100  # the partial text survived the kill

    fresh = kernel_factory(NBSTREAM_LOG=str(log))
    out = fresh.ok("import nbstream\nr = nbstream.history(1)[0]\nprint(r.status, len(r.text) > 100)").stream_text()
    assert out.split() == ["interrupted", "True"]
    table = fresh.ok("%load_ext nbstream\n%llm_history -n 5")
    html = table.displays()[0]["data"]["text/html"]
    assert "interrupted" in html and "A long story" in html


def test_re_running_a_cell_cancels_its_old_stream(kernel, simulator):
    simulator.reset()
    cell = "%%llm --background\nA long story [[sim: tokens=5000 rate=50]]"
    kernel.ok(cell, cell_id="cell-a")
    kernel.ok("%%llm --background\nAnother cell [[sim: tokens=5000 rate=50]]", cell_id="cell-b")
    simulator.wait_for(lambda rs: len(rs) == 2 and all(r["tokens_sent"] > 5 for r in rs), timeout=10)
    # The two background requests may reach the server in either order: tell them apart by prompt.
    first_a, first_b = sorted(simulator.requests, key=lambda r: "Another cell" in str(r["body"]))
    kernel.ok(cell, cell_id="cell-a")  # Shift+Enter on the same cell again
    closed = simulator.wait_for(
        lambda rs: [r for r in rs if r["id"] == first_a["id"] and r["client_closed_at"]], timeout=5
    )
    assert closed[0]["outcome"] == "client_closed"
    time.sleep(0.5)
    [other] = [r for r in simulator.requests if r["id"] == first_b["id"]]
    assert other["client_closed_at"] is None  # the other cell's stream goes on
    assert len(simulator.requests) == 3
    kernel.ok("import nbstream\nnbstream.last().cancel()")
