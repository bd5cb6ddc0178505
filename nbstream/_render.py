"""A notebook value as a model should read it: text, bounded, never bytes.

A DataFrame becomes a Markdown table of its first rows and columns with its shape (pandas is never
imported: a frame is recognised by its shape, columns and ``head``); any other value is ``str(value)``;
a long text is cut with a note that says how much was left out. Bytes are refused: a model cannot read
them as text, and ``--image``/``--file`` are the way to send binary content.
"""

from __future__ import annotations

from typing import Any

from ._errors import InputError

MAX_CHARS = 20_000  # per value: about 5,000 tokens
TABLE_ROWS = 20
TABLE_COLUMNS = 20
TABLE_CELL_CHARS = 80


def for_model(value: object, *, what: str) -> str:
    """``value`` as prompt text; ``what`` names it in errors and notes (``{df}``, ``{Out[3]}``)."""
    if isinstance(value, bytes | bytearray | memoryview):
        raise InputError(
            f"{what} is binary data ({len(memoryview(value).tobytes()):,} bytes), which a prompt cannot hold as "
            "text: decode it first, or send it with --image or --file"
        )
    text = _table(value) if _is_frame(value) else str(value)
    return truncate(text, what=what)


def truncate(text: str, *, what: str, limit: int = MAX_CHARS) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}\n[{what} truncated: the first {limit:,} of {len(text):,} characters are shown]"


def _is_frame(value: object) -> bool:
    shape = getattr(value, "shape", None)
    return (
        isinstance(shape, tuple) and len(shape) == 2
        and hasattr(value, "columns") and callable(getattr(value, "head", None))
        and hasattr(value, "iloc")
    )


def _cell(value: object) -> str:
    text = " ".join(str(value).split()).replace("|", "\\|")
    return text if len(text) <= TABLE_CELL_CHARS else text[: TABLE_CELL_CHARS - 1] + "…"


def _table(frame: Any) -> str:
    rows, columns = frame.shape
    shown = frame.iloc[:TABLE_ROWS, :TABLE_COLUMNS]
    names = [_cell(name) for name in shown.columns]
    index_name = _cell(frame.index.name) if getattr(frame.index, "name", None) is not None else ""
    lines = [
        f"DataFrame with {rows:,} rows × {columns:,} columns",
        "",
        "| " + " | ".join([index_name, *names]) + " |",
        "|" + "---|" * (len(names) + 1),
    ]
    for label, row in zip(shown.index, shown.itertuples(index=False, name=None), strict=True):
        lines.append("| " + " | ".join([_cell(label), *(_cell(v) for v in row)]) + " |")
    left_out = []
    if rows > TABLE_ROWS:
        left_out.append(f"the first {TABLE_ROWS} of {rows:,} rows")
    if columns > TABLE_COLUMNS:
        left_out.append(f"the first {TABLE_COLUMNS} of {columns:,} columns")
    if left_out:
        lines.append(f"({' and '.join(left_out)} are shown)")
    return "\n".join(lines)
