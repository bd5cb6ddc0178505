"""Every fault, for a StreamWidget and for a row of the parallel panel, through the real SDK."""

from __future__ import annotations

import asyncio

import pytest
from fault_matrix import FAULTS, IDS

from nbstream import ParallelPanel, StreamWidget
from nbstream._events import StatusChanged

SIMULATOR = {"ttft": 0.02, "rate": 800}
# Every fault on both of the SDK's HTTP clients: they raise different exceptions for the same fault.
pytestmark = pytest.mark.usefixtures("routed", "transport")


@pytest.fixture(params=["aiohttp", "httpx"], autouse=False)
def transport(request, monkeypatch):
    from nbstream._config import defaults

    monkeypatch.setattr(defaults, "transport", request.param)
    return request.param


def check(result, status, words, text_kept) -> None:
    assert result.status == status, result.error
    for word in words:
        assert word in result.error
    if status == "cut_off":
        assert result.text and text_kept and result.usage.estimated
    if status == "done":
        assert result.error is None


@pytest.mark.parametrize(("name", "directive", "options", "status", "words", "requests"), FAULTS, ids=IDS)
async def test_stream_widget(simulator, name, directive, options, status, words, requests):
    widget = StreamWidget(f"Tell a story [[sim: {directive}]]", **options)
    statuses: list[str] = []
    widget.run.observe(lambda _r, e: statuses.append(e.status) if isinstance(e, StatusChanged) else None)
    result = await widget
    check(result, status, words, widget.text == result.text)
    assert widget.status == status and widget.error == (result.error or "")
    assert widget.can_retry == (status in ("failed", "cut_off"))
    assert len(simulator.requests) == requests
    if requests > 1:
        assert "retrying" in statuses  # shown as "retrying in N s" while it waits


@pytest.mark.parametrize(("name", "directive", "options", "status", "words", "requests"), FAULTS, ids=IDS)
async def test_panel_row(simulator, name, directive, options, status, words, requests):
    panel = ParallelPanel(
        ["A healthy row [[sim: tokens=40]]", f"Tell a story [[sim: {directive}]]"], concurrency=2, **options
    )
    healthy, faulty = await panel
    assert healthy.status == "done"  # one failing row never stops the others
    check(faulty, status, words, panel.final[1]["text"] == faulty.text)
    assert panel.final[1]["can_retry"] == (status in ("failed", "cut_off"))
    assert len(simulator.requests) == requests + 1


async def test_closing_a_widget_mid_stream_cancels_it_and_leaves_no_task(simulator):
    widget = StreamWidget("A long story [[sim: tokens=5000 rate=200]]").start()
    await simulator.wait_for_async(lambda rs: rs and rs[0]["tokens_sent"] > 10, timeout=5)
    widget.close()
    result = await widget
    assert result.status == "cancelled" and result.text
    await simulator.wait_for_async(lambda rs: rs[0]["outcome"] == "client_closed", timeout=2)
    await asyncio.sleep(0.05)
    leftover = [t for t in asyncio.all_tasks() if "nbstream" in t.get_name() and not t.done()]
    assert leftover == []


async def test_each_transport_is_the_one_that_sends(transport):
    import anthropic

    from nbstream._client import sdk_client

    http = sdk_client(None)._client
    assert isinstance(http, anthropic.DefaultAioHttpClient) == (transport == "aiohttp")
    result = await StreamWidget("Hello [[sim: tokens=12]]")
    assert result.status == "done" and result.usage.output_tokens == 12


def test_aiohttp_is_the_default_transport():
    from nbstream._config import DEFAULT_VALUES

    assert DEFAULT_VALUES["transport"] == "aiohttp"
