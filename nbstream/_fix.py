"""``%%llm --fix`` and ``%llm fix``: explain the kernel's last error and propose a corrected cell.

The prompt carries the failing cell's source and its plain traceback (``_notebook_context``); the
answer's code goes into a new cell below, not run (``_to_cell``). From code: ``nbstream.fix()``.
"""

from __future__ import annotations

from typing import Any

from ._errors import InputError
from ._notebook_context import CellError, errors

SYSTEM = (
    "You help someone working in a Jupyter notebook. A cell failed. Explain in a few sentences why, then "
    "give the whole corrected cell as one ```python code block that can replace the failing cell. "
    "Change only what the fix needs."
)


def fix_prompt(error: CellError | None, extra: str = "") -> str:
    """The question about ``error`` (the last one when None); InputError when there is none."""
    if error is None:
        raise InputError("there is no error to fix: no cell has raised one since %load_ext nbstream")
    where = f"Cell {error.count}" if error.count is not None else "A cell"
    source = error.source.rstrip("\n") or "(its source is not known: it failed before %load_ext nbstream)"
    parts = [
        f"{where} of my notebook failed.",
        f"The cell:\n```python\n{source}\n```",
        f"The error:\n```\n{error.traceback}\n```",
    ]
    if extra.strip():
        parts.append(extra.strip())
    parts.append("Why did it fail, and what is the corrected cell?")
    return "\n\n".join(parts)


def fix(extra: str = "", **options: Any) -> Any:
    """Explain the kernel's last error and propose a fix, streamed into a widget; the proposed code goes
    into a new cell below when the widget is awaited in the same cell (``await nbstream.fix()``)."""
    from ._api import stream

    options.setdefault("system", SYSTEM)
    widget = stream(fix_prompt(errors.last(), extra), to_cell=True, **options)
    return widget.display()
