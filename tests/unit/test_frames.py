import asyncio

from nbstream._frames import FRAME_INTERVAL, FrameScheduler, flush_delay


def test_the_first_frame_goes_at_once():
    assert flush_delay(now=5.0, last_flush=None, interval=0.05, urgent=False) == 0.0


def test_later_frames_wait_out_the_interval():
    assert flush_delay(now=5.01, last_flush=5.0, interval=0.05, urgent=False) == pytest_approx(0.04)
    assert flush_delay(now=5.2, last_flush=5.0, interval=0.05, urgent=False) == 0.0


def test_urgent_frames_go_at_once():
    assert flush_delay(now=5.01, last_flush=5.0, interval=0.05, urgent=True) == 0.0


def pytest_approx(value):
    import pytest

    return pytest.approx(value, abs=1e-9)


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
    assert all(b - a >= FRAME_INTERVAL * 0.99 for a, b in zip(flushed, flushed[1:]))
    assert flushed[-1] >= last_poke  # the last poke was not lost: a trailing frame went out after it
