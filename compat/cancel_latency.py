"""Cancel latency on this interpreter's stack: a Cancel message sent to a streaming %%llm cell's widget
(as the button sends it, over the shell channel) until the server sees the HTTP connection close.

    PYTHONPATH=. .venv/bin/python compat/cancel_latency.py [runs]
    PYTHONPATH=. "$(compat/oldstack.sh)/bin/python" compat/cancel_latency.py [runs]
"""

from __future__ import annotations

import json
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "tests"))

import ipykernel  # noqa: E402
import IPython  # noqa: E402
from kernel.conftest import KernelSession, kernel_env  # noqa: E402

from nbstream.simulator import Simulator  # noqa: E402


def _first_frame(msg: dict) -> bool:
    return msg["msg_type"] == "comm_msg" and "frame" in json.dumps(msg["content"])


def main(runs: int) -> None:
    latencies = []
    with Simulator(ttft=0.05, rate=400) as sim:
        kernel = KernelSession(kernel_env(ANTHROPIC_BASE_URL=sim.base_url, ANTHROPIC_API_KEY="sk-test"))
        try:
            kernel.ok("%load_ext nbstream")
            for _ in range(runs):
                sim.reset()
                execution = kernel.start("%%llm\nTell a long story. [[sim: tokens=3000 rate=60]]")
                kernel.collect(execution, until=_first_frame)
                time.sleep(0.3)
                comm_id = next(m["content"]["comm_id"] for m in execution.of_type("comm_open")
                               if m["content"]["data"]["state"].get("_view") == "stream")
                cancel = {"method": "custom", "content": {"type": "cancel"}}  # what the Cancel button sends
                msg = kernel.kc.session.msg("comm_msg", {"comm_id": comm_id, "data": cancel})
                sent = time.monotonic()
                kernel.kc.shell_channel.send(msg)
                kernel.collect(execution)
                record = sim.wait_for(lambda rs: rs[-1]["outcome"] == "client_closed" and rs[-1], timeout=5)
                latencies.append(record["client_closed_at"] - sent)
        finally:
            kernel.shutdown()
    ms = sorted(1000 * x for x in latencies)
    print(f"ipykernel {ipykernel.__version__}, IPython {IPython.__version__}: cancel -> close over {runs} runs: "
          f"median {statistics.median(ms):.0f} ms, max {ms[-1]:.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10)
