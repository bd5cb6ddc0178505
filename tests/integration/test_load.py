"""500 calls through one panel at concurrency 50, 10% of them faulty: every call ends where it should,
every result and log row is there, and nothing leaks (tasks, sockets, file descriptors, memory).

Loopback only, bounded in count and time.
"""

from __future__ import annotations

import asyncio
import gc
import sqlite3

import psutil
import pytest

from nbstream import ParallelPanel
from nbstream._client import _clients
from nbstream._config import defaults
from nbstream._log import current_log
from nbstream._offline import use_api
from nbstream.simulator import Simulator

CALLS, CONCURRENCY = 500, 50
FAULTS = {  # every 10th call is faulty, cycling through these (directive, expected status)
    0: ("status=429 retry_after=0.05 times=1", "done"),
    1: ("fault=drop after=5", "cut_off"),
    2: ("status=401", "failed"),
    3: ("fault=error_event after=5 error=overloaded_error", "cut_off"),
    4: ("fault=eof after=5", "cut_off"),
}


def plan() -> tuple[list[str], list[str]]:
    prompts, expected = [], []
    for i in range(CALLS):
        if i % 10 == 9:
            directive, status = FAULTS[(i // 10) % len(FAULTS)]
        else:
            directive, status = "", "done"
        prompts.append(f"call {i} [[sim: tokens=30 seed={i} {directive}]]")
        expected.append(status)
    return prompts, expected


def sockets_to(port: int) -> int:
    process = psutil.Process()
    # psutil 6 renamed connections() (Colab's runtime pins psutil 5.9.5, the old-stack leg's).
    connections = getattr(process, "net_connections", None) or process.connections
    return sum(1 for c in connections(kind="tcp") if c.raddr and c.raddr.port == port)


async def run_panel(prompts):
    return await ParallelPanel(prompts, concurrency=CONCURRENCY, max_tokens=64)


async def close_clients() -> None:
    for client in _clients.get(asyncio.get_running_loop(), {}).values():
        await client.close()
    _clients.pop(asyncio.get_running_loop(), None)


@pytest.mark.timeout(240)
async def test_500_calls_with_mixed_faults_end_right_and_leak_nothing(tmp_path, monkeypatch):
    with Simulator(ttft=0.01, rate=2000) as sim:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", sim.base_url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-load")
        use_api()
        defaults.log_path = str(tmp_path / "calls.sqlite3")
        try:
            process = psutil.Process()
            await run_panel([f"warm-up {i} [[sim: tokens=30]]" for i in range(CONCURRENCY)])  # fill caches
            await close_clients()
            current_log().flush()
            gc.collect()
            fds_before, rss_before = process.num_fds(), process.memory_info().rss
            tasks_before = asyncio.all_tasks()
            sim.reset()

            prompts, expected = plan()
            results = await run_panel(prompts)

            assert [r.status for r in results] == expected
            assert [r.prompt for r in results] == prompts  # every result, in input order
            for result, status in zip(results, expected, strict=True):
                if status == "cut_off":
                    assert result.text and result.error
                if status == "done":
                    assert result.usage.output_tokens == 30 and not result.usage.estimated
            assert len(sim.requests) == CALLS + CALLS // 10 // len(FAULTS)  # the 429s were retried once

            current_log().flush()
            connection = sqlite3.connect(tmp_path / "calls.sqlite3")
            logged = dict(connection.execute("SELECT prompt, status FROM calls WHERE prompt LIKE 'call %'"))
            connection.close()
            assert logged == dict(zip(prompts, expected, strict=True))  # every call has its log row, with its outcome

            assert sockets_to(sim.port) <= CONCURRENCY  # only the SDK's keep-alive pool is left
            await close_clients()
            await asyncio.sleep(0.2)
            gc.collect()
            assert sockets_to(sim.port) == 0
            assert asyncio.all_tasks() - tasks_before == set()
            assert process.num_fds() <= fds_before + 2
            grown = process.memory_info().rss - rss_before
            assert grown < 40 * 2**20, f"RSS grew by {grown / 2**20:.1f} MiB"
        finally:
            defaults.reset()
