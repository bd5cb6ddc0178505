"""The browser side: a real JupyterLab in headless Debian Chromium, and the front-end probe without Jupyter.

JupyterLab: the server and page helpers of the browser tests (``tests/browser/lab.py``), a ``%%llm`` cell
streaming a long Markdown reply from the simulator process, and the browser's own Performance API in the
page (a ``longtask`` PerformanceObserver, a requestAnimationFrame counter). A Chromium trace of the same
window adds each main-thread task's thread CPU time: on a busy 2-core machine a task's wall time also
counts the time the renderer waited for a CPU.

The front-end probe (``benchmarks/frontend/*.html``, formerly ``js/bench``) streams synthetic frames
straight into the built bundle with a fake model: the bundle's own cost, without a kernel or a server.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import itertools
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._config import Config
from ._sim import SimulatorProcess

REPO = Path(__file__).resolve().parents[1]
FRONTEND = Path(__file__).resolve().parent / "frontend"
CHROMIUM = os.environ.get("NBSTREAM_CHROMIUM", "/usr/bin/chromium")

# Long tasks (PerformanceObserver 'longtask': main-thread tasks over 50 ms), long animation frames (where
# the time went) and every requestAnimationFrame callback, from the page's first script on.
PAGE_PROBE = """(() => {
  const B = window.__bench = { longtasks: [], loafs: [], frames: [] };
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) B.longtasks.push([e.startTime, e.duration]);
    }).observe({ type: "longtask", buffered: true });
  } catch (e) { B.longtaskError = String(e); }
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        if (e.duration < 50) continue;
        B.loafs.push({ start: e.startTime, duration: e.duration, blocking: e.blockingDuration,
          scripts: (e.scripts || []).map((s) => `${s.invoker} ${Math.round(s.duration)}ms ${s.sourceFunctionName || ""} ${(s.sourceURL || "").split("/").pop()}`) });
      }
    }).observe({ type: "long-animation-frame", buffered: true });
  } catch (e) {}
  const tick = (t) => { B.frames.push(t); requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
})();"""


def browser_available() -> str | None:
    """None when the browser part can run, else why not."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set NBSTREAM_CHROMIUM)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install -e '.[test]')"
    if not (REPO / "nbstream" / "static" / "widget.js").is_file():
        return "the front end is not built (make js)"
    return None


def _lab_module() -> Any:
    spec = importlib.util.spec_from_file_location("_nbstream_bench_lab", REPO / "tests" / "browser" / "lab.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


def task_summary(trace: Path) -> dict[str, Any]:
    """Main-thread tasks of the renderer in a Chromium trace: wall time and thread CPU time, in ms."""
    data = json.loads(trace.read_text())
    events = data["traceEvents"] if isinstance(data, dict) else data
    main_threads = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("ph") == "M" and e.get("name") == "thread_name" and e["args"].get("name") == "CrRendererMain"
    }
    tasks = [
        e for e in events
        if e.get("ph") == "X" and (e["pid"], e["tid"]) in main_threads
        and e.get("name") in ("ThreadControllerImpl::RunTask", "RunTask")
    ]
    wall = sorted(e.get("dur", 0) / 1000 for e in tasks)
    cpu = sorted(e.get("tdur", 0) / 1000 for e in tasks)
    return {
        "tasks": len(tasks),
        "max_wall_ms": wall[-1] if wall else None,
        "max_cpu_ms": cpu[-1] if cpu else None,
        "wall_over_50ms": sum(1 for d in wall if d > 50),
        "cpu_over_50ms": sum(1 for d in cpu if d > 50),
        "top_cpu_ms": [round(d, 1) for d in cpu[-5:]],
    }


def _window(bench: dict[str, Any], t0: float, t1: float) -> dict[str, Any]:
    frames = [t for t in bench["frames"] if t0 <= t <= t1]
    gaps = [b - a for a, b in itertools.pairwise(frames)]
    tasks = [(s, d) for s, d in bench["longtasks"] if s + d >= t0 and s <= t1]
    return {
        "seconds": (t1 - t0) / 1000,
        "fps": len(frames) / ((t1 - t0) / 1000) if t1 > t0 else None,
        "max_frame_gap_ms": max(gaps) if gaps else None,
        "longtasks": len(tasks),
        "max_longtask_ms": max((d for _, d in tasks), default=0.0),
        "longtask_ms": [round(d) for _, d in tasks],
        "loafs": [x for x in bench["loafs"] if x["start"] + x["duration"] >= t0 and x["start"] <= t1][:10],
    }


def run_lab(cfg: Config, sim: SimulatorProcess, progress: Callable[[str], None]) -> list[dict[str, Any]]:
    """A %%llm cell streaming a long Markdown reply into JupyterLab, measured in the page."""
    from playwright.sync_api import sync_playwright

    lab = _lab_module()
    log_dir = tempfile.mkdtemp(prefix="nbstream-bench-lab-log-")
    server = lab.LabServer(env={
        "ANTHROPIC_BASE_URL": sim.base_url, "ANTHROPIC_API_KEY": "sk-bench-not-a-key",
        "NBSTREAM_LOG": os.path.join(log_dir, "calls.sqlite3"),
    })
    samples: list[dict[str, Any]] = []
    tokens, rate = cfg.browser_tokens, cfg.browser_rate
    cells = ["%load_ext nbstream"] + [
        f"%%llm --max-tokens {tokens + 100}\nA long answer, run {rep}. [[sim: tokens={tokens} rate={rate:g} ttft=0.2]]"
        for rep in range(cfg.browser_runs)
    ]
    server.start()
    progress(f"browser: JupyterLab started in {server.startup_seconds:.1f} s")
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=lab.CHROMIUM_ARGS)
            page = lab.LabPage(server, browser, name_hint="bench", timeout=60)
            page.context.add_init_script(PAGE_PROBE)
            try:
                page.open_notebook(cells)
                page.run_cell(0, timeout=60)
                # warm-up: the widget's bundle and the Markdown renderer load on first use
                page.add_cell("%%llm\nwarm-up [[sim: tokens=200 rate=2000 ttft=0.05]]")
                page.run_cell(len(cells), timeout=60)
                for rep in range(cfg.browser_runs):
                    i = rep + 1
                    page.evaluate(
                        "for (const c of panel.content.widgets) if (c.model.outputs) c.model.outputs.clear();"
                    )
                    time.sleep(1.0)
                    trace = Path(tempfile.mkstemp(suffix=".json")[1])
                    browser.start_tracing(page=page.page, path=str(trace), categories=["toplevel", "devtools.timeline"])
                    t0 = page.page.evaluate("performance.now()")
                    started = time.monotonic()
                    ok = page.run_cell(i, timeout=max(120, 4 * tokens / rate))
                    cell_seconds = time.monotonic() - started
                    t_done = page.page.evaluate("performance.now()")
                    time.sleep(1.5)  # the final render (text trait, static copy) settles
                    t1 = page.page.evaluate("performance.now()")
                    browser.stop_tracing()
                    bench = page.page.evaluate("window.__bench")
                    text = page.output_text(i)
                    sample = {
                        "rep": rep, "ok": ok, "cell_seconds": cell_seconds,
                        "stream": _window(bench, t0, t_done), "whole": _window(bench, t0, t1),
                        "trace": task_summary(trace),
                        "rate_limited": "IOPub message rate exceeded" in text,
                        "static_copy": page.output(i).locator(".nbstream-static").count() > 0,
                        "output_chars": len(text),
                        # JupyterLab's table of contents (even hidden) makes one web component per heading it
                        # finds in outputs: how many there were after this run
                        "toc_items": page.page.evaluate("document.querySelectorAll('jp-tree-item').length"),
                        "longtask_observer_error": bench.get("longtaskError"),
                    }
                    trace.unlink(missing_ok=True)
                    samples.append(sample)
                    progress(
                        f"browser [{rep + 1}/{cfg.browser_runs}] {tokens} tokens @ {rate:g}/s in JupyterLab: "
                        f"{cell_seconds:.1f} s, {sample['whole']['longtasks']} long tasks "
                        f"(max {sample['whole']['max_longtask_ms']:.0f} ms), {sample['stream']['fps']:.0f} fps, "
                        f"trace max task CPU {sample['trace']['max_cpu_ms'] or 0:.0f} ms"
                    )
                samples[-1]["console_errors"] = page.unexpected_console_errors()[-10:]
                for k in range(cfg.cancel_clicks):
                    samples.append(_cancel_click(page, k))
                    progress(f"browser: Cancel click {k + 1}/{cfg.cancel_clicks} → cancelled shown in "
                             f"{samples[-1]['cancel_ms']:.0f} ms")
                for rep in range(cfg.panel_browser_runs):
                    samples.append(_panel_rows(browser, page, cfg, rep))
                    progress(f"browser: {cfg.panel_browser_rows}-row panel in JupyterLab: longest task "
                             f"{samples[-1]['whole']['max_longtask_ms']:.0f} ms, trace max task wall "
                             f"{samples[-1]['trace']['max_wall_ms'] or 0:.0f} ms")
            finally:
                page.close()
                browser.close()
    finally:
        server.stop()
        server.cleanup()
        shutil.rmtree(log_dir, ignore_errors=True)
    return samples


# A Cancel click, as the user's click reaches the button: the time until the widget shows `cancelled`
# (its data-status, which the header's text follows in the same task), on the page's own clock.
CANCEL_CLICK = """
    const [cellIndex] = args;
    const cell = panel.content.widgets[cellIndex].node;
    const view = cell.querySelector('.nbstream:not(.nbstream-static)');
    const button = view.querySelector('button.nbstream-cancel');
    return await new Promise((resolve) => {
      let t0 = 0;
      const seen = new MutationObserver(() => {
        if (view.dataset.status === 'cancelled') { seen.disconnect(); resolve(performance.now() - t0); }
      });
      seen.observe(view, { attributes: true, attributeFilter: ['data-status'] });
      t0 = performance.now();
      button.click();
    });
"""


def _cancel_click(page: Any, k: int) -> dict[str, Any]:
    i = page.add_cell(f"%%llm\nA long story to cancel, {k}. [[sim: tokens=5000 rate=200 ttft=0.05]]")
    page.run_cell(i, wait=False)
    page.page.wait_for_function(
        "el => el.dataset.status === 'streaming' && +el.dataset.tokens >= 40",
        arg=page.widget(i).element_handle(), timeout=60_000,
    )
    cancel_ms = page.evaluate(CANCEL_CLICK, i)
    page.wait_cell(i, timeout=30)
    return {"case": "cancel", "rep": k, "cancel_ms": cancel_ms}


def _panel_rows(browser: Any, page: Any, cfg: Config, rep: int) -> dict[str, Any]:
    """A ParallelPanel of many rows, every one streaming at once: the page's longest task while it runs."""
    rows, tokens = cfg.panel_browser_rows, cfg.panel_browser_tokens
    i = page.add_cell(
        "from nbstream import ParallelPanel\n"
        f"await ParallelPanel([f'Row {{n}}, run {rep}. [[sim: tokens={tokens} rate=40 ttft=0.1]]' for n in range({rows})],"
        f" concurrency={rows}).display()"
    )
    trace = Path(tempfile.mkstemp(suffix=".json")[1])
    browser.start_tracing(page=page.page, path=str(trace), categories=["toplevel", "devtools.timeline"])
    t0 = page.page.evaluate("performance.now()")
    started = time.monotonic()
    page.run_cell(i, timeout=300)
    seconds = time.monotonic() - started
    t_done = page.page.evaluate("performance.now()")
    time.sleep(1.5)
    t1 = page.page.evaluate("performance.now()")
    browser.stop_tracing()
    bench = page.page.evaluate("window.__bench")
    sample = {
        "case": "panel", "rep": rep, "rows": rows, "cell_seconds": seconds,
        "stream": _window(bench, t0, t_done), "whole": _window(bench, t0, t1), "trace": task_summary(trace),
        "done_rows": page.output(i).locator('.nbstream-panel').get_attribute("data-done"),
    }
    trace.unlink(missing_ok=True)
    return sample


def run_frontend(cfg: Config, progress: Callable[[str], None]) -> list[dict[str, Any]]:
    """The bundle alone, fed synthetic frames by a fake model (benchmarks/frontend/*.html)."""
    from playwright.sync_api import sync_playwright

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(REPO))
    http.server.SimpleHTTPRequestHandler.log_message = lambda *a: None  # type: ignore[method-assign]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/benchmarks/frontend"
    lab = _lab_module()
    samples: list[dict[str, Any]] = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=lab.CHROMIUM_ARGS)
            try:
                for page_name, runs in (("perf.html", cfg.frontend_stream), ("panel.html", cfg.frontend_panel)):
                    page = browser.new_page()
                    errors: list[str] = []
                    page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
                    page.goto(f"{base}/{page_name}")
                    page.wait_for_function("window.benchReady === true")
                    for args in runs:
                        trace = Path(tempfile.mkstemp(suffix=".json")[1])
                        browser.start_tracing(page=page, path=str(trace), categories=["toplevel", "devtools.timeline"])
                        result = page.evaluate("(args) => window.runBench(args)", dict(args))
                        browser.stop_tracing()
                        result["trace"] = task_summary(trace)
                        trace.unlink(missing_ok=True)
                        sample = {"page": page_name, "args": dict(args), "result": result, "errors": list(errors)}
                        samples.append(sample)
                        stream = result["stream"]
                        progress(
                            f"front-end probe {page_name} {json.dumps(args)}: long tasks {stream['longTasksOver50ms']}, "
                            f"max frame callback {stream['maxFrameMs']} ms, trace max task CPU {result['trace']['max_cpu_ms']} ms"
                        )
                    page.close()
            finally:
                browser.close()
    finally:
        server.shutdown()
    return samples
