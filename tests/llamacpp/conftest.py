"""A real llama.cpp ``llama-server`` with Gemma 3 270M on loopback, reached through a recording proxy.

The server and model come from ``python -m nbstream.llamacpp setup`` (``make llama``, which ``make test``
runs first). Missing, they are a failure that names that command, never a skip: a green run means these
tests ran. One server per session, 4 slots of 1024 tokens each (``-c 4096 --parallel 4``).
"""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request

import pytest
from recording_proxy import RecordingProxy

from nbstream import llamacpp

pytestmark = pytest.mark.llamacpp

SLOTS = 4
CONTEXT = 4096


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LlamaServer:
    def __init__(self, tmp_dir) -> None:  # noqa: ANN001
        try:
            cmd = llamacpp.server_command(_free_port(), context=CONTEXT, parallel=SLOTS)
        except llamacpp.SetupError as exc:
            pytest.fail(f"the real-model tests need llama-server and the model: {exc}", pytrace=False)
        self.port = int(cmd[cmd.index("--port") + 1])
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_dir / "llama-server.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT)
        self._wait_healthy(timeout=120)

    def get(self, path: str):  # noqa: ANN201
        with urllib.request.urlopen(self.base_url + path, timeout=10) as response:
            return json.load(response)

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"llama-server exited ({self.process.returncode}); see {self.log_path}", pytrace=False)
            try:
                if self.get("/health").get("status") == "ok":
                    return
            except OSError:
                pass
            time.sleep(0.2)
        pytest.fail(f"llama-server did not become healthy in {timeout} s; see {self.log_path}", pytrace=False)

    def busy_slots(self) -> list[int]:
        return [slot["id"] for slot in self.get("/slots") if slot.get("is_processing")]

    def wait_idle(self, timeout: float) -> float:
        """Seconds until every slot is idle (per /slots); fails after ``timeout``."""
        start = time.monotonic()
        while self.busy_slots():
            if time.monotonic() - start > timeout:
                pytest.fail(f"slots {self.busy_slots()} still processing after {timeout} s")
            time.sleep(0.02)
        return time.monotonic() - start

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


@pytest.fixture(scope="session")
def llama(tmp_path_factory):
    server = LlamaServer(tmp_path_factory.mktemp("llama"))
    yield server
    server.close()


@pytest.fixture(scope="session")
def proxy_server(llama):
    with RecordingProxy(llama.port) as proxy:
        yield proxy


@pytest.fixture
def proxy(proxy_server, llama):
    llama.wait_idle(timeout=30)  # a previous test's generation is over
    proxy_server.reset()
    return proxy_server
