"""nbstream's simulator of the Messages API, run as a separate process.

The benchmark kernel then has its CPU to itself: the simulator's work (composing replies, pacing,
writing SSE) is done by another process, as the real API's would be.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from typing import Any, Self

_LISTENING = re.compile(r"listening on (http://\S+)")


class SimulatorProcess:
    def __init__(self, *, ttft: float = 0.05, rate: float = 5000.0) -> None:
        self.ttft, self.rate = ttft, rate
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> SimulatorProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ANTHROPIC_")}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "nbstream.simulator",
                "--port",
                "0",
                "--ttft",
                str(self.ttft),
                "--rate",
                str(self.rate),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            match = _LISTENING.search(line)
            if match:
                self.base_url = match.group(1)
                return self
        self.stop()
        raise RuntimeError("the simulator did not start")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            request.add_header("content-type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
        return json.loads(raw) if raw.strip() else None

    def config(self, **settings: Any) -> Any:
        """Change the defaults (ttft, rate, tokens) for requests without directives."""
        return self._call("POST", "/_sim/config", settings)

    def requests(self) -> list[dict[str, Any]]:
        return self._call("GET", "/_sim/requests")

    def reset(self) -> None:
        self._call("POST", "/_sim/reset", {})

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None
