"""Code the benchmark runs INSIDE the measured kernel (imported there as ``benchmarks.probe``).

The four ways of streaming a reply that nbstream is measured against are written here the way a user
writes them in a cell (they are called from cells; a module function runs exactly like cell code), plus
the instrumentation: CPU and clocks around a cell, an observer placed first on a run to see when the SDK
hands over each delta, timers around the call log's code, an event-loop ticker, tracemalloc and RSS.

Every result goes back to the benchmark as one ``BENCH:{json}`` line on stdout.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import threading
import time
import tracemalloc
from typing import Any, Self

MODEL = "claude-haiku-5-5"
state: dict[str, Any] = {}


def emit(payload: dict[str, Any]) -> None:
    print("BENCH:" + json.dumps(payload, default=str), flush=True)


def clock_pair() -> dict[str, float]:
    """time.time() and time.monotonic() read together: converts kernel wall-clock dates to monotonic."""
    a = time.time()
    m = time.monotonic()
    b = time.time()
    return {"wall": (a + b) / 2, "mono": m}


# --- around a measured cell ----------------------------------------------------------------------


def begin(**info: Any) -> None:
    """Run in the cell before the measured one: a clean slate and the start of the CPU clock."""
    gc.collect()
    state.clear()
    state.update(info)
    state["deltas"] = 0
    state["first_delta"] = state["last_delta"] = None
    state["cpu0"] = time.process_time()  # every thread of the kernel: main, iopub, the log writer
    state["wall0"] = time.time()


def end(**extra: Any) -> None:
    """Run in the cell after the measured one: the call log flushed (its work is the call's), then CPU."""
    _flush_log()
    cpu = time.process_time() - state["cpu0"]
    out = {k: v for k, v in state.items() if k not in ("cpu0", "widget", "panel", "client", "keep", "floor_tasks")}
    out.update(cpu=cpu, clock=clock_pair(), **extra)
    emit(out)


def _flush_log() -> None:
    try:
        from nbstream._log import current_log
    except ImportError:
        return
    log = current_log()
    if log is not None:
        log.flush()


def _delta_seen() -> None:
    now = time.time()
    if state.get("first_delta") is None:
        state["first_delta"] = now
    state["last_delta"] = now
    state["deltas"] = state.get("deltas", 0) + 1


# --- the four other ways ------------------------------------------------------------------------


_clients: dict[tuple[int, str], Any] = {}


def _client(transport: str = "httpx") -> Any:
    """One client per event loop and transport, kept across cells, as a notebook user keeps theirs (pooled
    connections). httpx: the SDK's default transport; aiohttp: ``anthropic[aiohttp]``'s, nbstream's default."""
    import anthropic

    key = (id(asyncio.get_running_loop()), transport)
    if key not in _clients:
        extra = {"http_client": anthropic.DefaultAioHttpClient()} if transport == "aiohttp" else {}
        _clients[key] = anthropic.AsyncAnthropic(max_retries=0, **extra)
    return _clients[key]


async def print_loop(prompt: str, max_tokens: int) -> None:
    """1. The SDK docs' loop: print every text delta with flush=True."""
    client = _client()
    parts: list[str] = []
    async with client.messages.stream(
        model=MODEL, max_tokens=max_tokens, messages=[{"role": "user", "content": prompt}]
    ) as stream:
        async for text in stream.text_stream:
            _delta_seen()
            print(text, end="", flush=True)
            parts.append(text)  # (only to check the reply's size afterwards)
    state["text_len"] = len("".join(parts).encode())


async def markdown_loop(prompt: str, max_tokens: int) -> None:
    """2. Re-render the whole Markdown on every delta through a display id (most notebook LLM tools)."""
    from IPython.display import Markdown, display

    client = _client()
    handle = display(Markdown(""), display_id=True)
    text = ""
    async with client.messages.stream(
        model=MODEL, max_tokens=max_tokens, messages=[{"role": "user", "content": prompt}]
    ) as stream:
        async for delta in stream.text_stream:
            _delta_seen()
            text += delta
            handle.update(Markdown(text))
    state["text_len"] = len(text.encode())


async def widget_loop(prompt: str, max_tokens: int) -> None:
    """3. An ipywidgets widget whose text trait is set to the whole text on every delta."""
    import ipywidgets
    from IPython.display import display

    client = _client()
    box = ipywidgets.Textarea(value="", layout=ipywidgets.Layout(width="100%"))
    display(box)
    text = ""
    async with client.messages.stream(
        model=MODEL, max_tokens=max_tokens, messages=[{"role": "user", "content": prompt}]
    ) as stream:
        async for delta in stream.text_stream:
            _delta_seen()
            text += delta
            box.value = text
    state["text_len"] = len(text.encode())


async def floor_loop(prompt: str, max_tokens: int, transport: str = "httpx") -> None:
    """4. The floor: the raw SDK stream, text collected, nothing displayed."""
    client = _client(transport)
    parts: list[str] = []
    stream = await client.messages.create(
        model=MODEL, max_tokens=max_tokens, messages=[{"role": "user", "content": prompt}], stream=True
    )
    async with stream:
        async for event in stream:
            if event.type == "content_block_delta" and event.delta.type == "text_delta":
                _delta_seen()
                parts.append(event.delta.text)
    state["text_len"] = len("".join(parts).encode())


async def helper_floor_loop(prompt: str, max_tokens: int) -> None:
    """Not a target: the SDK's messages.stream helper (what 1-3 use), text collected, nothing displayed."""
    client = _client()
    parts: list[str] = []
    async with client.messages.stream(
        model=MODEL, max_tokens=max_tokens, messages=[{"role": "user", "content": prompt}]
    ) as stream:
        async for text in stream.text_stream:
            _delta_seen()
            parts.append(text)
    state["text_len"] = len("".join(parts).encode())


async def floor_aiohttp_loop(prompt: str, max_tokens: int) -> None:
    """The floor on the SDK's aiohttp transport (the one nbstream uses by default)."""
    await floor_loop(prompt, max_tokens, transport="aiohttp")


APPROACHES = {
    "print": print_loop,
    "markdown": markdown_loop,
    "ipywidgets": widget_loop,
    "floor": floor_loop,
    "floor_aiohttp": floor_aiohttp_loop,
    "helper_floor": helper_floor_loop,
}


async def approach(name: str, prompt: str, max_tokens: int) -> None:
    await APPROACHES[name](prompt, max_tokens)


# --- nbstream, with probes ----------------------------------------------------------------------


class _Timer:
    """Accumulated time of one piece of code run on the event loop: wall time, and (when measured) the
    thread's CPU time, which tells real work from waiting (for the GIL, or for a CPU other processes had)."""

    def __init__(self) -> None:
        self.total = 0.0
        self.calls = 0
        self.max = 0.0
        self.cpu_total = 0.0
        self.cpu_max = 0.0

    def add(self, seconds: float, cpu: float | None = None) -> None:
        self.total += seconds
        self.calls += 1
        self.max = max(self.max, seconds)
        if cpu is not None:
            self.cpu_total += cpu
            self.cpu_max = max(self.cpu_max, cpu)

    def as_dict(self) -> dict[str, float]:
        return {"total": self.total, "calls": self.calls, "max": self.max, "cpu_total": self.cpu_total,
                "cpu_max": self.cpu_max}


def _timed_observer(timer: _Timer, fn: Any, cpu: bool = False) -> Any:
    if cpu:  # thread_time() costs ~0.7 us a call here: only where the CPU split is needed (the call log)
        def observer(run: Any, event: Any) -> None:
            c, t = time.thread_time(), time.perf_counter()
            _inside_log_observer[0] = True
            try:
                fn(run, event)
            finally:
                _inside_log_observer[0] = False
                timer.add(time.perf_counter() - t, time.thread_time() - c)

        return observer

    def observer(run: Any, event: Any) -> None:  # type: ignore[no-redef]
        t = time.perf_counter()
        try:
            fn(run, event)
        finally:
            timer.add(time.perf_counter() - t)

    return observer


_log_patched: dict[str, _Timer] = {}
_inside_log_observer = [False]  # a partial-text commit made inside the log's observer is counted there


def _patch_log_timers() -> dict[str, _Timer]:
    """Time the call log's code that runs on the loop: record() at start, commits of partial text."""
    from nbstream import _log

    if _log_patched:
        return _log_patched
    timers = {"record": _Timer(), "commit_partial": _Timer()}  # commit_partial: the ones its timer fires
    original_record, original_commit = _log.record, _log._commit_partial

    def record(*args: Any, **kwargs: Any) -> None:
        c, t = time.thread_time(), time.perf_counter()
        try:
            original_record(*args, **kwargs)
        finally:
            timers["record"].add(time.perf_counter() - t, time.thread_time() - c)

    def commit_partial(*args: Any, **kwargs: Any) -> None:
        if _inside_log_observer[0]:
            original_commit(*args, **kwargs)
            return
        c, t = time.thread_time(), time.perf_counter()
        try:
            original_commit(*args, **kwargs)
        finally:
            timers["commit_partial"].add(time.perf_counter() - t, time.thread_time() - c)

    _log.record, _log._commit_partial = record, commit_partial
    _log_patched.update(timers)
    return timers


def _reset_log_timers() -> None:
    for timer in _patch_log_timers().values():
        timer.__init__()


def _probe_observer(run: Any, event: Any) -> None:
    from nbstream._events import TextDelta

    if type(event) is TextDelta:
        _delta_seen()


def _instrument(run: Any) -> dict[str, _Timer]:
    """The probe first, then every observer timed (the widget's now; the call log's, added when the run
    starts, as it is added)."""
    timers: dict[str, _Timer] = {}

    def timed(observer: Any) -> Any:
        name = getattr(observer, "__qualname__", "") or type(observer).__qualname__
        module = getattr(observer, "__module__", "")
        if module in ("nbstream._log", "nbstream._recording"):
            key = "log_observer"
        elif "StreamWidget" in name:
            key = "widget_observer"
        else:
            key = "other_observer"
        timers[key] = timers.get(key) or _Timer()
        return _timed_observer(timers[key], observer, cpu=key == "log_observer")

    run._observers[:] = [_probe_observer, *(timed(o) for o in run._observers)]
    original = run.observe
    run.observe = lambda observer: original(timed(observer))  # an instance attribute: this run only
    return timers


async def nbstream_widget(
    prompt: str, max_tokens: int, keep: bool = False, transport: str = "aiohttp", timed: bool = False
) -> None:
    """nbstream as a user drives it: ``await StreamWidget(prompt).display()``, with the probe's delta
    observer (the floors have the same). ``timed``: every observer also timed, for the runs whose
    figures are those timers (a timer costs two clock reads per event: not in the CPU runs)."""
    import nbstream
    from nbstream import StreamWidget

    nbstream.defaults.transport = transport
    log_timers = _patch_log_timers()
    _reset_log_timers()
    widget = StreamWidget(prompt, max_tokens=max_tokens)
    if timed:
        timers = _instrument(widget.run)
    else:
        timers = {}
        widget.run._observers.insert(0, _probe_observer)
    widget.display()  # starts the run: its task is created, nothing has streamed yet
    result = await widget
    state["status"] = result.status
    state["text_len"] = len(result.text.encode())
    state["output_tokens"] = result.usage.output_tokens
    state["comm_id"] = widget.comm.comm_id if widget.comm is not None else None
    state["timers"] = {k: t.as_dict() for k, t in {**timers, **log_timers}.items()}
    if keep:
        state["widget"] = widget


# --- parallel ---------------------------------------------------------------------------------


def panel_start(prompts: list[str], concurrency: int, max_tokens: int) -> None:
    """Start a ParallelPanel in the background (display() returns at once)."""
    from nbstream import ParallelPanel

    _patch_log_timers()
    _reset_log_timers()
    state["panel_t0"] = time.monotonic()
    panel = ParallelPanel(prompts, concurrency=concurrency, max_tokens=max_tokens).display()
    state["panel"] = panel
    state["panel_comm_id"] = panel.comm.comm_id if panel.comm is not None else None


async def panel_wait() -> None:
    panel = state["panel"]
    results = await panel
    state["panel_wall"] = time.monotonic() - state["panel_t0"]
    state["panel_statuses"] = sorted({r.status for r in results})
    durations = [r.duration for r in results if r.duration is not None]
    state["call_durations"] = {"min": min(durations), "max": max(durations)} if durations else None
    runs = panel._runs
    ttfts = [
        run.first_token_at - run.attempt_started_at for run in runs if run.first_token_at and run.attempt_started_at
    ]
    gens = [run.ended_at - run.first_token_at for run in runs if run.ended_at and run.first_token_at]
    queued = [run.started_at - run.created_at for run in runs if run.started_at]
    busy = sum(run.ended_at - run.started_at for run in runs if run.ended_at and run.started_at)
    k = panel.limiter.concurrency or len(runs)
    state["call_phases"] = {
        "mean_duration": busy / len(runs), "mean_ttft": sum(ttfts) / len(ttfts) if ttfts else None,
        "max_ttft": max(ttfts, default=None), "mean_generation": sum(gens) / len(gens) if gens else None,
        "max_generation": max(gens, default=None), "max_queued": max(queued, default=None),
        # how full the K slots were over the panel's wall time (1.0: a call in every slot all the time)
        "slot_utilisation": busy / (k * state["panel_wall"]) if state["panel_wall"] > 0 else None,
    }
    state["timers"] = {k: t.as_dict() for k, t in _patch_log_timers().items()}


async def panel_run(prompts: list[str], concurrency: int, max_tokens: int) -> None:
    """A panel awaited in its cell: the wall time from display() to every result."""
    panel_start(prompts, concurrency, max_tokens)
    await panel_wait()


def floor_start(prompts: list[str], max_tokens: int) -> None:
    """The floor for a parallel case: raw SDK loops collecting text, as background tasks."""
    loop = asyncio.get_running_loop()
    state["floor_t0"] = time.monotonic()
    state["floor_tasks"] = [loop.create_task(floor_loop(p, max_tokens)) for p in prompts]


async def floor_wait() -> None:
    await asyncio.gather(*state.pop("floor_tasks"))
    state["floor_wall"] = time.monotonic() - state["floor_t0"]


async def floor_run(prompts: list[str], concurrency: int, max_tokens: int) -> None:
    """The floor for parallel scaling: raw SDK loops, at most ``concurrency`` at once, awaited in the cell."""
    slots = asyncio.Semaphore(concurrency)

    async def one(prompt: str) -> None:
        async with slots:
            await floor_loop(prompt, max_tokens)

    t0 = time.monotonic()
    await asyncio.gather(*(one(p) for p in prompts))
    state["floor_wall"] = time.monotonic() - t0


async def ticker(until: str, interval: float = 0.01, limit: float = 120.0) -> None:
    """Wake every ``interval`` s until the panel (or the floor tasks) is done; record each lateness."""
    loop = asyncio.get_running_loop()
    lags: list[float] = []
    deadline = loop.time() + limit

    def finished() -> bool:
        if until == "panel":
            return state["panel"]._drive_task().done()
        if until == "floor":
            return all(t.done() for t in state.get("floor_tasks", []))
        return len(lags) * interval >= float(until)  # a number of seconds: an idle baseline

    while not finished() and loop.time() < deadline:
        due = loop.time() + interval
        await asyncio.sleep(interval)
        lags.append(loop.time() - due)
    state["lags"] = lags


# --- memory -------------------------------------------------------------------------------------


class _RssSampler:
    def __init__(self, every: float = 0.01) -> None:
        import psutil

        self.process = psutil.Process()
        self.every = every
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


async def memory(prompt: str, max_tokens: int, traced: bool) -> None:
    """One long reply through ``await StreamWidget(prompt).display()``; the widget and result are kept
    (a user's notebook keeps both), everything else collected before the 'retained' reading."""
    from nbstream import StreamWidget

    gc.collect()
    if traced:
        tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
    with _RssSampler() as rss:
        rss_base = rss.process.memory_info().rss
        widget = StreamWidget(prompt, max_tokens=max_tokens)
        result = await widget.display()
        state["keep"] = (widget, result)
        _flush_log()  # the call log's writer has taken what was queued for it (its queue held the text)
        await asyncio.sleep(0.2)  # the iopub thread has sent the last messages
        gc.collect()
        if traced:
            current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            state["traced_retained"] = current - base
            state["traced_peak"] = peak - base
        rss_after = rss.process.memory_info().rss
    state["rss_retained"] = rss_after - rss_base
    state["rss_peak"] = rss.peak - rss_base
    state["text_len"] = len(result.text.encode())
    state["status"] = result.status
    state["output_tokens"] = result.usage.output_tokens


def info() -> None:
    import sys

    import anthropic
    import ipykernel
    import ipywidgets

    emit({
        "python": sys.version.split()[0], "anthropic": anthropic.__version__, "ipykernel": ipykernel.__version__,
        "ipywidgets": ipywidgets.__version__, "pid": os.getpid(),
    })


# --- which callbacks hold the event loop ----------------------------------------------------------


_slow: dict[str, Any] = {}


def trace_slow_callbacks(threshold: float = 0.005) -> None:
    """Record every event-loop callback that runs longer than ``threshold`` seconds (what lags the loop).
    Costs about 1 us per callback (a thread_time() call), so only the lag case uses it."""
    from asyncio import events

    if "original" not in _slow:
        _slow["original"] = events.Handle._run
    original = _slow["original"]
    found: list[tuple[float, float, str]] = []
    _slow["found"] = found

    def _run(handle: Any) -> None:
        c, t = time.thread_time(), time.perf_counter()
        try:
            original(handle)
        finally:
            d = time.perf_counter() - t
            if d > threshold:
                found.append((d, time.thread_time() - c, _describe(handle)))

    events.Handle._run = _run  # type: ignore[method-assign]


def _describe(handle: Any) -> str:
    callback = getattr(handle, "_callback", None)
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro = owner.get_coro()
        frame = getattr(coro, "cr_frame", None)
        where = f" at {frame.f_code.co_filename.rsplit('/', 1)[-1]}:{frame.f_lineno}" if frame else ""
        return f"task {owner.get_name()!r} {getattr(coro, '__qualname__', coro)}{where}"
    return repr(handle)[:200]


def untrace_slow_callbacks() -> list[tuple[float, float, str]]:
    from asyncio import events

    if "original" in _slow:
        events.Handle._run = _slow["original"]  # type: ignore[method-assign]
    found = sorted(_slow.get("found", []), reverse=True)
    # (wall ms, thread CPU ms, what): wall minus CPU is time spent waiting (GIL, or a CPU other processes had)
    state["slow_callbacks"] = [(round(d * 1000, 2), round(c * 1000, 2), what) for d, c, what in found[:15]]
    state["slow_callback_count"] = len(found)
    return found
