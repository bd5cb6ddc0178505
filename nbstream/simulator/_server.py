"""The Simulator: routing, authentication, the request log, control endpoints, and a thread to run it in."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import ipaddress
import json
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any, Self, TypeVar

from ._batches import BatchStore
from ._cache import PromptCache
from ._http import ClientGone, Connection, HTTPServer, Request
from ._messages import (
    JSON_CONTENT_TYPE,
    APIError,
    Exchange,
    Settings,
    count_tokens,
    create_message,
    error_body,
    new_request_id,
    send_error,
)
from ._playback import PLAY_HEADER, Playback

__all__ = ["App", "RequestLog", "Simulator", "check_loopback"]

log = logging.getLogger("nbstream.simulator")

_T = TypeVar("_T")
_Handler = Callable[..., Awaitable[None]]  # handler(exchange, body, **path_parameters)
_KEEP: Any = object()
_SETTINGS = ("ttft", "rate", "tokens", "batch_seconds")


def check_loopback(host: str) -> str:
    """`host` if it is a loopback address ("localhost" becomes 127.0.0.1); ValueError otherwise."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        if ipaddress.ip_address(host).is_loopback:
            return host
    except ValueError:
        pass
    raise ValueError(f"the simulator only listens on loopback addresses (such as 127.0.0.1), not {host!r}")


# ------------------------------------------------------------------------------------------------------------
# Routing


class Router:
    """(method, path template) -> handler; ``{name}`` in a template matches one path segment."""

    def __init__(self) -> None:
        self._routes: list[tuple[str, re.Pattern[str], _Handler]] = []

    def add(self, method: str, template: str, handler: _Handler) -> None:
        parts = re.split(r"\{(\w+)\}", template)  # static, name, static, name, ..., static
        pattern = "".join(
            f"(?P<{part}>[^/]+)" if i % 2 else re.escape(part) for i, part in enumerate(parts)
        )
        self._routes.append((method, re.compile(pattern), handler))

    def match(self, method: str, path: str) -> tuple[_Handler, dict[str, str]]:
        """The handler and its path parameters; APIError 405 for a known path, 404 otherwise."""
        known_path = False
        for route_method, pattern, handler in self._routes:
            found = pattern.fullmatch(path)
            if found and route_method == method:
                return handler, found.groupdict()
            known_path = known_path or found is not None
        if known_path:
            raise APIError(405, f"Method {method} not allowed for {path}", type="invalid_request_error")
        raise APIError(404, f"Not found: {method} {path}")


# ------------------------------------------------------------------------------------------------------------
# Request log


class _Record:
    """A live log entry: the server thread updates it, readers take snapshots under the same lock."""

    __slots__ = ("_data", "_lock")

    def __init__(self, lock: threading.Lock, data: dict[str, Any]) -> None:
        self._lock = lock
        self._data = data

    def update(self, **fields: Any) -> None:
        with self._lock:
            self._data.update(fields)


class RequestLog:
    # A simulator left running all day (a class, a demo) must not grow without bound; tests never get close.
    MAX_RECORDS = 10_000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[dict[str, Any]] = []

    def new(self, **fields: Any) -> _Record:
        with self._lock:
            self._records.append(fields)
            if len(self._records) > self.MAX_RECORDS:
                del self._records[: len(self._records) - self.MAX_RECORDS]
        return _Record(self._lock, fields)

    def snapshot(self) -> list[dict[str, Any]]:
        # Deep copies, so that a snapshot a test holds never changes under it.
        with self._lock:
            return copy.deepcopy(self._records)

    def clear(self) -> None:
        with self._lock:
            self._records = []


# ------------------------------------------------------------------------------------------------------------
# The application (runs on one event loop)


class App:
    """The simulator's state and request handling, independent of the thread it runs in."""

    def __init__(self, settings: Settings) -> None:
        self._lock = threading.Lock()
        self._settings = settings
        self._attempts: dict[str, int] = {}
        self._samples: dict[str, int] = {}
        self.log = RequestLog()
        self.cache = PromptCache()
        self.batches = BatchStore()
        self.playback = Playback()  # recorded replies nbstream plays back (replay, lessons)
        self._router = Router()
        for method, template, handler in (
            ("POST", "/v1/messages", create_message),
            ("POST", "/v1/messages/count_tokens", count_tokens),
            ("POST", "/v1/messages/batches", self.batches.create),
            ("GET", "/v1/messages/batches", self.batches.list_batches),
            ("GET", "/v1/messages/batches/{batch_id}", self.batches.retrieve),
            ("DELETE", "/v1/messages/batches/{batch_id}", self.batches.delete),
            ("POST", "/v1/messages/batches/{batch_id}/cancel", self.batches.cancel),
            ("GET", "/v1/messages/batches/{batch_id}/results", self.batches.results),
        ):
            self._router.add(method, template, handler)
        self._http = HTTPServer(self._handle, self._refuse)

    @property
    def settings(self) -> Settings:
        with self._lock:
            return self._settings

    def configure(
        self, *, ttft: Any = _KEEP, rate: Any = _KEEP, tokens: Any = _KEEP, batch_seconds: Any = _KEEP
    ) -> Settings:
        """Change the defaults for requests that arrive from now on; raises ValueError for bad values."""
        with self._lock:
            current = self._settings
            self._settings = Settings(
                ttft=current.ttft if ttft is _KEEP else ttft,
                rate=current.rate if rate is _KEEP else rate,
                tokens=current.tokens if tokens is _KEEP else tokens,
                batch_seconds=current.batch_seconds if batch_seconds is _KEEP else batch_seconds,
            )
            return self._settings

    def reset(self) -> None:
        """Forget the request log, the attempt and sample counts, the prompt cache and the batches."""
        with self._lock:
            self._attempts.clear()
            self._samples.clear()
        self.log.clear()
        self.cache.clear()
        self.batches.clear()

    async def start(self, host: str, port: int) -> int:
        return await self._http.start(check_loopback(host), port)

    async def close(self) -> None:
        await self._http.close()

    @staticmethod
    def _body_key(request: Request) -> str:
        # A client retry (or `-n`) resends the same bytes, so the body's digest identifies "the same request".
        return hashlib.sha256(
            request.method.encode() + b" " + request.path.encode() + b"\n" + request.body
        ).hexdigest()

    def _next_attempt(self, key: str) -> int:
        with self._lock:
            self._attempts[key] = attempt = self._attempts.get(key, 0) + 1
        return attempt

    def _next_sample(self, key: str) -> int:
        """How many replies this exact body has had (0 for the first): identical requests get new samples."""
        with self._lock:
            sample = self._samples.get(key, 0)
            self._samples[key] = sample + 1
        return sample

    # -- dispatch --------------------------------------------------------------------------------------------

    async def _handle(self, conn: Connection, request: Request) -> None:
        if request.path.startswith("/_sim/"):
            await self._control(conn, request)
            return
        if PLAY_HEADER in request.headers:  # a recorded reply, never a simulated one (and not logged)
            await self.playback.serve(conn, request)
            return
        request_id = new_request_id()
        try:
            body: Any = json.loads(request.body) if request.body else None
        except ValueError:
            body = None
            bad_json = True
        else:
            bad_json = False
        key = self._body_key(request)
        attempt = self._next_attempt(key)
        is_dict = isinstance(body, dict)
        record = self.log.new(
            id=request_id,
            method=request.method,
            path=request.path,
            model=body.get("model") if is_dict else None,
            stream=bool(is_dict and body.get("stream") is True),
            directive={},
            body=body,
            attempt=attempt,
            connection=conn.number,
            received_at=request.received_at,
            headers_sent_at=None,
            first_token_at=None,
            ended_at=None,
            tokens_sent=0,
            outcome=None,
            client_closed_at=None,
            status=None,
            error=None,
            stop_reason=None,
            input_tokens=None,
            cache_read_input_tokens=None,
            cache_creation_input_tokens=None,
            sample=None,
            ttft_planned=None,
            rate_planned=None,
            batch_id=None,
        )
        exchange = Exchange(
            conn, request, record, request_id, self.settings, attempt, self.cache, lambda: self._next_sample(key)
        )
        try:
            handler, parameters = self._router.match(request.method, request.path)
            _authenticate(request)
            if bad_json:
                raise APIError(400, "request body is not valid JSON")
            await handler(exchange, body, **parameters)
        except APIError as error:
            await send_error(exchange, error)
        except ClientGone:
            exchange.client_gone(faulted=False)
        except Exception as exc:  # a simulator bug must still answer, like a real server's 500
            log.exception("simulator error while handling %s %s", request.method, request.path)
            with contextlib.suppress(Exception):
                await send_error(exchange, APIError(500, f"simulator error: {exc!r}"))

    async def _refuse(self, conn: Connection, status: int, message: str) -> None:
        kind = "request_too_large" if status == 413 else "invalid_request_error"
        request_id = new_request_id()
        headers = {
            "content-type": JSON_CONTENT_TYPE,
            "request-id": request_id,
            "x-nbstream-simulator": "1",
            "connection": "close",
        }
        with contextlib.suppress(ClientGone):
            await conn.send(status, headers, json.dumps(error_body(kind, message, request_id)).encode())

    async def _control(self, conn: Connection, request: Request) -> None:
        """`/_sim/*`: the request log, reset and configuration (not logged themselves)."""
        status = 200
        result: list[dict[str, Any]] | dict[str, Any]
        route = (request.method, request.path)
        try:
            if route == ("GET", "/_sim/requests"):
                result = self.log.snapshot()
            elif route == ("POST", "/_sim/reset"):
                self.reset()
                result = {"ok": True}
            elif route == ("GET", "/_sim/config"):
                result = self.settings.as_dict()
            elif route == ("POST", "/_sim/config"):
                changes = json.loads(request.body or b"{}")
                if not isinstance(changes, dict) or set(changes) - set(_SETTINGS):
                    raise ValueError(f"send a JSON object with any of the keys {', '.join(_SETTINGS)}")
                result = self.configure(**changes).as_dict()
            else:
                status, result = (
                    404,
                    error_body("not_found_error", f"Not found: {request.method} {request.path}", None),
                )
        except ValueError as exc:
            status, result = 400, error_body("invalid_request_error", str(exc), None)
        request_id = new_request_id()
        if isinstance(result, dict) and result.get("type") == "error":
            result["request_id"] = request_id
        headers = {"content-type": JSON_CONTENT_TYPE, "request-id": request_id, "x-nbstream-simulator": "1"}
        await conn.send(status, headers, json.dumps(result).encode())


def _authenticate(request: Request) -> None:
    key = request.headers.get("x-api-key")
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if not key and scheme.lower() == "bearer":
        key = token.strip()
    if not key:
        raise APIError(401, "missing API key: send an Authorization: Bearer <key> or x-api-key: <key> header")
    if key.startswith("sk-bad"):
        raise APIError(401, "invalid x-api-key")


# ------------------------------------------------------------------------------------------------------------
# The thread wrapper


class Simulator:
    """A loopback Messages API server for tests, benchmarks, demos and offline teaching.

    ``with Simulator(ttft=0.05, rate=500) as sim:`` starts it on its own event loop in a daemon thread; point
    the SDK at ``sim.base_url``. Without ttft/rate each model answers at its own latency profile. See the
    package docstring for per-request directives.
    """

    def __init__(
        self,
        ttft: float | None = None,
        rate: float | None = None,
        tokens: int | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        batch_seconds: float = 2.0,
    ) -> None:
        self._host = check_loopback(host)
        self._port = port
        self._app = App(Settings(ttft=ttft, rate=rate, tokens=tokens, batch_seconds=batch_seconds))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------

    def start(self) -> Self:
        """Start serving (in a daemon thread) and return once the socket is listening."""
        if self._thread is not None:
            raise RuntimeError("the simulator is already running")
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            try:
                self._port = loop.run_until_complete(self._app.start(self._host, self._port))
            except BaseException as exc:  # noqa: BLE001 - e.g. the port is taken: re-raised by start()
                failure.append(exc)
                loop.close()
                ready.set()
                return
            self._loop = loop
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self._app.close())
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=run, name="nbstream-simulator", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        """Stop serving, closing every open connection. Safe to call twice."""
        thread, loop = self._thread, self._loop
        if thread is None or loop is None:
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._thread = self._loop = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self._thread is not None else "stopped"
        return f"<Simulator {state} at {self.base_url} {self.settings}>"

    # -- addresses and settings ------------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return self._host

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self._port}"

    @property
    def settings(self) -> Settings:
        return self._app.settings

    def configure(
        self, *, ttft: Any = _KEEP, rate: Any = _KEEP, tokens: Any = _KEEP, batch_seconds: Any = _KEEP
    ) -> Settings:
        """Change ttft/rate/tokens/batch_seconds for later requests.

        ``ttft=None``/``rate=None``: each model's latency profile; ``tokens=None``: a length shaped by the prompt.
        """
        return self._app.configure(ttft=ttft, rate=rate, tokens=tokens, batch_seconds=batch_seconds)

    # -- the request log -------------------------------------------------------------------------------------

    @property
    def playback(self) -> Playback:
        """The recorded replies this server plays back (see ``_playback``)."""
        return self._app.playback

    @property
    def requests(self) -> list[dict[str, Any]]:
        """A snapshot of the request log, oldest first (see the package docstring for the fields)."""
        return self._app.log.snapshot()

    def reset(self) -> None:
        """Clear the request log, the attempt counts used by ``times=N``, the prompt cache and the batches."""
        self._app.reset()

    def wait_for(
        self, predicate: Callable[[list[dict[str, Any]]], _T], timeout: float = 5.0, interval: float = 0.01
    ) -> _T:
        """Poll ``predicate(sim.requests)`` until it returns something truthy, and return that.

        Blocks the calling thread: from async code, use :meth:`wait_for_async` so the client's loop can run.
        """
        deadline = time.monotonic() + timeout
        while not (result := self._check(predicate, deadline, timeout)):
            time.sleep(interval)
        return result

    async def wait_for_async(
        self, predicate: Callable[[list[dict[str, Any]]], _T], timeout: float = 5.0, interval: float = 0.01
    ) -> _T:
        """:meth:`wait_for` for async code: sleeps with ``asyncio.sleep`` between polls."""
        deadline = time.monotonic() + timeout
        while not (result := self._check(predicate, deadline, timeout)):
            await asyncio.sleep(interval)
        return result

    def _check(self, predicate: Callable[[list[dict[str, Any]]], _T], deadline: float, timeout: float) -> _T:
        """The predicate's result on the log now; TimeoutError once the deadline has passed without one."""
        records = self.requests
        result = predicate(records)
        if not result and time.monotonic() >= deadline:
            raise TimeoutError(f"simulator log did not match within {timeout} s; log: {_summary(records)}")
        return result


def _summary(records: list[dict[str, Any]]) -> str:
    return (
        "; ".join(
            f"{r['path']} status={r['status']} outcome={r['outcome']} tokens={r['tokens_sent']}"
            for r in records
        )
        or "(empty)"
    )
