"""Model output is untrusted: every hostile payload, streamed through the real stack into a real
JupyterLab, runs nothing and changes nothing outside the widget — in the live widget, in the static
copy's HTML, and in the static copy's Markdown rendered on its own as trusted output."""

from __future__ import annotations

import json

import pytest
from hostile_corpus import EVERYWHERE, PAYLOADS, URL_PAYLOADS

pytestmark = pytest.mark.browser

DANGEROUS = (
    "script, iframe, object, embed, img, svg, math, style, link, meta, base, form, input, video, source, details"
)


SIMULATOR = {"ttft": 0.0, "rate": 3000}


def test_hostile_model_output_runs_nothing_and_stays_inside_the_widget(lab):
    cells = ["%load_ext nbstream\nfrom IPython.display import display\nfrom nbstream._static_copy import safe_markdown"]
    for payload in PAYLOADS:
        cells.append(f"%%llm --raw\n{payload}\n[[sim: echo=1]]")
        # The Markdown form of the static copy, alone: JupyterLab renders live output as trusted.
        cells.append(f"display({{'text/markdown': safe_markdown({json.dumps(payload)})}}, raw=True)")
    # The same payloads (and URLs that try to leave their attribute) as search results' titles and URLs,
    # cited passages and their sources, a fetched page's title and code execution's output.
    for payload in [*PAYLOADS, *URL_PAYLOADS]:
        cells.append(f"%%llm --raw\n{payload}\n{EVERYWHERE}")
    calls = 2 * len(PAYLOADS) + len(URL_PAYLOADS)
    lab.open_notebook(cells)
    url = lab.page.url
    assert lab.run_all()

    streams = lab.page.locator(".jp-OutputArea .nbstream")
    assert streams.count() == calls
    lab.page.wait_for_function(
        "n => document.querySelectorAll('.nbstream[data-status=\"done\"]').length === n", arg=calls
    )
    assert lab.page.locator(".nbstream-static").count() == calls
    assert lab.page.locator(".nbstream-static .nbstream-sources li").count() >= len(PAYLOADS) + len(URL_PAYLOADS)

    assert not lab.was_set("__pwned")
    assert lab.dialogs == []
    assert lab.page.url == url  # no navigation, no refresh
    found = lab.evaluate(
        f"""
        const inside = '.nbstream-text, .nbstream-static, .jp-RenderedMarkdown';
        // nbstream's own <details> (a tool call, thinking) are ours; any other one came from the payload
        const ours = e => e.tagName === 'DETAILS' && /(^| )nbstream-(tool-result|thinking)( |$)/.test(e.className);
        const bad = [...document.querySelectorAll(inside)].flatMap(el => [...el.querySelectorAll('{DANGEROUS}')])
            .filter(e => !ours(e));
        const styled = [...document.querySelectorAll(inside)].flatMap(el => [...el.querySelectorAll('[style]')]);
        const links = [...document.querySelectorAll('a[href]')].filter(a => !/^(https?:|mailto:|#|\\/|[^:]*$)/i.test(a.getAttribute('href').trim()));
        const top = document.elementFromPoint(5, 5);
        return {{
            bad: bad.map(e => e.outerHTML.slice(0, 120)),
            styled: styled.map(e => e.outerHTML.slice(0, 120)),
            links: links.map(a => a.getAttribute('href')),
            pwnedId: !!document.getElementById('pwned') || document.getElementsByName('pwned').length > 0,
            clobbered: typeof window.pwned !== 'undefined' && !(window.pwned instanceof Window),
            topIsLab: !!top && !!top.closest('#jp-top-panel, #jp-menu-panel, .lm-MenuBar, .jp-LabShell, #main'),
            bodyShown: getComputedStyle(document.body).display !== 'none',
        }};
        """
    )
    assert found["bad"] == [] and found["styled"] == [] and found["links"] == []
    assert not found["pwnedId"] and not found["clobbered"]
    assert found["topIsLab"] and found["bodyShown"]
    # The code-fence payload is shown as code, literally.
    assert "<script>window.__pwned=1</script>" in lab.page.locator(".nbstream-static .nbstream-text pre").first.text_content()
    # A URL that tries to leave its attribute is one link, to exactly that address, in the live view and the copy.
    hrefs = lab.evaluate("return [...document.querySelectorAll('.nbstream-sources a, .nbstream-tool-links a')]"
                         ".map(a => a.getAttribute('href'))")
    for hostile_url in URL_PAYLOADS:
        assert hostile_url in hrefs
    assert all(h.startswith(("http://", "https://")) for h in hrefs)
