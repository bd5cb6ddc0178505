"""Cancels that stick in a real kernel: the interrupt during a panel's cache warm-up, and a row's Retry
while the panel is finishing (issue 10, defects 1 and 3)."""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.kernel


def test_the_interrupt_during_a_panels_cache_warm_up_sends_nothing_more(kernel, simulator):
    simulator.reset()
    cell = (
        '%%llm --parallel --cache system -s "Be terse." --concurrency 6\n'
        "row-0 [[sim: status=529 retry_after=3 times=1 tokens=20]]"
        + "".join(f"\n---\nrow-{i} [[sim: tokens=20]]" for i in range(1, 6))
    )
    execution = kernel.start(cell)
    simulator.wait_for(lambda rs: len(rs) == 1, timeout=10)
    time.sleep(0.5)
    interrupted_at = time.monotonic()
    kernel.km.interrupt_kernel()
    kernel.collect(execution, timeout=30)
    ended_at = time.monotonic()
    (error,) = execution.errors()
    assert error["ename"] == "Interrupted" and len(error["traceback"]) == 1
    assert ended_at - interrupted_at < 2.0  # the cell ends now, not after the 3 s retry-after
    time.sleep(3.0)  # past the retry-after: nothing more may go out
    assert len(simulator.requests) == 1
    check = kernel.ok("print(sorted({r.status for r in _llm}), len(_llm))")
    assert check.stream_text().split() == ["['cancelled']", "6"]


def test_a_rows_retry_while_the_panel_finishes_runs_to_its_end(kernel, simulator):
    simulator.reset()
    code = (
        "import asyncio, nbstream\n"
        "panel = nbstream.ParallelPanel([\n"
        "    'row-0 [[sim: tokens=4000 rate=100000]]',\n"
        "    'row-1 [[sim: tokens=20 fault=eof after=5 times=1]]',\n"
        "]).display()\n"
        "panel.start()\n"
        "while panel._ended_at is None:  # the panel has begun finishing (writing its static copy)\n"
        "    await asyncio.sleep(0)\n"
        "print('finishing', panel.results[1].status)\n"
        "panel.retry(1)\n"
        "results = await asyncio.wait_for(asyncio.shield(asyncio.ensure_future(panel._wait())), 10)\n"
        "print('after', [r.status for r in results])\n"
    ).replace("panel._wait()", "_wait(panel)")
    code = "async def _wait(p):\n    return await p\n" + code
    out = kernel.ok(code, timeout=60).stream_text().splitlines()
    assert out == ["finishing cut_off", "after ['done', 'done']"]
