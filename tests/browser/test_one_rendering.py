"""One rendering from the first token to the reopened notebook, in a real JupyterLab in Chromium.

The same reply (a table, a code block, a link, dollar amounts, TeX) is read while it streams (the
widget's own Markdown) and at the end, then after save, kernel shutdown and reload (the static copy,
rendered by JupyterLab as an HTML output): structure and computed styles must match, in the light and
the dark theme, with no "Error displaying widget" and the answer shown once; at 700 px nothing overflows.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

SIMULATOR = {"ttft": 0.05, "rate": 200}

FILLER = " ".join(["Thanks for reading, and let me know if you want more detail."] * 12)
REPLY = f"""## Hosting costs

A small VPS costs about $5 a month and a managed database $20 a month.

| item | monthly | note |
|:---|---:|:---:|
| VPS | $5 | small |
| database | $20 | managed |

```python
print("hello")
```

See [the docs](https://example.com/docs), and `pip install nbstream`.

Display math $$E = mc^2$$ and inline $x^2$ stay as written.

{FILLER}
"""
SHOTS = Path(os.environ.get("NBSTREAM_SHOT_DIR", "/tmp/nbstream-shots"))

# Computed style properties a reader notices, per kind of element.
PROPS = [
    "display", "font-size", "font-weight", "font-style", "font-family", "line-height", "color",
    "background-color", "text-align", "text-decoration-line", "margin-top", "margin-bottom",
    "padding-top", "padding-left", "border-top-width", "border-top-style", "border-left-width",
    "border-radius", "white-space",
]
SELECTORS = ["h2", "p", "table", "thead th", "tbody td", "pre", "pre code", "p code", "a", "pre > .nbstream-copy"]

LOOK = """
    const [root, selectors, props] = args;
    const scope = document.querySelector(root);
    // The closing filler paragraph is still arriving while the live view is read: leave it out.
    const notFiller = el => !(el.textContent || '').includes('Thanks for reading');
    if (!scope) return null;
    const out = {};
    for (const sel of selectors) {
      const els = [...scope.querySelectorAll(sel)].filter(notFiller);
      out[sel] = els.map(el => {
        const cs = getComputedStyle(el);
        return Object.fromEntries(props.map(p => [p, cs.getPropertyValue(p)]));
      });
    }
    const text = scope.querySelector('.nbstream-text');
    out.structure = [...text.children].filter(notFiller).map(el => el.tagName.toLowerCase());
    out.links = [...text.querySelectorAll('a')].map(a => [a.getAttribute('href'), a.target, a.rel.includes('noopener')]);
    out.aligns = [...text.querySelectorAll('th, td')].map(c => getComputedStyle(c).textAlign);
    out.text = text.innerText;
    out.math = document.querySelectorAll('mjx-container, .MathJax, .katex').length;
    return out;
"""


def look(lab, root: str) -> dict:
    return lab.evaluate(LOOK, root, SELECTORS, PROPS)


def set_theme(lab, theme: str) -> None:
    lab.evaluate("await app.commands.execute('apputils:change-theme', {theme: args[0]});", theme)
    lab.page.wait_for_function(
        "t => document.body.dataset.jpThemeName === t", arg=theme, timeout=20_000
    )


def _cell(lab, i: int) -> str:
    return f".jp-Notebook .jp-Cell:nth-child({i + 1}) .jp-Cell-outputArea"


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_the_answer_looks_the_same_streaming_at_the_end_and_after_reload(lab, simulator, theme):
    SHOTS.mkdir(parents=True, exist_ok=True)
    tag = "dark" if "Dark" in theme else "light"
    lab.page.set_viewport_size({"width": 1000, "height": 1100})
    lab.open_notebook(["%load_ext nbstream", "%%llm --raw\n" + REPLY + "[[sim: echo=1 rate=60]]"],
                      name=f"look-{tag}.ipynb")
    set_theme(lab, theme)
    try:
        _compare_streaming_final_reloaded(lab, tag)
    finally:
        set_theme(lab, "JupyterLab Light")  # the theme is a setting: it outlives the test


def _compare_streaming_final_reloaded(lab, tag: str) -> None:
    lab.run_cell(0)
    lab.run_cell(1, wait=False)
    # Streaming: everything but the filler is in, and the call is still streaming.
    lab.page.wait_for_function(
        "el => el.querySelector('.nbstream-text') && el.querySelector('.nbstream-text').innerText.includes('Thanks for reading, and')",
        arg=lab.widget(1).element_handle(), timeout=30_000,
    )
    assert lab.widget(1).get_attribute("data-status") == "streaming"
    live = look(lab, f"{_cell(lab, 1)} .nbstream:not(.nbstream-static)")
    lab.output(1).screenshot(path=str(SHOTS / f"{tag}-streaming.png"))

    lab.wait_cell(1, timeout=60)
    static = lab.output(1).locator('.nbstream-static[data-status="done"]')
    static.wait_for(timeout=10_000)
    time.sleep(0.3)
    final = look(lab, f"{_cell(lab, 1)} .nbstream-static")
    lab.output(1).screenshot(path=str(SHOTS / f"{tag}-final.png"))
    # Shown once: the widget's view was replaced by the copy, in the same place.
    assert lab.output(1).locator(".nbstream").count() == 1
    assert lab.output_text(1).count("A small VPS costs") == 1

    lab.save()
    lab.shutdown_kernel()
    lab.reload()
    lab.output(1).locator(".nbstream-static").wait_for(timeout=20_000)
    time.sleep(0.5)
    reopened = look(lab, f"{_cell(lab, 1)} .nbstream-static")
    lab.output(1).screenshot(path=str(SHOTS / f"{tag}-reloaded.png"))
    assert "Error displaying widget" not in lab.output_text(1)
    assert lab.output_text(1).count("A small VPS costs") == 1

    for name, seen in (("final", final), ("reopened", reopened)):
        assert seen["structure"] == live["structure"], (name, seen["structure"], live["structure"], live["text"][-300:])
        assert seen["aligns"] == live["aligns"] == ["left", "right", "center"] * 3, name
        assert seen["links"] == live["links"] == [["https://example.com/docs", "_blank", True]]  # JupyterLab sets rel itself
        for sel in SELECTORS:
            assert len(seen[sel]) == len(live[sel]) > 0, (name, sel)
            for got, want in zip(seen[sel], live[sel], strict=True):
                diff = {p: (got[p], want[p]) for p in PROPS if got[p] != want[p]}
                assert not diff, (name, sel, diff, got, want)
        # Dollars are money, TeX stays as written: nothing typeset, live or at the end.
        assert "about $5 a month and a managed database $20 a month." in seen["text"]
        assert "$$E = mc^2$$ and inline $x^2$ stay as written" in seen["text"]
        assert seen["math"] == 0
    assert "about $5 a month and a managed database $20 a month." in live["text"]
    assert live["math"] == 0

    # The theme reaches the answer: light text on dark, dark text on light.
    rgb = [int(v) for v in re.findall(r"\d+", live["p"][0]["color"])[:3]]
    assert (sum(rgb) > 382) == (tag == "dark")


def test_at_700_px_the_answer_fits_and_nothing_overflows(lab, simulator):
    SHOTS.mkdir(parents=True, exist_ok=True)
    lab.page.set_viewport_size({"width": 700, "height": 1000})
    wide = "| " + " | ".join(f"column {i}" for i in range(12)) + " |\n|" + "---|" * 12 + "\n| " + " | ".join(["$1,000"] * 12) + " |\n"
    code = "```\n" + "x = 1  # " + "long comment " * 20 + "\n```\n"
    lab.open_notebook(["%load_ext nbstream", "%%llm --raw\n" + REPLY + wide + code + "[[sim: echo=1 rate=3000]]"])
    lab.run_cell(0)
    lab.run_cell(1)
    lab.output(1).locator('.nbstream-static[data-status="done"]').wait_for(timeout=20_000)
    lab.output(1).screenshot(path=str(SHOTS / "narrow-700.png"))
    sizes = lab.evaluate("""
        const area = panel.content.widgets[1].node.querySelector('.jp-Cell-outputArea');
        const copy = area.querySelector('.nbstream-static');
        return {area: area.getBoundingClientRect().right, copy: copy.getBoundingClientRect().right,
                copyScroll: copy.scrollWidth - copy.clientWidth,
                tables: [...copy.querySelectorAll('table, pre')].map(t => t.getBoundingClientRect().right),
                header: copy.querySelector('.nbstream-header').getBoundingClientRect().height};
    """)
    assert sizes["copy"] <= sizes["area"] + 1
    assert sizes["copyScroll"] <= 1  # wide tables and code scroll inside their own box
    assert all(right <= sizes["copy"] + 1 for right in sizes["tables"])
    assert sizes["header"] < 60  # the header wraps to two lines at most


def test_retry_after_cancel_replaces_the_cancelled_copy_instead_of_showing_it_twice(lab, simulator):
    SHOTS.mkdir(parents=True, exist_ok=True)
    lab.page.set_viewport_size({"width": 1000, "height": 900})
    lab.open_notebook(["%load_ext nbstream", "%%llm\nA long story about TCP. [[sim: tokens=3000 rate=40 seed=3]]"])
    lab.run_cell(0)
    lab.run_cell(1, wait=False)
    view = lab.output(1).locator(".nbstream:not(.nbstream-static)")
    lab.page.wait_for_function("el => +el.dataset.tokens >= 40", arg=view.element_handle(), timeout=30_000)
    lab.page.get_by_role("button", name=re.compile("Cancel")).click()
    copy = lab.output(1).locator('.nbstream-static[data-status="cancelled"]')
    copy.wait_for(timeout=10_000)
    lab.wait_cell(1, timeout=10)
    lab.output(1).screenshot(path=str(SHOTS / "retry-1-cancelled.png"))
    first_words = copy.locator(".nbstream-text p").first.inner_text()[:30]
    assert lab.output_text(1).count(first_words) == 1
    assert "cancelled" in copy.inner_text()
    # The ended view keeps only its Retry button: the copy below carries the header and the text.
    assert view.locator(".nbstream-status").is_hidden() and view.locator(".nbstream-retry").is_visible()

    view.locator(".nbstream-retry").click()
    lab.page.wait_for_function(
        "el => el.dataset.status === 'streaming' && +el.dataset.tokens >= 40", arg=view.element_handle(), timeout=30_000
    )
    lab.output(1).screenshot(path=str(SHOTS / "retry-2-streaming-again.png"))
    assert lab.output(1).locator(".nbstream-static").count() == 0  # the cancelled copy went at once
    assert view.locator(".nbstream-status").is_visible()
    assert lab.output_text(1).count(first_words) == 1  # the same opening, once: the new stream's

    view.get_by_role("button", name=re.compile("Cancel")).click()
    copy.wait_for(timeout=10_000)
    assert lab.output(1).locator(".nbstream-static").count() == 1  # one copy, the new one, in place
    assert lab.output_text(1).count(first_words) == 1


def test_nbconvert_html_shows_the_answer_as_jupyterlab_does_and_count_output_is_money(lab, simulator, tmp_path):
    import subprocess
    import sys

    lab.open_notebook(["%load_ext nbstream", "%%llm --raw\n" + REPLY + "[[sim: echo=1 rate=3000]]",
                       "%%llm --count\nHow much is a VPS at $5 a month and a database at $20 a month?"],
                      name="convert.ipynb")
    assert lab.run_all()
    lab.output(1).locator('.nbstream-static[data-status="done"]').wait_for(timeout=20_000)
    lab.wait_for_output(2, "input tokens")
    time.sleep(0.5)
    in_lab = look(lab, f"{_cell(lab, 1)} .nbstream-static")
    counted = lab.output(2)
    assert "$" in counted.inner_text() and counted.locator("mjx-container").count() == 0  # money, not math
    lab.save()

    subprocess.run([sys.executable, "-m", "nbconvert", "--to", "html", "--output-dir", str(tmp_path),
                    str(lab.server.root_dir / "convert.ipynb")], check=True, capture_output=True, timeout=120)
    page = lab.context.new_page()
    page.route("**/*", lambda route: route.abort() if not route.request.url.startswith("file:") else route.continue_())
    page.goto((tmp_path / "convert.html").as_uri())
    page.wait_for_selector(".nbstream-static")
    converted = page.evaluate(f"(args) => {{ {LOOK} }}", [".nbstream-static", SELECTORS, PROPS])
    page.screenshot(path=str(SHOTS / "nbconvert.png"), full_page=True)
    assert page.locator("text=Error displaying widget").count() == 0
    assert converted["structure"] == in_lab["structure"] and converted["aligns"] == in_lab["aligns"]
    assert converted["links"][0][:2] == ["https://example.com/docs", "_blank"]
    for sel in SELECTORS:  # the copy's own script runs in nbconvert's page too: the Copy button is there
        assert len(converted[sel]) == len(in_lab[sel]) > 0, sel
        for got, want in zip(converted[sel], in_lab[sel], strict=True):
            diff = {p: (got[p], want[p]) for p in PROPS if got[p] != want[p] and p != "font-family"}
            assert not diff, (sel, diff)


def test_a_finished_panel_shows_one_summary_and_its_copy_keeps_it_for_the_reopened_notebook(lab, simulator):
    SHOTS.mkdir(parents=True, exist_ok=True)
    lab.page.set_viewport_size({"width": 700, "height": 1000})
    lab.open_notebook(["%load_ext nbstream", "%%llm -n 3\nIs $5 a month a fair price for a VPS? [[sim: tokens=40]]"])
    lab.run_cell(0)
    lab.run_cell(1, timeout=60)
    area = lab.output(1)
    copy = area.locator(".nbstream-static-panel")
    copy.wait_for(state="attached", timeout=20_000)
    area.locator('.nbstream-panel[data-status="done"]').wait_for(timeout=20_000)
    time.sleep(0.5)
    area.screenshot(path=str(SHOTS / "panel-700-live.png"))
    # One summary: the live panel's; the copy below it keeps only the answers, collapsed.
    assert area.locator(".nbstream-panel .nbstream-summary").is_visible()
    assert copy.locator(".nbstream-copy-overview").is_hidden()
    assert copy.locator("details").count() == 3
    # The legend names the colour the finished bars took.
    assert area.locator('.nbstream-wf-outcome[data-outcome="done"]').is_visible()

    lab.save()
    lab.shutdown_kernel()
    lab.reload()
    area = lab.output(1)  # a new page: locators again
    copy = area.locator(".nbstream-static-panel")
    copy.locator(".nbstream-copy-overview").wait_for(timeout=20_000)  # without the widget: the copy's own summary
    area.screenshot(path=str(SHOTS / "panel-700-reloaded.png"))
    fit = lab.evaluate("""
        const area = panel.content.widgets[1].node.querySelector('.jp-Cell-outputArea');
        const copy = area.querySelector('.nbstream-static-panel');
        return {over: copy.scrollWidth - copy.clientWidth, math: area.querySelectorAll('mjx-container').length,
                right: copy.getBoundingClientRect().right, areaRight: area.getBoundingClientRect().right};
    """)
    assert fit["over"] <= 1 and fit["right"] <= fit["areaRight"] + 1  # the table scrolls in its own box
    assert fit["math"] == 0  # the costs in the table are money
    assert "$" in copy.locator("table").inner_text()


def test_reopened_without_a_kernel_ended_calls_that_kept_their_widget_show_their_answer_and_no_error(lab, simulator):
    """A cancelled call and a panel keep their widget (Retry, the rows) above their copy: reopened, JupyterLab
    cannot show that widget, and its "model not found" line must not sit above the answer."""
    lab.open_notebook([
        "%load_ext nbstream",
        "%%llm\nA long story about TCP. [[sim: tokens=3000 rate=40 seed=3]]",
        "%%llm -n 2\nName a port number. [[sim: tokens=12]]",
    ])
    lab.run_cell(0)
    lab.run_cell(1, wait=False)
    view = lab.output(1).locator(".nbstream:not(.nbstream-static)")
    lab.page.wait_for_function("el => +el.dataset.tokens >= 20", arg=view.element_handle(), timeout=30_000)
    lab.page.get_by_role("button", name=re.compile("Cancel")).click()
    lab.output(1).locator('.nbstream-static[data-status="cancelled"]').wait_for(timeout=10_000)
    lab.wait_cell(1, timeout=10)
    lab.run_cell(2, timeout=60)
    lab.output(2).locator(".nbstream-static-panel").wait_for(state="attached", timeout=20_000)
    assert view.locator(".nbstream-retry").is_visible()  # live: the widget keeps its Retry button

    lab.save()
    lab.shutdown_kernel()
    lab.reload()
    for i in (1, 2):
        lab.output(i).locator(".nbstream-static").first.wait_for(timeout=20_000)
    lab.page.wait_for_timeout(1000)  # the widget manager has given up on the models by now
    cancelled, panel = lab.output_text(1), lab.output_text(2)
    for shown in (cancelled, panel):
        assert "Error displaying widget" not in shown and "Loading widget" not in shown, shown[:200]
    assert "cancelled" in cancelled and len(cancelled.split()) > 20
    assert "2/2 calls" in panel
    # The dead widget's output is hidden, not removed: the notebook file is left as it was.
    dead = lab.output(1).locator(".jp-OutputArea-output.lm-Panel")
    assert dead.count() == 1 and dead.is_hidden()
