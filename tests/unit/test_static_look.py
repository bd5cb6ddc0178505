"""The static copy reads like the live widget: its header, its stylesheet (the widget's own file, raised
above the host's output styles), table alignment, and the rule that nbstream never typesets ``$``."""

import html
import re
from pathlib import Path

from nbstream._count import TokenCount
from nbstream._events import Usage
from nbstream._format import dollars
from nbstream._result import Result
from nbstream._static_copy import render_html, safe_markdown, static_copy_bundle
from nbstream._static_style import NO_MATH, stylesheet

ROOT = Path(__file__).resolve().parents[2]
MONEY = "about $5 a month and a managed database $20 a month"


def result(text: str, status: str = "done") -> Result:
    return Result(
        text=text, status=status, model="claude-haiku-5-5", usage=Usage(input_tokens=5, output_tokens=82),
        ttft=0.08, duration=4.1, cost=0.00005, error="" if status == "done" else "Cancelled.", simulated=True,
    )


def test_money_and_tex_are_never_typeset_in_the_html():
    page = static_copy_bundle(result(f"{MONEY}. Display $$E = mc^2$$ and inline $x^2$."))["text/html"]
    root = re.search(r'<div class="([^"]*nbstream-static[^"]*)"', page).group(1).split()
    assert set(NO_MATH.split()) <= set(root)  # MathJax 2 and 3 skip everything inside
    assert MONEY in page and "$$E = mc^2$$" in page and "$x^2$" in page  # as written


def test_the_markdown_form_escapes_dollars_outside_code_only():
    md = safe_markdown("Costs $5 and $20, `echo $HOME`\n\n```\nprint('$5')\n```\n")
    assert md == "Costs \\$5 and \\$20, `echo $HOME`\n\n```\nprint('$5')\n```\n"


def test_count_output_is_money_not_math():
    count = TokenCount("claude-haiku-5-5", 12, 400, 0.00001, 0.002)
    assert f'class="{NO_MATH}"' in count._repr_html_() and "$0.0020" in count._repr_html_()
    assert "\\$0.0020" in count._repr_markdown_()
    assert re.search(r"(?<!\\)\$", count._repr_markdown_()) is None  # every $ escaped


def test_table_alignment_survives_as_the_widgets_align_attribute():
    html = render_html("| a | b | c | d |\n|:--|--:|:-:|---|\n| 1 | 2 | 3 | 4 |\n")
    assert re.findall(r'<th(?: align="(\w+)")?>', html) == ["left", "right", "center", ""]
    assert "style" not in html


def test_the_copy_has_the_widgets_header_and_text_container():
    stats = {"output_tokens": 82, "tokens_exact": True, "ttft": 0.08, "rate": 20.0, "elapsed": 4.1,
             "cost": 0.00005, "cost_exact": True}
    page = static_copy_bundle(result("**Hi**", "cancelled"), stats=stats)["text/html"]
    for text in ('<span class="nbstream-status">cancelled</span>', ">82 tokens<", ">TTFT 0.08 s<", ">20 tok/s<",
                 ">4.1 s<", f">{html.escape(dollars(0.00005))}<", ">SIMULATED<", '<div class="nbstream-error" role="alert">Cancelled.</div>',
                 '<div class="nbstream-text"><p><strong>Hi</strong></p>'):
        assert text in page
    assert 'class="nbstream nbstream-static' not in page  # below a live view: not a second view root
    assert 'class="nbstream nbstream-static' in static_copy_bundle(result("Hi"), replaces_view=True)["text/html"]


def test_the_stylesheet_is_the_widgets_own_raised_above_host_rules():
    css = stylesheet()
    source = re.sub(r"/\*.*?\*/", "", (ROOT / "nbstream" / "transcript.css").read_text(), flags=re.S)
    assert 'from "../nbstream/transcript.css"' in (ROOT / "js" / "index.js").read_text()  # the widget bundles it
    raised = ":is(.nbstream,.nbstream-static) .nbstream-text.nbstream-text"  # minified
    # Every rule of the file is there: as many declaration blocks (the answer's own nested in one raised block).
    assert css.count("{") == source.count("{") + 1 + 2  # + the raised block + the two host rules
    nested = css[css.index(raised + "{&"):]
    assert nested.count("&") == len(re.findall(r"^\.nbstream-text(?![\w-])|,\s*\.nbstream-text(?![\w-])", source, re.M))
    assert re.search(r"\.nbstream-text(?![\w.-])", css.replace(raised, "")) is None  # no rule left unraised
    assert "</" not in css[len("<style>"):-len("</style>")]


def test_each_copy_carries_only_the_rules_its_elements_use():
    prose = static_copy_bundle(result("Just a sentence."))["text/html"]
    table = static_copy_bundle(result("| a | b |\n|---|---|\n| 1 | 2 |\n\n```\ncode\n```"))["text/html"]
    assert "& table{" not in prose and "& pre{" not in prose and "<script>" not in prose  # no code: no Copy script
    assert "& table{" in table and "& td{" in table and "& pre{" in table and "<script>" in table
    assert ".nbstream-row" not in table  # a panel row's rules never match a copy
    assert len(prose) < len(stylesheet()) / 1.5
