"""The real-model tests' recording proxy (tests/recording_proxy.py) reads back exactly what a server sent,
checked here against the simulator through the real SDK, so its own parsing can be trusted there."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import anthropic
from recording_proxy import RecordingProxy


async def _two_streams_and_a_cancel(base_url: str) -> list[str]:
    client = anthropic.AsyncAnthropic(base_url=base_url, api_key="sk-test", max_retries=0)
    texts = []
    for prompt in ("one [[sim: tokens=30]]", "two [[sim: tokens=40]]"):  # kept alive: one connection
        async with client.messages.stream(model="claude-haiku-5-5", max_tokens=100,
                                          messages=[{"role": "user", "content": prompt}]) as stream:
            texts.append(await stream.get_final_text())

    async def long() -> None:
        messages = [{"role": "user", "content": "x [[sim: tokens=3000 rate=100]]"}]
        async with client.messages.stream(model="claude-haiku-5-5", max_tokens=5000, messages=messages) as s:
            async for _ in s.text_stream:
                pass

    task = asyncio.ensure_future(long())
    await asyncio.sleep(0.5)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await client.close()
    return texts


def test_the_proxy_reads_back_each_exchange_and_sees_the_client_hang_up(simulator):
    with RecordingProxy(urlsplit(simulator.base_url).port) as proxy:
        texts = asyncio.run(_two_streams_and_a_cancel(proxy.base_url))
        first, second, cancelled = proxy.messages()
        assert [first.streamed_text(), second.streamed_text()] == texts
        assert first.complete and second.complete and first.streamed_usage()["output_tokens"] == 30
        assert first.stop_reason() == "end_turn"
        assert first.connection is second.connection  # kept alive, parsed as two exchanges
        assert not cancelled.complete and cancelled.streamed_text()
        proxy.wait_for(lambda p: cancelled.connection.client_closed_at, timeout=5)
        proxy.reset()
        assert proxy.messages() == []
