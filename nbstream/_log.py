"""The call log: every call recorded in a local SQLite file, so nothing generated or paid for is lost.

A row is written when a call starts, its partial text committed every couple of seconds while it
streams, and the row completed when it ends. A kernel that dies mid-call leaves a ``running`` row with
the text up to its last commit; the next process that opens the log marks it ``interrupted``.

The event loop never touches the database: it only puts small records on a queue; one writer thread
owns the connection. The file (default ``<jupyter data dir>/nbstream/calls.sqlite3``) is created
owner-only (0600, and SQLite gives its journal the same mode). The log holds model, parameters,
prompt, system, text, status, error, usage, cost and timings, never an API key or a header.
Set ``NBSTREAM_LOG`` (a path, or ``off``) or ``nbstream.defaults.log_path`` (None to switch it off).
"""

from __future__ import annotations

import asyncio
import atexit
import json
import os
import queue
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._config import defaults
from ._errors import InputError
from ._events import Usage
from ._recording import Recorder, recording_json, request_key
from ._result import Result
from ._static_style import NO_MATH  # money in these tables is not math
from ._validate import check_positive_int

COMMIT_EVERY = 2.0  # seconds between commits of a streaming call's partial text

_COLUMNS = {
    "call_id": "TEXT PRIMARY KEY",
    "kind": "TEXT",  # stream, batch
    "status": "TEXT",  # running, then done / cancelled / failed / cut_off, or interrupted
    "started_at": "REAL",  # wall clock, epoch seconds
    "ended_at": "REAL",
    "model": "TEXT",
    "params": "TEXT",  # JSON: the request parameters (never credentials or headers)
    "prompt": "TEXT",
    "system": "TEXT",
    "text": "TEXT",
    "error": "TEXT",
    "stop_reason": "TEXT",
    "input_tokens": "INTEGER",
    "output_tokens": "INTEGER",
    "cache_creation_input_tokens": "INTEGER",
    "cache_read_input_tokens": "INTEGER",
    "usage_estimated": "INTEGER",
    "cost": "REAL",
    "ttft": "REAL",
    "duration": "REAL",
    "message_id": "TEXT",
    "request_id": "TEXT",
    "simulated": "INTEGER",
    "notebook": "TEXT",
    "pid": "INTEGER",
    "chat": "TEXT",
    "batch_id": "TEXT",
    "custom_id": "TEXT",
    "request_key": "TEXT",  # the digest of the first request (_recording.request_key): what replay matches
    "recording": "TEXT",  # JSON: the reply's turns and the timing of their streams (_recording), when done
    "replay": "TEXT",  # "replayed" (from this log) or "recorded" (from a lesson); NULL for a live call
    "original_cost": "REAL",  # a replayed or recorded reply's cost when it was made (its own cost is 0)
}


def _open(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)
    connection = sqlite3.connect(path, timeout=30, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    columns = ", ".join(f"{name} {kind}" for name, kind in _COLUMNS.items())
    connection.execute(f"CREATE TABLE IF NOT EXISTS calls ({columns})")
    known = {row[1] for row in connection.execute("PRAGMA table_info(calls)")}
    for name, kind in _COLUMNS.items():  # a log written by an older nbstream gains the new columns
        if name not in known:
            connection.execute(f"ALTER TABLE calls ADD COLUMN {name} {kind.replace('PRIMARY KEY', '')}")
    connection.execute("CREATE INDEX IF NOT EXISTS calls_started ON calls(started_at)")
    connection.execute("CREATE INDEX IF NOT EXISTS calls_request_key ON calls(request_key)")
    connection.commit()
    return connection


def _pid_alive(pid: int) -> bool:
    if pid <= 0:  # os.kill(0, 0) signals our own process group: it always "succeeds"
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class CallLog:
    """One log file with its writer thread."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._queue: queue.SimpleQueue[tuple[str, dict[str, Any]] | None] = queue.SimpleQueue()
        connection = _open(path)
        self._mark_interrupted(connection)
        self._thread = threading.Thread(target=self._write, args=(connection,), name="nbstream-log", daemon=True)
        self._thread.start()

    def _mark_interrupted(self, connection: sqlite3.Connection) -> None:
        """Calls left 'running' by a process that no longer exists were cut short by a kernel death."""
        # Batch rows are excluded: their requests go on in the batch after a restart, and can be resumed.
        rows = connection.execute(
            "SELECT call_id, pid FROM calls WHERE status = 'running' AND coalesce(kind, '') != 'batch'"
        ).fetchall()
        dead = [(call_id,) for call_id, pid in rows if pid != os.getpid() and (pid is None or not _pid_alive(pid))]
        connection.executemany(
            "UPDATE calls SET status = 'interrupted', error = 'The kernel stopped while this call was running.' "
            "WHERE call_id = ?",
            dead,
        )
        connection.commit()

    def insert(self, record: dict[str, Any]) -> None:
        self._queue.put(("insert", record))

    def update(self, record: dict[str, Any]) -> None:
        self._queue.put(("update", record))

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until everything queued so far is committed (tests, history reads, exit)."""
        done = threading.Event()
        self._queue.put(("barrier", {"event": done}))
        done.wait(timeout)

    def close(self) -> None:
        """Commit everything queued, then stop the writer thread."""
        self._queue.put(None)
        self._thread.join(timeout=10)

    def _write(self, connection: sqlite3.Connection) -> None:
        # Everything queued so far goes in one transaction: a burst (a 500-row panel) is one commit.
        while (item := self._queue.get()) is not None:
            items: list[tuple[str, dict[str, Any]] | None] = [item]
            while len(items) < 1000:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            barriers = []
            for entry in items:
                if entry is None:
                    self._queue.put(None)  # finish this burst, then stop
                    break
                kind, record = entry
                if kind == "barrier":
                    barriers.append(record["event"])
                    continue
                try:
                    self._execute(connection, kind, record)
                except sqlite3.Error:  # a full disk must not take the kernel down; the call goes on
                    pass
            try:
                connection.commit()
            except sqlite3.Error:
                pass
            for event in barriers:
                event.set()
        connection.close()

    @staticmethod
    def _execute(connection: sqlite3.Connection, kind: str, record: dict[str, Any]) -> None:
        record = {k: v.encode() if isinstance(v, _RecordingJSON) else v for k, v in record.items()}
        names = list(record)
        if kind == "insert":
            marks = ", ".join("?" for _ in names)
            connection.execute(
                f"INSERT OR REPLACE INTO calls ({', '.join(names)}) VALUES ({marks})", list(record.values())
            )
        else:
            sets = ", ".join(f"{name} = ?" for name in names if name != "call_id")
            values = [record[n] for n in names if n != "call_id"] + [record["call_id"]]
            connection.execute(f"UPDATE calls SET {sets} WHERE call_id = ?", values)

    def read(self, limit: int) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM calls ORDER BY started_at DESC LIMIT ?", (limit,))

    def query(self, sql: str, parameters: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        """Rows of a read-only query, after everything queued so far is committed."""
        self.flush()
        connection = sqlite3.connect(self.path, timeout=30)
        connection.row_factory = sqlite3.Row
        try:
            return [dict(row) for row in connection.execute(sql, parameters).fetchall()]
        finally:
            connection.close()


_logs: dict[Path, CallLog] = {}
_lock = threading.Lock()


def current_log() -> CallLog | None:
    if defaults.log_path is None:
        return None
    path = Path(defaults.log_path).expanduser()
    with _lock:
        log = _logs.get(path)
        if log is None:
            log = _logs[path] = CallLog(path)
        return log


@atexit.register
def _close_all() -> None:
    for log in list(_logs.values()):
        log.close()  # the writer commits what is queued, then stops


# --- recording runs ------------------------------------------------------------------------------


@dataclass
class _Tracked:
    call_id: str
    log: CallLog
    last_commit: float
    dirty: bool = False
    timer: asyncio.TimerHandle | None = None


def record(run: Any, log: CallLog, *, kind: str = "stream", **extra: Any) -> None:
    """Log one run: a row now, its partial text every COMMIT_EVERY seconds, the outcome at the end."""
    request = run.request
    params = {k: v for k, v in request.params().items() if k not in ("messages", "system")}
    if request.attachments:  # their digests and sizes, never their content
        params["attachments"] = [a.summary() for a in request.attachments]
    tracked = _Tracked(extra.pop("call_id", None) or uuid.uuid4().hex, log, time.monotonic())
    log.insert({
        "call_id": tracked.call_id, "kind": kind, "status": "running", "started_at": run.wall_started_at,
        "model": request.model, "params": json.dumps(params, default=str), "prompt": request.prompt,
        "system": request.system, "text": "", "notebook": os.environ.get("JPY_SESSION_NAME"), "pid": os.getpid(),
        "request_key": request_key(request.params()), **extra,
    })
    recorder = Recorder() if kind == "stream" else None
    run.observe(lambda r, event: _on_run(tracked, r, event, recorder))


class _RecordingJSON:
    """A call's recording, stored as JSON text made by the writer thread (a long call's: not on the loop)."""

    __slots__ = ("value",)

    def __init__(self, value: dict[str, Any]) -> None:
        self.value = value

    def encode(self) -> str:
        return recording_json(self.value)


def _on_run(tracked: _Tracked, run: Any, event: Any, recorder: Recorder | None = None) -> None:
    # On every event of the call (one observer for the log): kept to a flag and, between commits, a timer.
    if recorder is not None:
        recorder(run, event)
    if run.done:
        recording = recorder.recording(run) if recorder is not None else None
        ending = {"recording": _RecordingJSON(recording)} if recording is not None else {}  # encoded by the writer
        tracked.log.update({"call_id": tracked.call_id, **outcome(run.result), **ending})
        return
    tracked.dirty = True
    if tracked.timer is None:
        _schedule(tracked, run)


def _commit_partial(tracked: _Tracked, run: Any, now: float) -> None:
    tracked.last_commit, tracked.dirty = now, False
    usage = run.usage()
    tracked.log.update({
        "call_id": tracked.call_id, "text": run.text, "output_tokens": usage.output_tokens,
        "input_tokens": usage.input_tokens, "usage_estimated": int(usage.estimated),
    })


def _schedule(tracked: _Tracked, run: Any) -> None:
    # The partial text is committed COMMIT_EVERY seconds after the last commit (at once after a quiet
    # spell), so a stream that goes quiet still has its last text in the log within that time.
    def fire() -> None:
        tracked.timer = None
        if tracked.dirty and not run.done:
            _commit_partial(tracked, run, time.monotonic())

    delay = max(0.0, tracked.last_commit + COMMIT_EVERY - time.monotonic())
    tracked.timer = asyncio.get_running_loop().call_later(delay, fire)


def outcome(result: Result) -> dict[str, Any]:
    usage = result.usage
    return {
        "status": result.status, "ended_at": time.time(), "text": result.text, "error": result.error,
        "stop_reason": result.stop_reason, "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
        "cache_creation_input_tokens": usage.cache_creation_input_tokens,
        "cache_read_input_tokens": usage.cache_read_input_tokens, "usage_estimated": int(usage.estimated),
        "cost": result.cost, "ttft": result.ttft, "duration": result.duration, "message_id": result.message_id,
        "request_id": result.request_id, "simulated": int(result.simulated), "replay": result.replay,
        "original_cost": result.original_cost,
    }


def row_to_result(row: dict[str, Any]) -> Result:
    return Result(
        text=row["text"] or "", status=row["status"], model=row["model"] or "",
        usage=Usage(
            input_tokens=row["input_tokens"] or 0, output_tokens=row["output_tokens"] or 0,
            cache_creation_input_tokens=row["cache_creation_input_tokens"] or 0,
            cache_read_input_tokens=row["cache_read_input_tokens"] or 0,
            estimated=bool(row["usage_estimated"]),
        ),
        stop_reason=row["stop_reason"], ttft=row["ttft"], duration=row["duration"], cost=row["cost"],
        error=row["error"], prompt=row["prompt"] or "", system=row["system"], message_id=row["message_id"],
        request_id=row["request_id"], simulated=bool(row["simulated"]), started_at=row["started_at"],
        replay=row.get("replay"), original_cost=row.get("original_cost"),
    )


def history(n: int = 20, *, as_frame: bool = False) -> Any:
    """The last ``n`` calls, newest first, as Results (``as_frame=True``: a pandas DataFrame of the log rows)."""

    check_positive_int(n, "n")
    log = current_log()
    if log is None:
        raise InputError("the call log is switched off (nbstream.defaults.log_path is None)")
    rows = log.read(n)
    if as_frame:
        try:
            import pandas as pd
        except ImportError:
            raise InputError("history(as_frame=True) needs pandas: pip install pandas") from None
        return pd.DataFrame.from_records(rows, columns=list(_COLUMNS))
    return [row_to_result(row) for row in rows]


def history_table(results: list[Result]) -> str:
    """An HTML table of logged calls (every value escaped: prompts and texts are untrusted)."""
    from html import escape

    from . import _format

    def cut(text: str, n: int = 80) -> str:
        text = " ".join(text.split())
        return text if len(text) <= n else text[: n - 1] + "\u2026"

    head = ("started", "status", "model", "tokens in/out", "cost", "duration", "prompt", "text")
    rows = []
    for r in results:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.started_at)) if r.started_at else ""
        cells = (
            when, r.status, r.model, f"{r.usage.input_tokens:,} / {r.usage.output_tokens:,}",
            _format.dollars(r.cost, estimated=r.usage.estimated), _format.seconds(r.duration),
            cut(r.prompt), cut(r.text or r.error or ""),
        )
        rows.append("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in cells) + "</tr>")
    header = "".join(f"<th>{h}</th>" for h in head)
    body = "".join(rows)
    return f'<table class="nbstream-history {NO_MATH}"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'
