"""From raw samples to figures: medians with their spread (min-max over the runs), targets, verdicts,
and the files in ``benchmarks/results/`` (results.md, results.json, overview.png)."""

from __future__ import annotations

import json
import math
import os
import statistics
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ._cases import percentile
from ._config import APPROACH_LABELS, APPROACHES, Config

CONSTANT_BYTES = 8192  # the "small constant" of the bytes target: status, execute_input, the view, state syncs
MSGS_PER_S_TARGET = 22  # "at most about 20 per widget/panel per second": 20 frames + a state sync, in any 1 s
SERVER_LIMIT = 1000


@dataclass
class Row:
    metric: str
    case: str
    who: str
    median: float | None
    low: float | None
    high: float | None
    unit: str
    target: str
    verdict: str  # PASS, FAIL or "" (reported, no target)
    runs: int
    note: str = ""
    key: str = ""


def _stream_runs(lab: Any) -> Any:
    """The streaming runs of the browser part (not its Cancel clicks or panel runs), or the skip note."""
    return [s for s in lab if not s.get("case")] if isinstance(lab, list) else lab


def spread(values: Iterable[float | None]) -> tuple[float | None, float | None, float | None, int]:
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    if not vals:
        return None, None, None, 0
    return statistics.median(vals), min(vals), max(vals), len(vals)


def fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    if unit in ("B", "bytes"):
        if abs(value) >= 1e6:
            return f"{value / 1e6:.2f} MB"
        if abs(value) >= 1e3:
            return f"{value / 1e3:.1f} kB"
        return f"{value:.0f} B"
    if unit == "x":
        return f"{value:.2f}x" if abs(value) < 100 else f"{value:,.0f}x"
    if unit in ("ms", "us", "µs"):
        return (
            f"{value:.2f} {unit}"
            if abs(value) < 10
            else f"{value:,.1f} {unit}"
            if abs(value) < 100
            else f"{value:,.0f} {unit}"
        )
    if unit in ("msgs/s", "fps", "tasks"):
        return f"{value:,.0f} {unit}" if value >= 10 else f"{value:.1f} {unit}"
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "cores":
        return f"{value:.2f} cores"
    return f"{value:.3g} {unit}"


def fmt_spread(row: Row) -> str:
    if row.median is None:
        return "n/a"
    if row.runs <= 1 or row.low == row.high:
        return fmt(row.median, row.unit) + (f" (n={row.runs})" if row.runs > 1 else "")
    return f"{fmt(row.median, row.unit)} [{fmt(row.low, row.unit)} – {fmt(row.high, row.unit)}]"


class Builder:
    def __init__(self) -> None:
        self.rows: list[Row] = []

    def add(
        self, metric: str, case: str, who: str, values: Iterable[float | None], unit: str, target: str = "",
        check: Callable[[float], bool] | None = None, note: str = "", key: str = "", verdict: str | None = None,
    ) -> Row:
        median, low, high, n = spread(values)
        if verdict is None:
            verdict = "" if check is None else ("n/a" if median is None else ("PASS" if check(median) else "FAIL"))
        row = Row(metric, case, who, median, low, high, unit, target, verdict, n, note, key)
        self.rows.append(row)
        return row


def plain_run(sample: dict[str, Any]) -> bool:
    """A single-stream run at the suite's rate with only the probe's delta observer (no slow rate, no timers)."""
    return not sample.get("slow") and not sample.get("timed")


def build_rows(cfg: Config, data: dict[str, Any]) -> list[Row]:
    b = Builder()
    single = data.get("single") or []
    big, small = max(cfg.sizes), min(cfg.sizes)

    def pick(approach: str, tokens: int, rate: float | None = None, slow: bool = False, timed: bool = False) -> list[dict]:
        rate = cfg.rate if rate is None else rate
        return [
            s for s in single
            if s["approach"] == approach and s["tokens"] == tokens and s["rate"] == rate
            and bool(s.get("slow")) == slow and bool(s.get("timed")) == timed
        ]

    def col(items: list[dict], key: str) -> list[Any]:
        return [s.get(key) for s in items]

    # --- bytes --------------------------------------------------------------------------------
    if single:
        ratios: dict[int, float | None] = {}
        for tokens in cfg.sizes:
            runs = pick("nbstream", tokens)
            text = spread(col(runs, "text_bytes"))[0] or 0
            traffic = spread(col(runs, "widget_traffic"))[0]
            allowed = 2.5 * text + CONSTANT_BYTES
            row = b.add(
                "bytes to the frontend: nbstream widget traffic / reply bytes",
                f"one {tokens:,}-token reply @ {cfg.rate:,.0f} tok/s (reply {fmt(text, 'B')})", "nbstream",
                col(runs, "traffic_ratio"), "x",
                target=f"≤ 2.5x + {CONSTANT_BYTES // 1024} KiB (≤ {fmt(allowed, 'B')})",
                verdict="n/a" if traffic is None else ("PASS" if traffic <= allowed else "FAIL"),
                note=f"{fmt(traffic, 'B')} = frames + final state + status syncs + view + busy/idle; "
                     "without the _esm comm_open and the static copy", key=f"bytes_ratio_{tokens}",
            )
            ratios[tokens] = row.median
        if len(cfg.sizes) > 1 and ratios.get(big) is not None and ratios.get(small) is not None:
            b.add(
                "bytes to the frontend: O(n)", f"ratio at {big:,} vs {small:,} tokens", "nbstream",
                [ratios[big] / ratios[small]], "x", target="ratio at 20k ≤ ratio at 4k (≤ 1.00x)",
                check=lambda v: v <= 1.0, note="median traffic ratio at the larger reply / at the smaller",
                key="bytes_on",
            )
        for tokens, rate in cfg.slow_cases:
            runs = pick("nbstream", tokens, rate, slow=True)
            text = spread(col(runs, "text_bytes"))[0] or 0
            traffic = spread(col(runs, "widget_traffic"))[0]
            allowed = 2.5 * text + CONSTANT_BYTES
            b.add(
                "bytes to the frontend: nbstream widget traffic / reply bytes",
                f"one {tokens:,}-token reply @ {rate:,.0f} tok/s (reply {fmt(text, 'B')})", "nbstream",
                col(runs, "traffic_ratio"), "x",
                note=(
                    f"{fmt(traffic, 'B')}; reported, not judged: at reading speed a frame (10 a second) carries "
                    "less text than Jupyter's own ~500 B message envelope, so no live frame rate meets 2.5x here "
                    f"(2.5x would allow {fmt(allowed, 'B')})"
                ),
                key=f"bytes_ratio_slow_{tokens}_{rate:g}",
            )
        for tokens in cfg.sizes:
            runs = pick("nbstream", tokens)
            parts = [s.get("parts") or {} for s in runs]
            b.add("bytes: per-widget constant (_esm bundle in the comm_open)", f"{tokens:,}-token reply", "nbstream",
                  [p.get("esm_open") for p in parts], "B", note="the widget model with its _esm + its layout model",
                  key=f"esm_{tokens}")
            b.add(
                "bytes: static copy (text/html + text/markdown + a one-line text/plain)",
                f"{tokens:,}-token reply",
                "nbstream",
                [p.get("static_copy") for p in parts],
                "B",
                note=fmt(spread([p.get("static_copy") or 0 for p in parts])[0], "B"),
                key=f"static_bytes_{tokens}",
            )
            b.add(
                "bytes: static copy / reply bytes (what a saved notebook keeps per answer)",
                f"{tokens:,}-token reply",
                "nbstream",
                [(p.get("static_copy") or 0) / (s["text_bytes"] or 1) for p, s in zip(parts, runs, strict=True)],
                "x",
                target="≤ 1.6x", check=lambda v: v <= 1.6,
                note="the HTML form (~1.3x: the answer's tags + its pruned stylesheet) and the Markdown form "
                     "(1x: nbconvert's LaTeX/PDF export reads only it)",
                key=f"static_{tokens}",
            )
            frames = spread(col(runs, "frames"))[0]
            frame_bytes = spread([p.get("frames") for p in parts])[0]
            text = spread(col(runs, "text_bytes"))[0]
            if frames and frame_bytes and text:
                b.add(
                    "bytes: frame envelope (frame bytes beyond the text they carry, per frame)",
                    f"{tokens:,}-token reply, {frames:.0f} frames",
                    "nbstream",
                    [
                        ((p.get("frames") or 0) - (s["text_bytes"] or 0)) / max(1, s.get("frames") or 1)
                        for p, s in zip(parts, runs, strict=True)
                    ],
                    "B",
                    note="iopub header + parent_header + websocket framing + comm/custom wrapper + stats",
                    key=f"frame_overhead_{tokens}",
                )
            base = spread(col(runs, "bytes"))[0]
            for approach in ("print", "markdown", "ipywidgets"):
                other = pick(approach, tokens)
                if other and base:
                    b.add(f"bytes: whole cell, {APPROACH_LABELS[approach]} / nbstream", f"{tokens:,}-token reply",
                          approach, [s["bytes"] / base for s in other], "x",
                          note=f"{fmt(spread(col(other, 'bytes'))[0], 'B')} vs nbstream {fmt(base, 'B')} "
                               "(nbstream's whole cell: _esm and static copy included)",
                          key=f"bytes_vs_{approach}_{tokens}")

    # --- messages per second --------------------------------------------------------------------
    if single:
        runs = pick("nbstream", big)
        b.add("messages/s to the frontend (peak in any 1 s)", f"one stream @ {cfg.rate:,.0f} tok/s ({big:,} tokens)",
              "nbstream", col(runs, "widget_peak_msgs_per_s"), "msgs/s",
              target=f"≤ ~20 per widget (≤ {MSGS_PER_S_TARGET}), ≪ {SERVER_LIMIT}/s",
              check=lambda v: v <= MSGS_PER_S_TARGET, note="every message the rate limiter counts", key="msgs_single")
        for approach in ("print", "markdown", "ipywidgets"):
            other = pick(approach, big)
            if other:
                b.add(
                    "messages/s to the frontend (peak in any 1 s)",
                    f"one stream @ {cfg.rate:,.0f} tok/s ({big:,} tokens)",
                    approach,
                    col(other, "peak_msgs_per_s"),
                    "msgs/s",
                    note=f"server drops above {SERVER_LIMIT}/s",
                    key=f"msgs_single_{approach}",
                )
    parallel = data.get("parallel") or []
    panel_runs = [s for s in parallel if s["kind"] == "nbstream"]
    if panel_runs:
        b.add("messages/s to the frontend (peak in any 1 s)",
              f"{cfg.panel_streams} parallel streams @ {cfg.panel_rate:,.0f} tok/s each (a ParallelPanel)", "nbstream",
              [s.get("panel_peak_msgs_per_s") for s in panel_runs], "msgs/s",
              target=f"≤ ~20 per panel (≤ {MSGS_PER_S_TARGET}), ≪ {SERVER_LIMIT}/s",
              check=lambda v: v <= MSGS_PER_S_TARGET, key="msgs_panel")

    # --- added time to first token ----------------------------------------------------------------
    if single:
        runs = [s for s in single if s["approach"] == "nbstream" and plain_run(s)]
        b.add("added time to first token (SDK delta → first comm message leaves)", "every single-stream run",
              "nbstream", col(runs, "added_ttft_ms"), "ms", target="< 2 ms median", check=lambda v: v < 2.0,
              note="kernel clock: the probe observer (first on the run) → the frame's header date", key="added_ttft")
        b.add("added time to first token, up to the frontend's socket", "every single-stream run", "nbstream",
              col(runs, "added_ttft_recv_ms"), "ms", note="→ received on our iopub socket (serialised, signed, sent)",
              key="added_ttft_recv")
        for approach in ("print", "markdown", "ipywidgets"):
            other = [s for s in single if s["approach"] == approach]
            if other:
                b.add(
                    "added time to first token (delta out of text_stream → first message leaves)",
                    "every single-stream run",
                    approach,
                    col(other, "added_ttft_ms"),
                    "ms",
                    key=f"added_ttft_{approach}",
                )

    # --- CPU --------------------------------------------------------------------------------------
    if single:
        floor_big = spread(col(pick("floor", big), "cpu_per_token_us"))[0]
        for tokens in cfg.sizes:
            floor = spread(col(pick("floor", tokens), "cpu_per_token_us"))[0]
            for approach in APPROACHES:
                runs = pick(approach, tokens)
                if not runs:
                    continue
                judged = approach == "nbstream" and tokens == big
                b.add(
                    "kernel CPU per token",
                    f"single stream @ {cfg.rate:,.0f} tok/s, {tokens:,} tokens",
                    approach,
                    col(runs, "cpu_per_token_us"),
                    "µs",
                    target="≤ 0.5x the floor (raw SDK loop, its default transport)" if judged else "",
                    verdict=None
                    if not judged
                    else (
                        "n/a"
                        if not floor
                        else ("PASS" if spread(col(runs, "cpu_per_token_us"))[0] <= 0.5 * floor else "FAIL")
                    ),
                    note=(f"{spread(col(runs, 'cpu_per_token_us'))[0] / floor:.2f}x the floor" if floor else "")
                    + (
                        "; all kernel threads, from the cell before to the cell after" if approach == "nbstream" else ""
                    ),
                    key=f"cpu_{approach}_{tokens}",
                )
        del floor_big

    # --- keeping up ----------------------------------------------------------------------------------
    if single:
        runs = pick("nbstream", big)
        b.add(
            "keeping up: last token sent by the API → left the kernel",
            f"single stream @ {cfg.rate:,.0f} tok/s ({big:,} tokens)",
            "nbstream",
            col(runs, "last_token_ms"),
            "ms",
            target="≤ 100 ms",
            check=lambda v: v <= 100,
            note="simulator's write of the last token → the last frame's header date (one monotonic clock)",
            key="keepup",
        )
        b.add(
            "keeping up: last token sent by the API → received by the frontend's socket",
            f"single stream @ {cfg.rate:,.0f} tok/s ({big:,} tokens)",
            "nbstream",
            col(runs, "last_token_recv_ms"),
            "ms",
            key="keepup_recv",
        )
        b.add("keeping up: SDK handed over the last token → left the kernel", f"single stream @ {cfg.rate:,.0f} tok/s",
              "nbstream", col(runs, "last_out_after_sdk_ms"), "ms", note="nbstream's own share of the above",
              key="keepup_nbstream_share")
        for approach in ("floor", "print", "markdown", "ipywidgets"):
            other = pick(approach, big)
            if other:
                b.add("keeping up: last token sent by the API → left the kernel",
                      f"single stream @ {cfg.rate:,.0f} tok/s ({big:,} tokens)", approach, col(other, "last_token_ms"),
                      "ms", note="floor: → collected" if approach == "floor" else "", key=f"keepup_{approach}")

    # --- event-loop lag -------------------------------------------------------------------------------
    if parallel:
        for kind, who in (("nbstream", "nbstream"), ("floor", "floor"), ("idle", "idle kernel")):
            runs = [s for s in parallel if s["kind"] == kind]
            if not runs:
                continue
            case = (
                f"{cfg.panel_streams} parallel streams @ {cfg.panel_rate:,.0f} tok/s, ticker in another cell"
                if kind != "idle" else "the ticker alone"
            )
            judged = kind == "nbstream"
            wakeups = spread([len(s["lags"]) for s in runs])[0] or 0
            b.add("event-loop lag p99", case, who, [percentile(s["lags"], 99) * 1000 for s in runs], "ms",
                  target="< 10 ms" if judged else "", check=(lambda v: v < 10) if judged else None,
                  note=f"lateness of asyncio.sleep(0.01) wake-ups ({wakeups:.0f} per run, median)",
                  key=f"lag_p99_{kind}")
            b.add("event-loop lag max", case, who, [max(s["lags"]) * 1000 if s["lags"] else None for s in runs], "ms",
                  key=f"lag_max_{kind}")
        for kind in ("nbstream", "floor"):
            runs = [s for s in parallel if s["kind"] == kind]
            if runs:
                b.add("kernel CPU per token", f"{cfg.panel_streams} parallel streams @ {cfg.panel_rate:,.0f} tok/s",
                      kind, col(runs, "cpu_per_token_us"), "µs", key=f"cpu_parallel_{kind}")

    # --- scaling ---------------------------------------------------------------------------------------
    scaling = data.get("scaling") or []
    if scaling:
        case = f"{cfg.scaling_tokens} tokens @ {cfg.scaling_rate:,.0f} tok/s, TTFT {cfg.scaling_ttft:g} s"

        def ratios(who: str, n: int, k: int) -> list[float | None]:
            mine = [s for s in scaling if s.get("approach", "nbstream") == who]
            one = spread([s["wall"] for s in mine if s["n"] == 1])[0]
            ideal = math.ceil(n / k) * one if one else None
            return [s["wall"] / ideal if ideal else None for s in mine if s["n"] == n and s["k"] == k]

        for who, note, suffix in (
            ("nbstream", "a 1-row panel, display() to results", ""),
            ("floor", "raw SDK loops behind a semaphore of K, awaited in the cell", "_floor"),
        ):
            mine = [s for s in scaling if s.get("approach", "nbstream") == who]
            if not mine:
                continue
            single_walls = [s["wall"] for s in mine if s["n"] == 1]
            one = spread(single_walls)[0]
            b.add("parallel scaling: one call alone", case, who, single_walls, "s", note=note,
                  key=f"scaling_single{suffix}")
            for n, k in cfg.scaling:
                runs = [s for s in mine if s["n"] == n and s["k"] == k]
                ideal = math.ceil(n / k) * one if one else None
                judged = who == "nbstream"
                raw = spread(ratios("floor", n, k))[0]
                b.add("parallel scaling: wall / ideal", f"{n} equal calls at concurrency {k} (ideal {fmt(ideal, 's')})",
                      who, [s["wall"] / ideal if ideal else None for s in runs], "x",
                      target="≤ 1.1x and below the raw SDK loops' figure" if judged else "",
                      check=(lambda v, raw=raw: v <= 1.1 and (raw is None or v < raw)) if judged else None,
                      note=f"ideal = ceil({n}/{k}) x one call alone"
                      + (f"; raw SDK loops {raw:.2f}x in the same run" if judged and raw else ""),
                      key=f"scaling_{n}_{k}{suffix}")
                if judged and n <= k:
                    # All calls at once: what the panel adds beyond its calls (the rest is calls slowed by
                    # sharing one loop and two cores).
                    b.add("parallel scaling: wall / the run's slowest call", f"{n} equal calls at concurrency {k}",
                          who, [s["wall"] / s["call_durations"]["max"] for s in runs if s.get("call_durations")],
                          "x", note="the panel's own start and finish", key=f"scaling_{n}_{k}_vs_slowest")

    # --- memory -------------------------------------------------------------------------------------------
    memory = data.get("memory") or []
    if memory:
        traced = [s for s in memory if s["traced"]]
        untraced = [s for s in memory if not s["traced"]]
        text = spread([s["text_len"] for s in memory])[0]
        case = f"one {cfg.memory_tokens:,}-token reply ({fmt(text, 'B')} of text)"
        b.add("kernel memory: retained growth / text (tracemalloc)", case, "nbstream",
              [s["traced_retained"] / s["text_len"] for s in traced], "x", target="< 3x", check=lambda v: v < 3,
              note="after gc, the widget and result kept", key="mem_retained")
        b.add("kernel memory: peak growth / text (tracemalloc)", case, "nbstream",
              [s["traced_peak"] / s["text_len"] for s in traced], "x", target="(< 3x, if applied to the peak)",
              verdict=None, note="transient", key="mem_peak")
        b.add("kernel memory: RSS retained / text (psutil)", case, "nbstream",
              [s["rss_retained"] / s["text_len"] for s in untraced], "x", note="second opinion, no tracemalloc",
              key="mem_rss_retained")
        b.add("kernel memory: RSS peak growth / text (psutil, sampled every 10 ms)", case, "nbstream",
              [s["rss_peak"] / s["text_len"] for s in untraced], "x", key="mem_rss_peak")

    # --- call log --------------------------------------------------------------------------------------------
    if runs := pick("nbstream", big, timed=True):

        def timer(s: dict, name: str, what: str) -> float | None:
            t = (s.get("timers") or {}).get(name)
            return None if t is None else t[what]

        names = ("log_observer", "record", "commit_partial")
        on_loop = [sum((timer(s, n, "total") or 0) for n in names) * 1000 for s in runs]
        per_event = [
            (timer(s, "log_observer", "total") or 0) / max(1, timer(s, "log_observer", "calls") or 1) * 1e6
            for s in runs
        ]
        longest_wall = [max((timer(s, n, "max") or 0) for n in names) * 1000 for s in runs]
        longest_cpu = [max((timer(s, n, "cpu_max") or 0) for n in names) * 1000 for s in runs]
        b.add(
            "call log write cost: event-loop time per call",
            f"single stream @ {cfg.rate:,.0f} tok/s ({big:,} tokens)",
            "nbstream",
            on_loop,
            "ms",
            note=f"the log's observer on every event ({fmt(spread(per_event)[0], 'µs')} each) + record() + timer-fired "
            "partial-text commits; the SQLite writes themselves run on the log's thread",
            key="log_total",
        )
        b.add(
            "call log write cost: longest single call on the loop (thread CPU)",
            f"single stream @ {cfg.rate:,.0f} tok/s",
            "nbstream",
            longest_cpu,
            "ms",
            target="never blocks (< 1 ms)",
            check=lambda v: v < 1.0,
            note=f"wall time of the same: {fmt(spread(longest_wall)[0], 'ms')} [{fmt(spread(longest_wall)[1], 'ms')} – "
            f"{fmt(spread(longest_wall)[2], 'ms')}] (includes waiting for the GIL or for a CPU)",
            key="log_max",
        )
        b.add(
            "longest single widget-observer call on the loop",
            f"single stream @ {cfg.rate:,.0f} tok/s ({big:,} tokens)",
            "nbstream",
            [(timer(s, "widget_observer", "max") or 0) * 1000 for s in runs],
            "ms",
            note="the end of the stream: static copy rendered + final sync",
            key="widget_observer_max",
        )

    # --- browser ---------------------------------------------------------------------------------------------
    clicks = [s for s in data.get("browser") or [] if isinstance(s, dict) and s.get("case") == "cancel"]
    if clicks:
        values = [s["cancel_ms"] for s in clicks]
        b.add("browser: Cancel click → the widget shows cancelled", f"{len(values)} clicks, each on a streaming "
              "%%llm cell, JupyterLab", "nbstream", values, "ms",
              target="≤ 50 ms median, ≤ 100 ms worst",
              verdict="PASS" if spread(values)[0] <= 50 and max(values) <= 100 else "FAIL",
              note="page clock: button.click() → the view's data-status is cancelled (kernel round trip included); "
                   f"worst {max(values):.0f} ms", key="browser_cancel")
    panels = [s for s in data.get("browser") or [] if isinstance(s, dict) and s.get("case") == "panel"]
    if panels:
        rows = panels[0]["rows"]
        worst = max(s["whole"]["max_longtask_ms"] for s in panels)
        b.add("browser: longest main-thread task (longtask observer)", f"a {rows}-row ParallelPanel, every row "
              "streaming at once, JupyterLab", "nbstream", [s["whole"]["max_longtask_ms"] for s in panels], "ms",
              target="no task over 50 ms (every run)", verdict="PASS" if worst <= 50 else "FAIL",
              note=f"trace: longest task wall {max(s['trace']['max_wall_ms'] or 0 for s in panels):.0f} ms, "
                   f"thread CPU {max(s['trace']['max_cpu_ms'] or 0 for s in panels):.0f} ms",
              key="browser_panel_longtask")
    lab = _stream_runs(data.get("browser"))
    if isinstance(lab, list) and lab:
        case = f"{cfg.browser_tokens:,}-token Markdown reply @ {cfg.browser_rate:,.0f} tok/s, %%llm in JupyterLab"
        worst = max(s["whole"]["max_longtask_ms"] for s in lab)
        b.add("browser: longest main-thread task (longtask observer)", case, "nbstream",
              [s["whole"]["max_longtask_ms"] for s in lab], "ms", target="no task over 50 ms (every run)",
              verdict="PASS" if worst <= 50 else "FAIL",
              note="0 = no long task; the stream and 1.5 s after it", key="browser_longtask")
        b.add(
            "browser: long tasks (> 50 ms) per run",
            case,
            "nbstream",
            [s["whole"]["longtasks"] for s in lab],
            "tasks",
            key="browser_longtasks",
        )
        b.add("browser: frame rate while streaming (requestAnimationFrame)", case, "nbstream",
              [s["stream"]["fps"] for s in lab], "fps", key="browser_fps")
        b.add("browser: longest gap between animation frames", case, "nbstream",
              [s["stream"]["max_frame_gap_ms"] for s in lab], "ms", key="browser_frame_gap")
        b.add("browser: longest main-thread task, thread CPU time (Chromium trace)", case, "nbstream",
              [s["trace"]["max_cpu_ms"] for s in lab], "ms", note="excludes time waiting for a CPU",
              key="browser_trace_cpu")
    elif isinstance(lab, dict) and lab.get("skipped"):
        b.add("browser: longest main-thread task (longtask observer)", "JupyterLab", "nbstream", [], "ms",
              target="no task over 50 ms", verdict="skipped", note=lab["skipped"], key="browser_longtask")
    frontend = data.get("frontend")
    if isinstance(frontend, list):
        for n, s in enumerate(frontend):
            r = s["result"]
            args = s["args"]
            if s["page"] == "perf.html":
                label = (f"{args.get('kind', 'mixed')} {args['chars'] / 1000:.0f} kB, {args['deltaChars']} chars "
                         f"every {args['intervalMs']} ms" + (f", every {args['dropEvery']}th frame dropped"
                                                               if args.get("dropEvery") else ""))
            else:
                label = (f"panel, {args['rows']} rows, {args['frames']} frames every {args['intervalMs']} ms"
                         + (f", {args['expand']} rows expanded" if args.get("expand") else ""))
            phases = [k for k in ("stream", "finish", "lateView") if k in r]
            longest = max([max(r[k]["longTasksOver50ms"], default=0) for k in phases] + [0])
            b.add("front-end probe (bundle alone, synthetic frames): longest long task", label, "nbstream",
                  [longest], "ms", target="no task over 50 ms", verdict="PASS" if longest <= 50 else "FAIL",
                  note=f"phases {', '.join(phases)}; max frame callback {r['stream']['maxFrameMs']} ms; "
                       f"trace: longest task's thread CPU {r['trace']['max_cpu_ms']:.0f} ms",
                  key=f"frontend_{n}")

    # --- conditions: how much CPU other processes took from the kernel ------------------------------------
    groups = {
        "single streams (nbstream runs)": ("single_nbstream", [s for s in single if s["approach"] == "nbstream"]),
        "single streams (floor runs)": ("single_floor", [s for s in single if s["approach"] == "floor"]),
        f"{cfg.panel_streams} parallel streams": ("parallel", [s for s in parallel if s["kind"] != "idle"]),
        "parallel scaling": ("scaling", scaling),
        "memory": ("memory", memory),
    }
    for name, (slug, items) in groups.items():
        vals = [s.get("runq_share") for s in items if s.get("runq_share") is not None]
        if vals:
            b.add("conditions: kernel main thread runnable but waiting for a CPU", name, "kernel",
                  [v * 100 for v in vals], "%", note="/proc/<pid>/schedstat; other processes on this 2-core machine "
                  "had the CPU; wall-clock figures are inflated by it", key=f"contention_{slug}")
        cores = [s["cores"] for s in items if s.get("cores")]
        if cores:
            names = ("kernel", "simulator", "harness", "other processes")
            med = {n: spread([c.get(n) for c in cores])[0] or 0.0 for n in names}
            b.add(f"conditions: CPU cores busy (of {os.cpu_count()})", name, "machine",
                  [sum(c.get(n, 0.0) for n in names) for c in cores], "cores",
                  note=", ".join(f"{n} {med[n]:.2f}" for n in names) + " (medians)", key=f"cores_{slug}")
    return b.rows


# --- files ----------------------------------------------------------------------------------------------


def details(cfg: Config, data: dict[str, Any]) -> list[str]:
    """Raw facts behind the table, for finding causes: where the bytes go, what held the loop, ..."""
    out = ["## Details", ""]
    single = data.get("single") or []
    big = max(cfg.sizes)
    runs = [s for s in single if s["approach"] == "nbstream" and s["tokens"] == big and plain_run(s)]
    if runs:
        parts = {k: spread([s["parts"][k] for s in runs])[0] for k in runs[0]["parts"]}
        text = spread([s["text_bytes"] for s in runs])[0]
        frames = spread([s["frames"] for s in runs])[0]
        out += [
            (f"**Where nbstream's bytes go** (one {big:,}-token reply @ {cfg.rate:,.0f} tok/s, median; reply "
            f"{fmt(text, 'B')}, {frames:.0f} frames):"), "",
            "| part | bytes | x reply |", "|---|---|---|",
        ]
        labels = {
            "frames": "live frames (custom messages: delta + stats + envelope)",
            "final_state": "final state sync (the text)",
            "state": "status syncs before the end",
            "view": "the view's display_data",
            "cell": "busy/idle, execute_input",
            "esm_open": "comm_open: the _esm bundle + layout model (per widget)",
            "static_copy": "static copy (md + html + plain)",
        }
        for key, label in labels.items():
            if key in parts and parts[key] is not None:
                out.append(f"| {label} | {fmt(parts[key], 'B')} | {parts[key] / text:.2f} |")
        out.append("")
    parallel = [s for s in data.get("parallel") or [] if s.get("slow_callbacks")]
    for kind in ("nbstream", "floor"):
        found = sorted((c for s in parallel if s["kind"] == kind for c in s["slow_callbacks"]), reverse=True)[:8]
        if found:
            out += [(f"**Slowest event-loop callbacks during the parallel case ({kind}, all runs)** — wall ms / "
                    "thread CPU ms / what:"), ""]
            out += [f"- {w:.1f} / {c:.1f} — `{what}`" for w, c, what in found]
            out.append("")
    scaling = [s for s in data.get("scaling") or [] if s.get("call_phases")]
    if scaling:
        out += ["**Parallel scaling, call phases** (median over runs; seconds):", "",
                "| calls @ K | wall | mean call | mean TTFT | mean generation | longest wait for a slot | slot use |",
                "|---|---|---|---|---|---|---|"]
        for n, k in [(1, 1), *cfg.scaling]:
            items = [s for s in scaling if s["n"] == n and s["k"] == k]
            if items:
                def ph(key: str, items: list[dict] = items) -> float | None:
                    return spread([s["call_phases"].get(key) for s in items])[0]

                out.append(
                    f"| {n} @ {k} | {fmt(spread([s['wall'] for s in items])[0], 's')} | {fmt(ph('mean_duration'), 's')} | "
                    f"{fmt(ph('mean_ttft'), 's')} | {fmt(ph('mean_generation'), 's')} | {fmt(ph('max_queued'), 's')} | "
                    f"{(ph('slot_utilisation') or 0):.0%} |"
                )
        out.append("")
    lab = _stream_runs(data.get("browser"))
    if isinstance(lab, list) and lab:
        out += ["**Browser runs** (long tasks in ms; long animation frames over 100 ms with their scripts):", ""]
        for s in lab:
            out.append(
                f"- run {s['rep'] + 1}: long tasks {s['whole']['longtask_ms']}, trace top task CPU "
                f"{s['trace']['top_cpu_ms']} ms, table-of-contents items after the run: {s.get('toc_items')}"
            )
            for loaf in s["whole"]["loafs"]:
                if loaf["duration"] > 100:
                    out.append(f"  - {loaf['duration']:.0f} ms frame: {'; '.join(loaf['scripts'][:3])}")
        out.append("")
    return out


def write_markdown(path: Path, cfg: Config, rows: list[Row], meta: dict[str, Any], data: dict[str, Any]) -> None:
    lines = [
        "# nbstream benchmarks",
        "",
        (f"`{meta['command']}` — {meta['finished']}, {meta['elapsed_s'] / 60:.1f} min on {meta['machine']}. "
        f"Load average before/after: {meta['load_before']} / {meta['load_after']}."),
        "",
        ("Each figure is the **median over the runs, [min – max]** (n = runs). Verdicts are on the median, "
        "except the browser's \"no task over 50 ms\", which must hold in every run. The simulator runs in its "
        "own process; the kernel is a real ipykernel driven by jupyter_client; bytes are what jupyter_server's "
        "websocket (v1 protocol) would carry for each iopub message of the measured cell."),
        "",
        "| metric | case | who | value: median [min – max] | n | target | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        who = APPROACH_LABELS.get(r.who, r.who)
        metric = r.metric + (f"<br><sub>{r.note}</sub>" if r.note else "")
        lines.append(
            f"| {metric} | {r.case} | {who} | {fmt_spread(r)} | {r.runs} | {r.target} | "
            f"{'**' + r.verdict + '**' if r.verdict else ''} |"
        )
    lines += ["", "![overview](overview.png)", ""]
    lines += details(cfg, data)
    lines += [
        "",
        "## How it was measured",
        "",
        ("- **nbstream**: `await StreamWidget(prompt).display()` in a cell (the browser part: a `%%llm` cell), "
        "the call log on (`NBSTREAM_LOG` = a temp file). An observer placed first on the run records when the SDK "
        "hands over each text delta (the floors record the same). In separate runs (\"observers timed\") every "
        "observer and the call log's code on the loop are also timed: those timers cost two clock reads per "
        "event, so the CPU figures come from the runs without them."),
        ("- **1. print loop**: `async with client.messages.stream(...) as s: async for text in s.text_stream: "
        "print(text, end=\"\", flush=True)`."),
        ("- **2. Markdown re-render**: `handle = display(Markdown(\"\"), display_id=True)`, then "
        "`handle.update(Markdown(text))` with the whole text on every delta."),
        "- **3. ipywidgets**: a `Textarea` whose `value` is set to the whole text on every delta.",
        ("- **4. floor**: `client.messages.create(..., stream=True)`, the text deltas appended to a list, nothing "
        "displayed. (The SDK's `messages.stream` helper that 1-3 use, collecting only, is shown apart.)"),
        ("- **CPU**: `time.process_time()` of the kernel (all its threads: main, iopub, the log writer) from the "
        "cell before the measured cell to the cell after it (the call log flushed first)."),
        ("- **Added TTFT**: the first frame's header date minus the probe's first-delta time (both `time.time()` "
        "in the kernel). For 1-3: first delta out of `text_stream` to the first stream / update_display_data / "
        "comm_msg."),
        ("- **Keeping up**: the simulator's write of the last token (its `ended_at`, `time.monotonic()`) to the "
        "header date of the last frame, converted to the same monotonic clock."),
        ("- **Messages/s**: the most messages in any 1-second window (kernel dates), counting what jupyter_server's "
        "iopub rate limiter counts (everything but status, comm_open, execute_input)."),
        ("- **Event-loop lag**: `await asyncio.sleep(0.01)` in a loop in a second cell while the panel (started "
        "with `.display()` in the cell before) streams; lateness of each wake-up."),
        ("- **Parallel scaling**: `ParallelPanel(prompts, concurrency=K).display()` awaited; ideal = "
        "ceil(N/K) x the same call alone (a 1-row panel, median of the runs). The floor: the same calls as raw "
        "SDK loops behind an `asyncio.Semaphore(K)`, against its own single call. Each many-call run starts after "
        f"{cfg.scaling_cold_wait:g} s of quiet, with no pooled connections, as a cell's first run does."),
        ("- **Memory**: tracemalloc started just before `await StreamWidget(...).display()`; retained = traced "
        "memory after `gc.collect()` with the widget and result still referenced; RSS from psutil in a run "
        "without tracemalloc, sampled every 10 ms."),
        ("- **Browser**: JupyterLab (tests/browser/lab.py) in headless Debian Chromium; a `longtask` "
        "PerformanceObserver and a requestAnimationFrame counter installed before the page loads; window = "
        "from running the cell until 1.5 s after it finished. A Chromium trace of the same window gives each "
        "main-thread task's thread CPU time."),
        "",
        "## Environment",
        "",
        "```",
        json.dumps({k: meta[k] for k in ("versions", "git", "bundle", "cpus", "machine")}, indent=1),
        "```",
        "",
    ]
    path.write_text("\n".join(lines))


def write_json(path: Path, cfg: Config, rows: list[Row], meta: dict[str, Any], data: dict[str, Any]) -> None:
    payload = {"meta": meta, "config": cfg.as_dict(), "rows": [asdict(r) for r in rows], "samples": data}
    path.write_text(json.dumps(payload, indent=1, default=str))


def write_plots(path: Path, cfg: Config, rows: list[Row], data: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    single = data.get("single") or []
    fig, axes = plt.subplots(3, 3, figsize=(18, 14))
    colors = {"nbstream": "#1f77b4", "print": "#ff7f0e", "markdown": "#d62728", "ipywidgets": "#9467bd",
              "floor": "#2ca02c", "helper_floor": "#8c564b", "nbstream_httpx": "#17becf", "floor_aiohttp": "#bcbd22"}
    short = {"nbstream": "nbstream", "print": "1 print", "markdown": "2 Markdown", "ipywidgets": "3 ipywidgets",
             "floor": "4 floor", "helper_floor": "SDK helper", "nbstream_httpx": "nbstream\n(httpx)",
             "floor_aiohttp": "4b floor\n(aiohttp)"}

    def bars(ax: Any, key: str, tokens_list: tuple[int, ...], approaches: tuple[str, ...], scale: float = 1.0) -> None:
        width = 0.8 / max(1, len(tokens_list))
        for j, tokens in enumerate(tokens_list):
            meds, lows, highs = [], [], []
            for a in approaches:
                vals = [s.get(key) for s in single if s["approach"] == a and s["tokens"] == tokens
                        and s["rate"] == cfg.rate and plain_run(s)]
                med, lo, hi, _ = spread(vals)
                meds.append((med or 0) * scale)
                lows.append(((med or 0) - (lo or 0)) * scale)
                highs.append(((hi or 0) - (med or 0)) * scale)
            xs = [i + j * width for i in range(len(approaches))]
            ax.bar(xs, meds, width, yerr=[lows, highs], capsize=3,
                   color=[colors[a] for a in approaches], alpha=1.0 if j else 0.55, edgecolor="black")
        ax.set_xticks([i + width * (len(tokens_list) - 1) / 2 for i in range(len(approaches))])
        ax.set_xticklabels([short[a] for a in approaches], rotation=20)

    if single:
        ax = axes[0, 0]
        bars(ax, "bytes", cfg.sizes, ("nbstream", "print", "markdown", "ipywidgets"))
        ax.set_yscale("log")
        ax.set_title(
            f"bytes to the frontend per reply (whole cell)\nlight: {min(cfg.sizes):,}, dark: {max(cfg.sizes):,} tokens"
        )
        ax.set_ylabel("bytes (log)")
        ax = axes[0, 1]
        bars(ax, "cpu_per_token_us", (max(cfg.sizes),), APPROACHES)
        ax.set_title(f"kernel CPU per token, {max(cfg.sizes):,} tokens @ {cfg.rate:,.0f} tok/s")
        ax.set_ylabel("µs per token")
        floor = spread(
            [s["cpu_per_token_us"] for s in single if s["approach"] == "floor" and s["tokens"] == max(cfg.sizes)]
        )[0]
        if floor:
            ax.axhline(1.5 * floor, color="green", ls="--", label="1.5x floor (target)")
            ax.legend()
        ax = axes[0, 2]
        bars(ax, "peak_msgs_per_s", (max(cfg.sizes),), ("nbstream", "print", "markdown", "ipywidgets"))
        ax.set_yscale("log")
        ax.axhline(SERVER_LIMIT, color="red", ls="--", label="server drops above 1,000/s")
        ax.axhline(20, color="green", ls="--", label="~20/s target")
        ax.legend(loc="center right", fontsize=8)
        ax.set_title(f"iopub messages/s, peak 1 s window, one stream @ {cfg.rate:,.0f} tok/s")

        ax = axes[1, 0]
        points = {}
        for s in single:
            if s["approach"] == "nbstream" and s.get("traffic_ratio") is not None:
                points.setdefault(s["rate"], []).append(s["traffic_ratio"])
        xs = sorted(points)
        meds = [spread(points[x])[0] for x in xs]
        ax.errorbar(
            xs,
            meds,
            yerr=[[m - min(points[x]) for m, x in zip(meds, xs, strict=True)], [max(points[x]) - m for m, x in zip(meds, xs, strict=True)]],
            marker="o",
            capsize=3,
        )
        ax.axhline(2.5, color="green", ls="--", label="2.5x target")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xticks(xs)
        ax.set_xticklabels([f"{x:,.0f}" for x in xs])
        ax.minorticks_off()
        ax.set_xlabel("token rate (tok/s)")
        ax.set_ylabel("widget traffic / reply bytes")
        ax.set_title("nbstream: bytes per reply byte vs token rate\n(_esm and static copy excluded)")
        ax.legend()

    parallel = data.get("parallel") or []
    if parallel:
        ax = axes[1, 1]
        groups = [
            (k, [x * 1000 for s in parallel if s["kind"] == k for x in s["lags"]])
            for k in ("idle", "floor", "nbstream")
        ]
        groups = [(k, v) for k, v in groups if v]
        ax.boxplot([v for _, v in groups], whis=(1, 99), showfliers=True)
        ax.set_xticks(range(1, len(groups) + 1))
        ax.set_xticklabels(
            [
                {"idle": "idle kernel", "floor": f"{cfg.panel_streams} raw SDK loops", "nbstream": "ParallelPanel"}[k]
                for k, _ in groups
            ]
        )
        ax.axhline(20, color="green", ls="--", label="p99 target 20 ms")
        ax.set_yscale("symlog", linthresh=1)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("ms late (whiskers: p1-p99)")
        ax.set_title(f"event-loop lag, {cfg.panel_streams} streams @ {cfg.panel_rate:g} tok/s")
        ax.legend()

    scaling = data.get("scaling") or []
    if scaling:
        ax = axes[1, 2]

        def wall(who: str, n: int, k: int) -> float:
            vals = [s["wall"] for s in scaling if s.get("approach", "nbstream") == who and s["n"] == n and s["k"] == k]
            return spread(vals)[0] or 0

        labels = [f"{n} @ K={k}" for n, k in cfg.scaling]
        ideals = [math.ceil(n / k) * wall("nbstream", 1, 1) for n, k in cfg.scaling]
        xs = range(len(labels))
        ax.bar([x - 0.27 for x in xs], ideals, 0.27, label="ideal", color="#cccccc", edgecolor="black")
        ax.bar(list(xs), [wall("nbstream", n, k) for n, k in cfg.scaling], 0.27, label="ParallelPanel",
               color=colors["nbstream"], edgecolor="black")
        ax.bar([x + 0.27 for x in xs], [wall("floor", n, k) for n, k in cfg.scaling], 0.27, label="raw SDK loops",
               color=colors["floor"], edgecolor="black")
        ax.set_xticks(list(xs))
        ax.set_xticklabels(labels)
        ax.set_ylabel("wall time (s)")
        ax.set_title("parallel scaling (ParallelPanel)")
        ax.legend()

    memory = data.get("memory") or []
    if memory:
        ax = axes[2, 0]
        traced = [s for s in memory if s["traced"]]
        untraced = [s for s in memory if not s["traced"]]
        names = ["retained\n(tracemalloc)", "peak\n(tracemalloc)", "RSS retained", "RSS peak"]
        vals = [
            [s["traced_retained"] / s["text_len"] for s in traced], [s["traced_peak"] / s["text_len"] for s in traced],
            [s["rss_retained"] / s["text_len"] for s in untraced], [s["rss_peak"] / s["text_len"] for s in untraced],
        ]
        meds = [spread(v)[0] or 0 for v in vals]
        ax.bar(
            names,
            meds,
            yerr=[[m - min(v or [m]) for m, v in zip(meds, vals, strict=True)], [max(v or [m]) - m for m, v in zip(meds, vals, strict=True)]],
            capsize=3,
            color=colors["nbstream"],
            edgecolor="black",
        )
        ax.axhline(3, color="green", ls="--", label="3x target (retained)")
        ax.set_ylabel("x the reply's text")
        ax.set_title(f"kernel memory, one {cfg.memory_tokens:,}-token reply")
        ax.legend()

    if single:
        ax = axes[2, 1]
        data_ttft = []
        names = []
        for a in ("nbstream", "print", "markdown", "ipywidgets"):
            vals = [s["added_ttft_ms"] for s in single if s["approach"] == a and s.get("added_ttft_ms") is not None]
            if vals:
                data_ttft.append(vals)
                names.append(short[a])
        ax.boxplot(data_ttft)
        ax.set_xticks(range(1, len(names) + 1))
        ax.set_xticklabels(names)
        ax.axhline(2, color="green", ls="--", label="2 ms target")
        ax.set_yscale("log")
        ax.set_ylabel("ms")
        ax.set_title("added time to first token")
        ax.legend()

    lab = _stream_runs(data.get("browser"))
    ax = axes[2, 2]
    if isinstance(lab, list) and lab:
        for s in lab:
            ax.scatter([s["stream"]["fps"]], [s["whole"]["max_longtask_ms"]], color=colors["nbstream"], s=60)
            ax.scatter([s["stream"]["fps"]], [s["trace"]["max_cpu_ms"]], color="#aaaaaa", marker="x", s=60)
        ax.axhline(50, color="red", ls="--", label="50 ms (long task)")
        ax.scatter([], [], color=colors["nbstream"], label="longest task (longtask observer, wall)")
        ax.scatter([], [], color="#aaaaaa", marker="x", label="longest task (trace, thread CPU)")
        ax.set_xlabel("frames per second while streaming")
        ax.set_ylabel("ms")
        ax.set_title(f"JupyterLab + Chromium: {cfg.browser_tokens:,}-token reply, per run")
        ax.legend()
    else:
        ax.set_axis_off()
        ax.text(0.5, 0.5, "browser part skipped", ha="center", va="center")
    fig.suptitle("nbstream benchmarks (median, error bars min–max over runs)", fontsize=14)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
