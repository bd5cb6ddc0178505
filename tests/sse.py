"""Replay recorded SSE transcripts as SDK event objects, with no I/O (for pure tests)."""

from __future__ import annotations

import json
import pathlib

from anthropic.types import RawMessageStreamEvent
from pydantic import TypeAdapter

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
_adapter = TypeAdapter(RawMessageStreamEvent)


def frames(name: str) -> list[tuple[str, dict]]:
    """(event name, data) pairs of a transcript, in order."""
    out = []
    for block in (FIXTURES / name).read_text().strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        out.append((fields["event"], json.loads(fields["data"])))
    return out


def sdk_events(name: str) -> list[object]:
    """The events the SDK would yield for a transcript (ping dropped, error events left out)."""
    return [_adapter.validate_python(data) for event, data in frames(name) if event not in ("ping", "error")]
