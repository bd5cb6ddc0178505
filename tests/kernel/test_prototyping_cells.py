"""Issue 16 items 5-7 from the magic, in a real kernel: request parameters, structured output, tools that
ask first (their Approve / Deny intents take the Cancel button's path)."""

from __future__ import annotations

import pytest
from kernel.conftest import KernelSession, kernel_env
from kernel.test_llm_cell import widget_state

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="module")
def shared_kernel(simulator):
    """One kernel for this module's cells (each test starts from an empty simulator log): a kernel takes
    seconds to start, and these cells leave nothing behind that another reads."""
    session = KernelSession(kernel_env(ANTHROPIC_BASE_URL=simulator.base_url, ANTHROPIC_API_KEY="sk-test-kernel"))
    session.ok("%load_ext nbstream")
    yield session
    session.shutdown()


@pytest.fixture
def kernel(shared_kernel, simulator):
    simulator.reset()
    return shared_kernel


def assert_one_line_error(kernel, simulator, cell: str, message: str) -> None:
    """Bad input: the cell fails with one line naming the problem (a UsageError on stderr, or an error), and
    nothing is sent."""
    run = kernel.run(cell)
    assert run.reply["status"] == "error"
    shown = [line for e in run.errors() for line in e["traceback"]] or run.stream_text("stderr").strip().splitlines()
    assert len(shown) == 1 and message in shown[0], shown
    assert simulator.requests == []


def test_the_magics_parameters_go_on_the_wire_and_show_in_the_header(kernel, simulator):
    run = kernel.ok(
        "%%llm -m haiku --max-tokens 3000 --thinking 2048 --thinking-display omitted --effort low --stop END "
        "--speed fast --service-tier auto --metadata user_id=u-9\nSay hi [[sim: tokens=5]]"
    )
    body = simulator.requests[-1]["body"]
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 2048, "display": "omitted"}
    assert body["output_config"] == {"effort": "low"} and body["stop_sequences"] == ["END"]
    assert (body["speed"], body["service_tier"], body["metadata"]) == ("fast", "auto", {"user_id": "u-9"})
    assert widget_state(run)["settings"] == [
        "thinking enabled 2,048 tokens, omitted", "effort low", "stop 'END'", "speed fast", "service tier auto",
        "metadata user_id",
    ]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("%%llm --thinking lots\nhi", "thinking must be 'adaptive', 'disabled', 'between_tools' or a budget in tokens"),
        ("%%llm --thinking 100\nhi", "at least 1,024, got 100"),
        ("%%llm --thinking-display full\nhi", "argument --thinking-display: invalid choice: 'full'"),
        ("%%llm --effort extreme\nhi", "argument --effort: invalid choice: 'extreme'"),
        ("%%llm --tool-choice any\nhi", "tool_choice 'any' needs tools"),
        ("%%llm --speed warp\nhi", "argument --speed: invalid choice: 'warp'"),
        ("%%llm --service-tier vip\nhi", "argument --service-tier: invalid choice: 'vip'"),
        ("%%llm --metadata user_id\nhi", "--metadata needs key=value, got 'user_id'"),
        ("%%llm --param temperature=0.3\nhi", "temperature was removed from the Messages API in version 2026-10-21"),
        ("%%llm --param =3\nhi", "--param needs key=value, got '=3'"),
        ("%%llm -m opus --thinking disabled\nhi", "claude-opus-5-5 always thinks"),
    ],
)
def test_bad_parameters_in_the_magic_are_one_line_and_send_nothing(kernel, simulator, cell, message):
    assert_one_line_error(kernel, simulator, cell, message)


def test_the_help_lists_the_new_options(kernel):
    text = kernel.ok("%%llm?").reply["payload"][0]["data"]["text/plain"]
    for option in ("--thinking MODE", "--effort", "--stop TEXT", "--tool-choice", "--speed", "--service-tier",
                   "--metadata K=V", "--param K=V"):
        assert option in text


def test_a_schema_cell_streams_json_and_out_holds_the_data(kernel, simulator):
    run = kernel.ok("%%llm -m haiku --schema 'name, age int, tags list[str]' --out person\nExtract: Ada Lovelace, 36")
    state = widget_state(run)
    assert state["text_format"] == "json" and state["status"] == "done"
    assert "schema name, age, tags" in state["settings"]
    check = kernel.ok("import json\nprint(person.data == json.loads(person.text), sorted(person.data))")
    assert check.stream_text().strip() == "True ['age', 'name', 'tags']"
    assert simulator.requests[-1]["body"]["output_config"]["format"]["type"] == "json_schema"
    (copy,) = run.static_copies()
    assert "```json" in copy["data"]["text/markdown"]  # the copy shows the JSON as code


def test_a_schema_from_a_variable_a_pydantic_model(kernel, simulator):
    kernel.ok("from pydantic import BaseModel\nclass City(BaseModel):\n    city: str\n    population: int")
    kernel.ok("%%llm -m haiku --schema City --out found\nThe biggest city in France?")
    check = kernel.ok("print(type(found.data).__name__, found.status)")
    assert check.stream_text().split() == ["City", "done"]
    assert simulator.requests[-1]["body"]["output_config"]["format"]["schema"]["title"] == "City"


def test_a_reply_that_does_not_fit_is_a_failed_state_in_the_cell(kernel, simulator):
    run = kernel.ok("%%llm -m haiku --schema 'name, age int' --out bad\nExtract Ada [[sim: off_schema=1]]")
    state = widget_state(run)
    assert state["status"] == "failed"
    assert state["error"] == "The reply does not match the schema: name: missing (required)."
    assert kernel.ok("print(bad.data, bool(bad.text))").stream_text().split() == ["None", "True"]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("%%llm --schema 'age integer'\nhi", "schema field 'age' has type 'integer'"),
        ("%%llm --schema '{\"type\":'\nhi", "the schema is not valid JSON"),
    ],
)
def test_a_bad_schema_in_the_magic_is_one_line_and_sends_nothing(kernel, simulator, cell, message):
    assert_one_line_error(kernel, simulator, cell, message)


def _asking_tool_ids(execution) -> list[str]:
    ids = []
    for m in execution.custom("frame"):
        for op in m["content"]["data"]["content"].get("ops", []):
            if op.get("t") == "tool" and op.get("status") == "asking":
                ids.append(op["id"])
    return ids


def _decide(kernel, execution, tool_id: str, approved: bool) -> None:
    comm_id = next(m["content"]["comm_id"] for m in execution.of_type("comm_open")
                   if m["content"]["data"]["state"].get("_view") == "stream")
    content = {"type": "decide", "id": tool_id, "approved": approved}  # what a card's Approve / Deny sends
    msg = kernel.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": {"method": "custom", "content": content}})
    kernel.kc.shell_channel.send(msg)


def test_approve_and_deny_from_the_front_end_reach_the_cell_while_it_awaits(kernel, simulator):
    """The decisions travel as Cancel does: on ipykernel 6 and 7.0-7.3 (queued comms) the intent pump reads them
    from the kernel's queue while the %%llm cell still awaits its stream."""
    kernel.ok(
        "ran = []\n"
        "def lookup(term: str) -> str:\n"
        "    '''Look a term up.'''\n"
        "    ran.append(term)\n"
        "    return term + ': found'\n"
    )
    execution = kernel.start("%%llm -m haiku --tools lookup --approve --out answer\n"
                             "Look up TCP and UDP [[sim: tool_calls=2 tokens=20]]")
    kernel.collect(execution, until=lambda _m: len(_asking_tool_ids(execution)) == 2)
    first, second = _asking_tool_ids(execution)
    _decide(kernel, execution, first, True)
    _decide(kernel, execution, second, False)
    kernel.collect(execution, timeout=30)
    assert execution.reply["status"] == "ok"
    state = widget_state(execution)
    assert state["status"] == "done"
    check = kernel.ok("print(len(ran), answer.status, answer.turns)")
    assert check.stream_text().split() == ["1", "done", "2"]
    declined = simulator.requests[-1]["body"]["messages"][-1]["content"][1]
    assert declined["is_error"] is True and "declined" in declined["content"]


def test_no_decision_in_time_ends_the_cell_cleanly(kernel, simulator):
    kernel.ok("def lookup(term: str) -> str:\n    '''Look a term up.'''\n    return term\n")
    run = kernel.ok("%%llm -m haiku --tools lookup --approve --approve-timeout 0.5\nLook up TCP [[sim: tool_calls=1]]")
    state = widget_state(run)
    assert state["status"] == "cut_off"
    assert state["error"] == "No one approved or denied the tool call lookup within 0.5 s; the run stopped."


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("%%llm --approve\nhi", "asks before each tool call: give tools too"),
        ("%%llm --approve --parallel --tools print\na\n---\nb", "--approve takes one streamed prompt"),
        ("%%llm --approve-timeout 5\nhi", "approve_timeout needs approve=True"),
    ],
)
def test_bad_approve_options_in_the_magic(kernel, simulator, cell, message):
    assert_one_line_error(kernel, simulator, cell, message)
