"""What the suite runs: the full run (``python -m benchmarks``) and the smoke run (``--smoke``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# The ways of streaming a reply, in table order. nbstream is measured against 1-4.
APPROACHES = ("nbstream", "nbstream_httpx", "print", "markdown", "ipywidgets", "floor", "floor_aiohttp", "helper_floor")
APPROACH_LABELS = {
    "nbstream": "nbstream StreamWidget",
    "nbstream_httpx": "nbstream StreamWidget, SDK's default transport (httpx)",
    "floor_aiohttp": "4b. floor on the SDK's aiohttp transport",
    "print": "1. print loop (SDK docs)",
    "markdown": "2. Markdown re-render per delta",
    "ipywidgets": "3. ipywidgets text trait per delta",
    "floor": "4. floor: raw SDK loop, collect only",
    "helper_floor": "(SDK messages.stream helper, collect only)",
}
NAIVE = ("print", "markdown", "ipywidgets")  # O(n) messages (and 2-3: O(n^2) bytes): fewer repetitions


@dataclass
class Config:
    runs: int = 5  # repetitions of every cheap case (nbstream, the floors)
    naive_runs: int = 3  # repetitions of approaches 1-3 (one message per token: slow at 20,000 tokens)
    sizes: tuple[int, ...] = (4000, 20000)  # tokens of the single-stream replies
    rate: float = 5000.0  # tokens/s of the single stream
    ttft: float = 0.05
    # bytes at slower, more typical token rates (nbstream only): (tokens, rate)
    slow_cases: tuple[tuple[int, float], ...] = ((4000, 1000.0), (2000, 200.0))
    slow_runs: int = 3
    # 50 parallel streams at 200 tokens/s each, while a ticker runs in another cell
    panel_streams: int = 50
    panel_rate: float = 200.0
    panel_tokens: int = 1000
    parallel_runs: int = 3
    ticker_interval: float = 0.01
    idle_ticker_seconds: float = 1.0
    # parallel scaling: (calls, concurrency); each call tokens at rate after ttft
    scaling: tuple[tuple[int, int], ...] = ((50, 50), (200, 20))
    scaling_tokens: int = 100
    scaling_rate: float = 200.0
    scaling_ttft: float = 0.2
    scaling_runs: int = 3
    # seconds of quiet before each many-call run, so that it starts, like the first run of a cell, with no
    # pooled connections (httpx2 closes idle keep-alive connections after 5 s)
    scaling_cold_wait: float = 6.0
    # memory: one long reply
    memory_tokens: int = 100_000
    memory_rate: float = 20_000.0
    memory_runs: int = 3
    # JupyterLab in headless Chromium
    browser: bool = True
    browser_tokens: int = 20_000
    browser_rate: float = 2000.0
    browser_runs: int = 3
    cancel_clicks: int = 5  # Cancel clicks in JupyterLab, each on a new streaming cell
    panel_browser_rows: int = 200  # a ParallelPanel in JupyterLab, every row streaming at once
    panel_browser_tokens: int = 150
    panel_browser_runs: int = 1
    # the front-end probe without Jupyter (benchmarks/frontend/*.html, formerly js/bench)
    frontend: bool = True
    frontend_stream: tuple[dict[str, Any], ...] = (
        {"chars": 80000, "deltaChars": 256, "intervalMs": 20, "kind": "mixed"},
        {"chars": 80000, "deltaChars": 256, "intervalMs": 20, "kind": "fence"},
    )
    frontend_panel: tuple[dict[str, Any], ...] = ({"rows": 200, "frames": 100, "intervalMs": 50},)
    # --frontend-full: every run of the former js/bench/run_perf.py (about 5 minutes)
    smoke: bool = False
    groups: tuple[str, ...] = ("single", "parallel", "scaling", "memory", "browser")
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


FRONTEND_FULL_STREAM: tuple[dict[str, Any], ...] = (
    # 20 frames/s, ~16 tokens per frame: ~20,000 tokens of mixed Markdown
    {"chars": 80000, "deltaChars": 64, "intervalMs": 50},
    # frames dropped on the way: resync + snapshot, and the final text differs
    {"chars": 80000, "deltaChars": 64, "intervalMs": 50, "dropEvery": 97},
    # worst cases for the tail (no blank line: the whole reply is one growing block), faster
    {"chars": 80000, "deltaChars": 256, "intervalMs": 50, "kind": "fence"},
    {"chars": 80000, "deltaChars": 256, "intervalMs": 50, "kind": "list"},
    {"chars": 80000, "deltaChars": 256, "intervalMs": 50, "kind": "table"},
    *({"chars": 80000, "deltaChars": 256, "intervalMs": 20, "kind": k} for k in ("mixed", "fence", "list", "table")),
)
FRONTEND_FULL_PANEL: tuple[dict[str, Any], ...] = (
    # 200 rows all streaming, a frame every 50 ms listing every row
    {"rows": 200, "frames": 200, "intervalMs": 50},
    # the same with a few rows expanded (live Markdown) a quarter of the way in
    {"rows": 200, "frames": 200, "intervalMs": 50, "expand": 4},
    {"rows": 300, "frames": 120, "intervalMs": 50},
)


def smoke_config() -> Config:
    """Seconds, not minutes: tiny replies, one repetition, a tiny browser part."""
    return Config(
        runs=1, naive_runs=1, sizes=(200, 400), slow_cases=((100, 1000.0),), slow_runs=1,
        panel_streams=5, panel_tokens=60, parallel_runs=1, idle_ticker_seconds=0.2,
        scaling=((5, 5), (10, 5)), scaling_tokens=10, scaling_rate=1000.0, scaling_ttft=0.05, scaling_runs=1,
        scaling_cold_wait=0.0,
        memory_tokens=2000, memory_rate=20000.0, memory_runs=1,
        browser_tokens=300, browser_rate=2000.0, browser_runs=1,
        cancel_clicks=1, panel_browser_rows=5, panel_browser_tokens=20,
        frontend_stream=({"chars": 4000, "deltaChars": 256, "intervalMs": 20, "kind": "mixed"},),
        frontend_panel=({"rows": 10, "frames": 10, "intervalMs": 20},),
        smoke=True,
    )
