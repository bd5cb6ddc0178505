"""Both HTTP transports reach the API the way the SDK's own client would: through ``HTTP_PROXY`` when
one is set (and around it for hosts in ``NO_PROXY``), at ``ANTHROPIC_BASE_URL``."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest
from recording_proxy import RecordingProxy

import nbstream
from nbstream import StreamWidget


@pytest.fixture(params=["aiohttp", "httpx"])
def transport(request, monkeypatch):
    monkeypatch.setattr(nbstream.defaults, "transport", request.param)
    return request.param


async def _answer(prompt: str):
    return await StreamWidget(prompt).start()


def test_a_call_goes_through_the_proxy_the_environment_names(routed, transport, monkeypatch):
    with RecordingProxy(urlsplit(routed.base_url).port) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.base_url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        result = asyncio.run(_answer(f"Through the proxy on {transport}. [[sim: tokens=6]]"))
        assert result.status == "done" and result.usage.output_tokens == 6
        [conn] = proxy.connections
        # A proxy's request line: the absolute URL of ANTHROPIC_BASE_URL's /v1/messages.
        assert bytes(conn.to_server).startswith(f"POST {routed.base_url}/v1/messages HTTP/1.1".encode())


def test_no_proxy_sends_the_call_straight_to_the_server(routed, transport, monkeypatch):
    with RecordingProxy(urlsplit(routed.base_url).port) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.base_url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        result = asyncio.run(_answer(f"Around the proxy on {transport}. [[sim: tokens=6]]"))
        assert result.status == "done"
        assert proxy.connections == []


@pytest.mark.timeout(120)
def test_a_200_row_panel_stays_within_its_connections_and_keeps_them_alive(routed, transport):
    from nbstream import ParallelPanel

    async def two_panels() -> list:
        first = await ParallelPanel([f"row {i} [[sim: tokens=8]]" for i in range(200)], concurrency=200)
        second = await ParallelPanel([f"again {i} [[sim: tokens=8]]" for i in range(200)], concurrency=200)
        return [*first, *second]

    results = asyncio.run(two_panels())
    assert {r.status for r in results} == {"done"}
    def connections(word: str) -> set[int]:
        return {r["connection"] for r in routed.requests if r["body"]["messages"][0]["content"].startswith(word)}

    first, second = connections("row "), connections("again ")
    assert len(first) <= 200 and len(second) <= 200  # one connection per row in flight at most
    assert first & second  # the second panel ran on connections the first one kept alive
