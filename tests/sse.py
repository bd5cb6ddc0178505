"""Replay recorded SSE transcripts through nbstream's own SSE parsing, with no I/O (for pure tests)."""

from __future__ import annotations

import pathlib

from nbstream._sse import SSEParser, decode

FIXTURES = pathlib.Path(__file__).parent / "fixtures"


def frames(name: str) -> list[tuple[str, str]]:
    """(event name, data) pairs of a transcript, in order, as the parser frames them."""
    parser = SSEParser()
    out = []
    for line in (FIXTURES / name).read_text().splitlines() + [""]:
        frame = parser.feed(line)
        if frame is not None:
            out.append(frame)
    return out


def events(name: str) -> list[object]:
    """nbstream's events for a transcript (pings dropped; an error frame is left out)."""
    return [e for event, data in frames(name) if event != "error" and (e := decode(event, data)) is not None]
