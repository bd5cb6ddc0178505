"""The static copy of an answer: Markdown and HTML that outlive the kernel, and are harmless.

After a stream ends, the cell's output also holds this copy, so the answer can be read after reopening
the notebook without a kernel, in nbconvert HTML, on GitHub and in headless runs. Model output is
untrusted and JupyterLab renders a live session's outputs as trusted, without sanitising (see
``shared/reference/platform-findings.md``), so both forms are made safe here:

- ``text/html``: rendered by cmark-gfm (GitHub's CommonMark parser) with the model's ``<`` kept as
  text, so no raw HTML, and links validated, then sanitised by nh3 (ammonia) with a strict allowlist.
  JupyterLab, nbconvert and GitHub prefer this form.
- ``text/markdown``: the source with raw HTML neutralised (every ``<`` outside code is escaped), images
  turned into links, and, if the text has any link to a scheme other than http, https or mailto, every
  link bracket escaped, so no Markdown renderer can turn it into markup, a script link or a tracker.
  ``$`` is escaped too: nbstream never typesets math (see ``_static_style``).

The HTML form looks like the live widget (its header, text styles and Copy buttons: ``_static_style``).
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING, Any

import cmarkgfm
import nh3

from . import _content_html, _format, _static_style
from ._static_tools import tools_html

if TYPE_CHECKING:  # only for annotations: the result module imports this one
    from ._result import Result

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_ALLOWED_TAGS = {
    "p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "a", "em", "strong", "s", "del", "code",
    "pre", "blockquote", "hr", "br", "table", "thead", "tbody", "tr", "th", "td", "div",
}
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):")


def is_safe_url(url: str) -> bool:
    """Only absolute http(s) and mailto links, or a fragment, survive."""
    url = url.strip()
    if url.startswith("#"):
        return True
    match = _SCHEME.match(url)
    return match is not None and match.group(1).lower() in SAFE_SCHEMES


# cmark-gfm (GitHub's CommonMark parser, in C) renders the copy: about ten times faster than a parser in
# Python, which matters on the kernel's CPU at the end of a long reply or of a 200-row panel. What a model
# writes is never markup, so its "<" reaches the parser as a placeholder character: no raw HTML, and
# code shows it as written; the placeholder becomes "&lt;" in the HTML. Autolinks to web and mail
# addresses keep theirs.
_LT = "\ue000"  # a private-use character: nothing else writes it (one in the text is replaced first)
_LT_IN_URL = "".join(f"%{b:02X}" for b in _LT.encode())
_MODEL_LT = re.compile(r"<(?!(?:https?|mailto):[^\s<>]*>)", re.I)  # every "<" but an autolink's
_EXTENSIONS = ["table", "strikethrough"]
# A link, or an image (shown as a link: a remote image is a tracking pixel), as cmark writes them.
_IMG = r'<img src="([^"]*)" alt="([^"]*)"(?: title="[^"]*")? />'
_IMAGE = re.compile(_IMG)
_LINK_OR_IMAGE = re.compile(r'<a href="([^"]*)"( title="[^"]*")?>(.*?)</a>|' + _IMG, re.S)
_HEADING = re.compile(r"<h([1-6])>")
_CODE = re.compile(r"(<code[^>]*>.*?</code>)", re.S)


def _unescape_lt(rendered: str) -> str:
    """A model's "\\<" is an escaped "<" in prose (the placeholder hid it from the parser, so its
    backslash stayed); in code both characters are what was written."""
    if "\\&lt;" not in rendered:
        return rendered
    parts = _CODE.split(rendered)
    return "".join(part if i % 2 else part.replace("\\&lt;", "&lt;") for i, part in enumerate(parts))


def _links(rendered: str) -> tuple[str, bool]:
    """Only absolute web and mail links (and fragments) stay links; an image becomes a link to it.
    Returns the HTML and whether any link or image was refused (shown as its text instead)."""
    refused = False

    def one(match: re.Match[str]) -> str:
        nonlocal refused
        href, title, inner, src, alt = match.groups()
        if src is not None:  # an image outside any link
            if is_safe_url(html.unescape(src)):
                return f'<a href="{src}">{alt or "image"}</a>'
            refused = True
            return alt
        inner = _IMAGE.sub(lambda m: m.group(2), inner)  # an image inside a link: its text
        if is_safe_url(html.unescape(href)):
            return f'<a href="{href}"{title or ""}>{inner}</a>'
        refused = True
        return inner

    return _LINK_OR_IMAGE.sub(one, rendered), refused


TOC_IGNORE = "jp-toc-ignore"
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


def _keep_safe_classes(tag: str, attr: str, value: str) -> str | None:
    if attr == "align":
        return value if value in ("left", "center", "right") else None
    if attr != "class":
        return value
    if tag == "code" and re.fullmatch(r"language-[\w+-]{1,40}", value):
        return value
    return value if tag in _HEADINGS and value == TOC_IGNORE else None


def _render(markdown_text: str) -> tuple[str, bool]:
    """Sanitised HTML, and whether any link was refused (one parse serves both forms)."""
    source = _MODEL_LT.sub(_LT, markdown_text.replace(_LT, "\ufffd"))
    rendered = cmarkgfm.markdown_to_html_with_extensions(source, options=0, extensions=_EXTENSIONS)
    rendered = rendered.replace(_LT, "&lt;").replace(_LT_IN_URL, "%3C")  # in a link's address, percent-encoded
    rendered, refused = _links(_unescape_lt(rendered))
    # A model's headings are not the notebook's: JupyterLab's table of contents leaves them out (it
    # would otherwise build a component per heading of every answer).
    rendered = _HEADING.sub(f'<h\\1 class="{TOC_IGNORE}">', rendered)
    html_text = nh3.clean(
        rendered,
        tags=_ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes={
            "a": {"href", "title"}, "code": {"class"}, "th": {"align"}, "td": {"align"},
            **{h: {"class"} for h in _HEADINGS},
        },
        attribute_filter=_keep_safe_classes,
        url_schemes=set(SAFE_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        set_tag_attribute_values={"a": {"target": "_blank"}},
    )
    return html_text, refused


def render_html(markdown_text: str) -> str:
    """Markdown to sanitised HTML (no raw HTML, no script links, no images loaded)."""
    return _render(markdown_text)[0]


def has_unsafe_links(markdown_text: str) -> bool:
    return _render(markdown_text)[1]


def both_forms(markdown_text: str) -> tuple[str, str]:
    """(sanitised HTML, neutralised Markdown) of one text, parsed once."""
    html_text, refused = _render(markdown_text)
    return html_text, safe_markdown(markdown_text, unsafe_links=refused)


_FENCE_OPEN = re.compile(r"( {0,3})(`{3,}|~{3,})")


def safe_markdown(markdown_text: str, *, unsafe_links: bool | None = None) -> str:
    """The same Markdown with raw HTML (and, if any link is unsafe, link syntax) neutralised."""
    escape_brackets = has_unsafe_links(markdown_text) if unsafe_links is None else unsafe_links
    out: list[str] = []
    fence: str | None = None
    for line in markdown_text.splitlines(keepends=True):
        if fence is not None:
            out.append(line)
            stripped = line.strip()
            if stripped.startswith(fence) and not stripped.strip(fence[0]):
                fence = None
            continue
        opened = _FENCE_OPEN.match(line)
        if opened:
            fence = opened.group(2)
            out.append(line)
            continue
        # Most lines of prose hold nothing to escape: kept as they are without the per-character walk.
        needs = _NEEDS_ESCAPE_WITH_BRACKETS if escape_brackets else _NEEDS_ESCAPE
        out.append(_escape_outside_code_spans(line, escape_brackets) if needs.search(line) else line)
    return "".join(out)


_NEEDS_ESCAPE = re.compile(r"[\\`<$]|!\[")
_NEEDS_ESCAPE_WITH_BRACKETS = re.compile(r"[\\`<$\[\]]")


def _escape_outside_code_spans(line: str, escape_brackets: bool) -> str:
    out: list[str] = []
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if ch == "\\" and i + 1 < n:  # an existing escape: keep the pair as it is
            out.append(line[i : i + 2])
            i += 2
            continue
        if ch == "`":
            j = i
            while j < n and line[j] == "`":
                j += 1
            run = line[i:j]
            close = _closing_run(line, j, run)
            if close is not None:  # a code span: its content is literal already
                out.append(line[i : close + len(run)])
                i = close + len(run)
            else:
                out.append(run)
                i = j
            continue
        if ch in "<$" or (escape_brackets and ch in "[]") or (ch == "!" and line.startswith("[", i + 1)):
            out.append("\\" + ch)  # "\!" before "[": an image becomes a plain link, never loaded
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def _closing_run(line: str, start: int, run: str) -> int | None:
    pos = start
    while (pos := line.find(run, pos)) != -1:
        end = pos + len(run)
        if (end >= len(line) or line[end] != "`") and line[pos - 1] != "`":
            return pos
        while pos < len(line) and line[pos] == "`":
            pos += 1
    return None


_MD_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~$])")


def _escape_markdown_inline(text: str) -> str:
    return _MD_PUNCTUATION.sub(r"\\\1", " ".join(text.split()))


def _tool_title(part: dict[str, Any]) -> str:
    outcome = {"done": "done", "failed": "failed", "running": "running", "ready": "not run", "forming": "not run"}
    duration = f" in {_format.seconds(part['duration'])}" if part.get("duration") is not None else ""
    arguments = " ".join(str(part.get("input") or "").split())
    kind = "server tool" if part.get("server") else "tool"
    return f"{kind} {part['name']}({arguments}) · {outcome.get(part['status'], part['status'])}{duration}"


def parts_markdown(parts: list[dict[str, Any]]) -> str:
    """Text, thinking, tool calls, notes and sources, in order, as safe Markdown."""
    out = []
    for part in parts:
        if part["t"] == "text":
            out.append(both_forms(part["text"])[1].rstrip())
        elif part["t"] in _content_html.KINDS:
            out.append(_content_html.markdown(part))
        else:
            result = " ".join(str(part.get("result") or "").split())[:300]
            out.append(
                f"> *{_escape_markdown_inline(_tool_title(part))}*"
                + (f"  \n> {_escape_markdown_inline(result)}" if result else "")
            )
    return "\n\n".join(out)


def parts_html(parts: list[dict[str, Any]]) -> str:
    """Text (rendered and sanitised), thinking (collapsed), tool calls (the widget's cards, escaped; a server
    tool's links), notes and sources, in order."""
    out = []
    tools: list[dict[str, Any]] = []
    for part in [*parts, None]:
        if part is not None and part["t"] == "tool":
            tools.append(part)
            continue
        if tools:  # consecutive calls sit side by side, as in the live view
            out.append(tools_html(tools))
            tools = []
        if part is not None and part["t"] in _content_html.KINDS:
            out.append(_content_html.html_of(part))
        elif part is not None:
            out.append(f'<div class="nbstream-text">{render_html(part["text"])}</div>')
    return "".join(out)


# Ours, not model output: the blocks of a long answer are laid out only when they scroll into view,
# so showing the copy of a 20,000-token answer does not hold JupyterLab's main thread.
LAZY_LAYOUT = (
    "<style>.nbstream-static .nbstream-text>*{content-visibility:auto;contain-intrinsic-size:auto 2em}</style>"
)


def static_copy_bundle(
    result: Result, parts: list[dict[str, Any]] | None = None, *, stats: dict[str, Any] | None = None,
    replaces_view: bool = False,
) -> dict[str, str]:
    """The mimebundle of the static copy: text/markdown, text/html and text/plain (with tool calls, if any).

    The HTML reads like the widget at its end: its header (``stats``: the run's own figures, the widget's
    ``stats`` trait), the error line, the text. ``replaces_view``: the copy takes the widget's place in
    its output, so its root also carries the widget's root class.
    """
    footer = _format.summary(result)
    if result.error and result.status != "done":
        footer = f"{footer} · {result.error}"
    if parts:
        body_md, body_html = parts_markdown(parts), parts_html(parts)
    else:
        body_html, body_md = both_forms(result.text) if result.text else ("", "")
        body_html = f'<div class="nbstream-text">{body_html}</div>' if body_html else ""
    md = (body_md.rstrip() + "\n\n---\n" if body_md else "") + f"*{_escape_markdown_inline(footer)}*\n"
    status = html.escape(result.status, quote=True)
    figures = stats if stats is not None else _static_style.result_stats(result)
    header = _static_style.header_html(result.status, result.model, figures, simulated=result.simulated)
    error = (
        f'<div class="nbstream-error" role="alert">{html.escape(result.error)}</div>'
        if result.error and result.status != "done" else ""
    )
    root = ("nbstream " if replaces_view else "") + f"nbstream-static {_static_style.NO_MATH}"
    copy = (
        f'<div class="{root}" data-status="{status}" '
        f'data-tokens="{result.usage.output_tokens}">{header}{error}{body_html}</div>'
    )
    return {"text/markdown": md, "text/html": _static_style.page(copy, LAZY_LAYOUT), "text/plain": plain_line(footer)}


def plain_line(line: str) -> str:
    """The plain-text form: one line, for the viewers that show nothing richer (the answer itself is in
    the HTML form, which JupyterLab, Notebook, VS Code, Colab, nbconvert and GitHub show, and in the
    Markdown form, which nbconvert's LaTeX and PDF export use): a saved notebook keeps the text twice,
    not three times."""
    return f"nbstream: {line} (the answer is in this output's HTML and Markdown forms)"


def panel_summary_line(summary: dict[str, Any]) -> str:
    """The panel's totals in one line: calls, tokens, cost, and what concurrency bought."""
    parts = [f"{summary['done']}/{summary['total']} calls"]
    parts.append(f"{summary['input_tokens']:,} in / {summary['output_tokens']:,} tokens out")
    cost = _format.dollars(summary["cost"], estimated=not summary.get("cost_exact", True))
    parts.append(cost + (" + unknown" if summary["cost_partial"] and summary["cost"] is not None else ""))
    if summary.get("budget"):
        parts.append(summary["budget"])
    if summary.get("ttft_p50") is not None:
        parts.append(f"TTFT p50 {_format.seconds(summary['ttft_p50'])} / p95 {_format.seconds(summary['ttft_p95'])}")
    if summary.get("speedup"):
        parts.append(
            f"wall {_format.seconds(summary['wall'])} vs {_format.seconds(summary['sum_durations'])} summed "
            f"({summary['speedup']:.1f}x)"
        )
    return " · ".join(parts)


def panel_row_copy(label: str, result: Result) -> tuple[str, str]:
    """One row's answer in a panel's copy: (a collapsed HTML section, a Markdown section). Rendered as
    each row ends, so a panel's end has little left to do."""
    title = f"{label} · {result.model} · {_format.STATUS_LABELS.get(result.status, result.status)}"
    error = f" · {result.error}" if result.error and result.status != "done" else ""
    answer_html, answer_md = both_forms(result.text) if result.text else ("", "")
    section = (
        f'<details data-status="{html.escape(result.status, quote=True)}">'
        f"<summary>{html.escape(title + error)}</summary>"
        f'<div class="nbstream-text">{answer_html}</div></details>'
    )
    return section, f"\n#### {_escape_markdown_inline(title + error)}\n\n{answer_md.rstrip()}"


def panel_copy_bundle(
    labels: list[str], results: list[Result], summary: dict[str, Any], sections: list[tuple[str, str]]
) -> dict[str, str]:
    """The static copy of a whole panel: totals, a table of rows, and each answer (collapsed): its
    ``sections``, each row's :func:`panel_row_copy`."""
    head = panel_summary_line(summary)
    columns = ("row", "model", "status", "tokens out", "TTFT", "duration", "cost")
    table_rows = [
        (
            label, r.model, _format.STATUS_LABELS.get(r.status, r.status), f"{r.usage.output_tokens:,}",
            _format.seconds(r.ttft), _format.seconds(r.duration), _format.result_cost(r),
        )
        for label, r in zip(labels, results, strict=True)
    ]
    page = [  # the widget's look (its stylesheet, header line, tables that scroll in their box), no math
        f'<div class="nbstream-static nbstream-static-panel {_static_style.NO_MATH}" '
        f'data-status="done"><div class="nbstream-copy-overview">',
        f'<div class="nbstream-header">{html.escape(head)}</div>',
        '<div class="nbstream-text"><table><thead><tr>',
        "".join(f"<th>{c}</th>" for c in columns), "</tr></thead><tbody>",
        "".join("<tr>" + "".join(f"<td>{html.escape(v)}</td>" for v in row) + "</tr>" for row in table_rows),
        "</tbody></table></div></div>",
    ]
    md = [f"*{_escape_markdown_inline(head)}*", "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    md += ["| " + " | ".join(_escape_markdown_inline(v) for v in row) + " |" for row in table_rows]
    for section_html, section_md in sections:
        page.append(section_html)
        md.append(section_md)
    page.append("</div>")
    copy = "".join(page)
    return {
        "text/markdown": "\n".join(md) + "\n",
        "text/html": _static_style.page(copy),
        "text/plain": plain_line(head),
    }
