"""The static copy of thinking, notes, a server tool's links and cited sources: escaped HTML with the
live view's classes (``js/content_parts.js``), and safe Markdown. Everything in them came from the API:
it is escaped here, and a link is written only for an http(s) URL."""

from __future__ import annotations

import html
import re
from typing import Any

from ._content_parts import safe_url

KINDS = frozenset({"thinking", "note", "sources"})
_MD_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~$])")


def _md(text: object) -> str:
    return _MD_PUNCTUATION.sub(r"\\\1", " ".join(str(text or "").split()))


def thinking_label(part: dict[str, Any]) -> str:
    """As ``thinkingLabel`` in js/content_parts.js says it."""
    what = "thinking (redacted)" if part.get("redacted") else "thinking"
    if not part.get("done"):
        return f"{what}…"
    if part.get("redacted"):
        return "thought (redacted by the API)"
    return "thought" if part.get("text") else "thought (the API did not show the text)"


def _link(title: object, url: object) -> str:
    href = safe_url(url)
    text = html.escape(str(title or href or "source"))
    if href is None:
        return f'<span class="nbstream-link-text">{text}</span>'
    return f'<a href="{html.escape(href, quote=True)}" target="_blank" rel="noopener noreferrer nofollow">{text}</a>'


def links_html(links: object) -> str:
    if not isinstance(links, list) or not links:
        return ""
    items = "".join(f"<li>{_link(link.get('title'), link.get('url'))}</li>" for link in links if isinstance(link, dict))
    return f'<ul class="nbstream-tool-links">{items}</ul>'


def html_of(part: dict[str, Any]) -> str:
    if part["t"] == "thinking":
        text = html.escape(str(part.get("text") or ""))
        body = f'<div class="nbstream-thinking-text">{text}</div>' if text else ""
        done = "true" if part.get("done") else "false"
        return (
            f'<details class="nbstream-thinking" data-done="{done}"><summary class="nbstream-thinking-label">'
            f"{html.escape(thinking_label(part))}</summary>{body}</details>"
        )
    if part["t"] == "note":
        kind = html.escape(str(part.get("kind") or ""), quote=True)
        text = html.escape(str(part.get("text") or ""))
        return f'<div class="nbstream-note" role="note" data-kind="{kind}">{text}</div>'
    items = []
    for source in part.get("items") or []:
        location = source.get("location")
        cited = source.get("cited_text")
        items.append(
            f'<li value="{int(source.get("n") or 0)}">{_link(source.get("title"), source.get("url"))}'
            + (f' <span class="nbstream-source-location">{html.escape(str(location))}</span>' if location else "")
            + (f' <q class="nbstream-cited">{html.escape(str(cited))}</q>' if cited else "")
            + "</li>"
        )
    return (
        '<div class="nbstream-sources" role="group" aria-label="sources"><div class="nbstream-sources-title">'
        f'Sources</div><ol>{"".join(items)}</ol></div>'
    )


def markdown(part: dict[str, Any]) -> str:
    if part["t"] == "thinking":
        text = str(part.get("text") or "")
        return f"> *{_md(thinking_label(part))}*" + (f"  \n> {_md(text[:600])}" if text else "")
    if part["t"] == "note":
        return f"*{_md(part.get('text'))}*"
    lines = ["**Sources**", ""]
    for source in part.get("items") or []:
        url = safe_url(source.get("url"))
        where = f" ({_md(source['location'])})" if source.get("location") else ""
        cited = f" “{_md(source['cited_text'])}”" if source.get("cited_text") else ""
        # The URL as code: a reader sees where it goes and no renderer makes a link or a request of it.
        target = f" `{url.replace('`', '')}`" if url else ""
        lines.append(f"{int(source.get('n') or 0)}. {_md(source.get('title'))}{target}{where}{cited}")
    return "\n".join(lines)
