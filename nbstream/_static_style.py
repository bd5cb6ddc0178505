"""How the static copy looks: the same header, text styles and Copy buttons as the live widget.

The copy is shown by hosts that style HTML outputs their own way (JupyterLab's ``.jp-RenderedHTMLCommon``
right-aligns table cells, drops borders, resizes headings). So the copy carries the widget's own
stylesheet for an answer (``transcript.css``, the very file the front end bundles), with every
``.nbstream-text`` selector raised above any host rule, and a constant script (ours, no model text in
it) that adds the widget's Copy button to code blocks where the host runs scripts (JupyterLab and
nbconvert HTML for trusted output). Where it does not run, the code block simply has no button.

Math: nbstream never typesets ``$``. A model's ``$`` is usually money ("$5 a month and $20 a month"),
and the live widget shows TeX source literally, so the copy does the same: its root carries the classes
MathJax 2 and 3 skip (JupyterLab, Notebook, nbconvert), and the Markdown form escapes ``$``.
"""

from __future__ import annotations

import functools
import html
import pathlib
import re
from typing import Any

from . import _format

NO_MATH = "tex2jax_ignore mathjax_ignore"
_CSS = pathlib.Path(__file__).with_name("transcript.css")
_TEXT_SELECTOR = re.compile(r"\.nbstream-text(?![\w-])")
# Two more classes than any JupyterLab/nbconvert output rule (their strongest are two classes + elements);
# js/index.js raises the widget's copy of these rules the same way.
_RAISED = ":is(.nbstream,.nbstream-static) .nbstream-text.nbstream-text"


@functools.lru_cache(maxsize=1)
def _rules() -> tuple[tuple[str, tuple[tuple[str, frozenset[str]], ...]], ...]:
    """transcript.css minified, as (declarations, ((selector, what it needs), ...)) per rule."""
    css = re.sub(r"/\*.*?\*/", "", _CSS.read_text(encoding="utf-8"), flags=re.S)
    css = re.sub(r"\s*([{};,>])\s*", r"\1", re.sub(r"\s+", " ", css)).replace(";}", "}")
    rules = []
    for rule in filter(None, (r.strip() for r in css.split("}"))):
        selectors, declarations = rule.split("{", 1)  # the file has no @-rules and no nesting
        declarations = re.sub(r"\s*:\s*", ":", declarations, count=0)
        rules.append((declarations, tuple((sel, _needs(sel)) for sel in _split_selectors(selectors))))
    return tuple(rules)


def _split_selectors(selectors: str) -> list[str]:
    """A selector list split at its top-level commas (``:is(a, b)`` stays whole)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(selectors):
        depth += (ch == "(") - (ch == ")")
        if ch == "," and depth == 0:
            out.append(selectors[start:i])
            start = i + 1
    return [*out, selectors[start:]]


_FUNCTIONAL = re.compile(r":(?:is|not|has|where)\([^()]*\)")
_NEED_CLASS = re.compile(r"\.([\w-]+)")
_NEED_TAG = re.compile(r"(?:^|[\s>+~])([a-z][a-z0-9]*)")
_NEED_STATUS = re.compile(r'\[data-status="([\w-]+)"\]')


def _needs(selector: str) -> frozenset[str]:
    """What an element tree must hold for the selector to match anything (``:is()`` etc. ignored: kept)."""
    plain = _FUNCTIONAL.sub("", selector)
    return frozenset(
        [f".{c}" for c in _NEED_CLASS.findall(plain)] + _NEED_TAG.findall(plain)
        + [f"status={v}" for v in _NEED_STATUS.findall(plain)]
    )


_HAS_TAG = re.compile(r"<([a-z][a-z0-9]*)")
_HAS_CLASSES = re.compile(r'class="([^"]*)"')
_HAS_STATUS = re.compile(r'data-status="([\w-]+)"')


def _present(body: str) -> set[str]:
    present = set(_HAS_TAG.findall(body)) | {f"status={v}" for v in _HAS_STATUS.findall(body)}
    present |= {f".{c}" for classes in _HAS_CLASSES.findall(body) for c in classes.split()}
    if "pre" in present:  # COPY_SCRIPT gives each code block its button
        present |= {"button", ".nbstream-copy"}
    return present


def stylesheet(body: str | None = None) -> str:
    """``<style>`` for a copy: the rules of transcript.css that can match ``body`` (all of them without one).

    A saved notebook keeps one stylesheet per answer, so each copy carries only what its own elements
    use (a prose answer needs no table or code-block rules), and the answer's text rules are nested in
    one raised block (``_RAISED { p {...} pre {...} }``) instead of repeating the raised selector.
    """
    present = None if body is None else _present(body)
    flat, nested = [], []
    for declarations, selectors in _rules():
        kept = [sel for sel, needs in selectors if present is None or needs <= present]
        own = [sel for sel in kept if _TEXT_SELECTOR.match(sel)]
        if own:
            nested.append(f"{','.join('&' + sel[len('.nbstream-text'):] for sel in own)}{{{declarations}}}")
        if rest := [_TEXT_SELECTOR.sub(_RAISED, sel) for sel in kept if sel not in own]:
            flat.append(f"{','.join(rest)}{{{declarations}}}")
    return f"<style>{''.join(flat)}{_RAISED}{{{''.join(nested)}}}{_HOST_RULES}</style>"


def page(copy: str, extra_css: str = "") -> str:
    """A copy's whole HTML form: its stylesheet, the copy, and the Copy-button script if it has code."""
    script = COPY_SCRIPT if "<pre><code" in copy else ""  # a code block of the answer (not a tool card's)
    return f"{stylesheet(copy)}{extra_css}{copy}{script}"


# JupyterLab and nbconvert pad HTML outputs on the right (the widget's output is not): the copy's box
# reaches as far as the widget did. An ended call that can be retried keeps its widget above the copy;
# reopened without a kernel (and with JupyterLab's default of not saving widget state) that widget's
# output (JupyterLab's widget renderer, a Panel) can only say "Loading widget..." or "Error displaying
# widget: model not found", as bare text with no element inside: the answer is in the copy just below
# it, so that dead output is hidden (a live widget's renderer holds the view's elements).
_HOST_RULES = (
    ".jp-RenderedHTMLCommon:has(>.nbstream-static){padding-right:0}"
    ".jp-OutputArea-child:has(>.jp-OutputArea-output.lm-Panel):not(:has(>.jp-OutputArea-output.lm-Panel>*))"
    ":has(+.jp-OutputArea-child .nbstream-static){display:none}"  # (:has cannot hold :has)
)


# Ours, constant: finds its own copy (the element just before it) and gives each code block the button.
COPY_SCRIPT = (
    "<script>(function(s){var r=s&&s.previousElementSibling;if(!r||!r.querySelectorAll)return;"
    "r.querySelectorAll('.nbstream-text pre').forEach(function(p){"
    "if(p.querySelector('.nbstream-copy'))return;var b=document.createElement('button');"
    "b.type='button';b.className='nbstream-copy';b.setAttribute('aria-label','Copy code');"
    "b.addEventListener('click',function(){var c=p.querySelector('code')||p,n=navigator.clipboard;"
    "if(n)n.writeText(c.textContent).then(function(){b.setAttribute('data-copied','');"
    "setTimeout(function(){b.removeAttribute('data-copied')},1500)},function(){})});"
    "p.insertBefore(b,p.firstChild)})})(document.currentScript)</script>"
)


def _span(cls: str, text: str, title: str = "") -> str:
    attr = f' title="{html.escape(title, quote=True)}"' if title else ""
    return f'<span class="{cls}"{attr}>{html.escape(text)}</span>'


def header_html(status: str, model: str, stats: dict[str, Any], *, simulated: bool) -> str:
    """The widget's header line, as it reads at the end (the same classes, texts in js/format.js's form)."""
    exact = bool(stats.get("tokens_exact", True))
    cost_exact = bool(stats.get("cost_exact", exact))
    thinking = int(stats.get("thinking_tokens") or 0)
    tokens = _format.tokens(int(stats.get("output_tokens") or 0), estimated=not exact)
    items = [_span("nbstream-tokens", tokens + (f" ({thinking:,} thinking)" if thinking else ""))]
    if isinstance(stats.get("ttft"), (int, float)):
        items.append(_span("nbstream-ttft", f"TTFT {_format.seconds(stats['ttft'])}", "time to first token"))
    if isinstance(stats.get("text_after"), (int, float)):
        items.append(_span("nbstream-ttft-text", f"first text {_format.seconds(stats['text_after'])}",
                           "time to the first text of the answer (the model thought or ran server tools first)"))
    if isinstance(stats.get("rate"), (int, float)):
        items.append(_span("nbstream-rate", _format.rate(stats["rate"]), "output tokens per second"))
    if isinstance(stats.get("elapsed"), (int, float)):
        items.append(_span("nbstream-elapsed", _format.seconds(stats["elapsed"]), "elapsed time"))
    items.append(_span("nbstream-cost", _format.dollars(stats.get("cost"), estimated=not cost_exact),
                       "cost" if cost_exact else "estimated cost"))
    if stats.get("replay"):
        original = _format.dollars(stats.get("original_cost"))
        items.append(_span("nbstream-replayed", f"{str(stats['replay']).upper()} · was {original}",
                           "played back from a recording: no request was sent"))
    if stats.get("budget"):
        items.append(_span("nbstream-budget", str(stats["budget"]), "spend against the budget"))
    read, written = int(stats.get("cache_read_tokens") or 0), int(stats.get("cache_write_tokens") or 0)
    if read or written:
        items.append(_span("nbstream-cache", f"cache {read:,} read · {written:,} written"))
    if int(stats.get("turns") or 0) > 1:
        items.append(_span("nbstream-turns", f"{stats['turns']} turns"))
    if stats.get("truncated"):
        items.append(_span("nbstream-truncated", "truncated", "the reply stopped at max_tokens: it is cut short"))
    badge = _span("nbstream-simulated", "SIMULATED", "Simulated output from the offline simulator") if simulated else ""
    label = _format.STATUS_LABELS.get(status, status)
    return (
        f'<div class="nbstream-header">{_span("nbstream-status", label)}{_SEP}{_span("nbstream-model", model)}'
        f'{_SEP if badge else ""}{badge}{_SEP}<span class="nbstream-stats">{_SEP.join(items)}</span></div>'
    )


# Hidden by the copy's stylesheet (the flex gaps space the header); read where a host drops the stylesheet
# (JupyterLab's sanitiser, for an untrusted notebook), so the header does not run together.
_SEP = '<span class="nbstream-sep"> · </span>'


def result_stats(result: Any) -> dict[str, Any]:
    """The header's figures from a Result alone (when no run's own stats are at hand)."""
    usage = result.usage
    generating = (result.duration or 0) - (result.ttft or 0)
    return {
        "output_tokens": usage.output_tokens, "tokens_exact": not usage.estimated,
        "cache_read_tokens": usage.cache_read_input_tokens, "cache_write_tokens": usage.cache_creation_input_tokens,
        "ttft": result.ttft, "elapsed": result.duration, "cost": result.cost, "cost_exact": not usage.estimated,
        "rate": usage.output_tokens / generating if result.ttft is not None and generating > 0.2 else None,
    }


def plain_html(text: str) -> str:
    """A line of our own text as HTML that no host typesets as math (its ``$`` are money)."""
    return f'<span class="{NO_MATH}">{html.escape(text)}</span>'


def escape_dollars(text: str) -> str:
    """The same line as Markdown: ``<`` and ``$`` escaped (CommonMark backslash escapes)."""
    return text.replace("\\", "\\\\").replace("<", "\\<").replace("$", "\\$")
