"""A real llama.cpp ``llama-server`` with Gemma 3 270M on loopback, reached through a recording proxy.

The server and model come from ``python -m nbstream.llamacpp setup`` (``make llama``, which ``make test``
runs first). Missing, they are a failure that names that command, never a skip: a green run means these
tests ran. One server per session, 4 slots of 1024 tokens each (``-c 4096 --parallel 4``).
"""

from __future__ import annotations

import time

import pytest
from recording_proxy import RecordingProxy

from nbstream import llamacpp

pytestmark = pytest.mark.llamacpp

SLOTS = 4
CONTEXT = 4096


class LlamaServer(llamacpp.LocalServer):
    def busy_slots(self) -> list[int]:
        return [slot["id"] for slot in self.get("/slots") if slot.get("is_processing")]  # type: ignore[attr-defined]

    def wait_idle(self, timeout: float) -> None:
        """Return once every slot is idle (per /slots); fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while busy := self.busy_slots():
            if time.monotonic() > deadline:
                pytest.fail(f"llama-server slots {busy} still processing after {timeout} s")
            time.sleep(0.01)


@pytest.fixture(scope="session")
def llama(tmp_path_factory):
    log = tmp_path_factory.mktemp("llama") / "llama-server.log"
    try:
        server = LlamaServer(context=CONTEXT, parallel=SLOTS, log=log)
    except llamacpp.SetupError as exc:
        pytest.fail(f"the real-model tests need llama-server and the model: {exc}", pytrace=False)
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
