"""A minimal asyncio HTTP/1.1 server: keep-alive, Content-Length request bodies, JSON and chunked responses.

Its one unusual trait: every connection keeps a read running for its whole life (the "pump"), so a client
that closes its socket is noticed at once, even while a handler is sleeping, stalling or waiting to send
headers. That is what lets tests assert "the simulator saw the connection close within a second".
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import socket
import struct
import time
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus

__all__ = ["ClientGone", "Connection", "HTTPServer", "Request"]

_MAX_HEAD = 64 * 1024
MAX_BODY = 32 * 1024 * 1024
_READ_SIZE = 64 * 1024


class ClientGone(Exception):
    """The client closed or reset the connection; nothing more can be sent."""


class BadRequest(Exception):
    """The bytes on the wire are not an HTTP/1.1 request we can answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclasses.dataclass
class Request:
    method: str
    path: str  # without the query string
    query: str
    version: str
    headers: dict[str, str]  # lower-cased names; a repeated header keeps its last value
    body: bytes
    received_at: float  # time.monotonic() when the whole request had arrived

    @property
    def keep_alive(self) -> bool:
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection


Handler = Callable[["Connection", Request], Awaitable[None]]
# Answers bytes that are not a request we can serve: (connection, status, message).
Refuser = Callable[["Connection", int, str], Awaitable[None]]


class Connection:
    """One client connection: reads requests, writes responses, and knows when the client has gone."""

    _serial = itertools.count(1)

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.number = next(self._serial)  # lets the log show which requests shared a keep-alive connection
        self._reader = reader
        self._writer = writer
        host, port = writer.get_extra_info("sockname")[:2]
        # The address the client reached us at, as a Host header would give it (IPv6 in brackets).
        self.local_address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        self._buffer = bytearray()
        self._arrived = asyncio.Event()
        self._gone: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed_at: float | None = None  # time.monotonic() when the EOF/reset was seen
        self.closed_by_server = False  # we closed it (a fault), so closed_at is not the client's doing
        self.must_close = False  # set by a handler that leaves the connection unusable (e.g. a drop)
        self._pump = asyncio.get_running_loop().create_task(self._read_forever())

    # -- reading ---------------------------------------------------------------------------------------------

    async def _read_forever(self) -> None:
        try:
            while True:
                data = await self._reader.read(_READ_SIZE)
                if not data:
                    break
                self._buffer += data
                self._arrived.set()
        except (ConnectionError, OSError):
            pass
        finally:
            if not self._gone.done():
                self.closed_at = time.monotonic()
                self._gone.set_result(None)
            self._arrived.set()

    @property
    def closed(self) -> bool:
        """True once the connection is finished: the client went away or the server closed it."""
        return self._gone.done()

    async def wait_closed(self, timeout: float | None) -> bool:
        """Sleep up to `timeout` seconds (None: forever), waking early if the client goes; True if it went."""
        if not self._gone.done():
            if timeout is not None and timeout <= 0:
                await asyncio.sleep(0)
            else:
                await asyncio.wait([self._gone], timeout=timeout)
        return self._gone.done()

    async def _fill(self) -> bool:
        """Wait until more bytes may have arrived; False once the client has gone (no more will come)."""
        if self._gone.done():
            return False
        self._arrived.clear()
        await self._arrived.wait()
        return True

    async def read_request(self) -> Request | None:
        """The next request, or None if the client went away before sending a whole one."""
        while (end := self._buffer.find(b"\r\n\r\n")) < 0:
            if len(self._buffer) > _MAX_HEAD:
                raise BadRequest(431, "request head too large")
            if not await self._fill():
                return None
        # Tolerate stray CRLFs between requests (RFC 9112 §2.2).
        while self._buffer.startswith(b"\r\n"):
            del self._buffer[:2]
            end -= 2
        head = bytes(self._buffer[:end]).decode("latin-1")
        del self._buffer[: end + 4]
        request_line, *header_lines = head.split("\r\n")
        try:
            method, target, version = request_line.split(" ")
        except ValueError:
            raise BadRequest(400, f"malformed request line {request_line[:80]!r}") from None
        if version not in ("HTTP/1.1", "HTTP/1.0"):
            raise BadRequest(505, f"unsupported protocol {version[:20]!r}")
        headers: dict[str, str] = {}
        for line in header_lines:
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise BadRequest(400, f"malformed header line {line[:80]!r}")
            headers[name.lower()] = value.strip()
        if "transfer-encoding" in headers:
            raise BadRequest(501, "chunked request bodies are not supported; send Content-Length")
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            raise BadRequest(400, "bad Content-Length") from None
        if length < 0:
            raise BadRequest(400, "bad Content-Length")
        if length > MAX_BODY:
            raise BadRequest(413, f"request body of {length} bytes is larger than {MAX_BODY} bytes")
        if headers.get("expect", "").lower() == "100-continue":
            self._writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")  # curl waits for this before a large body
        while len(self._buffer) < length:
            if not await self._fill():
                return None  # the client went away mid-body
        body = bytes(self._buffer[:length])
        del self._buffer[:length]
        if "://" in target:  # the absolute form a client sends through an HTTP proxy (RFC 9112 3.2.2)
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        path, _, query = target.partition("?")
        return Request(method, path, query, version, headers, body, time.monotonic())

    # -- writing ---------------------------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        if self._gone.done() or self._writer.is_closing():
            raise ClientGone
        self._writer.write(data)

    async def drain(self) -> None:
        try:
            await self._writer.drain()
        except (ConnectionError, OSError):
            raise ClientGone from None

    @staticmethod
    def _head(status: int, headers: Mapping[str, str]) -> bytes:
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:
            reason = {529: "Overloaded"}.get(status, "Unknown")
        lines = [f"HTTP/1.1 {status} {reason}"]
        lines.extend(f"{name}: {value}" for name, value in headers.items())
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    async def send(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        """A complete response framed by Content-Length."""
        self._write(self._head(status, {**headers, "content-length": str(len(body))}) + body)
        await self.drain()

    async def start_chunked(self, status: int, headers: Mapping[str, str]) -> None:
        """Send the head of a chunked response; follow with write_chunks(), the last one with `last=True`."""
        self._write(self._head(status, {**headers, "transfer-encoding": "chunked"}))
        await self.drain()

    async def write_chunks(
        self, payloads: list[bytes], piece: int | None = None, *, last: bool = False
    ) -> None:
        """Send each payload as its own chunk, all in one socket write, and wait only if the client lags.

        With `piece`, the payloads are joined and re-cut into chunks of `piece` bytes, each written and
        drained on its own, so the client's parser sees events split at arbitrary bytes. `last` ends the body.
        """
        end = b"0\r\n\r\n" if last else b""
        if piece is None:
            # write() hands the bytes to the socket at once; drain() only waits when the client reads slowly.
            self._write(b"".join(b"%x\r\n%b\r\n" % (len(p), p) for p in payloads if p) + end)
            await self.drain()
            return
        data = b"".join(payloads)
        for start in range(0, len(data), piece):
            part = data[start : start + piece]
            self._write(b"%x\r\n%b\r\n" % (len(part), part))
            await self.drain()
            await asyncio.sleep(0)  # give each piece its own trip through the event loop
        if end:
            self._write(end)
            await self.drain()

    def close(self) -> None:
        """Close our side cleanly (FIN) after flushing what is buffered."""
        self.closed_by_server = True
        self.must_close = True
        self._writer.close()

    def reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0), discarding anything unsent."""
        self.closed_by_server = True
        self.must_close = True
        sock = self._writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self._writer.transport.abort()

    async def finish(self) -> None:
        """Release everything; called once when the connection's loop ends."""
        if not self._writer.is_closing():
            self._writer.close()
        self._pump.cancel()
        with contextlib.suppress(BaseException):
            await self._pump
        try:
            await asyncio.wait_for(self._writer.wait_closed(), 1.0)
        except TimeoutError:
            self._writer.transport.abort()  # a client that stopped reading: don't wait for it to drain
        except (ConnectionError, OSError):
            pass


class HTTPServer:
    """Serves `handler(connection, request)` for each request, one connection task per client."""

    def __init__(self, handler: Handler, refuse: Refuser) -> None:
        self._handler = handler
        self._refuse = refuse
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, host: str, port: int) -> int:
        """Start listening; returns the bound port (useful with port 0)."""
        self._server = await asyncio.start_server(self._serve, host, port)
        return int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        connection = Connection(reader, writer)
        try:
            while not connection.must_close:
                try:
                    request = await connection.read_request()
                except BadRequest as exc:
                    connection.must_close = True
                    await self._refuse(connection, exc.status, str(exc))
                    break
                if request is None:
                    break
                await self._handler(connection, request)
                if not request.keep_alive or connection.closed:
                    break
        except ClientGone:
            pass
        except asyncio.CancelledError:
            # Server shutdown. Ending normally matters: Python 3.11's start_server logs a traceback for
            # every connection task that ends cancelled.
            pass
        finally:
            self._tasks.discard(task)
            await connection.finish()
