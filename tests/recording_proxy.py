"""A loopback TCP proxy that records the exact bytes each side sent, for checks that must not trust
nbstream's own parsing: what the server said is read back here, by this module's own small HTTP/1.1 and
SSE readers, and compared with what nbstream showed.

It forwards bytes untouched. When the client closes its side (a cancel), the proxy notes the time and
closes the upstream connection at once, so the server sees the close as it would without the proxy.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Connection:
    opened_at: float
    to_server: bytearray = field(default_factory=bytearray)
    to_client: bytearray = field(default_factory=bytearray)
    client_closed_at: float | None = None  # the client hung up (or reset) before the server did
    server_closed_at: float | None = None
    chunks_up: list[tuple[int, float]] = field(default_factory=list)  # (offset, arrival) of each read
    start_up: int = 0  # where this test's bytes begin on a kept-alive connection (see RecordingProxy.reset)
    start_down: int = 0

    @property
    def open(self) -> bool:
        return self.client_closed_at is None and self.server_closed_at is None


@dataclass
class Exchange:
    """One request and its response, as the bytes went over the wire."""

    connection: Connection
    method: str
    path: str
    request_body: bytes
    sent_at: float = 0.0  # when the request's first byte reached the proxy
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    complete: bool = False  # the whole response body arrived at the client

    def request_json(self) -> Any:
        return json.loads(self.request_body or b"null")

    def response_json(self) -> Any:
        return json.loads(self.response_body)

    def sse(self) -> list[tuple[str, Any]]:
        """The response's complete Server-Sent Events as (event name, parsed data), read independently of nbstream."""
        events = []
        text = self.response_body.decode("utf-8", "replace").replace("\r\n", "\n")
        for frame in text.split("\n\n")[:-1]:  # the last piece is empty, or a frame cut off by a hang-up
            name, data = None, []
            for line in frame.split("\n"):
                if line.startswith("event:"):
                    name = line[6:].strip()
                elif line.startswith("data:"):
                    data.append(line[5:].removeprefix(" "))
            if data:
                events.append((name, json.loads("\n".join(data))))
        return events

    def streamed_text(self) -> str:
        return "".join(
            d["delta"]["text"]
            for n, d in self.sse()
            if n == "content_block_delta" and d["delta"]["type"] == "text_delta"
        )

    def streamed_usage(self) -> dict[str, int]:
        """message_start's usage updated by message_delta's, as the protocol defines the final usage."""
        usage: dict[str, int] = {}
        for name, data in self.sse():
            if name == "message_start":
                usage.update(data["message"].get("usage") or {})
            elif name == "message_delta":
                usage.update(data.get("usage") or {})
        return usage

    def stop_reason(self) -> str | None:
        reasons = [d["delta"].get("stop_reason") for n, d in self.sse() if n == "message_delta"]
        return reasons[-1] if reasons else None


def _split_head(buf: bytes, at: int) -> tuple[list[str], int] | None:
    end = buf.find(b"\r\n\r\n", at)
    if end < 0:
        return None
    return buf[at:end].decode("latin-1").split("\r\n"), end + 4


def _headers(lines: list[str]) -> dict[str, str]:
    return {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}


def _body(buf: bytes, at: int, headers: dict[str, str]) -> tuple[bytes, int, bool]:
    """(body, position after it, complete) for Content-Length or chunked framing."""
    if "chunked" in headers.get("transfer-encoding", ""):
        body = bytearray()
        while True:
            line_end = buf.find(b"\r\n", at)
            if line_end < 0:
                return bytes(body), len(buf), False
            size = int(buf[at:line_end].split(b";")[0], 16)
            start = line_end + 2
            if size == 0:
                return bytes(body), start + 2, True
            if start + size > len(buf):
                body += buf[start:]
                return bytes(body), len(buf), False
            body += buf[start : start + size]
            at = start + size + 2
    length = int(headers.get("content-length", "0"))
    body = buf[at : at + length]
    return body, at + length, len(body) == length


def exchanges(conn: Connection) -> list[Exchange]:
    """The requests and responses of one keep-alive connection, in order."""
    out: list[Exchange] = []
    req, resp = bytes(conn.to_server), bytes(conn.to_client)
    rpos, spos = conn.start_up, conn.start_down
    while (head := _split_head(req, rpos)) is not None:
        sent_at = max((t for offset, t in conn.chunks_up if offset <= rpos), default=conn.opened_at)
        lines, rpos = head
        method, path, _ = lines[0].split(" ", 2)
        body, rpos, _ = _body(req, rpos, _headers(lines))
        exchange = Exchange(conn, method, path, body, sent_at)
        out.append(exchange)
        if (rhead := _split_head(resp, spos)) is None:
            break
        rlines, spos = rhead
        exchange.status = int(rlines[0].split(" ", 2)[1])
        exchange.response_headers = _headers(rlines)
        exchange.response_body, spos, exchange.complete = _body(resp, spos, exchange.response_headers)
    return out


class RecordingProxy:
    """``with RecordingProxy(upstream_port) as proxy:`` then point the client at ``proxy.base_url``."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.connections: list[Connection] = []
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._listener.close()

    def reset(self) -> None:
        """Forget what was sent so far. Kept-alive connections stay (the client reuses them), from their end."""
        with self._lock:
            self.connections[:] = [c for c in self.connections if c.open]
            for conn in self.connections:
                conn.start_up, conn.start_down = len(conn.to_server), len(conn.to_client)

    def exchanges(self, path_prefix: str = "/v1/messages") -> list[Exchange]:
        """Every exchange so far whose path starts with ``path_prefix``, in the order they were opened."""
        with self._lock:
            conns = list(self.connections)
        found = [e for c in conns for e in exchanges(c) if e.path.split("?")[0].startswith(path_prefix)]
        return sorted(found, key=lambda e: e.sent_at)

    def messages(self) -> list[Exchange]:
        return [e for e in self.exchanges("/v1/messages") if e.path.split("?")[0] == "/v1/messages"]

    def wait_for(self, predicate, timeout: float = 10.0):  # noqa: ANN001, ANN201 - test helper
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if value := predicate(self):
                return value
            time.sleep(0.01)
        raise TimeoutError("the proxy did not see what was expected in time")

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            conn = Connection(opened_at=time.monotonic())
            with self._lock:
                self.connections.append(conn)
            threading.Thread(target=self._pump_up, args=(client, upstream, conn), daemon=True).start()
            threading.Thread(target=self._pump_down, args=(upstream, client, conn), daemon=True).start()

    def _pump_up(self, client: socket.socket, upstream: socket.socket, conn: Connection) -> None:
        while True:
            try:
                data = client.recv(65536)
            except OSError:
                data = b""
            if not data:
                if conn.server_closed_at is None:
                    conn.client_closed_at = time.monotonic()
                _close(upstream)  # pass the hang-up on, so the server sees it
                _close(client)
                return
            conn.chunks_up.append((len(conn.to_server), time.monotonic()))
            conn.to_server += data
            try:
                upstream.sendall(data)
            except OSError:
                _close(client)
                return

    def _pump_down(self, upstream: socket.socket, client: socket.socket, conn: Connection) -> None:
        while True:
            try:
                data = upstream.recv(65536)
            except OSError:
                data = b""
            if not data:
                if conn.client_closed_at is None:
                    conn.server_closed_at = time.monotonic()
                _close(client)
                return
            conn.to_client += data
            try:
                client.sendall(data)
            except OSError:
                if conn.server_closed_at is None and conn.client_closed_at is None:
                    conn.client_closed_at = time.monotonic()
                _close(upstream)
                return


def _close(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
