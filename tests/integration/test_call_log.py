"""The call log, through real calls to the simulator: nothing generated or paid for is lost."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import stat
import subprocess
import sys

import pytest
from log_rows import calls_in

import nbstream
from nbstream import InputError, StreamWidget
from nbstream._config import defaults
from nbstream._log import CallLog, current_log

SECRET = "sk-ant-log-secret-91ab"


SIMULATOR = {"ttft": 0.02, "rate": 500}
API_KEY = SECRET


@pytest.fixture
def log_path(tmp_path, routed):
    path = tmp_path / "log" / "calls.sqlite3"
    defaults.log_path = str(path)
    yield path
    defaults.reset()


def rows(path) -> list[dict]:
    current_log().flush()
    return calls_in(path)


async def test_a_call_is_logged_when_it_starts_while_it_streams_and_when_it_ends(log_path, monkeypatch):
    monkeypatch.setattr("nbstream._log.COMMIT_EVERY", 0.2)
    widget = StreamWidget("Tell a story [[sim: tokens=400 rate=200]]", model="sonnet", max_tokens=500).start()
    await asyncio.sleep(0.05)
    (row,) = rows(log_path)
    assert row["status"] == "running" and row["model"] == "claude-sonnet-5-5" and row["pid"] == os.getpid()
    assert row["prompt"].startswith("Tell a story")
    await asyncio.sleep(0.8)
    (row,) = rows(log_path)
    assert row["status"] == "running" and len(row["text"]) > 100  # partial text already committed
    result = await widget
    (row,) = rows(log_path)
    assert row["status"] == "done" and row["text"] == result.text
    assert (row["input_tokens"], row["output_tokens"], row["usage_estimated"]) == (
        result.usage.input_tokens, 400, 0,
    )
    assert row["cost"] == pytest.approx(result.cost) and row["ttft"] == pytest.approx(result.ttft)
    assert json.loads(row["params"]) == {"model": "claude-sonnet-5-5", "max_tokens": 500}
    assert row["simulated"] == 1 and row["request_id"] == result.request_id


async def test_a_cancelled_call_keeps_its_partial_text_in_the_log(log_path):
    widget = StreamWidget("Tell a story [[sim: tokens=4000 rate=200]]").start()
    await asyncio.sleep(0.4)
    widget.cancel()
    result = await widget
    (row,) = rows(log_path)
    assert row["status"] == "cancelled" and row["text"] == result.text and row["text"]
    assert row["usage_estimated"] == 1


async def test_the_log_is_owner_only_and_never_holds_the_key(log_path):
    await StreamWidget("hello [[sim: tokens=5 status=401]]")
    await StreamWidget("hello [[sim: tokens=5]]")
    current_log().flush()
    assert stat.S_IMODE(os.stat(log_path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(log_path.parent).st_mode) == 0o700
    for path in log_path.parent.iterdir():
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, path  # the WAL and its index too
        data = path.read_bytes()
        assert SECRET.encode() not in data and b"authorization" not in data.lower()
    statuses = [r["status"] for r in rows(log_path)]
    assert statuses == ["failed", "done"]


async def test_history_returns_recent_calls_newest_first(log_path):
    for n in (3, 4, 5):
        await StreamWidget(f"call {n} [[sim: tokens={n}]]")
    latest = nbstream.history(2)
    assert [r.usage.output_tokens for r in latest] == [5, 4]
    assert all(r.status == "done" and r.prompt.startswith("call") for r in latest)
    frame = nbstream.history(10, as_frame=True)
    assert list(frame["output_tokens"]) == [5, 4, 3]
    assert {"prompt", "text", "status", "cost", "ttft", "duration", "notebook", "started_at"} <= set(frame.columns)


async def test_the_log_can_be_switched_off(routed):
    defaults.log_path = None
    try:
        result = await StreamWidget("hello [[sim: tokens=3]]")
        assert result.status == "done"
        with pytest.raises(InputError, match="call log is switched off"):
            nbstream.history()
    finally:
        defaults.reset()


def test_calls_left_running_by_a_dead_process_are_marked_interrupted(tmp_path):
    path = tmp_path / "calls.sqlite3"
    CallLog(path).close()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    connection = sqlite3.connect(path)
    connection.execute(
        "INSERT INTO calls (call_id, status, pid, text, started_at) VALUES ('a', 'running', ?, 'partial', 1)",
        (int(dead.stdout),),
    )
    connection.execute(
        "INSERT INTO calls (call_id, status, pid, text, started_at) VALUES ('b', 'running', ?, 'alive', 2)",
        (os.getppid(),),
    )
    connection.execute(  # a row with no pid (written by an older version): nobody can still be running it
        "INSERT INTO calls (call_id, status, pid, text, started_at) VALUES ('c', 'running', NULL, 'orphan', 3)"
    )
    connection.commit()
    connection.close()
    log = CallLog(path)
    try:
        status = {r["call_id"]: (r["status"], r["text"]) for r in log.read(10)}
    finally:
        log.close()
    assert status == {"a": ("interrupted", "partial"), "b": ("running", "alive"), "c": ("interrupted", "orphan")}


@pytest.mark.parametrize("value", ["", 3, ["a"]])
def test_a_bad_log_path_is_a_one_line_error(value):
    with pytest.raises(InputError, match="log_path must be a file path"):
        defaults.log_path = value
