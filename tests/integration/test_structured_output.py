"""Structured output (issue 16 item 5) through the real SDK to the simulator: the schema on the wire as
output_config.format, result.data parsed and checked, a reply that does not fit is a clear failed state
with the raw text kept, a panel spreads the data into columns."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from pydantic import BaseModel, Field

from nbstream import InputError, ParallelPanel, StreamWidget
from nbstream._schema import make_schema, parse_short
from nbstream._schema_check import problem

pytestmark = pytest.mark.usefixtures("routed")


class Person(BaseModel):
    name: str
    age: int = Field(ge=0, le=150)


async def test_short_syntax_goes_on_the_wire_and_data_is_the_parsed_reply(simulator):
    widget = StreamWidget("Extract: Ada Lovelace, 36, likes math", model="haiku", schema="name, age int, tags list[str]")
    result = await widget
    assert result.status == "done", result.error
    sent = simulator.requests[0]["body"]["output_config"]
    assert sent == {"format": {"type": "json_schema", "schema": {
        "type": "object", "additionalProperties": False, "required": ["name", "age", "tags"],
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"},
                       "tags": {"type": "array", "items": {"type": "string"}}},
    }}}
    assert result.data == json.loads(result.text)
    assert set(result.data) == {"name", "age", "tags"} and isinstance(result.data["age"], int)
    assert widget.text_format == "json" and "schema name, age, tags" in widget.settings


async def test_a_pydantic_model_is_sent_as_the_sdk_shapes_it_and_data_is_an_instance(simulator):
    result = await StreamWidget("Extract: Ada, 36", model="haiku", schema=Person, effort="low")
    assert result.status == "done", result.error
    assert isinstance(result.data, Person)
    config = simulator.requests[0]["body"]["output_config"]
    assert config["effort"] == "low"  # effort and format share output_config
    schema = config["format"]["schema"]
    assert schema["additionalProperties"] is False and schema["required"] == ["name", "age"]
    # The API does not enforce ge/le: the SDK moves them into the description; pydantic checks them here.
    assert "minimum" not in schema["properties"]["age"] and "0" in schema["properties"]["age"]["description"]


async def test_a_json_schema_dict_is_closed_for_the_api_and_checked_as_given(simulator):
    schema = {"type": "object", "properties": {"city": {"type": "string"}, "rank": {"type": "integer"}},
              "required": ["city", "rank"]}
    result = await StreamWidget("Best city for cycling?", model="haiku", schema=schema)
    assert result.status == "done", result.error
    assert simulator.requests[0]["body"]["output_config"]["format"]["schema"]["additionalProperties"] is False
    assert set(result.data) == {"city", "rank"}


async def test_a_reply_that_does_not_fit_is_failed_with_the_reason_and_the_raw_text_kept(simulator):
    widget = StreamWidget("Extract Ada [[sim: off_schema=1]]", model="haiku", schema="name, age int")
    result = await widget
    assert result.status == "failed" and result.data is None
    assert result.error == "The reply does not match the schema: name: missing (required)."
    assert json.loads(result.text).keys() == {"age"}  # the raw reply is kept
    assert widget.status == "failed" and widget.can_retry


async def test_a_reply_cut_at_max_tokens_says_so(simulator):
    result = await StreamWidget("Extract Ada", model="haiku", schema=Person, max_tokens=4)
    assert result.status == "failed" and result.stop_reason == "max_tokens"
    assert result.error.startswith("The reply is not valid JSON (the reply stopped at max_tokens: raise max_tokens)")
    assert result.text  # the partial JSON is kept


async def test_a_pydantic_constraint_the_api_does_not_enforce_is_checked_here(simulator):
    class Small(BaseModel):
        count: int = Field(le=0)  # the simulator draws 1-99, so this never fits

    result = await StreamWidget("How many?", model="haiku", schema=Small)
    assert result.status == "failed"
    assert result.error.startswith("The reply does not match Small: count: Input should be less than or equal to 0")


async def test_a_panel_spreads_the_data_into_columns(simulator):
    panel = ParallelPanel(["Extract Ada, 36", "Extract Grace, 85 [[sim: off_schema=1]]"], model="haiku",
                          schema="name, age int")
    results = await panel
    assert [r.status for r in results] == ["done", "failed"]
    frame = panel.to_pandas()
    assert {"name", "age"} <= set(frame.columns)
    assert frame.loc[0, "name"] == results[0].data["name"] and frame.loc[0, "age"] == results[0].data["age"]
    assert pd.isna(frame.loc[1, "name"])  # the row that did not fit has no data


async def test_a_field_named_like_a_column_is_prefixed(simulator):
    panel = ParallelPanel(["Classify this"], model="haiku", schema="status, text")
    await panel
    assert {"data.status", "data.text", "status", "text"} <= set(panel.to_pandas().columns)


BAD = [
    ("name, age integer", "schema field 'age' has type 'integer': use str, int, float, bool or list[str]"),
    ("name, name", "schema field 'name' is given twice"),
    (" , ", "the schema is empty"),
    ("9lives", "schema field '9lives': write it as 'name', 'name int' or 'name: description'"),
    ('{"type": "object", ', "the schema is not valid JSON"),
    ({"properties": {}}, "the schema cannot be sent: Schema must have a 'type'"),
    (42, "schema must be a JSON schema (a dict), a pydantic model or fields such as 'name, age int', got int"),
    ("[1, 2]", "schema field '[1': write it as"),
]


@pytest.mark.parametrize(("schema", "message"), BAD)
def test_a_bad_schema_is_a_one_line_error_and_nothing_is_sent(simulator, schema, message):
    with pytest.raises(InputError) as info:
        StreamWidget("hello", model="haiku", schema=schema)
    assert message in str(info.value) and "\n" not in str(info.value)
    assert simulator.requests == []


def test_the_short_syntax_takes_descriptions_and_new_lines():
    schema = parse_short("title: the book's title, in full\nyear int\nauthors list[str]: every author")
    assert schema["properties"]["title"] == {"type": "string", "description": "the book's title, in full"}
    assert schema["properties"]["authors"] == {"type": "array", "items": {"type": "string"}, "description": "every author"}
    assert make_schema("a float, b bool").wire["properties"] == {"a": {"type": "number"}, "b": {"type": "boolean"}}


@pytest.mark.parametrize(("instance", "schema", "expected"), [
    ({"a": 1}, {"type": "object", "properties": {"a": {"type": "string"}}}, "a: expected a string, got 1"),
    ({"a": [1, "x"]}, {"type": "object", "properties": {"a": {"type": "array", "items": {"type": "integer"}}}},
     "a[1]: expected an integer, got 'x'"),
    ({"a": 1, "b": 2}, {"type": "object", "properties": {"a": {}}, "additionalProperties": False},
     "b: not in the schema (no other fields allowed)"),
    ("red", {"enum": ["green", "blue"]}, "the reply: 'red' is not one of 'green', 'blue'"),
    (5, {"type": "integer", "maximum": 3}, "the reply: 5 is more than 3"),
    ("ab", {"type": "string", "minLength": 3}, "the reply: shorter than 3 characters"),
    (True, {"type": "integer"}, "the reply: expected an integer, got True"),
    (None, {"anyOf": [{"type": "string"}, {"type": "integer"}]}, "matches none of the allowed shapes"),
    ({"p": {"x": "1"}}, {"type": "object", "properties": {"p": {"$ref": "#/$defs/P"}},
                         "$defs": {"P": {"type": "object", "properties": {"x": {"type": "number"}}}}},
     "p.x: expected a number, got '1'"),
    ({"p": {}}, {"type": "object", "properties": {"p": {"type": "object", "required": ["q"]}}}, "p.q: missing"),
    (3.0, {"type": "integer"}, None),
    (None, {"type": ["string", "null"]}, None),
])
def test_the_validator_names_the_first_problem(instance, schema, expected):
    found = problem(instance, schema)
    assert found == expected if expected is None else expected in found
