"""The benchmark suite cannot rot: a smoke run of ``python -m benchmarks --smoke`` produces every metric.

It checks that each metric was measured and judged, never that a target passes: tiny replies on a shared
machine say nothing about performance, and the test suite stays deterministic. The kernel part runs with
the other kernel tests; the JupyterLab/Chromium part is a browser test (skipped without Chromium).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks._config import smoke_config  # noqa: E402  (after the repository joins sys.path)

CFG = smoke_config()
SMALL, BIG = min(CFG.sizes), max(CFG.sizes)

# Every metric of the brief, by its row key in results.json: all must be there, with a value.
KERNEL_METRICS = {
    # bytes: nbstream's traffic at two sizes (judged), O(n), the constants reported apart, the other ways
    f"bytes_ratio_{SMALL}": True, f"bytes_ratio_{BIG}": True, "bytes_on": True,
    f"esm_{BIG}": False, f"static_{BIG}": True, f"static_bytes_{BIG}": False,
    f"bytes_vs_markdown_{BIG}": False, f"bytes_vs_ipywidgets_{BIG}": False, f"bytes_vs_print_{BIG}": False,
    # slow token rates: reported, not judged (a frame there carries less text than Jupyter's envelope)
    **{f"bytes_ratio_slow_{t}_{r:g}": False for t, r in CFG.slow_cases},
    # messages per second: one stream, a panel
    "msgs_single": True, "msgs_panel": True,
    # added time to first token
    "added_ttft": True,
    # kernel CPU per token against the floor
    f"cpu_nbstream_{BIG}": True, f"cpu_floor_{BIG}": False, f"cpu_print_{BIG}": False,
    # keeping up
    "keepup": True,
    # event-loop lag with 50 (here: a few) parallel streams, and its references
    "lag_p99_nbstream": True, "lag_p99_floor": False, "lag_p99_idle": False,
    # parallel scaling
    **{f"scaling_{n}_{k}": True for n, k in CFG.scaling},
    **{f"scaling_{n}_{k}_floor": False for n, k in CFG.scaling},
    # memory
    "mem_retained": True, "mem_peak": False, "mem_rss_retained": False,
    # the call log's cost on the loop
    "log_total": False, "log_max": True,
}
BROWSER_METRICS = {
    "browser_longtask": True,
    "browser_cancel": True,  # Cancel clicks in JupyterLab: click -> cancelled shown
    "browser_panel_longtask": True,  # a panel whose rows all stream at once, in JupyterLab
    "browser_fps": False,
    "browser_longtasks": False,
    "browser_trace_cpu": False,
}


def smoke(tmp_path: Path, *extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "PYTEST_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--smoke", "--out", str(tmp_path), *extra],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=280, check=False,
    )
    assert proc.returncode == 0, f"the smoke run failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}"
    assert "done in" in proc.stdout  # progress was printed
    return json.loads((tmp_path / "results.json").read_text())


def check_metrics(results: dict, expected: dict[str, bool]) -> None:
    rows = {row["key"]: row for row in results["rows"]}
    missing = sorted(set(expected) - set(rows))
    assert not missing, f"metrics not produced: {missing}"
    for key, judged in expected.items():
        row = rows[key]
        assert row["median"] is not None, f"{key}: no value"
        assert row["runs"] >= 1 and row["low"] <= row["median"] <= row["high"], key
        if judged:
            assert row["target"] and row["verdict"] in ("PASS", "FAIL"), f"{key}: not judged against its target"


def check_files(out: Path, results: dict) -> None:
    assert not results["meta"]["errors"], results["meta"]["errors"]
    table = (out / "results.md").read_text()
    assert "| metric | case | who |" in table and ("PASS" in table or "FAIL" in table)
    assert (out / "overview.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.kernel
def test_smoke_run_produces_every_kernel_metric(tmp_path):
    results = smoke(tmp_path, "--no-browser")
    check_files(tmp_path, results)
    check_metrics(results, KERNEL_METRICS)
    rows = {row["key"]: row for row in results["rows"]}
    assert rows["browser_longtask"]["verdict"] == "skipped"
    # the comparison ran every way of streaming through the real SDK, and the replies had the asked length
    single = results["samples"]["single"]
    assert {s["approach"] for s in single} == {
        "nbstream", "nbstream_httpx", "print", "markdown", "ipywidgets", "floor", "floor_aiohttp", "helper_floor"
    }  # both transports, side by side
    assert all(s["deltas"] == s["tokens"] for s in single), [(s["approach"], s["deltas"], s["tokens"]) for s in single]
    assert all(s["status"] == "done" for s in single if s["approach"].startswith("nbstream"))


@pytest.mark.browser
def test_smoke_run_produces_every_browser_metric(tmp_path):
    from benchmarks._browser import browser_available

    reason = browser_available()
    if reason:
        pytest.skip(reason)
    results = smoke(tmp_path, "--only", "browser")
    check_files(tmp_path, results)
    check_metrics(results, BROWSER_METRICS)
    lab = results["samples"]["browser"]
    streams = [s for s in lab if not s.get("case")]
    assert streams and all(s["ok"] and s["static_copy"] and not s["rate_limited"] for s in streams)
    assert [s["cancel_ms"] > 0 for s in lab if s.get("case") == "cancel"] == [True] * CFG.cancel_clicks
    assert [s["done_rows"] for s in lab if s.get("case") == "panel"] == [str(CFG.panel_browser_rows)]
    assert results["samples"]["frontend"], "the front-end probe did not run"
