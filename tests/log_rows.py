"""The call log's rows as a reader outside nbstream sees them (for tests)."""

from __future__ import annotations

import sqlite3


def calls_in(path) -> list[dict]:
    """Every row of a call log file, oldest call first."""
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in connection.execute("SELECT * FROM calls ORDER BY started_at")]
    finally:
        connection.close()
