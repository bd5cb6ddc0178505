import asyncio

import pytest

from nbstream._frames import FAST_INTERVAL, FAST_PENDING, FRAME_INTERVAL, Changes, FrameScheduler, flush_delay, rounded


def test_the_first_frame_goes_at_once():
    assert flush_delay(now=5.0, last_flush=None) == 0.0


def test_later_frames_wait_out_the_interval():
    assert flush_delay(now=5.01, last_flush=5.0) == pytest.approx(FRAME_INTERVAL - 0.01)
    assert flush_delay(now=5.0 + FRAME_INTERVAL, last_flush=5.0) == 0.0


def test_a_lot_of_waiting_text_makes_the_next_frame_come_sooner():
    assert flush_delay(now=5.01, last_flush=5.0, pending=FAST_PENDING) == pytest.approx(FAST_INTERVAL - 0.01)
    assert FAST_INTERVAL < FRAME_INTERVAL <= 0.1  # never slower than 10 frames a second, never over 20


def test_urgent_frames_go_at_once():
    assert flush_delay(now=5.01, last_flush=5.0, urgent=True) == 0.0


def test_only_changed_fields_are_sent_until_a_resync():
    changes = Changes()
    assert changes.of({"a": 1, "b": 2}) == {"a": 1, "b": 2}
    assert changes.of({"a": 1, "b": 3}) == {"b": 3}
    assert changes.of({"a": 1, "b": 3}) == {}
    changes.reset()
    assert changes.of({"a": 1, "b": 3}) == {"a": 1, "b": 3}


def test_figures_are_rounded_to_what_a_view_shows():
    stats = rounded({"elapsed": 1.23456, "ttft": 0.412345, "rate": 83.4567, "cost": 0.000123456, "output_tokens": 7})
    assert stats == {"elapsed": 1.23, "ttft": 0.412, "rate": 83.5, "cost": 0.000123, "output_tokens": 7}


async def test_a_burst_of_pokes_becomes_at_most_one_frame_per_interval():
    loop = asyncio.get_running_loop()
    flushed = []
    scheduler = FrameScheduler(lambda: flushed.append(loop.time()))
    start = loop.time()
    for _ in range(200):  # 10,000 pokes spread over >= 0.2 s
        for _ in range(50):
            scheduler.poke()
        last_poke = loop.time()
        await asyncio.sleep(0.001)
    await asyncio.sleep(FRAME_INTERVAL * 2)  # let the trailing frame go
    elapsed = flushed[-1] - start
    assert len(flushed) <= elapsed / FRAME_INTERVAL + 2
    assert all(b - a >= FRAME_INTERVAL * 0.99 for a, b in zip(flushed, flushed[1:], strict=False))
    assert flushed[-1] >= last_poke  # the last poke was not lost: a trailing frame went out after it


async def test_fast_text_gets_up_to_twenty_frames_a_second():
    loop = asyncio.get_running_loop()
    flushed = []
    scheduler = FrameScheduler(lambda: flushed.append(loop.time()))
    scheduler.poke(pending=FAST_PENDING)
    for _ in range(40):
        scheduler.poke(pending=FAST_PENDING)
        await asyncio.sleep(0.005)
    gaps = [b - a for a, b in zip(flushed, flushed[1:], strict=False)]
    assert gaps and all(gap >= FAST_INTERVAL * 0.99 for gap in gaps)

