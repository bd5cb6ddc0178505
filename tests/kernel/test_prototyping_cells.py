"""Issue 16 items 5-7 from the magic, in a real kernel: request parameters, structured output, tools that
ask first (their Approve / Deny intents take the Cancel button's path)."""

from __future__ import annotations

import pytest

from tests.kernel.test_llm_cell import widget_state

pytestmark = pytest.mark.kernel


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
    run = kernel.run(cell)
    assert run.reply["status"] == "error"
    shown = [line for e in run.errors() for line in e["traceback"]] or run.stream_text("stderr").strip().splitlines()
    assert len(shown) == 1, shown
    assert message in shown[0]
    assert simulator.requests == []


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
    run = kernel.run(cell)
    assert run.reply["status"] == "error"
    shown = [line for e in run.errors() for line in e["traceback"]] or run.stream_text("stderr").strip().splitlines()
    assert len(shown) == 1 and message in shown[0], shown
    assert simulator.requests == []
