"""``python -m nbstream.simulator``: serve the simulator in the foreground until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from ._messages import Settings
from ._server import App, check_loopback


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nbstream.simulator",
        description="Offline Anthropic Messages API simulator on a loopback address.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    parser.add_argument(
        "--ttft", type=float, default=None, help="seconds to the first token, for every model (default: per model)"
    )
    parser.add_argument(
        "--rate", type=float, default=None, help="tokens per second, for every model (default: per model)"
    )
    parser.add_argument(
        "--tokens", type=int, default=None, help="reply length (default: 150-300 from the prompt)"
    )
    parser.add_argument(
        "--batch-seconds", type=float, default=2.0, help="time a Message Batch takes (default 2)"
    )
    return parser


async def _serve(app: App, host: str, port: int) -> None:
    bound = await app.start(host, port)
    shown = f"[{host}]" if ":" in host else host
    print(f"nbstream simulator listening on http://{shown}:{bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await app.close()


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        host = check_loopback(args.host)
        settings = Settings(
            ttft=args.ttft, rate=args.rate, tokens=args.tokens, batch_seconds=args.batch_seconds
        )
    except ValueError as exc:
        parser.error(str(exc))
    try:
        asyncio.run(_serve(App(settings), host, args.port))
    except OSError as exc:  # typically: the port is already in use
        print(
            f"nbstream simulator: cannot listen on {host}:{args.port}: {exc.strerror or exc}", file=sys.stderr
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
