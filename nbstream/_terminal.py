"""The plain-terminal view: in IPython without a notebook, ``%%llm`` streams text to stdout."""

from __future__ import annotations

import sys
from typing import TextIO

from . import _format
from ._events import FINAL_STATUSES, StatusChanged, TextDelta, ToolFinished
from ._run import Run


class TerminalPrinter:
    """A run observer that writes each delta as it arrives, then a one-line summary."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout

    def __call__(self, run: Run, event: object) -> None:
        if type(event) is TextDelta:
            self.out.write(event.text)
            self.out.flush()
        elif type(event) is ToolFinished:
            outcome = "->" if event.ok else "failed:"
            preview = " ".join(event.content.split())[:200]
            self.out.write(f"\n[tool {event.name} {outcome} {preview} ({_format.seconds(event.duration)})]\n")
            self.out.flush()
        elif type(event) is StatusChanged:
            if event.status == "retrying" and run.failure is not None:
                self.out.write(f"[retrying in {run.retry_in:.1f} s: {run.failure.one_line()}]\n")
            elif event.status in FINAL_STATUSES and run.result is not None:
                result = run.result
                line = _format.summary(result)
                if result.error and result.status != "done":
                    line = f"{line} · {result.error}"
                self.out.write(("\n\n" if result.text else "") + f"[{line}]\n")
            self.out.flush()
