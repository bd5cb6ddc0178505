"""The classroom features in real kernels, a notebook run top to bottom (nbclient, as Run All does):
a re-run with replay sends zero requests and shows the same outputs; a lesson recorded in one kernel
answers a new kernel with no key and no base URL, at the recorded pace, while the server receives nothing;
a cell's --budget and %config LLMMagics.budget hold."""

from __future__ import annotations

import nbformat
import pytest
from conftest import kernel_env
from log_rows import calls_in
from nbclient import NotebookClient

pytestmark = pytest.mark.kernel

# Times to first token as Claude's often are (0.8-1.1 s): the recorded pace is then measured well above the
# scheduling noise of a loaded two-core machine (tens of milliseconds).
LECTURE = [
    "%%llm --out handshake\nExplain the TCP handshake to a ten-year-old. [[sim: ttft=0.9 rate=150 tokens=40]]",
    "%%llm --parallel --out names\nName a transport protocol. [[sim: ttft=0.8 tokens=12]]\n---\n"
    "Name an application protocol. [[sim: ttft=1.0 tokens=12]]",
    "%llm What is a port? [[sim: ttft=1.1 tokens=15]]",
    "print(handshake.replay, [r.replay for r in names])",
]


def notebook(first: str, extra: list[str] = ()) -> nbformat.NotebookNode:
    cells = [f"%load_ext nbstream\nimport nbstream\n{first}", *LECTURE, *extra]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])


def run_all(nb, tmp_path, **env: str):
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute(
        env=kernel_env(**env)
    )
    outputs = [o for cell in nb.cells for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"], [o for o in outputs if o.output_type == "error"]
    return nb


def replies(nb) -> list[str]:
    """Every reply in the notebook's static copies (a widget's, or each row of a panel's), in order."""
    texts = []
    for cell in nb.cells:
        for output in cell.outputs:
            markdown, page = output.get("data", {}).get("text/markdown", ""), output.get("data", {}).get("text/html", "")
            if 'class="nbstream-static nbstream-static-panel' in page:
                texts += [part.split("\n\n", 1)[1].strip() for part in markdown.split("\n#### ")[1:]]
            elif "nbstream-static " in page and "\n---\n" in markdown:
                texts.append(markdown.rsplit("\n---\n", 1)[0].strip())
    return texts


def test_a_lecture_re_run_with_replay_sends_zero_requests_and_shows_the_same_outputs(simulator, tmp_path):
    simulator.reset()
    env = {"ANTHROPIC_BASE_URL": simulator.base_url, "ANTHROPIC_API_KEY": "sk-test-kernel",
           "NBSTREAM_LOG": str(tmp_path / "calls.sqlite3")}
    first = run_all(notebook("nbstream.defaults.replay = True"), tmp_path, **env)
    sent = len(simulator.requests)
    assert sent == 4  # one cell, two panel rows, one line

    second = run_all(notebook("nbstream.defaults.replay = True"), tmp_path, **env)  # a new kernel, Run All
    assert len(simulator.requests) == sent  # zero requests the second time
    assert replies(second) == replies(first) and len(replies(first)) == 4
    printed = "".join(o.get("text", "") for c in second.cells for o in c.outputs if o.output_type == "stream")
    assert "replayed ['replayed', 'replayed']" in printed
    assert "REPLAYED · was $" in "".join(o.get("data", {}).get("text/html", "") for c in second.cells for o in c.outputs)


def test_a_recorded_lesson_answers_a_new_kernel_with_no_key_and_the_server_receives_nothing(simulator, tmp_path):
    simulator.reset()
    lesson = 'nbstream.use_lesson("lesson.nbstream", unless_key=True)'  # the teacher has a key: live calls
    teacher = {"ANTHROPIC_BASE_URL": simulator.base_url, "ANTHROPIC_API_KEY": "sk-teacher-key-never-saved",
               "NBSTREAM_LOG": str(tmp_path / "teacher.sqlite3")}
    recorded_nb = run_all(notebook(lesson, ['nbstream.save_lesson("lesson.nbstream")']), tmp_path, **teacher)
    assert len(simulator.requests) == 4
    saved = (tmp_path / "lesson.nbstream").read_text()
    assert "sk-teacher-key-never-saved" not in saved and simulator.base_url not in saved and str(tmp_path) not in saved

    simulator.reset()
    student_log = tmp_path / "student.sqlite3"
    student_nb = run_all(notebook(lesson), tmp_path, NBSTREAM_LOG=str(student_log))  # no key, no base URL
    assert simulator.requests == []  # the server receives nothing
    assert replies(student_nb) == replies(recorded_nb)
    printed = "".join(o.get("text", "") for c in student_nb.cells for o in c.outputs if o.output_type == "stream")
    assert "answering from the lesson lesson.nbstream (4 recorded replies" in printed
    assert "recorded ['recorded', 'recorded']" in printed

    recorded = {row["prompt"]: row for row in calls_in(tmp_path / "teacher.sqlite3")}
    played = calls_in(student_log)
    assert len(played) == 4 and {row["replay"] for row in played} == {"recorded"}
    errors = []
    for row in played:
        original = recorded[row["prompt"]]
        assert row["text"] == original["text"] and row["output_tokens"] == original["output_tokens"]
        errors.append(abs(row["ttft"] - original["ttft"]) / original["ttft"])
        print(f"\n{row['prompt'][:30]!r}: recorded TTFT {original['ttft']:.3f} s, played {row['ttft']:.3f} s")
    print(f"lesson TTFT error: max {max(errors):.1%}, mean {sum(errors) / len(errors):.1%}")
    assert max(errors) <= 0.2  # each reply's time to first token within 20% of the recorded one


def test_a_cell_budget_and_the_session_budget_hold_in_a_kernel(kernel, simulator):
    refused = kernel.run("%%llm --budget 0.0000001\nExplain TCP [[sim: tokens=30]]")
    assert simulator.requests == []
    assert "Not sent:" in str(refused.static_copies()) and "the cell's --budget" in str(refused.static_copies())
    kernel.ok("%config LLMMagics.budget = 0.00001")
    stopped = kernel.run("%%llm --out r\nA long answer [[sim: tokens=400]]")
    assert "session budget" in str(stopped.static_copies())
    kernel.ok("assert r.status == 'cut_off' and r.text, r")
    closed = simulator.wait_for(lambda log: log and log[-1]["outcome"] == "client_closed" and log)
    assert closed[-1]["tokens_sent"] < 400
    spend = kernel.ok("nbstream_spend = __import__('nbstream').spend(); print(repr(nbstream_spend))")
    assert "budget $0.000010" in spend.stream_text() and "left $0.00" in spend.stream_text()
    bad = kernel.run("%config LLMMagics.budget = -1")
    assert "budget must be 0 or more US dollars" in str(bad.errors() or bad.stream_text("stderr"))
    kernel.ok("assert __import__('nbstream').defaults.budget == 0.00001")
    kernel.ok("%config LLMMagics.replay = 'instant'")
    kernel.ok("assert __import__('nbstream').defaults.replay == 'instant'")
    typo = kernel.run("%%llm --replay sometimes\nhi")
    assert "invalid choice: 'sometimes'" in str(typo.errors()) and len(simulator.requests) == 1
