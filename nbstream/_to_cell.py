"""Answers into cells: a reply's code blocks become a new cell below the running one, not run.

The new cell is IPython's ``set_next_input`` payload (``replace=False``), which JupyterLab, Notebook 7,
the classic Notebook and VS Code turn into a cell below the one that ran (terminal IPython pre-fills its
next prompt). A payload travels with the reply to the cell's execute request, so it is only sent while
the cell that made the call is still running (a ``%%llm`` cell awaits its stream; from code, ``await`` the
widget in the same cell); otherwise the code stays in the answer, where its Copy button is.
"""

from __future__ import annotations

import re
from typing import Any

_FENCE = re.compile(
    r"^ {0,3}(?P<fence>`{3,}|~{3,})(?P<info>[^\n`]*)\n(?P<body>.*?)^ {0,3}(?P=fence)[`~]*[ \t]*$",
    re.MULTILINE | re.DOTALL,
)
_PYTHON = {"", "python", "py", "python3", "ipython", "ipython3", "pycon"}

ADDED = "the reply's code was sent as a new cell below (not run)"
NO_CODE = "the reply has no code block: no cell was added"
CELL_ENDED = "the cell had ended, so no cell was added: copy the code with its Copy button"


def code_of(text: str) -> str:
    """The reply's Python code blocks (all its code blocks if none is Python), joined by a blank line."""
    blocks = [(m["info"].strip().split(" ")[0].lower(), m["body"]) for m in _FENCE.finditer(text)]
    python = [body for language, body in blocks if language in _PYTHON]
    chosen = python or [body for _, body in blocks]
    return "\n\n".join(body.rstrip("\n") for body in chosen)


class ToCell:
    """Made while a cell runs; after the call, puts the reply's code into a new cell below that cell."""

    def __init__(self) -> None:
        from IPython import get_ipython  # only here: nbstream's core never needs IPython

        self.shell = get_ipython()
        self.running = self.shell is not None and hasattr(self.shell, "set_next_input")
        if self.running:
            self.shell.events.register("post_run_cell", self._cell_ended)

    def _cell_ended(self, _result: Any) -> None:
        self.running = False
        self.shell.events.unregister("post_run_cell", self._cell_ended)

    def deliver(self, result: Any) -> str:
        """Add the cell (once) for a finished reply and say what happened, in one line (printed in the
        cell while it runs; from a cell that has ended a print would land in another cell's output)."""
        was_running = self.running
        code = code_of(result.text) if result.status == "done" else ""
        if result.status != "done":
            note = f"the call ended {result.status}: no cell was added"
        elif not code.strip():
            note = NO_CODE
        elif not self.running:
            note = CELL_ENDED
        else:
            self.shell.set_next_input(code, replace=False)
            self._cell_ended(None)  # one cell per call, even if asked again (a retry)
            note = ADDED
        if was_running:
            print(f"nbstream: {note}.")
        return note
