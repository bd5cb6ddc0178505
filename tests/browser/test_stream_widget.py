"""%%llm and StreamWidget in a real JupyterLab, in Debian's Chromium, against the simulator."""

from __future__ import annotations

import re
import time

import pytest

pytestmark = pytest.mark.browser



SIMULATOR = {"ttft": 0.1, "rate": 80}




def test_a_cell_streams_live_and_cancel_stops_it_keeping_the_partial_text(lab, simulator):
    simulator.reset()
    lab.open_notebook(
        ["%load_ext nbstream", "%%llm\nTell me a long story about TCP. [[sim: tokens=3000 rate=40]]"],
        name="tcp_story.ipynb",  # the README's screenshot shows this tab name
    )
    lab.run_cell(0)
    lab.run_cell(1, wait=False)

    lab.wait_status(1, "streaming")
    lab.page.wait_for_function(
        "el => +el.dataset.tokens >= 10", arg=lab.widget(1).element_handle(), timeout=20_000
    )
    first = lab.tokens(1)
    time.sleep(0.5)
    assert lab.tokens(1) > first  # the counter moves while tokens arrive
    box = lab.widget(1)
    assert box.locator(".nbstream-text h2, .nbstream-text p").count() > 0  # rendered Markdown
    assert "tok/s" in box.locator(".nbstream-rate").inner_text()
    assert "TTFT" in box.locator(".nbstream-ttft").inner_text() or box.locator(".nbstream-ttft").inner_text()
    assert box.locator(".nbstream-simulated").is_visible()
    lab.page.wait_for_function(
        "el => +el.dataset.tokens >= 80", arg=lab.widget(1).element_handle(), timeout=20_000
    )
    lab.keep_screenshot("widget.png")

    clicked_at = time.monotonic()
    lab.page.get_by_role("button", name=re.compile("Cancel")).click()
    lab.wait_status(1, "cancelled", timeout=10_000)
    lab.wait_cell(1, timeout=10)

    # the server saw the connection end; the partial text stays on screen, once, marked cancelled
    lab.check_cancelled(1, simulator, clicked_at)
    assert not lab.was_set("__pwned")


def test_the_answer_shows_once_and_survives_save_shutdown_and_reload(lab, simulator):
    lab.open_notebook(
        ["%load_ext nbstream", "%%llm --out answer\nExplain the TCP handshake. [[sim: tokens=80 rate=400 seed=7]]"]
    )
    lab.run_cell(0)
    lab.run_cell(1)
    lab.wait_status(1, "done")
    static = lab.output(1).locator('.nbstream-static[data-status="done"]')
    static.wait_for(timeout=10_000)
    answer = static.locator("p, li").first.inner_text()[:40]
    assert answer and lab.output_text(1).count(answer) == 1  # shown once while live

    lab.save()
    lab.shutdown_kernel()
    lab.reload()
    lab.output(1).locator(".nbstream-static").wait_for(timeout=20_000)
    assert answer in lab.output_text(1)  # still readable with no kernel and no saved widget state


def test_the_waiting_indicator_shows_until_the_first_token(lab):
    lab.open_notebook(["%load_ext nbstream", "%%llm\nhi [[sim: ttft=2 tokens=20 rate=100]]"])
    lab.run_cell(0)
    lab.run_cell(1, wait=False)
    lab.wait_status(1, "waiting")
    assert lab.widget(1).locator(".nbstream-waiting").is_visible()
    lab.wait_status(1, "done")
    box = lab.widget(1)
    assert not box.locator(".nbstream-waiting").is_visible()
    assert box.locator(".nbstream-tokens").inner_text().startswith("20 tokens")  # exact usage at the end
    assert "$" in box.locator(".nbstream-cost").inner_text()
    assert re.search(r"\d", box.locator(".nbstream-ttft").inner_text())


def test_a_rate_limit_shows_retrying_then_streams(lab, simulator):
    lab.open_notebook(["%load_ext nbstream", "%%llm\nhi [[sim: status=429 retry_after=2 times=1 tokens=10]]"])
    lab.run_cell(0)
    lab.run_cell(1, wait=False)
    lab.wait_status(1, "retrying")
    assert "retrying in" in lab.widget(1).inner_text()
    lab.wait_status(1, "done")


def test_an_api_error_is_a_failed_state_not_a_traceback(lab):
    lab.open_notebook(["%load_ext nbstream", "%%llm --model gpt-4\nhi"])
    lab.run_cell(0)
    lab.run_cell(1)
    lab.wait_status(1, "failed")
    text = lab.output_text(1)
    assert "not_found_error" in text and "Check the model name" in text
    assert "Traceback" not in text


def test_stream_widget_display_leaves_the_kernel_free(lab):
    lab.open_notebook([
        "from nbstream import StreamWidget\nw = StreamWidget('A poem [[sim: tokens=300 rate=60]]').display()",
        "print('meanwhile', 6 * 7)",
        "r = await w\nprint(r.status)",
    ])
    lab.run_cell(0)
    lab.wait_status(0, "streaming")
    lab.run_cell(1)
    assert "meanwhile 42" in lab.output_text(1)
    assert lab.widget(0).get_attribute("data-status") == "streaming"  # still going while cell 1 ran
    lab.run_cell(2, timeout=30)
    assert "done" in lab.output_text(2)


def test_the_kernel_interrupt_cancels_a_streaming_cell(lab, simulator):
    simulator.reset()
    lab.open_notebook(["%load_ext nbstream", "%%llm\nA long story [[sim: tokens=3000 rate=40]]"])
    lab.run_cell(0)
    lab.run_cell(1, wait=False)
    lab.wait_status(1, "streaming")
    lab.interrupt_kernel()
    lab.wait_status(1, "cancelled", timeout=10_000)
    lab.wait_cell(1, timeout=10)
    assert "Interrupted" in lab.output_text(1) and "Traceback" not in lab.output_text(1)
    simulator.wait_for(lambda rs: rs[-1]["outcome"] == "client_closed", timeout=5)


def test_re_running_a_streaming_cell_closes_its_stream_and_shows_only_the_new_answer(lab, simulator):
    simulator.reset()
    lab.open_notebook(["%load_ext nbstream", "%%llm\nTell me a long story about TCP. [[sim: tokens=3000 rate=40]]"])
    lab.run_cell(0)
    lab.run_cell(1, wait=False)
    lab.wait_status(1, "streaming")
    simulator.wait_for(lambda rs: len(rs) == 1 and rs[0]["tokens_sent"] > 10, timeout=20)
    lab.set_cell_source(1, "%%llm\nNow a short one. [[sim: tokens=30 rate=200 echo=1]]")
    rerun_at = time.monotonic()
    lab.run_cell(1, wait=False)  # Shift+Enter again while the old answer streams

    first = simulator.wait_for(lambda rs: rs[0]["client_closed_at"] and rs[0], timeout=10)
    assert first["outcome"] == "client_closed"
    assert first["client_closed_at"] - rerun_at < 1.0  # the old stream stops within a second
    assert lab.wait_cell(1, timeout=30)
    lab.wait_status(1, "done")
    assert len(simulator.requests) == 2 and simulator.requests[1]["outcome"] == "completed"
    shown = lab.output_text(1)
    assert "Now a short one." in shown and "long story" not in shown  # only the new answer is shown


def test_the_server_sends_kernel_messages_without_nagles_delay(lab, lab_server):
    """nbstream's Jupyter Server extension (installed with the package) turns TCP_NODELAY on for kernel
    websockets: a widget's status no longer waits up to 40 ms for the browser's delayed ACK."""
    lab.open_notebook(["%load_ext nbstream", "%%llm\nhi [[sim: tokens=5]]"])
    lab.run_cell(0)
    lab.run_cell(1)
    lab.wait_status(1, "done")
    assert "nbstream: kernel websockets send without delay (TCP_NODELAY)" in lab_server.log_path.read_text()
