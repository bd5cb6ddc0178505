"""The kernel-side cases: each drives a real kernel through jupyter_client and returns raw samples.

A measured cell is always framed by ``probe.begin()`` before and ``probe.end()`` after (CPU and clocks
read in the kernel); every iopub message whose parent is the measured cell is counted.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import psutil

from ._config import APPROACHES, NAIVE, Config
from ._kernel import NOT_RATE_LIMITED, BenchKernel, Execution, Message
from ._sim import SimulatorProcess

Progress = Callable[[str], None]


def directive(tokens: int, rate: float, ttft: float) -> str:
    return f"[[sim: tokens={tokens} rate={rate:g} ttft={ttft:g}]]"


def start_kernel(sim: SimulatorProcess, log_dir: str) -> BenchKernel:
    kernel = BenchKernel({
        "ANTHROPIC_BASE_URL": sim.base_url,
        "ANTHROPIC_API_KEY": "sk-bench-not-a-key",
        "NBSTREAM_LOG": str(Path(log_dir) / "calls.sqlite3"),  # the call log stays on: it is part of the product
    })
    kernel.run("%load_ext nbstream\nfrom benchmarks import probe")
    return kernel


# --- reading a cell's messages -------------------------------------------------------------------


def limited(messages: Iterable[Message]) -> list[Message]:
    """The messages jupyter_server's iopub rate limiter counts."""
    return [m for m in messages if m.msg_type not in NOT_RATE_LIMITED]


def peak_per_second(messages: list[Message], window: float = 1.0) -> int:
    """The most messages made (kernel clock) within any ``window`` seconds."""
    dates = sorted(m.date for m in messages)
    best, lo = 0, 0
    for hi, t in enumerate(dates):
        while t - dates[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def mean_per_second(messages: list[Message]) -> float | None:
    if len(messages) < 2:
        return None
    span = max(m.date for m in messages) - min(m.date for m in messages)
    return len(messages) / span if span > 0 else None


def outgoing(approach: str, messages: list[Message], after: float | None) -> list[Message]:
    """The messages that carry text to the frontend, for each approach."""
    if approach in ("nbstream", "nbstream_httpx"):
        return [m for m in messages if m.msg_type == "comm_msg" and m.method == "custom"]
    if approach == "print":
        return [m for m in messages if m.msg_type == "stream"]
    if approach == "markdown":
        return [m for m in messages if m.msg_type == "update_display_data"]
    if approach == "ipywidgets":
        return [m for m in messages if m.msg_type == "comm_msg" and (after is None or m.date >= after - 0.001)]
    return []


def nbstream_breakdown(messages: list[Message]) -> dict[str, int]:
    """Bytes of a StreamWidget cell by what they carry."""
    parts = {"esm_open": 0, "static_copy": 0, "frames": 0, "final_state": 0, "state": 0, "view": 0, "cell": 0}
    for m in messages:
        if m.msg_type == "comm_open":
            parts["esm_open"] += m.size  # the widget's model (with the _esm bundle) and its layout model
        elif m.msg_type in ("display_data", "update_display_data"):  # the copy takes the view's place
            raw = m.content_raw or m.head
            parts["view" if b"widget-view+json" in raw else "static_copy"] += m.size
        elif m.msg_type == "comm_msg" and m.method == "custom":
            parts["frames"] += m.size
        elif m.msg_type == "comm_msg":
            state = m.content()["data"].get("state", {}) if m.content_raw is not None else {}
            parts["final_state" if state.get("text") else "state"] += m.size
        else:
            parts["cell"] += m.size  # status busy/idle, execute_input
    return parts


def sim_record(sim: SimulatorProcess, prompt: str) -> dict[str, Any] | None:
    for record in reversed(sim.requests()):
        body = record.get("body") or {}
        messages = body.get("messages") or []
        if messages and messages[0].get("content") == prompt:
            return record
    return None


class Contention:
    """What else used the machine during a section: how long the kernel's main thread waited for a CPU
    (runnable, but other processes had the CPUs), and how many cores each process used."""

    def __init__(self, kernel: BenchKernel, sim_pid: int | None = None) -> None:
        self.kernel = kernel
        self.procs = {"kernel": _proc(kernel.pid), "simulator": _proc(sim_pid), "harness": _proc(os.getpid())}
        self.start = kernel.schedstat()
        self.cpu0 = {name: _cpu(p) for name, p in self.procs.items()}
        self.machine0 = _busy()
        self.t0 = time.monotonic()

    def result(self) -> dict[str, float]:
        end = self.kernel.schedstat()
        wall = time.monotonic() - self.t0
        if self.start is None or end is None or wall <= 0:
            return {}
        wait = end[1] - self.start[1]
        out = {"runq_wait_s": wait, "runq_share": wait / wall, "main_cpu_share": (end[0] - self.start[0]) / wall}
        cores = {name: (_cpu(p) - self.cpu0[name]) / wall for name, p in self.procs.items() if p is not None}
        busy = (_busy() - self.machine0) / wall
        cores["other processes"] = max(0.0, busy - sum(cores.values()))
        out["cores"] = cores
        return out


def _proc(pid: int | None) -> Any:
    try:
        return psutil.Process(pid) if pid else None
    except psutil.Error:
        return None


def _cpu(process: Any) -> float:
    try:
        times = process.cpu_times()
        return times.user + times.system
    except (psutil.Error, AttributeError):
        return 0.0


def _busy() -> float:
    """CPU seconds the whole machine spent busy (all CPUs), so far."""
    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def run_measured(
    kernel: BenchKernel, code: str, *, info: dict[str, Any], timeout: float = 600, sim_pid: int | None = None
) -> tuple[Execution, dict]:
    kernel.run(f"probe.begin(**{info!r})")
    contention = Contention(kernel, sim_pid)
    execution = kernel.run(code, timeout=timeout)
    waited = contention.result()
    result = kernel.bench("probe.end()")
    result.update(waited)
    return execution, result


# --- 1. single streams: nbstream against the four other ways ----------------------------------------


def single_stream(
    kernel: BenchKernel, sim: SimulatorProcess, approach: str, tokens: int, rate: float, ttft: float, tag: str,
    *, timed: bool = False,
) -> dict[str, Any]:
    prompt = f"Benchmark {tag}: {approach}, {tokens} tokens. {directive(tokens, rate, ttft)}"
    max_tokens = tokens + 100
    if approach in ("nbstream", "nbstream_httpx"):
        transport = "httpx" if approach == "nbstream_httpx" else "aiohttp"
        code = f"await probe.nbstream_widget({prompt!r}, {max_tokens}, transport={transport!r}, timed={timed!r})"
    else:
        code = f"await probe.approach({approach!r}, {prompt!r}, {max_tokens})"
    t0 = time.monotonic()
    execution, r = run_measured(kernel, code, info={"approach": approach}, sim_pid=sim.pid)
    wall = time.monotonic() - t0
    messages = execution.messages
    kernel.forget(execution)
    record = sim_record(sim, prompt) or {}
    sim.reset()
    offset = r["clock"]["wall"] - r["clock"]["mono"]  # kernel wall clock minus the (system-wide) monotonic clock
    sim_first = record.get("first_token_at")
    sim_last = record.get("ended_at")
    out_msgs = outgoing(approach, messages, r.get("first_delta"))
    sample: dict[str, Any] = {
        "approach": approach, "tokens": tokens, "rate": rate, "tag": tag, "timed": timed, "wall": wall,
        "text_bytes": r.get("text_len"), "deltas": r.get("deltas"), "cpu": r["cpu"],
        "cpu_per_token_us": r["cpu"] / tokens * 1e6,
        "msgs": len(messages), "bytes": sum(m.size for m in messages),
        "limited_msgs": len(limited(messages)),
        "peak_msgs_per_s": peak_per_second(limited(messages)),
        "mean_msgs_per_s": mean_per_second(limited(messages)),
        "sim_tokens_sent": record.get("tokens_sent"),
        "runq_share": r.get("runq_share"), "main_cpu_share": r.get("main_cpu_share"), "cores": r.get("cores"),
    }
    if r.get("first_delta") and sim_first:
        sample["sdk_first_ms"] = (r["first_delta"] - (sim_first + offset)) * 1000
    if r.get("last_delta") and sim_last:
        sample["sdk_last_ms"] = (r["last_delta"] - (sim_last + offset)) * 1000
    if out_msgs and r.get("first_delta"):
        first_out = min(out_msgs, key=lambda m: m.date)
        last_out = max(out_msgs, key=lambda m: m.date)
        sample["added_ttft_ms"] = (first_out.date - r["first_delta"]) * 1000
        # the same, up to when our iopub socket received it (same machine clock): serialised, signed, sent
        sample["added_ttft_recv_ms"] = (first_out.recv - r["first_delta"]) * 1000
        sample["last_out_after_sdk_ms"] = (last_out.date - r["last_delta"]) * 1000
        if sim_last:
            sample["last_token_ms"] = (last_out.date - (sim_last + offset)) * 1000
            sample["last_token_recv_ms"] = (last_out.recv - (sim_last + offset)) * 1000
    elif approach in ("floor", "floor_aiohttp", "helper_floor") and sim_last and r.get("last_delta"):
        sample["last_token_ms"] = (r["last_delta"] - (sim_last + offset)) * 1000  # collected, nothing sent
    if approach in ("nbstream", "nbstream_httpx"):
        parts = nbstream_breakdown(messages)
        sample["parts"] = parts
        sample["widget_traffic"] = sample["bytes"] - parts["esm_open"] - parts["static_copy"]
        sample["frames"] = sum(1 for m in messages if m.msg_type == "comm_msg" and m.method == "custom")
        sample["timers"] = r.get("timers")
        sample["status"] = r.get("status")
        widget = [m for m in messages if m.comm_id == r.get("comm_id") or m.msg_type == "display_data"]
        sample["widget_peak_msgs_per_s"] = peak_per_second(limited(widget))
    if sample["text_bytes"]:
        sample["bytes_ratio"] = sample["bytes"] / sample["text_bytes"]
        if "widget_traffic" in sample:
            sample["traffic_ratio"] = sample["widget_traffic"] / sample["text_bytes"]
    return sample


def run_single(cfg: Config, sim: SimulatorProcess, progress: Progress, log_dir: str) -> list[dict[str, Any]]:
    kernel = start_kernel(sim, log_dir)
    samples: list[dict[str, Any]] = []
    try:
        progress("single streams: warming up every approach (imports, connections)")
        for approach in APPROACHES:
            single_stream(kernel, sim, approach, 200, cfg.rate, cfg.ttft, "warm-up")
        total = cfg.runs * len(cfg.sizes) * (len(APPROACHES) - len(NAIVE)) + cfg.naive_runs * len(cfg.sizes) * len(
            NAIVE
        )
        total += min(cfg.runs, cfg.slow_runs) * (len(cfg.slow_cases) + 1)
        done = 0
        for rep in range(cfg.runs):
            for tokens in cfg.sizes:
                for approach in APPROACHES:
                    if approach in NAIVE and rep >= cfg.naive_runs:
                        continue
                    sample = single_stream(kernel, sim, approach, tokens, cfg.rate, cfg.ttft, f"rep {rep}")
                    sample["rep"] = rep
                    samples.append(sample)
                    done += 1
                    progress(
                        f"single streams [{done}/{total}] {approach:12s} {tokens:>6} tokens @ {cfg.rate:g}/s: "
                        f"{sample['wall']:.1f} s, CPU {sample['cpu']:.2f} s, {sample['msgs']} msgs, "
                        f"{sample['bytes'] / 1e6:.2f} MB"
                    )
            for tokens, rate in cfg.slow_cases if rep < cfg.slow_runs else ():
                sample = single_stream(kernel, sim, "nbstream", tokens, rate, cfg.ttft, f"slow rep {rep}")
                sample["rep"], sample["slow"] = rep, True
                samples.append(sample)
                done += 1
                progress(
                    f"single streams [{done}/{total}] nbstream     {tokens:>6} tokens @ {rate:g}/s: "
                    f"{sample['wall']:.1f} s, traffic {sample.get('traffic_ratio', 0):.2f} x the reply"
                )
            if rep < cfg.slow_runs:  # the timers on the loop: runs of their own, their CPU not counted above
                big = max(cfg.sizes)
                sample = single_stream(kernel, sim, "nbstream", big, cfg.rate, cfg.ttft, f"timed rep {rep}", timed=True)
                sample["rep"] = rep
                samples.append(sample)
                done += 1
                progress(f"single streams [{done}/{total}] nbstream     {big:>6} tokens, observers timed")
    finally:
        kernel.shutdown()
    return samples


# --- 2. fifty parallel streams, a ticker in another cell ---------------------------------------------


def run_parallel(cfg: Config, sim: SimulatorProcess, progress: Progress, log_dir: str) -> list[dict[str, Any]]:
    kernel = start_kernel(sim, log_dir)
    samples: list[dict[str, Any]] = []
    n, tokens, rate = cfg.panel_streams, cfg.panel_tokens, cfg.panel_rate
    interval = cfg.ticker_interval
    try:
        # warm-up: a small panel and the floor loops (imports, connection pool)
        prompts = [f"warm-up {i} {directive(20, 2000, 0.01)}" for i in range(min(n, 10))]
        kernel.run(f"await probe.panel_run({prompts!r}, {len(prompts)}, 200)")
        kernel.run(f"probe.floor_start({prompts!r}, 200)\nawait probe.floor_wait()")
        for rep in range(cfg.parallel_runs):
            # idle: the ticker alone
            kernel.run("probe.begin()")
            contention = Contention(kernel, sim.pid)
            kernel.run(f"await probe.ticker({str(cfg.idle_ticker_seconds)!r}, {interval})")
            waited = contention.result()
            r = kernel.bench("probe.end()")
            samples.append({"kind": "idle", "rep": rep, "lags": r["lags"], **waited})
            for kind in ("nbstream", "floor"):
                prompts = [f"Parallel {kind} rep {rep} row {i}. {directive(tokens, rate, cfg.ttft)}" for i in range(n)]
                kernel.run("probe.begin()\nprobe.trace_slow_callbacks(0.005)")
                contention = Contention(kernel, sim.pid)
                if kind == "nbstream":
                    started = kernel.run(f"probe.panel_start({prompts!r}, {n}, {tokens + 100})")
                    ticker = kernel.run(f"await probe.ticker('panel', {interval})", timeout=600)
                    finished = kernel.run("await probe.panel_wait()", timeout=600)
                else:
                    started = kernel.run(f"probe.floor_start({prompts!r}, {tokens + 100})")
                    ticker = kernel.run(f"await probe.ticker('floor', {interval})", timeout=600)
                    finished = kernel.run("await probe.floor_wait()", timeout=600)
                waited = contention.result()
                kernel.run("probe.untrace_slow_callbacks()")
                r = kernel.bench("probe.end()")
                messages = started.messages + finished.messages
                for e in (started, ticker, finished):
                    kernel.forget(e)
                sim.reset()
                sample = {
                    "kind": kind, "rep": rep, "lags": r["lags"], "cpu": r["cpu"],
                    "cpu_per_token_us": r["cpu"] / (n * tokens) * 1e6,
                    "ticker_msgs": len(ticker.messages),
                    "msgs": len(messages), "bytes": sum(m.size for m in messages),
                    "peak_msgs_per_s": peak_per_second(limited(messages)),
                    "mean_msgs_per_s": mean_per_second(limited(messages)),
                    "wall": r.get("panel_wall") or r.get("floor_wall"),
                    "statuses": r.get("panel_statuses"), "timers": r.get("timers"), **waited,
                    "slow_callbacks": r.get("slow_callbacks"), "slow_callback_count": r.get("slow_callback_count"),
                }
                if kind == "nbstream":
                    comm = r.get("panel_comm_id")
                    panel_msgs = [m for m in messages if m.comm_id == comm]
                    sample["panel_peak_msgs_per_s"] = peak_per_second(limited(panel_msgs))
                    sample["orphans"] = len(kernel.orphans)
                samples.append(sample)
                lags = sorted(r["lags"])
                progress(
                    f"parallel [{rep + 1}/{cfg.parallel_runs}] {kind:8s} {n} x {tokens} tokens @ {rate:g}/s: "
                    f"{sample['wall']:.1f} s, loop lag p99 {percentile(lags, 99) * 1000:.1f} ms, "
                    f"max {lags[-1] * 1000:.1f} ms, peak {sample['peak_msgs_per_s']} msgs/s"
                )
    finally:
        kernel.shutdown()
    return samples


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * p / 100
    lo, hi = math.floor(rank), math.ceil(rank)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo)


# --- 3. parallel scaling ------------------------------------------------------------------------


def run_scaling(cfg: Config, sim: SimulatorProcess, progress: Progress, log_dir: str) -> list[dict[str, Any]]:
    kernel = start_kernel(sim, log_dir)
    samples: list[dict[str, Any]] = []
    d = directive(cfg.scaling_tokens, cfg.scaling_rate, cfg.scaling_ttft)
    max_tokens = cfg.scaling_tokens + 100

    def measured(runner: str, prompts: list[str], k: int) -> dict[str, Any]:
        """``probe.<runner>`` awaited in a cell; a many-call run starts with no pooled connections."""
        time.sleep(cfg.scaling_cold_wait if len(prompts) > 1 else 0)
        _, r = run_measured(
            kernel, f"await probe.{runner}({prompts!r}, {k}, {max_tokens})", info={}, timeout=600, sim_pid=sim.pid
        )
        sim.reset()
        return r

    def panel(prompts: list[str], k: int) -> dict[str, Any]:
        return measured("panel_run", prompts, k)

    def floor(prompts: list[str], k: int) -> float:
        return measured("floor_run", prompts, k)["floor_wall"]

    try:
        panel([f"warm-up {i} {d}" for i in range(5)], 5)
        for rep in range(cfg.scaling_runs):
            r = panel([f"Scaling rep {rep} single. {d}"], 1)
            samples.append({
                "n": 1, "k": 1, "rep": rep, "wall": r["panel_wall"], "statuses": r["panel_statuses"],
                "runq_share": r.get("runq_share"), "call_phases": r.get("call_phases"), "cores": r.get("cores"),
            })
            progress(f"scaling [{rep + 1}/{cfg.scaling_runs}] 1 call alone: {r['panel_wall']:.2f} s")
            wall = floor([f"Scaling rep {rep} floor single. {d}"], 1)
            samples.append({"n": 1, "k": 1, "rep": rep, "wall": wall, "approach": "floor"})
            for n, k in cfg.scaling:
                r = panel([f"Scaling rep {rep} n {n} k {k} row {i}. {d}" for i in range(n)], k)
                samples.append({
                    "n": n, "k": k, "rep": rep, "wall": r["panel_wall"], "statuses": r["panel_statuses"],
                    "call_durations": r.get("call_durations"), "cpu": r["cpu"], "runq_share": r.get("runq_share"),
                    "call_phases": r.get("call_phases"), "cores": r.get("cores"),
                })
                # the same calls through the raw SDK: what its HTTP stack itself reaches on this machine
                wall = floor([f"Scaling rep {rep} floor n {n} k {k} row {i}. {d}" for i in range(n)], k)
                samples.append({"n": n, "k": k, "rep": rep, "wall": wall, "approach": "floor"})
                progress(
                    f"scaling [{rep + 1}/{cfg.scaling_runs}] {n} calls at concurrency {k}: {r['panel_wall']:.2f} s "
                    f"(raw SDK loops: {wall:.2f} s)"
                )
    finally:
        kernel.shutdown()
    return samples


# --- 4. memory ------------------------------------------------------------------------------------


def run_memory(cfg: Config, sim: SimulatorProcess, progress: Progress, log_dir: str) -> list[dict[str, Any]]:
    kernel = start_kernel(sim, log_dir)
    samples: list[dict[str, Any]] = []
    tokens, rate = cfg.memory_tokens, cfg.memory_rate
    try:
        # warm-up: everything a reply imports and caches (markdown-it, nh3, the SDK's models) is loaded once
        kernel.run(f"await probe.nbstream_widget('warm-up {directive(2000, 20000, 0.01)}', 2100)")
        for rep in range(cfg.memory_runs):
            for traced in (True, False):
                prompt = f"Memory rep {rep} traced {traced}. {directive(tokens, rate, cfg.ttft)}"
                t0 = time.monotonic()
                _, r = run_measured(
                    kernel, f"await probe.memory({prompt!r}, {tokens + 100}, {traced})", info={}, timeout=900,
                    sim_pid=sim.pid,
                )
                sim.reset()
                sample = {"rep": rep, "traced": traced, "wall": time.monotonic() - t0, **{
                    k: r.get(k) for k in (
                        "traced_retained", "traced_peak", "rss_retained", "rss_peak", "text_len", "status",
                        "output_tokens", "cpu", "runq_share", "cores",
                    )
                }}
                samples.append(sample)
                what = (
                    f"tracemalloc retained {sample['traced_retained'] / 1e6:.2f} MB, peak {sample['traced_peak'] / 1e6:.2f} MB"
                    if traced
                    else f"RSS retained {sample['rss_retained'] / 1e6:.2f} MB, peak {sample['rss_peak'] / 1e6:.2f} MB"
                )
                progress(
                    f"memory [{rep + 1}/{cfg.memory_runs}] {tokens} tokens ({sample['text_len'] / 1e6:.2f} MB of text): "
                    f"{what} ({sample['wall']:.1f} s)"
                )
    finally:
        kernel.shutdown()
    return samples


def new_log_dir() -> str:
    return tempfile.mkdtemp(prefix="nbstream-bench-log-")
