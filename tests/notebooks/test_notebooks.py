"""The quickstart notebook, executed headless (nbclient, as nbconvert --execute and papermill do) on the
offline model, leaves complete outputs: final widget state, and static copies that need no kernel."""

from __future__ import annotations

import json
import pathlib
import re

import nbformat
import pytest
from nbclient import NotebookClient
from nbconvert import HTMLExporter

pytestmark = pytest.mark.kernel
NOTEBOOKS = pathlib.Path(__file__).parents[2] / "notebooks"
SECRET = "sk-ant-test-never-saved-4c1d"


@pytest.fixture
def offline_env(monkeypatch):
    for name in ("ANTHROPIC_BASE_URL", "ANTHROPIC_AUTH_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)  # present, but the offline model never uses it
    monkeypatch.setenv("NBSTREAM_OFFLINE", "1")
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")


def reply_of(static_markdown: str) -> str:
    """The reply in a widget's static copy: the Markdown above its ``---`` footer."""
    return static_markdown.rsplit("\n---\n", 1)[0].strip()


def row_replies(panel_markdown: str) -> list[str]:
    """Each row's reply in a panel's static copy (the text under each ``#### row`` heading)."""
    return [part.split("\n\n", 1)[1].strip() for part in panel_markdown.split("\n#### ")[1:]]


def execute(name: str, tmp_path: pathlib.Path):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    NotebookClient(nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    return nb


def test_quickstart_executes_headless_with_final_state_and_static_copies(offline_env, tmp_path):
    nb = execute("quickstart.ipynb", tmp_path)
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not any("Traceback" in o.get("text", "") for o in outputs)

    llm_cell = next(c for c in nb.cells if c.source.startswith("%%llm"))
    static = [o for o in llm_cell.outputs if "nbstream-static" in o.get("data", {}).get("text/html", "")]
    assert len(static) == 1
    assert 'data-status="done"' in static[0].data["text/html"] and "simulated" in static[0].data["text/html"]
    explained = reply_of(static[0].data["text/markdown"])
    assert "TCP handshake" in explained and "pizza" in explained and "SYN-ACK" in explained

    haiku_cell = next(c for c in nb.cells if "Write a haiku" in c.source)
    [haiku] = [reply_of(o.data["text/markdown"]) for o in haiku_cell.outputs if "text/markdown" in o.get("data", {})]
    lines = haiku.splitlines()
    assert len(lines) == 3 and all(line.endswith("  ") for line in lines[:2])  # three lines, as Markdown breaks
    assert 8 <= len(haiku.split()) <= 17  # a haiku's length, not an essay

    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    streams = [m["state"] for m in state.values() if m["state"].get("_view") == "stream"]
    assert len(streams) == 3
    assert {s["status"] for s in streams} == {"done", "cancelled"}
    assert all(s["text"] for s in streams)  # the saved state is final, not a stale snapshot

    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "done end_turn" in printed and "cancelled" in printed and "tokens kept" in printed

    saved = json.dumps(nb)
    assert SECRET not in saved
    html, _ = HTMLExporter().from_notebook_node(nb)
    assert SECRET not in html and "nbstream-static" in html


def test_parallel_notebook_executes_headless_with_final_panels(offline_env, tmp_path):
    nb = execute("parallel.ipynb", tmp_path)
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    panels = [o for o in outputs if "nbstream-static-panel" in o.get("data", {}).get("text/html", "")]
    assert len(panels) == 4
    assert "3/3 calls" in panels[0].data["text/plain"] and "6/6 calls" in panels[3].data["text/plain"]
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    saved = [m["state"] for m in state.values() if m["state"].get("_view") == "panel"]
    assert len(saved) == 4 and all(s["status"] == "done" and s["final"] for s in saved)
    table = next(o for o in outputs if o.output_type == "execute_result" and "text/html" in o.data)
    assert "review 6" in table.data["text/html"]

    # Each lesson shows offline: the smaller model answers sooner and faster (and in two sentences) ...
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    rows = dict(re.findall(r"claude-(\w+)-5-5 +done .*TTFT ([\d.]+) s", printed))
    assert float(rows["haiku"]) < float(rows["sonnet"]) < float(rows["opus"])
    compare, samples, paragraphs, sentiments = (row_replies(o.data["text/markdown"]) for o in panels)
    assert all(reply.count(". ") == 1 and "mutex" in reply for reply in compare)
    assert len(set(samples)) == 4  # -n 4: four different names
    assert ["TCP" in paragraphs[0], "UDP" in paragraphs[1], "QUIC" in paragraphs[2]] == [True] * 3
    assert sentiments == ["Positive", "Negative", "Neutral", "Positive", "Negative", "Mixed"]  # one word each
    assert SECRET not in json.dumps(nb)


def test_tools_and_chat_notebook_executes_headless(offline_env, tmp_path):
    nb = execute("tools_and_chat.ipynb", tmp_path)
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "done in 2 model turns" in printed
    assert "2 turns; ['user', 'assistant', 'user', 'assistant']" in printed
    assert "read 0 tokens" not in printed  # the second chat turn read from the cache
    statics = [o.data["text/html"] for o in outputs if "nbstream-static" in o.get("data", {}).get("text/html", "")]
    tool_copies = [h for h in statics if "nbstream-tool-head" in h]
    assert tool_copies and "get_weather" in tool_copies[0] and "local_time" in tool_copies[0]
    assert any('data-status="failed"' in h for h in tool_copies)  # the flaky tool's error, shown
    markdowns = "".join(o.get("data", {}).get("text/markdown", "") for o in outputs)
    assert 'get\\_weather\\(\\{"city": "Paris"' in markdowns and 'local\\_time\\(\\{"city": "Paris"' in markdowns
    assert "Tokyo" not in markdowns  # the tools were asked about the city in the question
    assert 'flaky\\_lookup\\(\\{"term": "TCP"\\}' in markdowns and "Transmission Control Protocol" in markdowns
    htmls = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "nbstream-spend" in htmls and "nbstream-chat" in htmls
    assert "input tokens on claude-opus-5-5" in "".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    results = next(
        o for o in outputs if o.output_type == "execute_result" and "(0, " in o.data.get("text/plain", "") or False
    )
    assert results


def test_batch_notebook_executes_headless(offline_env, tmp_path, monkeypatch):
    monkeypatch.setenv("NBSTREAM_LOG", str(tmp_path / "calls.sqlite3"))
    nb = execute("batch.ipynb", tmp_path)
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "12 answers for $" in printed
    panels = [o for o in outputs if "nbstream-static-panel" in o.get("data", {}).get("text/html", "")]
    assert len(panels) == 3 and "12/12 calls" in panels[0].data["text/plain"]
    answers = row_replies(panels[0].data["text/markdown"])
    terms = ["socket", "port", "DNS", "TLS", "HTTP/2", "QUIC", "proxy", "CDN", "NAT", "subnet", "BGP", "ARP"]
    assert all(term in answer and answer.count(". ") == 0 for term, answer in zip(terms, answers, strict=True))
    assert "nbstream-batches" in "".join(o.get("data", {}).get("text/html", "") for o in outputs)


def test_what_claude_sends_executes_headless_with_every_part_in_its_static_copies(offline_env, tmp_path):
    nb = execute("what_claude_sends.ipynb", tmp_path)
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert not any("Traceback" in o.get("text", "") for o in outputs)

    def copy_of(marker: str) -> str:
        cell = next(c for c in nb.cells if c.source.startswith("%%llm") and marker in c.source)
        (html,) = [o.data["text/html"] for o in cell.outputs if "nbstream-static" in o.get("data", {}).get("text/html", "")]
        return html

    thinking = copy_of("TCP handshake in two sentences")
    assert '<details class="nbstream-thinking" data-done="true">' in thinking and "thinking)" in thinking
    assert "first text" in thinking
    assert "the API did not show the text" in copy_of("thinking_text=0")
    searched = copy_of("What is new in streaming APIs?")
    assert "web_search(…)" in searched and "runs in the API" in searched and 'class="nbstream-sources"' in searched
    assert "nbstream-tool-links" in searched and 'href="https://' in searched
    assert searched.count("<li value=") == 1
    assert copy_of("Summarise the documents").count("<li value=") == 3
    fetched = copy_of("Fetch https://")
    assert "web_fetch(…)" in fetched and "code_execution(…)" in fetched and "return code 0" in fetched
    refused = copy_of("something harmful")
    assert 'data-status="cut_off"' in refused and "Claude declined to answer (category: cyber security)" in refused
    assert copy_of("thoroughly").count('data-kind="paused"') == 2
    assert "nbstream-truncated" in copy_of("--max-tokens 20")
    assert "unsupported block: future_block" in copy_of("unknown_block=1")

    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "output tokens were thinking" in printed and "1 search, cost $" in printed
    assert "cut_off refusal cyber" in printed and "future_block" in printed
    saved = json.dumps(nb)
    assert SECRET not in saved


def test_classroom_notebook_executes_headless(offline_env, tmp_path, monkeypatch):
    monkeypatch.setenv("NBSTREAM_LOG", str(tmp_path / "calls.sqlite3"))
    nb = execute("classroom.ipynb", tmp_path)
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    htmls = "".join(o.get("data", {}).get("text/html", "") for o in outputs)

    # Budgets: the essay stopped at its cap with its partial text; the panel started no row after the cap.
    essay = next(c for c in nb.cells if "Write an essay" in c.source)
    [copy] = [o for o in essay.outputs if "nbstream-static" in o.get("data", {}).get("text/html", "")]
    assert 'data-status="cut_off"' in copy.data["text/html"] and reply_of(copy.data["text/markdown"])
    assert "cut_off · Stopped: the cell's --budget of $0.000050 is spent; the partial text was kept." in printed
    assert "Not sent: the cell's --budget of $0.00010 is spent." in printed
    total = float(re.search(r"total \$([\d.]+) for a budget", printed).group(1))
    assert 0.0001 <= total < 0.0001 + 2 * 2 * 0.5e-6  # at most a couple of in-flight tokens per concurrent row
    assert "of $0.00010 budget" in htmls and "budget $0.01" in htmls  # the panel summary, spend()

    # Replay and the lesson: the same text, no request, $0 beside the original cost; an unknown prompt: one line.
    assert re.search(r"replayed · same text: True · cost \$0.00, originally \$0.000\d+", printed)
    assert "answering from the lesson classroom.nbstream" in printed
    assert "recorded · same text: True · TTFT" in printed
    assert "REPLAYED · was $" in htmls and "RECORDED · was $" in htmls
    assert "The lesson classroom.nbstream holds no reply to this prompt, so nothing was sent" in htmls
    lesson = (tmp_path / "classroom.nbstream").read_text()
    assert SECRET not in lesson and str(tmp_path) not in lesson


def test_prototyping_notebook_executes_headless(offline_env, tmp_path):
    """Issue 16 on the offline model: the notebook as context, fix, to-cell, images and files; request
    parameters, structured output, tools that ask first."""
    nb = execute("prototyping.ipynb", tmp_path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [(o.ename, o.evalue) for c in code for o in c.outputs if o.output_type == "error"]
    assert errors == [  # only the two cells tagged raises-exception, each one line
        ("InputError", "the prompt uses {Out[99]}, but cell 99 has no result (Out has no 99)"),
        ("NameError", "name 'np' is not defined"),
    ]

    def outputs_of(start: str) -> list:
        return next(c for c in code if c.source.startswith(start)).outputs

    printed = "".join(o.text for o in outputs_of("print(summary.prompt") if o.output_type == "stream")
    assert printed.startswith("DataFrame with 32 rows × 3 columns\n\n|  | region | quarter | revenue |")
    fix = outputs_of("%llm fix")
    [fixed] = [reply_of(o.data["text/markdown"]) for o in fix if "text/markdown" in o.get("data", {})]
    assert "```python\nimport numpy as np\ngrowth = sales.groupby" in fixed
    assert "the reply's code was sent as a new cell below (not run)" in "".join(o.get("text", "") for o in fix)
    to_cell = outputs_of("%%llm --to-cell")
    assert "new cell below (not run)" in "".join(o.get("text", "") for o in to_cell)

    figure = outputs_of("%%llm --image last-figure")
    strip = next(o.data for o in figure if "nbstream-attachments" in o.get("data", {}).get("text/html", ""))
    assert '<img src="data:image/png;base64,' in strip["text/html"]
    [seen] = [reply_of(o.data["text/markdown"]) for o in figure if "text/markdown" in o.get("data", {})]
    assert seen.startswith("I received an image (image/png)")
    both = outputs_of("%%llm --image figure --file notes.txt")
    assert any("notes.txt · text · 54 B" in o.get("data", {}).get("text/plain", "") for o in both)
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "temperature was removed from the Messages API in version 2026-10-21" in printed
    assert "failed | The reply does not match the schema: name: missing (required). | {" in printed
    assert "done 2 turns; the tool ran for ['TCP']" in printed
    assert "cut_off | No one approved or denied the tool call lookup within 1 s; the run stopped." in printed
    plain = "".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "'known_for': [" in plain and "City(city=" in plain  # .data: a dict, then a pydantic instance
    htmls = "".join(o.get("data", {}).get("text/html", "") for o in outputs)
    assert "<th>born</th>" in htmls  # the panel's data spread into columns
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    streams = [m["state"] for m in state.values() if m["state"].get("_view") == "stream"]
    assert ["thinking adaptive", "effort low", "stop '##'", "metadata user_id"] in [s["settings"] for s in streams]
    assert any(s["text_format"] == "json" and s["status"] == "done" for s in streams)
    assert SECRET not in json.dumps(nb)
