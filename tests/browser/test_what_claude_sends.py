"""What Claude sends besides text, in a real JupyterLab in Debian's Chromium (issue 17): thinking shows
collapsed while the model thinks, a web search shows its query and results as it runs, the cited answer
lists its sources; after a reload with no kernel the static copy shows the same parts."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

SIMULATOR = {"ttft": 0.1, "rate": 80}


def test_a_reply_that_thinks_searches_cites_and_answers_shows_every_part_live_and_after_a_reload(lab, simulator):
    lab.open_notebook([
        "%load_ext nbstream",
        "%%llm --web-search\nWhat is new in streaming? [[sim: thinking=1 tokens=60 rate=15]]",
    ])
    lab.run_cell(0)
    lab.run_cell(1, wait=False)
    box = lab.widget(1)
    thinking = box.locator('details.nbstream-thinking[data-done="false"]')
    thinking.wait_for(timeout=20_000)  # the model is thinking: shown from its block's start, before any text
    thinking.locator(".nbstream-thinking-text").wait_for(state="attached", timeout=20_000)
    lab.page.wait_for_function(  # its first tokens: the call is streaming, and still thinking
        "el => el.textContent.length > 0", arg=thinking.locator(".nbstream-thinking-text").element_handle(),
        timeout=20_000,
    )
    assert box.get_attribute("data-status") == "streaming"
    assert not thinking.evaluate("d => d.open")  # collapsed by default
    assert thinking.locator("summary").inner_text() == "thinking…"
    assert not box.locator(".nbstream-text p").count()  # no answer text yet
    box.locator('.nbstream-tool[data-status="done"] .nbstream-tool-links a').first.wait_for(timeout=20_000)
    search = box.locator(".nbstream-tool").first
    assert search.locator(".nbstream-tool-server").is_visible() and "web_search" in search.inner_text()
    assert search.locator(".nbstream-tool-links a").first.get_attribute("href").startswith("https://")
    assert lab.widget(1).get_attribute("data-status") == "streaming"  # the results came while it streamed
    assert "first text" in box.locator(".nbstream-ttft-text").inner_text()
    lab.wait_status(1, "done")
    static = lab.output(1).locator('.nbstream-static[data-status="done"]')
    static.wait_for(timeout=10_000)

    def check_copy():
        copy = lab.output(1).locator(".nbstream-static")
        details = copy.locator("details.nbstream-thinking")
        assert details.count() == 1 and not details.evaluate("d => d.open")  # thinking collapsed, not the answer
        assert details.locator("summary").inner_text() == "thought"
        assert copy.locator(".nbstream-sources li").count() == 1
        link = copy.locator(".nbstream-sources a")
        assert link.get_attribute("href") == "https://docs.example.com/build-with-claude/streaming"
        assert "[1]" in copy.locator(".nbstream-text").first.inner_text()  # the cited passage is marked
        card = copy.locator(".nbstream-tool")
        assert "web_search" in card.locator(".nbstream-tool-name").inner_text()
        assert card.locator(".nbstream-tool-server").is_visible()
        assert card.locator(".nbstream-tool-links a").first.get_attribute("href").startswith("https://")
        assert "thinking)" in copy.locator(".nbstream-tokens").inner_text()  # thinking tokens in the counter

    check_copy()
    lab.save()
    lab.shutdown_kernel()
    lab.reload()
    lab.output(1).locator(".nbstream-static").wait_for(timeout=20_000)
    check_copy()
    assert not lab.was_set("__pwned")


def test_a_refusal_and_an_unknown_block_read_as_what_they_are(lab, simulator):
    lab.open_notebook([
        "%load_ext nbstream",
        "%%llm\nHello [[sim: unknown_block=1 stop=refusal category=bio tokens=30]]",
    ])
    lab.run_cell(0)
    lab.run_cell(1)
    lab.wait_status(1, "cut_off")
    out = lab.output(1)
    out.locator(".nbstream-static").wait_for(timeout=10_000)
    assert "Claude declined to answer (category: biological risk)" in out.locator(".nbstream-error").first.inner_text()
    assert out.locator(".nbstream-note").first.inner_text() == "unsupported block: future_block"
