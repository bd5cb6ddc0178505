"""``python -m nbstream.simulator._measure``: the latency profiles as a client sees them, through the real SDK.

Starts a simulator with no pinned pace, streams a short and a long prompt (uncached, then read from the
prompt cache) to each model family, runs one call per model in parallel, and prints a Markdown table of the
times measured on the client's side (first token, tokens per second between the first and last token).
Needs the ``anthropic`` SDK, which the simulator itself never imports.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import anthropic

from ._server import Simulator

MODELS = ("claude-haiku-5-5", "claude-sonnet-5-5", "claude-opus-5-5")
_LONG = "A long shared document about networks. " * 2_000  # about 20,000 tokens by the simulator's estimate
_REPEATS = 3


async def _stream(client: anthropic.AsyncAnthropic, model: str, **extra: Any) -> tuple[float, float, float]:
    """(seconds to the first text, tokens per second after it, total seconds) of one streamed reply."""
    started = time.monotonic()
    first = last = 0.0
    async with client.messages.stream(
        model=model, max_tokens=200, messages=[{"role": "user", "content": "Tell me something"}], **extra
    ) as stream:
        async for event in stream:
            if event.type == "text":
                last = time.monotonic()
                first = first or last
        final = await stream.get_final_message()
    rate = (final.usage.output_tokens - 1) / (last - first) if last > first else float("nan")
    return first - started, rate, time.monotonic() - started


def _median(values: list[float]) -> float:
    return sorted(values)[len(values) // 2]


async def measure() -> str:
    rows = [
        "| model | TTFT, short prompt | tok/s | TTFT, ~20k-token prompt | same, read from cache |",
        "|---|---|---|---|---|",
    ]
    with Simulator() as sim:
        async with anthropic.AsyncAnthropic(base_url=sim.base_url, api_key="sk-sim", max_retries=0) as client:
            for model in MODELS:
                short = [await _stream(client, model) for _ in range(_REPEATS)]
                long_uncached, long_cached = [], []
                for i in range(_REPEATS):
                    system = [{"type": "text", "text": f"{i} {_LONG}", "cache_control": {"type": "ephemeral"}}]
                    long_uncached.append((await _stream(client, model, system=system))[0])
                    long_cached.append((await _stream(client, model, system=system))[0])
                rows.append(
                    f"| {model} | {_median([s[0] for s in short]):.2f} s | {_median([s[1] for s in short]):.0f}"
                    f" | {_median(long_uncached):.2f} s | {_median(long_cached):.2f} s |"
                )
            started = time.monotonic()
            each = await asyncio.gather(*(_stream(client, model) for model in MODELS))
            wall = time.monotonic() - started
    summary = (
        f"\nOne call per model at once: wall {wall:.2f} s; the calls took "
        + ", ".join(f"{total:.2f} s" for _, _, total in each)
        + f" (sum {sum(total for _, _, total in each):.2f} s)."
    )
    return "\n".join(rows) + summary


if __name__ == "__main__":
    print(asyncio.run(measure()))
