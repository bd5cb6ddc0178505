"""A real IPython kernel driven by jupyter_client, pointed at the simulator through the environment.

The simulator runs in the test process (so tests can read what it saw: requests, closes); the kernel
reaches it over loopback HTTP through ANTHROPIC_BASE_URL, exactly as the SDK honours it.
"""

from __future__ import annotations

import os
import queue
import time
from dataclasses import dataclass, field
from typing import Any

import pytest
from jupyter_client.manager import KernelManager

from nbstream.simulator import Simulator

pytestmark = pytest.mark.kernel


@pytest.fixture(scope="session")
def simulator():
    with Simulator(ttft=0.05, rate=400) as sim:
        yield sim


def kernel_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "NBSTREAM_")) or k == "NBSTREAM_LOG"}
    env.update(JUPYTER_PLATFORM_DIRS="1", PYDEVD_DISABLE_FILE_VALIDATION="1")
    env.update(extra)
    return env


@dataclass
class Execution:
    msg_id: str
    messages: list[dict[str, Any]] = field(default_factory=list)
    reply: dict[str, Any] | None = None

    def of_type(self, *types: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["msg_type"] in types]

    def custom(self, kind: str | None = None) -> list[dict[str, Any]]:
        """Custom widget messages (model.send from Python), optionally of one ``type``."""
        out = []
        for m in self.of_type("comm_msg"):
            data = m["content"]["data"]
            if data.get("method") == "custom" and (kind is None or data["content"].get("type") == kind):
                out.append(m)
        return out

    def updates(self) -> list[dict[str, Any]]:
        """Synced-state updates (trait changes sent to the front end)."""
        return [m for m in self.of_type("comm_msg") if m["content"]["data"].get("method") == "update"]

    def stream_text(self, name: str = "stdout") -> str:
        return "".join(m["content"]["text"] for m in self.of_type("stream") if m["content"]["name"] == name)

    def displays(self) -> list[dict[str, Any]]:
        return [m["content"] for m in self.of_type("display_data", "execute_result")]

    def static_copies(self) -> list[dict[str, Any]]:
        """nbstream's static copies in this execution: new outputs, or updates of one (by display_id)."""
        return [m["content"] for m in self.of_type("display_data", "update_display_data")
                if "nbstream-static" in m["content"].get("data", {}).get("text/html", "")]

    def errors(self) -> list[dict[str, Any]]:
        return [m["content"] for m in self.of_type("error")]


class KernelSession:
    def __init__(self, env: dict[str, str]) -> None:
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(env=env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def start(self, code: str, cell_id: str | None = None) -> Execution:
        """Execute code; ``cell_id`` sends it as JupyterLab does, with the cell's id in the metadata."""
        if cell_id is None:
            return Execution(self.kc.execute(code))
        content = {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                   "allow_stdin": False, "stop_on_error": True}
        msg = self.kc.session.msg("execute_request", content, metadata={"cellId": cell_id})
        self.kc.shell_channel.send(msg)
        return Execution(msg["header"]["msg_id"])

    def collect(self, execution: Execution, *, until=None, timeout: float = 60) -> Execution:
        """Read iopub until the cell is idle (or ``until(message)`` is true); keep this cell's messages."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"cell {execution.msg_id} did not finish in {timeout} s")
            try:
                msg = self.kc.get_iopub_msg(timeout=remaining)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != execution.msg_id:
                continue
            execution.messages.append(msg)
            if until is not None and until(msg):
                return execution
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                execution.reply = self._reply_to(execution.msg_id)
                return execution

    def _reply_to(self, msg_id: str) -> dict[str, Any]:
        # Skip stale replies (wait_for_ready may leave an extra kernel_info_reply queued).
        while True:
            reply = self.kc.get_shell_msg(timeout=10)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply["content"]

    def run(self, code: str, timeout: float = 60, cell_id: str | None = None) -> Execution:
        execution = self.collect(self.start(code, cell_id), timeout=timeout)
        if execution.reply and execution.reply.get("status") == "aborted":
            # ipykernel 6 aborts the requests it receives just after a cell's error (stop_on_error) until
            # its loop turns once more; a request sent as soon as that cell went idle can fall in the gap.
            # Nothing ran: send it again, as a front end's user would.
            execution = self.collect(self.start(code, cell_id), timeout=timeout)
        return execution

    def ok(self, code: str, timeout: float = 60, cell_id: str | None = None) -> Execution:
        """Run code that must succeed; fail with the kernel's own error text otherwise."""
        execution = self.run(code, timeout, cell_id)
        assert execution.reply and execution.reply["status"] == "ok", execution.errors() or execution.reply
        return execution

    def shutdown(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)


@pytest.fixture
def kernel_factory(simulator):
    sessions: list[KernelSession] = []

    def make(**env: str) -> KernelSession:
        base = {"ANTHROPIC_BASE_URL": simulator.base_url, "ANTHROPIC_API_KEY": "sk-test-kernel"}
        base.update(env)
        session = KernelSession(kernel_env(**{k: v for k, v in base.items() if v is not None}))
        sessions.append(session)
        return session

    yield make
    for session in sessions:
        session.shutdown()


@pytest.fixture
def kernel(kernel_factory, simulator):
    simulator.reset()
    session = kernel_factory()
    session.ok("%load_ext nbstream")
    return session
