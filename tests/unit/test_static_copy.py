from html.parser import HTMLParser

import pytest
from hostile_corpus import PAYLOADS
from markdown_it import MarkdownIt

from nbstream._events import Usage
from nbstream._result import Result
from nbstream._static_copy import is_safe_url, render_html, safe_markdown, static_copy_bundle

ALLOWED_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "em", "strong", "s", "del", "code", "pre",
    "blockquote", "hr", "br", "table", "thead", "tbody", "tr", "th", "td", "div",
}
ALLOWED_ATTRS = {"href", "title", "class", "target", "rel", "align", "start"}


class Elements(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str]]] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, {k: v or "" for k, v in attrs}))


def assert_inert(html: str) -> None:
    for tag, attrs in Elements(html).found:
        assert tag in ALLOWED_TAGS, (tag, html)
        assert set(attrs) <= ALLOWED_ATTRS, (attrs, html)
        href = attrs.get("href", "").strip().lower()
        assert not href or href.startswith(("http:", "https:", "mailto:", "#")), (href, html)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_html_form_is_inert(payload):
    assert_inert(render_html(payload))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_form_stays_inert_even_under_a_renderer_that_allows_raw_html(payload):
    # The worst case: a viewer that renders Markdown with raw HTML on and no link validation.
    permissive = MarkdownIt("commonmark", {"html": True})
    permissive.validateLink = lambda url: True
    assert_inert(permissive.render(safe_markdown(payload)))


def test_ordinary_markdown_keeps_its_formatting():
    text = "# Title\n\nSome **bold** and `code < 3`.\n\n- a\n- b\n\n```python\nif a < b:\n    pass\n```\n\n[docs](https://docs.python.org)"
    html = render_html(text)
    assert '<h1 class="jp-toc-ignore">Title</h1>' in html and "<strong>bold</strong>" in html  # not in the ToC
    assert "<code>code &lt; 3</code>" in html
    assert '<code class="language-python">if a &lt; b:' in html
    assert 'href="https://docs.python.org"' in html and 'target="_blank"' in html and "noopener" in html
    assert safe_markdown(text) == text  # nothing to neutralise: the Markdown is untouched


def test_images_become_links_instead_of_loading():
    html = render_html("![chart](https://example.com/c.png)")
    assert "<img" not in html and 'href="https://example.com/c.png"' in html and ">chart<" in html


@pytest.mark.parametrize(
    ("url", "ok"),
    [("https://x.org", True), ("HTTP://x", True), ("mailto:a@b.c", True), ("#top", True),
     ("javascript:alert(1)", False), ("data:text/html,x", False), ("/api/kernels", False), ("x.html", False)],
)
def test_only_absolute_web_links_are_safe(url, ok):
    assert is_safe_url(url) is ok


def test_the_bundle_carries_the_answer_and_a_provenance_line():
    result = Result(
        text="**Hi**", status="cut_off", model="claude-haiku-5-5", usage=Usage(input_tokens=5, output_tokens=2),
        ttft=0.4, duration=1.0, cost=0.0000015, error="Connection lost mid-stream.", simulated=True,
    )
    bundle = static_copy_bundle(result)
    assert set(bundle) == {"text/markdown", "text/html", "text/plain"}
    assert bundle["text/markdown"].startswith("**Hi**")
    assert "cut off" in bundle["text/plain"] and "Connection lost" in bundle["text/plain"]
    assert 'data-status="cut_off"' in bundle["text/html"]
    assert "simulated" in bundle["text/html"]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a <b>bold</b> c", "<p>a &lt;b&gt;bold&lt;/b&gt; c</p>"),  # raw HTML is text, as in the live widget
        ("`x <y>`", "<code>x &lt;y&gt;</code>"),  # code shows what was written
        ("    if a <b:\n", "<pre><code>if a &lt;b:\n</code></pre>"),
        ("\\<div> escaped", "<p>&lt;div&gt; escaped</p>"),
        ("x < y and y > z", "<p>x &lt; y and y &gt; z</p>"),
        ("[docs](javascript:alert(1)) here", "<p>docs here</p>"),  # a refused link is its label
        ("[page](x.html)", "<p>page</p>"),  # relative: it would point into the notebook server
        ("~~gone~~ and ~this~", "<p><del>gone</del> and <del>this</del></p>"),  # as marked shows it
    ],
)
def test_html_form_shows_what_the_live_widget_shows(text, shown):
    assert shown in render_html(text)


def test_links_keep_their_address_and_autolinks_stay_links():
    html = render_html("[q](https://x.org/?q=<b>) and <https://y.org/z>, [![pic](https://x.org/p.png)](https://x.org)")
    assert 'href="https://x.org/?q=%3Cb%3E"' in html  # the "<" in an address stays in it
    assert 'href="https://y.org/z"' in html and ">https://y.org/z</a>" in html
    assert html.count("<a ") == 3 and ">pic</a>" in html  # the image in a link: that one link, its text
