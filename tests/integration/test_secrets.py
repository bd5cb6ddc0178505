"""The API key and request headers never appear in a repr, an error message or a widget's state."""

from __future__ import annotations

import json

import pytest

from nbstream import ParallelPanel, StreamWidget
from nbstream._client import Endpoint

SECRET = "sk-ant-repr-secret-5e7d"


API_KEY = SECRET
pytestmark = pytest.mark.usefixtures("routed")


def widget_state(widget) -> str:
    return json.dumps(widget.get_state(), default=str)


@pytest.mark.parametrize("directive", ["tokens=5", "status=401", "status=400", "fault=drop after=2", "status=529"])
async def test_no_repr_error_or_synced_state_shows_the_key(directive):
    widget = StreamWidget(f"hi [[sim: {directive} retry_after=0]]", max_retries=0)
    result = await widget
    panel = ParallelPanel([f"hi [[sim: {directive} retry_after=0]]"], max_retries=0)
    await panel
    shown = [repr(result), str(result), result.error or "", repr(widget), widget_state(widget), repr(panel),
             widget_state(panel), json.dumps(result._repr_mimebundle_()), repr(widget.run.request)]
    for text in shown:
        assert SECRET not in text
        assert "bearer " not in text.lower()  # no header value (the API may name the header itself)


def test_an_explicit_endpoint_never_shows_its_key():
    endpoint = Endpoint("http://127.0.0.1:1", SECRET)
    assert SECRET not in repr(endpoint) and SECRET not in str(endpoint)


async def test_a_connection_error_does_not_echo_credentials(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")  # nothing listens there
    result = await StreamWidget("hi", max_retries=0)
    assert result.status == "failed" and "Could not reach the API" in result.error
    assert SECRET not in result.error
