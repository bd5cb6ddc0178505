"""Named conversations: each turn adds the user's prompt and streams the assistant's answer.

    chat = nbstream.chat("tutor", system="You are a patient tutor.")
    await chat.send("What is a mutex?")          # shows a StreamWidget; the answer joins the history

``%%llm --chat NAME`` does the same from a cell; options given on a chat's cell (model, system, ...)
stay with the chat for its later turns. The history lives here, in Python (never in a synced
widget trait), keyed by the cell that wrote each turn: re-running a cell replaces its turn and drops
the turns after it (they answered the old one), so history never holds a turn twice. Tool rounds stay
inside the turn that made them, so tool_use / tool_result pairs remain correct across cells. Chats cache
their growing prompt by default (the API's automatic caching), so later turns read the earlier ones
from the cache.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

from typing_extensions import Unpack

from . import _static_copy
from ._errors import InputError
from ._events import FINAL_STATUSES, StatusChanged
from ._request import CALL_OPTIONS, CallOptions, Request, make_request
from ._widget import StreamWidget


@dataclass
class _Turn:
    key: str | None  # the cell that wrote it (JupyterLab's cell id), or None
    messages: list[dict[str, Any]] = field(default_factory=list)


class Chat:
    """A conversation whose turns accumulate across cells (``%%llm --chat NAME`` or ``chat.send``)."""

    def __init__(self, name: str, **options: Unpack[CallOptions]) -> None:
        """``options`` (model, system, max_tokens, tools, cache, ...) stay with the chat for its turns;
        caching is on by default, so each turn reads the earlier ones from the cache."""
        if not isinstance(name, str) or not name.strip():
            raise InputError(f"a chat needs a name, got {name!r}")
        self.name = name
        unknown = set(options) - set(CALL_OPTIONS)
        if unknown:
            raise InputError(f"a chat has no option {sorted(unknown)[0]!r}; it has {sorted(CALL_OPTIONS)}")
        self.options: dict[str, Any] = {name: None for name in CALL_OPTIONS} | {"cache": True} | dict(options)
        self._turns: list[_Turn] = []
        self._waiting: dict[str | None, _Turn] = {}  # the turn each key is streaming now
        self._latest: _Turn | None = None  # the last turn asked: a Retry of it may still add its answer
        self.prepare("check")  # validate the options now, before any turn

    def configure(self, **options: Any) -> Chat:
        """Change the chat's options from now on (any of :class:`CallOptions`; None keeps the current one)."""
        unknown = set(options) - set(self.options)
        if unknown:
            raise InputError(f"a chat has no option {sorted(unknown)[0]!r}; it has {sorted(self.options)}")
        before = dict(self.options)
        self.options.update({k: v for k, v in options.items() if v is not None})
        try:
            self.prepare("check")
        except InputError:
            self.options = before
            raise
        return self

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The conversation so far, as the API gets it (a copy)."""
        return [json.loads(json.dumps(m)) for turn in self._turns for m in turn.messages]

    def __len__(self) -> int:
        return len(self._turns)

    def reset(self) -> None:
        """Forget every turn."""
        self._turns.clear()
        self._waiting.clear()
        self._latest = None

    def prepare(self, prompt: str, *, key: str | None = None, **overrides: Any) -> Request:
        """The request for the next turn (validated). ``key`` names the cell writing it: a turn written
        before with the same key is replaced, with everything after it."""
        if key is not None:
            for index, turn in enumerate(self._turns):
                if turn.key == key:
                    del self._turns[index:]
                    break
        options = {**self.options, **{k: v for k, v in overrides.items() if v is not None}}
        history = tuple(m for turn in self._turns for m in turn.messages)
        return make_request(prompt, history=history, **options)

    def track(self, run: Any, *, key: str | None = None) -> None:
        """Add the run's turn to the history when it ends with an answer (a failed turn is not kept)."""
        run.log_extra["chat"] = self.name
        turn = _Turn(key)
        self._waiting[key] = turn
        self._latest = turn

        def on_end(ended: Any, event: Any) -> None:
            # Called for the turn's run and for each Retry of it (a retried run keeps its observers).
            if type(event) is not StatusChanged or event.status not in FINAL_STATUSES:
                return
            messages = ended.added_turns()
            if self._waiting.get(key) is turn:
                del self._waiting[key]
            elif not (any(t is turn for t in self._turns) or self._latest is turn):
                return  # the cell ran again since: this turn was replaced
            if not messages:
                return  # nothing to keep (a failed retry keeps what the turn had)
            turn.messages = messages
            if not any(t is turn for t in self._turns):
                self._turns.append(turn)

        run.observe(on_end)

    def send(self, prompt: str, *, key: str | None = None, display: bool = True, **overrides: Any) -> StreamWidget:
        """Ask the next question; returns the (displayed) StreamWidget, which you can ``await``."""
        widget = StreamWidget("", _request=self.prepare(prompt, key=key, **overrides))
        self.track(widget.run, key=key)
        return widget.display() if display else widget.start()

    def __repr__(self) -> str:
        return f"Chat({self.name!r}, turns={len(self._turns)}, model={self.options['model'] or 'default'})"

    def _repr_html_(self) -> str:
        """The transcript, safe to render (model output and tool results are escaped or sanitised)."""
        rows = []
        for message in self.messages:
            who = "You" if message["role"] == "user" else "Claude"
            content = message["content"]
            blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
            for block in blocks:
                if block["type"] == "text":
                    body = _static_copy.render_html(block["text"])
                elif block["type"] == "tool_use":
                    body = (
                        f"<p><code>{html.escape(block['name'])}({html.escape(json.dumps(block['input']))})</code></p>"
                    )
                elif block["type"] == "tool_result":
                    flag = " (error)" if block.get("is_error") else ""
                    body = f"<pre>{html.escape(str(block['content'])[:2000])}</pre>"
                    who = f"tool result{flag}"
                else:
                    continue
                rows.append(f"<div class=\"nbstream-chat-turn\"><strong>{who}</strong>{body}</div>")
        title = html.escape(f"chat {self.name!r}: {len(self._turns)} turns")
        return f'<div class="nbstream-chat"><p><em>{title}</em></p>{"".join(rows)}</div>'


_chats: dict[str, Chat] = {}


def chat(name: str, **options: Any) -> Chat:
    """The chat with this name (created on first use, with these options)."""
    existing = _chats.get(name)
    if existing is None:
        existing = _chats[name] = Chat(name, **options)
    return existing


def chats() -> dict[str, Chat]:
    return dict(_chats)
