"""A real IPython kernel (jupyter_client) whose iopub traffic is captured as a frontend would get it.

The iopub socket is read raw, in a thread of its own, so that capturing never slows the kernel down and
huge messages (the whole text re-sent on every delta) are measured without being parsed. A message's
size is what jupyter_server's websocket carries for it (the ``v1.kernel.websocket.jupyter.org`` framing,
which JupyterLab 4 uses): the header, parent_header, metadata and content JSON exactly as the kernel
serialised them, every binary buffer, the channel name and the offset table.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import zmq
from jupyter_client.manager import KernelManager

REPO = Path(__file__).resolve().parents[1]
DELIM = b"<IDS|MSG>"
KEEP_BYTES = 4096  # contents larger than this are measured, not kept (unless of a comm we follow)
# jupyter_server's iopub rate limiter does not count these (services/kernels/connection/channels.py).
NOT_RATE_LIMITED = frozenset({"status", "comm_open", "execute_input"})


def ws_size(parts: list[bytes]) -> int:
    """Bytes of one message on the websocket (jupyter_server's serialize_msg_to_ws_v1)."""
    n = len(parts)  # header, parent_header, metadata, content, buffers...
    return 8 + 8 * (2 + n) + len(b"iopub") + sum(len(p) for p in parts)


def read_schedstat(pid: int) -> tuple[float, float] | None:
    try:
        cpu_ns, wait_ns, _ = Path(f"/proc/{pid}/schedstat").read_text().split()
    except (OSError, ValueError):
        return None
    return int(cpu_ns) / 1e9, int(wait_ns) / 1e9


def parse_date(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


@dataclass(slots=True)
class Message:
    msg_type: str
    date: float  # the kernel's clock (header date): when the message was made
    recv: float  # our clock when it arrived
    parent: str | None
    size: int
    content_len: int
    comm_id: str | None
    head: bytes  # the first bytes of the content JSON
    content_raw: bytes | None  # the whole content, when kept

    def content(self) -> dict[str, Any]:
        if self.content_raw is None:
            raise ValueError(f"the content of this {self.msg_type} ({self.content_len} bytes) was not kept")
        return json.loads(self.content_raw)

    @property
    def method(self) -> str | None:
        """For a comm_msg: 'custom' (model.send) or 'update' (synced state)."""
        for name in ("custom", "update", "echo_update", "request_state"):
            if f'"method": "{name}"'.encode() in self.head:
                return name
        return None


@dataclass
class Execution:
    msg_id: str
    messages: list[Message] = field(default_factory=list)
    reply: dict[str, Any] | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def bench(self) -> dict[str, Any]:
        """The ``BENCH:{json}`` line the cell printed (see probe.emit)."""
        for m in self.messages:
            if m.msg_type == "stream" and m.content_raw is not None:
                text = m.content().get("text", "")
                for line in text.splitlines():
                    if line.startswith("BENCH:"):
                        return json.loads(line[len("BENCH:"):])
        raise RuntimeError(f"no BENCH line in the cell's output: {self.errors() or self.reply}")

    def errors(self) -> list[str]:
        out = []
        for m in self.messages:
            if m.msg_type == "error" and m.content_raw is not None:
                c = m.content()
                out.append(f"{c.get('ename')}: {c.get('evalue')}")
            elif m.msg_type == "stream" and m.content_raw is not None and m.content().get("name") == "stderr":
                out.append(m.content()["text"][-2000:])
        return out


class BenchKernel:
    """One kernel: execute cells, collect every iopub message each cell caused."""

    def __init__(self, env: dict[str, str]) -> None:
        self.tmp = tempfile.mkdtemp(prefix="nbstream-bench-kernel-")
        full_env = {
            k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "NBSTREAM_", "CLAUDE_"))
        }
        pythonpath = [str(REPO)] + ([full_env["PYTHONPATH"]] if full_env.get("PYTHONPATH") else [])
        full_env.update(
            JUPYTER_PLATFORM_DIRS="1", PYDEVD_DISABLE_FILE_VALIDATION="1", PYTHONPATH=os.pathsep.join(pythonpath),
            IPYTHONDIR=os.path.join(self.tmp, "ipython"), MPLBACKEND="agg",
        )
        full_env.update(env)
        self.km = KernelManager(kernel_name="python3")
        self.stderr_path = os.path.join(self.tmp, "kernel.stderr")
        self._stderr = open(self.stderr_path, "wb")  # noqa: SIM115 - closed in shutdown()
        self.km.start_kernel(env=full_env, cwd=self.tmp, stderr=self._stderr, stdout=self._stderr)
        self.kc = self.km.client()
        self.kc.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        self.keep_comms: set[str] = set()
        self._executions: dict[str, Execution] = {}
        self.orphans: list[Message] = []  # messages whose parent is no cell we ran
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._subscribed = threading.Event()
        self._reader = threading.Thread(target=self._read, name="iopub-reader", daemon=True)
        self._reader.start()
        self._wait_ready()

    @property
    def pid(self) -> int:
        return self.km.provisioner.pid  # type: ignore[union-attr]

    def schedstat(self) -> tuple[float, float] | None:
        """(CPU seconds, seconds spent runnable but waiting for a CPU) of the kernel's main thread so far.

        The second figure is contention: time the event loop wanted a CPU that other processes had."""
        return read_schedstat(self.pid)

    # --- iopub -------------------------------------------------------------------------------

    def _read(self) -> None:
        socket = self.km.connect_iopub()
        poller = zmq.Poller()
        poller.register(socket, zmq.POLLIN)
        try:
            while not self._stop.is_set():
                if not poller.poll(100):
                    continue
                while True:
                    try:
                        frames = socket.recv_multipart(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    self._subscribed.set()
                    self._handle(frames, time.time())
        finally:
            socket.close(linger=0)

    def _handle(self, frames: list[bytes], recv: float) -> None:
        i = frames.index(DELIM)
        header_raw, parent_raw, metadata_raw, content_raw = frames[i + 2 : i + 6]
        buffers = frames[i + 6 :]
        header = json.loads(header_raw)
        parent = json.loads(parent_raw) if len(parent_raw) > 2 else {}
        msg_type = header["msg_type"]
        comm_id = None
        if msg_type.startswith("comm_"):
            at = content_raw.rfind(b'"comm_id": "')
            if at >= 0:
                start = at + len(b'"comm_id": "')
                comm_id = content_raw[start : content_raw.index(b'"', start)].decode()
            if msg_type == "comm_open" and b'"_esm"' in content_raw:
                self.keep_comms.add(comm_id)  # an anywidget (nbstream's): follow all its messages
        keep = (
            len(content_raw) <= KEEP_BYTES
            or msg_type in ("comm_open", "error")
            or (msg_type == "stream" and len(content_raw) <= 1 << 20)
            or comm_id in self.keep_comms
        )
        message = Message(
            msg_type=msg_type, date=parse_date(header["date"]), recv=recv, parent=parent.get("msg_id"),
            size=ws_size([header_raw, parent_raw, metadata_raw, content_raw, *buffers]),
            content_len=len(content_raw), comm_id=comm_id, head=bytes(content_raw[:200]),
            content_raw=bytes(content_raw) if keep else None,
        )
        with self._lock:
            execution = self._executions.get(message.parent or "")
        if execution is None:
            self.orphans.append(message)
            return
        execution.messages.append(message)
        if msg_type == "status" and b'"idle"' in content_raw:
            execution.done.set()

    # --- shell ---------------------------------------------------------------------------------

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            msg_id = self.kc.kernel_info()
            try:
                reply = self.kc.get_shell_msg(timeout=1)
            except Exception:  # noqa: BLE001, S112 - no reply yet: ask again
                continue
            if reply["parent_header"].get("msg_id") == msg_id and self._subscribed.wait(1):
                return
        raise RuntimeError("the kernel did not become ready")

    def start(self, code: str) -> Execution:
        with self._lock:
            msg_id = self.kc.execute(code, store_history=True, allow_stdin=False)
            execution = self._executions[msg_id] = Execution(msg_id)
        return execution

    def wait(self, execution: Execution, timeout: float = 300) -> Execution:
        if not execution.done.wait(timeout):
            raise TimeoutError(f"cell {execution.msg_id} did not finish in {timeout} s")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            reply = self.kc.get_shell_msg(timeout=30)
            if reply["parent_header"].get("msg_id") == execution.msg_id:
                execution.reply = reply["content"]
                break
        return execution

    def run(self, code: str, timeout: float = 300) -> Execution:
        execution = self.wait(self.start(code), timeout)
        if execution.reply is None or execution.reply.get("status") != "ok":
            detail = execution.errors() or execution.reply
            raise RuntimeError(f"cell failed: {code[:200]!r}: {detail}")
        return execution

    def bench(self, code: str, timeout: float = 300) -> dict[str, Any]:
        return self.run(code, timeout).bench()

    def forget(self, execution: Execution) -> None:
        """Drop a finished cell's messages (they can be large)."""
        with self._lock:
            self._executions.pop(execution.msg_id, None)

    def shutdown(self) -> None:
        self._stop.set()
        try:
            self.kc.stop_channels()
            self.km.shutdown_kernel(now=True)
        finally:
            self._reader.join(5)
            self._stderr.close()
