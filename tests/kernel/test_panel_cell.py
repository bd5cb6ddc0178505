"""The parallel panel in a real kernel: one combined frame per panel, a bounded message rate."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.kernel


def panel_messages(execution) -> list[dict]:
    opens = [m for m in execution.of_type("comm_open") if m["content"]["data"]["state"].get("_view") == "panel"]
    assert len(opens) == 1
    comm_id = opens[0]["content"]["comm_id"]
    return [m for m in execution.of_type("comm_msg") if m["content"]["comm_id"] == comm_id]


@pytest.mark.parametrize("rate", [50, 1000])
def test_a_50_row_panel_sends_a_bounded_number_of_messages_whatever_the_token_rate(kernel, rate):
    run = kernel.ok(f"%%llm -n 50 --concurrency 50 --out rs\nGo [[sim: tokens=150 rate={rate}]]", timeout=120)
    messages = panel_messages(run)
    times = [m["header"]["date"].timestamp() for m in messages]
    span = max(times[-1] - times[0], 0.05)
    frames = [m["content"]["data"]["content"] for m in messages if m["content"]["data"].get("method") == "custom"]
    # ~20 frames a second for the whole panel, plus a handful of state syncs: far below 1,000/s.
    assert len(frames) <= span / 0.05 + 3
    assert len(messages) <= span / 0.05 + 10
    assert len(messages) < 50 * 150 / 10  # nowhere near a message per token
    # Every row's text arrived, as deltas inside those few frames.
    texts = [""] * 50
    for frame in frames:
        for row in frame["rows"]:
            texts[row["i"]] += row["delta"]
    check = kernel.ok("print(all(r.status == 'done' for r in rs), len(rs)); print(repr([r.text for r in rs]))")
    lines = check.stream_text().splitlines()
    assert lines[0] == "True 50"
    assert repr(texts) == lines[1]


def test_parallel_models_and_samples_combine_into_rows(kernel, simulator):
    simulator.reset()
    run = kernel.ok(
        "%%llm --parallel --models haiku,sonnet -n 2 --out rs\n"
        "First question [[sim: tokens=5]]\n---\nSecond question [[sim: tokens=6]]"
    )
    rows = [m for m in run.of_type("comm_open") if m["content"]["data"]["state"].get("_view") == "panel"][0]
    labels = [r["label"] for r in rows["content"]["data"]["state"]["rows"]]
    assert labels == [
        "prompt 1 · haiku · #1", "prompt 1 · haiku · #2", "prompt 1 · sonnet · #1", "prompt 1 · sonnet · #2",
        "prompt 2 · haiku · #1", "prompt 2 · haiku · #2", "prompt 2 · sonnet · #1", "prompt 2 · sonnet · #2",
    ]
    out = kernel.ok("print([(r.model[7:], r.usage.output_tokens) for r in rs])").stream_text()
    assert out.strip() == str([("haiku-5-5", 5), ("haiku-5-5", 5), ("sonnet-5-5", 5), ("sonnet-5-5", 5),
                               ("haiku-5-5", 6), ("haiku-5-5", 6), ("sonnet-5-5", 6), ("sonnet-5-5", 6)])
    assert len(simulator.requests) == 8
    static = [d for d in run.displays() if "nbstream-static-panel" in d["data"].get("text/html", "")]
    assert len(static) == 1 and "8/8 calls" in static[0]["data"]["text/plain"]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("%%llm --parallel\nfirst\n---\n\n---\nthird", "prompt 2 of the --parallel cell is empty"),
        ("%%llm -n 0\nhi", "-n must be a positive whole number, got 0"),
        ("%%llm --concurrency 0 -n 2\nhi", "--concurrency must be a positive whole number, got 0"),
        ("%%llm --models haiku,,opus\nhi", "--models needs a comma-separated list"),
        ("%%llm --parallel\nok\n---\n{missing}", "no variable named 'missing'"),
    ],
)
def test_bad_panel_input_is_one_line_and_sends_nothing(kernel, simulator, cell, message):
    simulator.reset()
    run = kernel.run(cell)
    assert run.reply["status"] == "error"
    shown = [line for e in run.errors() for line in e["traceback"]] or run.stream_text("stderr").strip().splitlines()
    assert len(shown) == 1 and message in shown[0], shown
    assert simulator.requests == []
