"""``python -m benchmarks``: run the whole suite and write benchmarks/results/ (results.md, results.json,
overview.png). ``--smoke --out DIR``: the same suite in seconds (tiny replies, one run), for the tests."""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import os
import platform
import subprocess
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import _browser, _cases, _report
from ._config import FRONTEND_FULL_PANEL, FRONTEND_FULL_STREAM, Config, smoke_config

REPO = Path(__file__).resolve().parents[1]
GROUPS = ("single", "parallel", "scaling", "memory", "browser")

# What every run must produce (the smoke test checks these): the row keys of the table.
def required_keys(cfg: Config) -> list[str]:
    small, big = min(cfg.sizes), max(cfg.sizes)
    keys = [
        f"bytes_ratio_{small}", f"bytes_ratio_{big}", "bytes_on", f"esm_{big}", f"static_{big}",
        f"bytes_vs_markdown_{big}", f"bytes_vs_ipywidgets_{big}", "msgs_single", "msgs_panel", "added_ttft",
        f"cpu_nbstream_{big}", f"cpu_floor_{big}", "keepup", "lag_p99_nbstream", "lag_p99_floor", "lag_p99_idle",
        "mem_retained", "mem_peak", "mem_rss_retained", "log_total", "log_max", "browser_longtask", "browser_fps",
    ]
    keys += [f"scaling_{n}_{k}{suffix}" for n, k in cfg.scaling for suffix in ("", "_floor")]
    keys += [f"bytes_ratio_slow_{t}_{r:g}" for t, r in cfg.slow_cases]
    return keys


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("--smoke", action="store_true", help="a run of seconds: tiny replies, one repetition")
    p.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results", help="where to write the results")
    p.add_argument("--runs", type=int, help="repetitions of every case (default: 5 for cheap cases, 3 for the rest)")
    p.add_argument("--only", nargs="+", choices=GROUPS, help="run only these groups")
    p.add_argument("--no-browser", action="store_true", help="skip JupyterLab/Chromium and the front-end probe")
    p.add_argument("--no-frontend", action="store_true", help="skip the front-end probe (bundle alone)")
    p.add_argument("--frontend-full", action="store_true",
                   help="run every case of the front-end probe (the former js/bench/run_perf.py), ~5 min more")
    return p


def _git() -> dict[str, Any]:
    def run(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10, check=False
            ).stdout.strip()
        except Exception:  # noqa: BLE001 - no git: the report says nothing about the commit
            return ""

    return {
        "commit": run("rev-parse", "--short", "HEAD"),
        "dirty_files": len(run("status", "--porcelain").splitlines()),
    }


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in (
        "anthropic",
        "httpx2",
        "ipykernel",
        "jupyter_client",
        "ipywidgets",
        "anywidget",
        "jupyterlab",
        "playwright",
        "nbstream",
    ):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    try:
        out["chromium"] = subprocess.run(
            [_browser.CHROMIUM, "--version"], capture_output=True, text=True, timeout=20, check=False
        ).stdout.strip()
    except Exception:  # noqa: BLE001, S110 - no Chromium: the browser part says so itself
        pass
    return out


def _bundle() -> dict[str, Any]:
    path = REPO / "nbstream" / "static" / "widget.js"
    if not path.is_file():
        return {"missing": str(path)}
    data = path.read_bytes()
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()[:16],
            "mtime": datetime.fromtimestamp(path.stat().st_mtime, UTC).isoformat(timespec="seconds")}


def _machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model or platform.machine()}), {platform.system()} {platform.release()}"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    cfg = smoke_config() if args.smoke else Config()
    if args.runs:
        cfg.runs = cfg.naive_runs = cfg.parallel_runs = cfg.scaling_runs = cfg.memory_runs = cfg.browser_runs = (
            args.runs
        )
    if args.frontend_full:
        cfg.frontend_stream, cfg.frontend_panel = FRONTEND_FULL_STREAM, FRONTEND_FULL_PANEL
    groups = tuple(args.only) if args.only else GROUPS
    if args.no_browser:
        groups = tuple(g for g in groups if g != "browser")
    cfg.groups = groups
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    load_before = [round(x, 2) for x in os.getloadavg()]

    def progress(text: str) -> None:
        print(f"[{time.monotonic() - started:6.1f} s] {text}", flush=True)

    progress(f"nbstream benchmarks ({'smoke' if cfg.smoke else 'full'} run), groups: {', '.join(groups)}; "
             f"load average {load_before}")
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    with _cases.SimulatorProcess(ttft=cfg.ttft, rate=cfg.rate) as sim:
        progress(f"simulator process {sim.pid} at {sim.base_url}")
        for group in GROUPS:
            if group not in groups:
                if group == "browser":
                    data["browser"] = {"skipped": "--no-browser" if args.no_browser else "not selected (--only)"}
                continue
            try:
                if group == "browser":
                    reason = _browser.browser_available()
                    if reason:
                        progress(f"browser part skipped: {reason}")
                        data["browser"] = {"skipped": reason}
                        continue
                    data["browser"] = _browser.run_lab(cfg, sim, progress)
                    if cfg.frontend and not args.no_frontend:
                        data["frontend"] = _browser.run_frontend(cfg, progress)
                else:
                    runner = getattr(_cases, f"run_{group}")
                    data[group] = runner(cfg, sim, progress, _cases.new_log_dir())
            except Exception:  # noqa: BLE001 - one broken part must not lose the others' results
                errors[group] = traceback.format_exc()
                progress(f"{group} FAILED:\n{errors[group]}")
    elapsed = time.monotonic() - started
    command = "python -m benchmarks" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    meta = {
        "command": command.strip(), "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "elapsed_s": elapsed, "load_before": load_before, "load_after": [round(x, 2) for x in os.getloadavg()],
        "machine": _machine(), "cpus": os.cpu_count(), "git": _git(), "versions": _versions(), "bundle": _bundle(),
        "errors": errors, "required_keys": required_keys(cfg),
    }
    rows = _report.build_rows(cfg, data)
    _report.write_json(out / "results.json", cfg, rows, meta, data)
    _report.write_markdown(out / "results.md", cfg, rows, meta, data)
    try:
        _report.write_plots(out / "overview.png", cfg, rows, data)
    except Exception:  # noqa: BLE001
        errors["plots"] = traceback.format_exc()
        progress(f"plots FAILED:\n{errors['plots']}")
        _report.write_json(out / "results.json", cfg, rows, meta, data)
    verdicts = [r.verdict for r in rows if r.verdict in ("PASS", "FAIL")]
    progress(
        f"done in {elapsed / 60:.1f} min: {verdicts.count('PASS')} PASS, {verdicts.count('FAIL')} FAIL; "
        f"wrote {out / 'results.md'}, {out / 'results.json'}, {out / 'overview.png'}"
    )
    for r in rows:
        if r.verdict:
            print(f"  {r.verdict:5s} {r.metric} | {r.case} | {_report.fmt_spread(r)} (target {r.target})")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
