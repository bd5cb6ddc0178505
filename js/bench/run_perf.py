"""Run js/bench/perf.html in headless Chromium and print the results as JSON.

Usage (from the repo root, after `npm run build`):
    .venv/bin/python js/bench/run_perf.py [--quick]    # one stream: perf.html
    .venv/bin/python js/bench/run_perf.py --panel      # a panel of 200-300 rows streaming at once: panel.html

Wall-clock task durations are noisy on a busy machine (the process gets
descheduled), so a Chromium trace is recorded as well and every main-thread task
is also reported by its *thread CPU time* (`tdur`), which excludes time spent
waiting for a CPU.
"""

import functools
import http.server
import json
import pathlib
import tempfile
import shutil
import sys
import threading

from playwright.sync_api import sync_playwright

ROOT = pathlib.Path(__file__).resolve().parents[2]


def task_summary(trace: pathlib.Path) -> dict:
    """Main-thread tasks of the renderer: wall time and thread CPU time, in ms."""
    data = json.loads(trace.read_text())
    events = data["traceEvents"] if isinstance(data, dict) else data
    main_threads = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("ph") == "M" and e.get("name") == "thread_name" and e["args"].get("name") == "CrRendererMain"
    }
    tasks = [
        e
        for e in events
        if e.get("ph") == "X"
        and (e["pid"], e["tid"]) in main_threads
        and e.get("name") in ("ThreadControllerImpl::RunTask", "RunTask")
    ]
    wall = sorted(e.get("dur", 0) / 1000 for e in tasks)
    cpu = sorted(e.get("tdur", 0) / 1000 for e in tasks)
    return {
        "tasks": len(tasks),
        "maxWallMs": round(wall[-1], 1) if wall else None,
        "maxCpuMs": round(cpu[-1], 1) if cpu else None,
        "wallOver50ms": sum(1 for d in wall if d > 50),
        "cpuOver50ms": sum(1 for d in cpu if d > 50),
        "top5CpuMs": [round(d, 1) for d in cpu[-5:]],
    }


def main() -> None:
    quick = "--quick" in sys.argv
    panel = "--panel" in sys.argv
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(ROOT))
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    page_name = "panel.html" if panel else "perf.html"
    url = f"http://127.0.0.1:{server.server_address[1]}/js/bench/{page_name}"
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    runs = [
        # 20 frames/s, ~16 tokens per frame: ~20,000 tokens of mixed Markdown
        {"chars": 80000, "deltaChars": 64, "intervalMs": 50},
        # frames dropped on the way: resync + snapshot, and the final text differs
        {"chars": 80000, "deltaChars": 64, "intervalMs": 50, "dropEvery": 97},
        # worst cases for the tail (no blank line: the whole reply is one growing block), faster
        {"chars": 80000, "deltaChars": 256, "intervalMs": 50, "kind": "fence"},
        {"chars": 80000, "deltaChars": 256, "intervalMs": 50, "kind": "list"},
        {"chars": 80000, "deltaChars": 256, "intervalMs": 50, "kind": "table"},
    ]
    if quick:
        runs = [{"chars": 80000, "deltaChars": 256, "intervalMs": 20, "kind": k} for k in ("mixed", "fence", "list", "table")]
    if panel:
        runs = [
            # 200 rows all streaming, a frame every 50 ms listing every row
            {"rows": 200, "frames": 200, "intervalMs": 50},
            # the same with a few rows expanded (live Markdown) a quarter of the way in
            {"rows": 200, "frames": 200, "intervalMs": 50, "expand": 4},
            {"rows": 300, "frames": 120, "intervalMs": 50},
        ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True)
        page = browser.new_page()
        page.on("console", lambda m: print("console:", m.text, file=sys.stderr))
        page.on("pageerror", lambda e: print("pageerror:", e, file=sys.stderr))
        page.goto(url)
        page.wait_for_function("window.benchReady === true")
        for args in runs:
            trace = pathlib.Path(tempfile.mkstemp(suffix=".json")[1])
            browser.start_tracing(page=page, path=str(trace), categories=["toplevel", "devtools.timeline"])
            result = page.evaluate("(args) => window.runBench(args)", args)
            browser.stop_tracing()
            result["mainThreadTasks"] = task_summary(trace)
            trace.unlink()
            print(json.dumps({"args": args, **result}, indent=1))
        browser.close()
    server.shutdown()


if __name__ == "__main__":
    main()
