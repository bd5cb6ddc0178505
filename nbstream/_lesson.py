"""Recorded lessons: a notebook's replies saved in one file, answered in class with no key and no network.

``save_lesson("lesson.nbstream")`` writes the finished calls this kernel made (or the results given) from
the call log: prompt, parameters, text, tool calls, usage, cost and the timing of each stream. No key,
header, request id or path of the recording machine goes in. ``use_lesson("lesson.nbstream")`` (or
``%llm_lesson lesson.nbstream``) sends this kernel's calls to nbstream's loopback server, which streams each
recorded reply at its recorded pace through the real SDK over real HTTP; a prompt the lesson does not hold
gets one line saying so and nothing is made up. ``nbstream.use_api()`` goes back to the live API.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import _offline, _player
from ._client import Endpoint, credentials_found
from ._errors import InputError
from ._log import current_log
from ._result import Result

FORMAT = "nbstream-lesson"
VERSION = 1  # a lesson from a newer nbstream (a higher version) is refused, never half-read
_CALL_FIELDS = ("prompt", "system", "model", "text", "status", "stop_reason", "input_tokens", "output_tokens",
                "cache_creation_input_tokens", "cache_read_input_tokens", "cost", "ttft", "duration")


@dataclass
class Lesson:
    """A lesson file's calls; ``keys`` are the request keys of every recorded model turn."""

    name: str  # the file's name, never its directory
    calls: list[dict[str, Any]]
    keys: set[str] = field(default_factory=set)
    endpoint: Endpoint | None = None  # where this kernel's calls go while the lesson is in use

    def __post_init__(self) -> None:
        self.keys = {turn["key"] for call in self.calls for turn in call["recording"]["turns"]}

    def __contains__(self, key: object) -> bool:
        return key in self.keys

    def prompts(self) -> str:
        """"'Explain TCP…', 'Write a haiku…' and 3 more": what the lesson holds, briefly."""
        shown = [repr(_cut(call.get("prompt") or "")) for call in self.calls[:3]]
        more = len(self.calls) - len(shown)
        return ", ".join(shown) + (f" and {more} more" if more > 0 else "")

    def input_tokens(self, key: str) -> int:
        """The prompt tokens the API counted for this recorded request (``--count`` under a lesson)."""
        for call in self.calls:
            for turn in call["recording"]["turns"]:
                if turn["key"] == key:
                    usage = turn["usage"]
                    return int(sum(usage.get(k) or 0 for k in (
                        "input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")))
        raise InputError(self.missing())

    def missing(self) -> str:
        return (f"The lesson {self.name} holds no reply to this prompt, so nothing was sent; it holds replies to "
                f"{self.prompts()}. nbstream.use_api() goes back to the live API.")

    def __repr__(self) -> str:
        return f"Lesson({self.name!r}, {len(self.calls)} {'reply' if len(self.calls) == 1 else 'replies'}: " \
            f"{self.prompts()})"


def _cut(text: str, n: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "\u2026"


# --- saving ----------------------------------------------------------------------------------------


def save_lesson(path: str | os.PathLike[str], results: Iterable[Any] | None = None) -> Lesson:
    """Write the replies of the calls this kernel made (or of ``results``, e.g. from ``nbstream.history()``)
    into one lesson file. Only finished calls go in; the same request twice is kept once."""
    target = _check_path(path)
    log = current_log()
    if log is None:
        raise InputError("save_lesson reads the call log, which is switched off (nbstream.defaults.log_path is None)")
    done = "status = 'done' AND recording IS NOT NULL"
    if results is None:
        rows = log.query(f"SELECT * FROM calls WHERE pid = ? AND {done} ORDER BY started_at", (os.getpid(),))
    else:
        ids = [r.message_id for r in _flatten(results)]
        marks = ", ".join("?" for _ in ids)
        rows = log.query(f"SELECT * FROM calls WHERE message_id IN ({marks}) AND {done} ORDER BY started_at",
                         tuple(ids)) if ids else []
    calls, seen = [], set()
    for row in rows:
        recording = json.loads(row["recording"])
        if not recording.get("turns") or recording["turns"][0]["key"] in seen:
            continue
        seen.add(recording["turns"][0]["key"])
        params = {k: v for k, v in json.loads(row["params"] or "{}").items() if k != "metadata"}
        cost = row["original_cost"] if row.get("replay") else row["cost"]
        calls.append({**{k: row[k] for k in _CALL_FIELDS}, "cost": cost, "params": params,
                      "simulated": bool(row["simulated"]), "recording": recording})
    if not calls:
        raise InputError("there are no finished calls to save yet: run the notebook's prompts first")
    document = {"format": FORMAT, "version": VERSION, "saved": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "calls": calls}
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".lesson-", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump(document, out, ensure_ascii=False, separators=(",", ":"))
    os.chmod(temporary, 0o644)
    os.replace(temporary, target)
    return Lesson(target.name, calls)


def _flatten(results: Iterable[Any]) -> list[Result]:
    if isinstance(results, Result):
        return [results]
    flat: list[Result] = []
    for item in results:
        if isinstance(item, Result):
            flat.append(item)
        elif isinstance(item, (list, tuple)):  # a panel's results
            flat.extend(r for r in item if isinstance(r, Result))
        else:
            raise InputError(f"save_lesson takes Results (from a call, a panel or nbstream.history()), got "
                             f"{type(item).__name__}")
    return flat


def _check_path(path: object) -> Path:
    if not isinstance(path, (str, os.PathLike)) or not str(path).strip():
        raise InputError(f"a lesson needs a file path such as 'lesson.nbstream', got {path!r}")
    return Path(path).expanduser()


# --- loading and using ------------------------------------------------------------------------------


def load_lesson(path: str | os.PathLike[str]) -> Lesson:
    """Read and check a lesson file; a one-line InputError for anything that is not a lesson this nbstream reads."""
    source = _check_path(path)
    name = source.name
    try:
        document = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"there is no lesson file {str(path)!r}") from None
    except (OSError, ValueError):
        raise InputError(f"{name} is not an nbstream lesson (it is not a lesson file's JSON)") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InputError(f"{name} is not an nbstream lesson (no 'format': {FORMAT!r})")
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InputError(f"{name} is not an nbstream lesson (its version is {version!r})")
    if version > VERSION:
        raise InputError(f"{name} was saved by a newer nbstream (lesson format {version}; this one reads "
                         f"{VERSION}): upgrade nbstream to use it")
    calls = document.get("calls")
    if not isinstance(calls, list) or not calls or not all(_well_formed(call) for call in calls):
        raise InputError(f"{name} is damaged: its calls are missing or incomplete")
    return Lesson(name, calls)


def _well_formed(call: object) -> bool:
    if not isinstance(call, dict) or not isinstance(call.get("recording"), dict):
        return False
    turns = call["recording"].get("turns")
    return isinstance(turns, list) and bool(turns) and all(
        isinstance(t, dict) and isinstance(t.get("key"), str) and isinstance(t.get("blocks"), list)
        and isinstance(t.get("deltas"), list) and isinstance(t.get("usage"), dict)
        and all(isinstance(b, dict) and isinstance(b.get("content"), str) for b in t["blocks"])
        and all(isinstance(d, list) and len(d) == 3 and all(isinstance(x, int) for x in d)
                and 0 <= d[0] < len(t["blocks"]) for d in t["deltas"])
        for t in turns
    )


_active: Lesson | None = None


def current() -> Lesson | None:
    """The lesson this kernel answers from (None when it calls the API or the offline model)."""
    lesson = _active
    return lesson if lesson is not None and _offline.chosen_endpoint() == lesson.endpoint else None


def use_lesson(path: str | os.PathLike[str], *, unless_key: bool = False) -> Lesson | None:
    """Answer this kernel's calls from a recorded lesson, with no key and no network.

    ``unless_key=True``: only when this kernel has no API key (the teacher who records has one; students
    replay). ``nbstream.use_api()`` goes back to the live API.
    """
    global _active
    if not isinstance(unless_key, bool):
        raise InputError(f"unless_key must be True or False, got {unless_key!r}")
    if unless_key and credentials_found():
        print("nbstream: an API key is set, so calls go to the live API, not to the lesson.")
        return None
    lesson = load_lesson(path)  # a bad file changes nothing
    server = _player.player()
    for call in lesson.calls:
        server.playback.add(call["recording"]["turns"], label="recorded", simulated=bool(call.get("simulated")))
    lesson.endpoint = _player.endpoint()
    _active = lesson
    _offline.route_to(lesson.endpoint)
    replies = f"{len(lesson.calls)} recorded {'reply' if len(lesson.calls) == 1 else 'replies'}"
    print(f"nbstream: answering from the lesson {lesson.name} ({replies}, no key needed); nbstream.use_api() goes "
          "back to the live API.")
    return lesson
