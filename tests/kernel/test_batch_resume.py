"""Message Batches across a kernel restart: submit, kill the kernel mid-batch, resume in a new kernel,
and get every result exactly once, without submitting or reading twice."""

from __future__ import annotations

import json
import re
import signal
import sqlite3

import pytest

pytestmark = pytest.mark.kernel


def batch_lines(execution) -> list[dict]:
    out = []
    for m in execution.custom("frame"):
        batch = m["content"]["data"]["content"]["summary"].get("batch")
        if batch:
            out.append(batch)
    return out


def test_kill_mid_batch_then_resume_gets_every_result_once(kernel_factory, simulator, tmp_path):
    log = tmp_path / "calls.sqlite3"
    simulator.reset()
    simulator.configure(batch_seconds=6)
    try:
        kernel = kernel_factory(NBSTREAM_LOG=str(log))
        prompts = [f"Q{i} [[sim: tokens={3 + i % 5}]]" for i in range(100)]
        prompts[7] = "Q7 [[sim: batch_result=errored error=invalid_request_error]]"
        prompts[9] = "Q9 [[sim: batch_result=expired]]"
        kernel.ok(
            "from nbstream import ParallelPanel\n"
            f"panel = ParallelPanel({prompts!r}, model='sonnet', batch=True, poll_interval=0.3).display()"
        )
        simulator.wait_for(lambda rs: any(r["method"] == "GET" for r in rs), timeout=10)  # submitted, polling
        kernel.km.signal_kernel(signal.SIGKILL)
        kernel.km.shutdown_kernel(now=True)

        fresh = kernel_factory(NBSTREAM_LOG=str(log))
        listed = fresh.ok("import nbstream\nb = nbstream.batches()[0]\nprint(b.batch_ids[0], b.counts)").stream_text()
        batch_id, counts = listed.split(" ", 1)
        assert counts.strip() == "{'running': 100}"  # nothing marked interrupted: the batch goes on
        run = fresh.ok(
            "from nbstream import ParallelPanel\n"
            f"rs = await ParallelPanel.resume({batch_id!r}, poll_interval=0.3).display()\n"
            "print(json.dumps([(r.status, r.usage.output_tokens, r.usage.service_tier) for r in rs]))\n"
            "print(json.dumps([r.duration for r in rs]))".replace(
                "from nbstream", "import json\nfrom nbstream"),
            timeout=60,
        )
        results = json.loads(run.stream_text().strip().splitlines()[-2])
        # Times count from the submission in the first kernel (the batch takes 6 s), not from the resume.
        durations = json.loads(run.stream_text().strip().splitlines()[-1])
        assert all(d is not None and d >= 5.9 for d in durations), durations
        expected = [["done", 3 + i % 5, "batch"] for i in range(100)]
        expected[7][0:2], expected[9][0:2] = ["failed", 0], ["failed", 0]
        expected[7][2] = expected[9][2] = None
        assert results == expected  # every result, in input order, errored and expired shown as failed
        statuses = [line["status"] for line in batch_lines(run)]
        assert "in_progress" in statuses and statuses[-1] == "ended"  # progress moved
        static = next(d for d in run.displays() if "nbstream-static-panel" in d["data"].get("text/html", ""))
        assert "errored: invalid\\_request\\_error" in static["data"]["text/markdown"]
        assert "Expired" in static["data"]["text/markdown"]

        kinds = [re.sub(r"msgbatch_\w+", "{id}", r["path"]) for r in simulator.requests]
        assert kinds.count("/v1/messages/batches") == 1  # submitted once, across both kernels
        assert kinds.count("/v1/messages/batches/{id}/results") == 1  # results read once

        fresh.ok("from nbstream._log import current_log\ncurrent_log().flush()")  # the log writes from a thread
        connection = sqlite3.connect(log)
        rows = connection.execute("SELECT custom_id, status, cost FROM calls WHERE kind = 'batch'").fetchall()
        connection.close()
        assert len(rows) == 100 and len({r[0] for r in rows}) == 100  # one log row per request
        assert sum(1 for r in rows if r[1] == "done") == 98
    finally:
        simulator.configure(batch_seconds=2)


def test_cancel_a_batch_from_a_cell(kernel, simulator):
    simulator.reset()
    simulator.configure(batch_seconds=30)
    try:
        kernel.ok("from nbstream import ParallelPanel\n"
                  "panel = ParallelPanel(['a', 'b', 'c'], batch=True, poll_interval=0.2).display()")
        simulator.wait_for(lambda rs: any(r["method"] == "GET" for r in rs), timeout=10)
        out = kernel.ok("panel.cancel()\nrs = await panel\nprint([r.status for r in rs])").stream_text()
        assert out.strip() == "['cancelled', 'cancelled', 'cancelled']"
        assert any(r["path"].endswith("/cancel") for r in simulator.requests)
    finally:
        simulator.configure(batch_seconds=2)
