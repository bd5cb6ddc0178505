"""Playing recorded replies back: nbstream's replay and recorded lessons, streamed as the API streams.

A request to ``POST /v1/messages`` with the header ``x-nbstream-play: <key>`` is answered from the
recorded turn stored under that key (``Simulator.playback.add(turns)``), never made up: an unknown key is
a 404. The turn streams as SSE with its recorded chunks at its recorded pace: each delta is due at the
recorded time after the request was sent (``x-nbstream-sent-at``, the client's ``time.monotonic()``: this
server runs in the client's process, so both read the same clock; otherwise from the request's arrival).
``x-nbstream-pace: instant`` sends it all at once. Played requests are not in the simulator's request log.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from typing import Any

from ._http import ClientGone, Connection, Request

__all__ = ["PLAY_HEADER", "Playback"]

PLAY_HEADER = "x-nbstream-play"
SENT_AT_HEADER = "x-nbstream-sent-at"
PACE_HEADER = "x-nbstream-pace"
LABEL_HEADER = "x-nbstream-replay"


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _frame(event: dict[str, Any]) -> bytes:
    return f"event: {event['type']}\ndata: {_dumps(event)}\n\n".encode()


class Playback:
    """The recorded turns this server can play, by request key, each with its label and origin."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._turns: dict[str, tuple[dict[str, Any], str, bool]] = {}
        self.played = 0  # requests answered from a recording

    def add(self, turns: list[dict[str, Any]], *, label: str, simulated: bool) -> None:
        with self._lock:
            for turn in turns:
                self._turns[turn["key"]] = (turn, label, simulated)

    def clear(self) -> None:
        with self._lock:
            self._turns.clear()

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._turns

    async def serve(self, conn: Connection, request: Request) -> None:
        key = request.headers.get(PLAY_HEADER, "")
        with self._lock:
            found = self._turns.get(key)
        request_id = "req_play_" + secrets.token_hex(12)
        if request.method != "POST" or request.path != "/v1/messages" or found is None:
            body = {"type": "error", "error": {"type": "not_found_error",
                                               "message": "no recorded reply for this request"}}
            await conn.send(404, {"content-type": "application/json", "request-id": request_id},
                            _dumps(body).encode())
            return
        turn, label, simulated = found
        with self._lock:
            self.played += 1
        headers = {"content-type": "text/event-stream; charset=utf-8", "request-id": request_id,
                   "cache-control": "no-cache", LABEL_HEADER: label}
        if simulated:
            headers["x-nbstream-simulator"] = "1"
        start = _start_time(request)
        instant = request.headers.get(PACE_HEADER) == "instant"
        try:
            await conn.start_chunked(200, headers)
            await _stream(conn, turn, start, instant)
        except ClientGone:
            conn.must_close = True


def _start_time(request: Request) -> float:
    """When the client sent the request, on this process's monotonic clock (its arrival if not plausible)."""
    try:
        sent = float(request.headers.get(SENT_AT_HEADER, ""))
    except ValueError:
        return request.received_at
    return sent if request.received_at - 5.0 <= sent <= request.received_at else request.received_at


async def _stream(conn: Connection, turn: dict[str, Any], start: float, instant: bool) -> None:
    blocks = turn["blocks"]
    usage = dict(turn["usage"])
    first = {"type": "message_start", "message": {
        "id": turn.get("id") or "msg_play_" + secrets.token_hex(8), "type": "message", "role": "assistant",
        "model": turn.get("model") or "", "content": [], "stop_reason": None, "stop_sequence": None,
        "usage": {**usage, "output_tokens": 1},
    }}
    frames = [_frame(first)]
    offsets = [0] * len(blocks)  # characters of each block sent so far
    opened = -1  # the last block started
    due = start

    def open_until(index: int) -> None:
        nonlocal opened
        while opened < index:
            if opened >= 0:
                frames.extend(_closing(blocks[opened], opened))
            opened += 1
            frames.append(_frame({"type": "content_block_start", "index": opened,
                                  "content_block": _empty(blocks[opened])}))

    for index, length, gap_ms in turn["deltas"]:
        open_until(index)
        due += gap_ms / 1000
        wait = due - time.monotonic()
        if wait > 0 and not instant:
            await conn.write_chunks(frames, None)
            frames = []
            if await conn.wait_closed(wait):
                raise ClientGone
        block = blocks[index]
        piece = block["content"][offsets[index] : offsets[index] + length]
        offsets[index] += length
        frames.append(_frame({"type": "content_block_delta", "index": index, "delta": _delta(block, piece)}))
    open_until(len(blocks) - 1)
    if opened >= 0:
        frames.extend(_closing(blocks[opened], opened))
    frames.append(_frame({"type": "message_delta", "usage": usage,
                          "delta": {"stop_reason": turn.get("stop_reason"), "stop_sequence": None}}))
    frames.append(_frame({"type": "message_stop"}))
    await conn.write_chunks(frames, None, last=True)


def _empty(block: dict[str, Any]) -> dict[str, Any]:
    kind = block["type"]
    if kind == "tool_use":
        return {"type": "tool_use", "id": block.get("id"), "name": block.get("name"), "input": {}}
    if kind == "thinking":
        return {"type": "thinking", "thinking": "", "signature": ""}
    if kind == "redacted_thinking":
        return {"type": "redacted_thinking", "data": block.get("data") or ""}
    return {"type": kind, "text": ""}


def _delta(block: dict[str, Any], piece: str) -> dict[str, Any]:
    if block["type"] == "tool_use":
        return {"type": "input_json_delta", "partial_json": piece}
    if block["type"] == "thinking":
        return {"type": "thinking_delta", "thinking": piece}
    return {"type": "text_delta", "text": piece}


def _closing(block: dict[str, Any], index: int) -> list[bytes]:
    frames = []
    if block["type"] == "thinking" and block.get("signature"):
        frames.append(_frame({"type": "content_block_delta", "index": index,
                              "delta": {"type": "signature_delta", "signature": block["signature"]}}))
    return [*frames, _frame({"type": "content_block_stop", "index": index})]
