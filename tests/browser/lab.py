"""Browser-test harness: a real JupyterLab 4 server driven by Playwright in Debian's Chromium.

Two halves:

* :class:`LabServer`: one ``python -m jupyter lab`` subprocess in its own temporary
  root/workspaces/settings/config/data/runtime dirs, plus a small REST client.
  ``LabServer(app="notebook")`` starts ``python -m jupyter notebook`` (Notebook 7) instead.
* :class:`LabPage`: one Playwright page showing one notebook, with helpers that drive
  JupyterLab through ``window.jupyterapp`` (needs ``--LabApp.expose_app_in_browser``).
  :class:`NotebookPage` is its Notebook 7 counterpart: it opens ``/notebooks/<path>`` and
  runs cells from the keyboard, as a user would.

The pytest fixtures that wire these together live in ``conftest.py``; see ``README.md``.
Playwright is imported lazily so that this module imports even on a partial setup.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]

#: Chromium shipped by Debian (``apt-get install chromium``). ``NBSTREAM_CHROMIUM`` overrides it.
CHROMIUM = os.environ.get("NBSTREAM_CHROMIUM", "/usr/bin/chromium")

#: Flags Chromium needs here: root (no sandbox), containers (small /dev/shm), no GPU, and
#: no background traffic (otherwise it floods the closed network with refused connections).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

KERNELS_SETTINGS = "@jupyterlab/apputils-extension:kernels-settings"
COMMS_OVER_SUBSHELLS_VALUES = ("disabled", "perComm", "perCommTarget")

#: Settings written into the (temporary) user-settings dir before the server starts.
#: They hold for the whole session; per-test settings go through ``LabServer.put_setting``.
BASE_SETTINGS: dict[str, dict[str, Any]] = {
    # no news / update-check popups covering the notebook
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    # every cell in the DOM (no virtualisation), so locators by index always resolve
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
}

#: Environment variables never passed on from the pytest process to the server/kernels:
#: a browser test must not reach the real API with someone's key by accident.
#: Pass what a test needs explicitly via ``env=``.
STRIPPED_ENV_PREFIXES = ("ANTHROPIC_", "CLAUDE_")

#: Front ends ``LabServer`` can start: JupyterLab 4 (``jupyter lab``) and Notebook 7
#: (``jupyter notebook``, the ``notebook`` package).
SERVER_APPS = ("lab", "notebook", "classic")

#: Console noise a healthy JupyterLab 4.6 page produces; see ``LabPage.unexpected_console_errors``.
BENIGN_CONSOLE_PATTERNS = (
    # failed subresource loads (e.g. favicon, or deliberately broken <img> in hostile content)
    r"Failed to load resource",
)

#: Extra console noise of a healthy Notebook 7.6 page (see ``NotebookPage``). On every page
#: load, even of a notebook holding only ``print(1)``, the bundled shortcuts extension's
#: ``pluginChanged`` handler reads ``plugins['@jupyterlab/shortcuts-extension:shortcuts'].schema``
#: while another lazily loaded settings plugin finishes first: an uncaught TypeError, after
#: which shortcuts load normally. JupyterLab 4.6 pages do not show it.
NOTEBOOK7_BENIGN_CONSOLE_PATTERNS = (
    r"^pageerror: TypeError: Cannot read properties of undefined \(reading 'schema'\)$",
)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServerError(RuntimeError):
    pass


class LabServer:
    """A JupyterLab server subprocess with isolated dirs; kernels inherit its environment.

    ``env`` is merged over the (filtered) pytest environment and reaches every kernel the
    server starts, e.g. ``{"ANTHROPIC_BASE_URL": simulator_url, "ANTHROPIC_API_KEY": "test"}``.
    The repo root is prepended to ``PYTHONPATH`` so kernels import the working tree's
    ``nbstream`` even when it is not installed.

    ``app="notebook"`` runs Notebook 7 (``jupyter notebook``) with the same dirs, env and
    flags; its app is exposed with ``--JupyterNotebookApp.expose_app_in_browser`` (the
    ``LabApp`` flag does not reach Notebook 7's page).
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        extra_args: Iterable[str] = (),
        base_dir: str | Path | None = None,
        startup_timeout: float = 60.0,
        app: str = "lab",
    ):
        if app not in SERVER_APPS:
            raise ValueError(f"app must be one of {SERVER_APPS}, not {app!r}")
        self.app = app
        self.env_overrides = dict(env or {})
        self.extra_args = list(extra_args)
        self.startup_timeout = startup_timeout
        self.base_dir = Path(base_dir or tempfile.mkdtemp(prefix="nbstream-lab-"))
        self.base_dir.mkdir(parents=True, exist_ok=True)
        self.root_dir = self.base_dir / "root"
        self.workspaces_dir = self.base_dir / "workspaces"
        self.settings_dir = self.base_dir / "user-settings"
        self.config_dir = self.base_dir / "config"
        self.data_dir = self.base_dir / "data"
        self.runtime_dir = self.base_dir / "runtime"
        self.ipython_dir = self.base_dir / "ipython"
        self.log_path = self.base_dir / "server.log"
        self.token = secrets.token_hex(16)
        self.port: int | None = None
        self.proc: subprocess.Popen | None = None
        self._log_file = None
        self.startup_seconds: float | None = None

    # ----------------------------------------------------------------- lifecycle
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _server_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(STRIPPED_ENV_PREFIXES)}
        # pytest's own variables would confuse code that checks "am I under pytest?"
        env = {k: v for k, v in env.items() if not k.startswith("PYTEST_")}
        env.update(
            JUPYTER_CONFIG_DIR=str(self.config_dir),
            JUPYTER_DATA_DIR=str(self.data_dir),
            JUPYTER_RUNTIME_DIR=str(self.runtime_dir),
            JUPYTERLAB_SETTINGS_DIR=str(self.settings_dir),
            JUPYTERLAB_WORKSPACES_DIR=str(self.workspaces_dir),
            IPYTHONDIR=str(self.ipython_dir),
            PYDEVD_DISABLE_FILE_VALIDATION="1",
            PYTHONUNBUFFERED="1",
        )
        env.pop("JUPYTER_PATH", None)
        pythonpath = [str(REPO_ROOT)]
        if env.get("PYTHONPATH"):
            pythonpath.append(env["PYTHONPATH"])
        env["PYTHONPATH"] = os.pathsep.join(pythonpath)
        env.update(self.env_overrides)  # explicit test env wins over everything above
        return env

    def _write_base_settings(self) -> None:
        for plugin_id, values in BASE_SETTINGS.items():
            pkg, plugin = plugin_id.split(":")
            path = self.settings_dir / pkg / f"{plugin}.jupyterlab-settings"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values, indent=2))

    def start(self) -> LabServer:
        for d in (self.root_dir, self.workspaces_dir, self.settings_dir, self.config_dir,
                  self.data_dir, self.runtime_dir, self.ipython_dir):
            d.mkdir(parents=True, exist_ok=True)
        self._write_base_settings()
        last_error: Exception | None = None
        for _attempt in range(3):  # free_port() can race with another process; retry
            try:
                self._start_once()
                return self
            except LabServerError as e:
                last_error = e
                self._kill()
                if "address already in use" not in self.log_tail(4000).lower():
                    raise
        raise last_error  # type: ignore[misc]

    def _command(self) -> list[str]:
        if self.app == "classic":
            # The classic Notebook 6.5 (the old-stack leg): its own server, its own option names.
            return [
                sys.executable, "-m", "notebook",
                "--no-browser", "--ip=127.0.0.1", f"--port={self.port}", "--NotebookApp.port_retries=0",
                "--allow-root", f"--NotebookApp.token={self.token}",
                f"--NotebookApp.notebook_dir={self.root_dir}", "--NotebookApp.terminals_enabled=False",
                *self.extra_args,
            ]
        # Notebook 7's page is served by JupyterNotebookApp (a LabServerApp): its dirs and
        # expose flag are configured on that class. The LabApp options below still reach the
        # jupyterlab server extension that Notebook 7 loads alongside.
        app_class = "LabApp" if self.app == "lab" else "JupyterNotebookApp"
        return [
            sys.executable, "-m", "jupyter", self.app,
            "--no-browser", "--ip=127.0.0.1", f"--port={self.port}", "--ServerApp.port_retries=0",
            "--allow-root",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root_dir}",
            f"--{app_class}.workspaces_dir={self.workspaces_dir}",
            f"--{app_class}.user_settings_dir={self.settings_dir}",
            f"--{app_class}.expose_app_in_browser=True",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
            # keep the checkpoint/terminal machinery quiet and fast
            "--ServerApp.terminals_enabled=False",
            *self.extra_args,
        ]

    def _start_once(self) -> None:
        self.port = free_port()
        cmd = self._command()
        self._log_file = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop())
        self._log_file.write(f"\n$ {' '.join(cmd)}\n".encode())
        self._log_file.flush()
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            cmd, cwd=self.root_dir, env=self._server_env(), stdin=subprocess.DEVNULL,
            stdout=self._log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = t0 + self.startup_timeout
        while True:
            if self.proc.poll() is not None:
                raise LabServerError(
                    f"jupyter {self.app} exited with {self.proc.returncode} during startup; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            try:
                self.request("GET", "/api/status", timeout=2)
                break
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                raise LabServerError(
                    f"jupyter {self.app} not ready after {self.startup_timeout}s; log {self.log_path}:\n"
                    f"{self.log_tail()}"
                )
            time.sleep(0.1)
        self.startup_seconds = time.monotonic() - t0

    def stop(self, timeout: float = 10.0) -> None:
        if self.proc is None:
            return
        children = []
        try:
            import psutil

            children = psutil.Process(self.proc.pid).children(recursive=True)
        except Exception:
            pass
        if self.proc.poll() is None:
            try:  # clean shutdown: the server shuts its kernels down too
                self.request("POST", "/api/shutdown", timeout=5)
            except Exception:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self._kill()
        # kernels run in their own sessions (jupyter_client start_new_session=True)
        for child in children:
            try:
                if child.is_running():
                    child.kill()
            except Exception:
                pass
        self._kill()
        if self._log_file:
            self._log_file.close()
            self._log_file = None

    def _kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass

    def cleanup(self) -> None:
        """Remove the temporary dirs (after stop())."""
        shutil.rmtree(self.base_dir, ignore_errors=True)

    def log_tail(self, nbytes: int = 6000) -> str:
        try:
            data = self.log_path.read_bytes()
        except OSError:
            return ""
        return data[-nbytes:].decode("utf-8", "replace")

    # ---------------------------------------------------------------------- REST
    def request(self, method: str, path: str, body: Any = None, timeout: float = 10.0) -> Any:
        """Call the server's REST API with the token; returns parsed JSON (or None)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Authorization", f"token {self.token}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
        return json.loads(raw) if raw.strip() else None

    def sessions(self) -> list[dict]:
        return self.request("GET", "/api/sessions")

    def kernels(self) -> list[dict]:
        return self.request("GET", "/api/kernels")

    def delete_all_sessions(self) -> None:
        """Delete every session and every kernel, so no state leaks between tests."""
        for s in self.sessions():
            try:
                self.request("DELETE", f"/api/sessions/{s['id']}", timeout=30)
            except urllib.error.HTTPError as e:
                if e.code != 404:
                    raise
        for k in self.kernels():
            try:
                self.request("DELETE", f"/api/kernels/{k['id']}", timeout=30)
            except urllib.error.HTTPError as e:
                if e.code != 404:
                    raise

    def put_setting(self, plugin_id: str, values: Mapping[str, Any]) -> None:
        """Replace the user settings of one plugin (what the Settings Editor would save)."""
        self.request("PUT", f"/lab/api/settings/{plugin_id}", {"raw": json.dumps(dict(values))})

    def get_setting(self, plugin_id: str) -> dict:
        return self.request("GET", f"/lab/api/settings/{plugin_id}")

    def set_comms_over_subshells(self, value: str) -> None:
        if value not in COMMS_OVER_SUBSHELLS_VALUES:
            raise ValueError(f"commsOverSubshells must be one of {COMMS_OVER_SUBSHELLS_VALUES}")
        self.put_setting(KERNELS_SETTINGS, {"commsOverSubshells": value})

    # --------------------------------------------------------------------- files
    def write_notebook(self, name: str, cells: Iterable[Any], trusted: bool = False,
                       metadata: Mapping[str, Any] | None = None) -> Path:
        """Write an nbformat-4.5 notebook into root_dir (python3 kernelspec).

        Cells: source strings (code cells), ``("markdown", src)`` / ``("code", src)`` /
        ``("raw", src)`` tuples, or complete cell dicts (e.g. with saved outputs).
        Written as plain JSON: importing nbformat costs 1.5-3 s (jsonschema format checkers)."""
        nb_cells = []
        for n, cell in enumerate(cells):
            if isinstance(cell, str):
                cell = ("code", cell)
            if isinstance(cell, tuple):
                kind, src = cell
                if kind not in ("code", "markdown", "raw"):
                    raise ValueError(f"unknown cell type {kind!r}")
                cell = {"cell_type": kind, "id": f"cell-{n}", "metadata": {}, "source": src}
                if kind == "code":
                    cell.update(execution_count=None, outputs=[])
            else:
                cell = {"id": f"cell-{n}", "metadata": {}, **dict(cell)}
            nb_cells.append(cell)
        nb = {
            "cells": nb_cells,
            "metadata": {
                "kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)",
                               "language": "python"},
                "language_info": {"name": "python"},
                **dict(metadata or {}),
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }
        path = self.root_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(nb, indent=1) + "\n")
        if trusted:
            self.trust(name)
        return path

    def notary(self):
        """The NotebookNotary the server uses (same secret + signature db)."""
        from nbformat.sign import NotebookNotary

        return NotebookNotary(data_dir=str(self.data_dir))

    def trust(self, name: str) -> None:
        """Like ``jupyter trust``: sign a notebook in root_dir, so that its saved widget/HTML
        outputs render when opened (script-written notebooks are untrusted otherwise)."""
        import nbformat

        nb = nbformat.read(self.root_dir / name, as_version=4)
        self.notary().sign(nb)

    def read_notebook(self, name: str) -> AttrDict:
        """The notebook file as JSON with attribute access (``nb.cells[0].outputs``); multi-line
        strings are re-joined (as ``nbformat.read`` does)."""
        nb = json.loads((self.root_dir / name).read_text(), object_hook=AttrDict)

        def join(v):
            return "".join(v) if isinstance(v, list) else v

        for cell in nb.get("cells", []):
            cell["source"] = join(cell.get("source", ""))
            for out in cell.get("outputs", []):
                if "text" in out:
                    out["text"] = join(out["text"])
                for mime, val in out.get("data", {}).items():
                    if not mime.endswith("json"):
                        out["data"][mime] = join(val)
        return nb


class AttrDict(dict):
    """dict with attribute access, like nbformat's NotebookNode."""

    def __getattr__(self, key: str) -> Any:
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


# --------------------------------------------------------------------------- browser side

# JS prelude shared by the page helpers: find *our* notebook panel by its path.
_FIND = """
const app = window.jupyterapp;
const findPanel = (path) => {
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path === path && w.content && w.sessionContext) return w;
  }
  return null;
};
const panel = findPanel(path);
if (!panel) throw new Error('notebook panel not found: ' + path);
"""


def _js(body: str, params: str = "path") -> str:
    """An async JS function taking ``[path, ...]`` whose body can use app/panel."""
    return f"async ([{params}]) => {{ {_FIND} {body} }}"


_seq = 0


def unique_name(hint: str = "t") -> str:
    """Letters/digits only: a ``.`` in a workspace name broke loading (mechanics §9 pitfall 2)."""
    global _seq
    _seq += 1
    clean = re.sub(r"[^A-Za-z0-9]", "", hint)[-40:] or "t"
    return f"{clean}{_seq:03d}{secrets.token_hex(3)}"


class LabPage:
    """One browser context + page driving JupyterLab. Use via the ``lab`` fixture.

    Attributes of interest to tests: ``page`` (the Playwright Page), ``server``,
    ``console`` (all console messages as dicts), ``console_errors`` (console errors and
    uncaught page errors, as strings), ``page_errors``, ``dialogs`` (alert/confirm/prompt
    texts; all are dismissed), ``path`` (notebook path relative to root_dir).
    """

    def __init__(self, server: LabServer, browser, name_hint: str = "t", timeout: float = 30.0,
                 canaries: Iterable[str] = ("__pwned",)):
        self.server = server
        self.name_hint = name_hint
        self.timeout_ms = int(timeout * 1000)
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(self.timeout_ms)
        self.canaries = list(canaries)
        # Record any write to a canary global (even if later deleted) in every frame.
        self.context.add_init_script(
            "(() => { const log = []; Object.defineProperty(window, '__canaryLog', {value: log});"
            + "".join(
                f"""let v_{i}; Object.defineProperty(window, {json.dumps(c)}, {{configurable: true,
                    get() {{ return v_{i}; }},
                    set(x) {{ v_{i} = x; log.push({{name: {json.dumps(c)}, value: String(x)}}); }} }});"""
                for i, c in enumerate(self.canaries)
            )
            + "})();"
        )
        self.page = self.context.new_page()
        self.console: list[dict] = []
        self.page_errors: list[str] = []
        self.console_errors: list[str] = []
        self.dialogs: list[dict] = []
        self.page.on("console", self._on_console)
        self.page.on("pageerror", self._on_pageerror)
        self.page.on("dialog", self._on_dialog)
        self.path: str | None = None
        self.workspace: str | None = None
        self._url: str | None = None
        self.timings: dict[str, float] = {}

    # ------------------------------------------------------------------ events
    def _on_console(self, msg) -> None:
        loc = msg.location or {}
        entry = {"type": msg.type, "text": msg.text, "url": loc.get("url", ""),
                 "line": loc.get("lineNumber"), "t": time.time()}
        self.console.append(entry)
        if msg.type == "error":
            self.console_errors.append(msg.text)

    def _on_pageerror(self, err) -> None:
        text = f"pageerror: {err.name}: {err.message}"
        self.page_errors.append(text)
        self.console_errors.append(text)
        self.console.append({"type": "pageerror", "text": f"{text}\n{err.stack}", "url": "", "line": None,
                             "t": time.time()})

    def _on_dialog(self, dialog) -> None:
        self.dialogs.append({"type": dialog.type, "message": dialog.message})
        self.console.append({"type": f"dialog:{dialog.type}", "text": dialog.message, "url": "",
                             "line": None, "t": time.time()})
        try:
            if dialog.type == "beforeunload":
                dialog.accept()  # let reload()/goto() leave a dirty notebook
            else:
                dialog.dismiss()
        except Exception:
            pass

    # ----------------------------------------------------------------- helpers
    def unexpected_console_errors(self, ignore: Iterable[str] = ()) -> list[str]:
        """``console_errors`` minus BENIGN_CONSOLE_PATTERNS and the given regexes."""
        pats = [re.compile(p) for p in (*BENIGN_CONSOLE_PATTERNS, *ignore)]
        return [e for e in self.console_errors if not any(p.search(e) for p in pats)]

    def assert_no_console_errors(self, ignore: Iterable[str] = ()) -> None:
        errs = self.unexpected_console_errors(ignore)
        assert not errs, "unexpected browser console errors:\n" + "\n".join(errs)

    def canary_writes(self) -> list[dict]:
        """Every write to a canary global (default ``window.__pwned``) in any frame."""
        found = []
        for frame in self.page.frames:
            try:
                found += frame.evaluate("() => (window.__canaryLog || []).slice()")
            except Exception:
                pass
        return found

    def global_value(self, name: str = "__pwned") -> Any:
        """Value of ``window[name]`` in the first frame where it is not undefined (else None)."""
        for frame in self.page.frames:
            try:
                v = frame.evaluate("(n) => window[n] === undefined ? {__undef: true} : window[n]", name)
            except Exception:
                continue
            if v != {"__undef": True}:
                return v
        return None

    def was_set(self, name: str = "__pwned") -> bool:
        """True if hostile content set ``window[name]`` in any frame (now or earlier)."""
        if any(w["name"] == name for w in self.canary_writes()):
            return True
        return self.global_value(name) is not None

    def evaluate(self, body: str, *args: Any) -> Any:
        """Run JS with ``app`` and ``panel`` (this notebook's NotebookPanel) in scope; extra
        args are available as ``args``. E.g. ``lab.evaluate("return panel.content.widgets.length")``."""
        return self.page.evaluate(_js(body, "path, ...args"), [self.path, *args])

    # --------------------------------------------------------------- notebook
    def open_notebook(self, cells: Iterable[Any], name: str | None = None, trusted: bool = False,
                      metadata: Mapping[str, Any] | None = None) -> LabPage:
        """Write ``cells`` to ``<name>.ipynb`` in root_dir and open it (see ``open_path``)."""
        if name is None:
            name = unique_name(self.name_hint) + ".ipynb"
        elif not name.endswith(".ipynb"):
            name += ".ipynb"
        self.server.write_notebook(name, cells, trusted=trusted, metadata=metadata)
        return self.open_path(name)

    def open_path(self, path: str) -> LabPage:
        """Open an existing notebook (relative to root_dir) in a fresh, unique workspace and
        wait until its kernel session is ready and idle."""
        t0 = time.monotonic()
        self.path = path
        self.workspace = unique_name(self.name_hint)
        quoted = urllib.parse.quote(path)
        self._url = (f"{self.server.url}/lab/workspaces/{self.workspace}/tree/{quoted}"
                     f"?reset&token={self.server.token}")
        self.page.goto(self._url, wait_until="domcontentloaded")
        self._wait_ready()
        self.timings["open"] = time.monotonic() - t0
        return self

    def _wait_ready(self) -> None:
        self.page.wait_for_function(
            """(path) => { const app = window.jupyterapp; if (!app) return false;
                 for (const w of app.shell.widgets('main'))
                   if (w.context && w.context.path === path && w.sessionContext) return true;
                 return false; }""",
            arg=self.path, timeout=max(self.timeout_ms, 60_000),
        )
        self.page.evaluate(_js("""
            await panel.context.ready;
            await panel.sessionContext.ready;
            await panel.revealed;
            app.shell.activateById(panel.id);
            const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
            if (!kernel) throw new Error('notebook has no kernel (kernel picker dialog?)');
            await kernel.info;
        """), [self.path])
        self.page.wait_for_function(
            _js("""const k = panel.sessionContext.session?.kernel;
                   return !!k && k.status === 'idle' && k.connectionStatus === 'connected';"""),
            arg=[self.path],
        )
        self._panel_id = self.evaluate("return panel.id")
        n = self.evaluate("return panel.content.widgets.length")
        if n:
            self.cells().nth(n - 1).wait_for(state="attached")

    def cells(self):
        """Locator for the notebook's cells (in order)."""
        return self.page.locator(f"[id='{self._panel_id}'] .jp-Notebook .jp-Cell")

    def cell(self, i: int):
        return self.cells().nth(i)

    def output(self, i: int):
        """Locator of cell i's output area (``.jp-OutputArea`` of the cell itself, not nested ones)."""
        return self.cell(i).locator(".jp-Cell-outputArea").first

    def output_text(self, i: int) -> str:
        return self.output(i).inner_text()

    def keep_screenshot(self, name: str) -> Path:
        """A screenshot; with NBSTREAM_SCREENSHOTS=1 it is also kept in docs/ (the README's pictures)."""
        path = self.screenshot(Path(tempfile.gettempdir()) / name)
        if os.environ.get("NBSTREAM_SCREENSHOTS") == "1":
            docs = Path(__file__).resolve().parents[2] / "docs"
            docs.mkdir(exist_ok=True)
            (docs / name).write_bytes(path.read_bytes())
        return path

    # nbstream's widget in a cell's output: its root carries data-status and data-tokens.
    def widget(self, i: int):
        return self.output(i).locator(".nbstream")

    def wait_status(self, i: int, status: str, timeout: float = 30_000) -> None:
        self.widget(i).and_(self.page.locator(f'[data-status="{status}"]')).wait_for(timeout=timeout)

    def tokens(self, i: int) -> int:
        return int(self.widget(i).get_attribute("data-tokens") or 0)

    def check_cancelled(self, i: int, simulator: Any, clicked_at: float) -> None:
        """After Cancel was clicked at ``clicked_at`` (time.monotonic()) in cell i's widget: the server saw
        the connection end within a second, and the partial text stays on screen once, in the static copy
        marked cancelled."""
        record = simulator.wait_for(lambda rs: rs[-1]["client_closed_at"] and rs[-1], timeout=5)
        assert record["outcome"] == "client_closed"
        assert record["client_closed_at"] - clicked_at < 1.0
        static = self.output(i).locator('.nbstream-static[data-status="cancelled"]')
        static.wait_for(timeout=10_000)
        kept = static.inner_text()
        assert len(kept) > 40 and "cancelled" in kept
        first_words = kept.split("\n")[0][:30]
        assert self.output_text(i).count(first_words) == 1

    def wait_for_output(self, i: int, text: str, timeout: float | None = None) -> str:
        """Wait until cell i's output contains ``text``; returns the output text."""
        self.page.wait_for_function(
            _js("""const [i, text] = args;
                   const cell = panel.content.widgets[i];
                   const el = cell && cell.node.querySelector('.jp-Cell-outputArea');
                   return !!el && el.innerText.includes(text);""", "path, ...args"),
            arg=[self.path, i, text],
            timeout=self.timeout_ms if timeout is None else timeout * 1000,
        )
        return self.output_text(i)

    def run_cell(self, i: int, wait: bool = True, timeout: float | None = None) -> bool | None:
        """Select cell i and run it with ``notebook:run-cell``.

        wait=True: await the command (it resolves when execution is done) and return its
        result (False if the cell raised). wait=False: return at once (the cell may still be
        queued or running); use ``wait_cell(i)`` later."""
        self.evaluate("""
            const [i] = args;
            app.shell.activateById(panel.id);
            panel.content.activeCellIndex = i;
            panel.content.deselectAll();
            panel.content.mode = 'command';
            window.__nbRuns = window.__nbRuns || {};
            const rec = {state: 'running', ok: null, error: null};
            window.__nbRuns[path + '#' + i] = rec;
            app.commands.execute('notebook:run-cell').then(
              (ok) => { rec.state = 'done'; rec.ok = ok; },
              (e) => { rec.state = 'error'; rec.error = String(e); });
        """, i)
        if wait:
            return self.wait_cell(i, timeout=timeout)
        return None

    def wait_cell(self, i: int, timeout: float | None = None) -> bool:
        """Wait for the last ``run_cell(i)`` to finish; returns True if it ran without error."""
        key = f"{self.path}#{i}"
        self.page.wait_for_function(
            "(key) => { const r = (window.__nbRuns || {})[key]; return !!r && r.state !== 'running'; }",
            arg=key, timeout=self.timeout_ms if timeout is None else timeout * 1000,
        )
        rec = self.page.evaluate("(key) => window.__nbRuns[key]", key)
        if rec["state"] == "error":
            raise RuntimeError(f"notebook:run-cell failed for cell {i}: {rec['error']}")
        return bool(rec["ok"])

    def cell_running(self, i: int) -> bool:
        key = f"{self.path}#{i}"
        return self.page.evaluate("(key) => (window.__nbRuns || {})[key]?.state === 'running'", key)

    def run_all(self) -> bool:
        """Run every cell in order and wait (``notebook:run-all-cells``)."""
        return self.evaluate("""app.shell.activateById(panel.id);
                                return await app.commands.execute('notebook:run-all-cells');""")

    def set_cell_source(self, i: int, source: str) -> None:
        self.evaluate("const [i, src] = args; panel.content.widgets[i].model.sharedModel.setSource(src);",
                      i, source)

    def add_cell(self, source: str, cell_type: str = "code") -> int:
        """Append a cell; returns its index."""
        return self.evaluate("""const [src, type] = args;
            const m = panel.content.model;
            m.sharedModel.insertCell(m.cells.length, {cell_type: type, source: src});
            return m.cells.length - 1;""", source, cell_type)

    # ------------------------------------------------------------------ kernel
    def kernel_status(self) -> str:
        return self.evaluate("return panel.sessionContext.session?.kernel?.status ?? 'none'")

    def wait_kernel_idle(self, timeout: float | None = None) -> None:
        self.page.wait_for_function(
            _js("return panel.sessionContext.session?.kernel?.status === 'idle';"), arg=[self.path],
            timeout=self.timeout_ms if timeout is None else timeout * 1000,
        )

    def interrupt_kernel(self) -> None:
        self.evaluate("await panel.sessionContext.session.kernel.interrupt();")

    def restart_kernel(self) -> None:
        """Restart without a confirmation dialog, then wait until the kernel is idle."""
        self.evaluate("await panel.sessionContext.restartKernel();")
        self.evaluate("await panel.sessionContext.ready; await panel.sessionContext.session.kernel.info;")
        self.wait_kernel_idle(timeout=60)

    def shutdown_kernel(self) -> None:
        self.evaluate("await panel.sessionContext.shutdown();")

    # ---------------------------------------------------------------- document
    def save(self) -> None:
        """Save through the document context (widget state too, if that setting is on)."""
        self.evaluate("await panel.context.save();")

    def is_dirty(self) -> bool:
        return self.evaluate("return panel.context.model.dirty")

    def reload(self) -> LabPage:
        """Load the page again (same workspace and notebook) and wait until the notebook is
        back and its kernel idle. The kernel session survives; outputs come from the file."""
        t0 = time.monotonic()
        self.page.goto(self._url, wait_until="domcontentloaded")
        self._wait_ready()
        self.timings["reload"] = time.monotonic() - t0
        return self

    def screenshot(self, path: str | Path, full_page: bool = True) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=full_page, timeout=15_000)
        return path

    # ----------------------------------------------------------------- teardown
    def dump_artifacts(self, directory: str | Path) -> Path:
        """Save a screenshot, the console log, the page HTML and the server log tail."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        try:
            self.screenshot(directory / "screenshot.png")
        except Exception as e:  # page may be crashed or closed
            (directory / "screenshot-error.txt").write_text(repr(e))
        with open(directory / "console.log", "w") as f:
            for m in self.console:
                where = f" ({m['url']}:{m['line']})" if m.get("url") else ""
                f.write(f"[{m['type']}] {m['text']}{where}\n")
            if self.dialogs:
                f.write(f"\n# dialogs: {self.dialogs}\n")
        try:
            (directory / "page.html").write_text(self.page.content())
        except Exception:
            pass
        (directory / "server-log-tail.txt").write_text(self.server.log_tail(50_000))
        return directory

    def close(self) -> None:
        try:
            self.context.close()
        except Exception:
            pass


class NotebookPage(LabPage):
    """A :class:`LabPage` on a Notebook 7 server (``LabServer(app="notebook")``).

    Opens ``/notebooks/<path>`` (Notebook 7 has no workspaces in its URLs) and runs cells
    from the keyboard, as a user would: click into the cell's editor, then press
    Shift+Enter. ``window.jupyterapp`` (exposed by ``--JupyterNotebookApp.expose_app_in_browser``)
    is only used to wait for readiness and to observe the cell, as in ``LabPage``; every
    other helper (``output``, ``wait_for_output``, ``evaluate``, kernel control, ...) is
    inherited unchanged.

    Seen with notebook 7.6.5: the ``commsOverSubshells`` kernels-setting that ``lab_factory``
    PUTs is stored, but the notebook's kernel connection stays ``perCommTarget`` (after load,
    restart and reload alike), so parametrizing ``comms_over_subshells`` changes nothing here.
    """

    def unexpected_console_errors(self, ignore: Iterable[str] = ()) -> list[str]:
        """Also ignores NOTEBOOK7_BENIGN_CONSOLE_PATTERNS (a Notebook 7 start-up race)."""
        return super().unexpected_console_errors((*NOTEBOOK7_BENIGN_CONSOLE_PATTERNS, *ignore))

    def open_path(self, path: str) -> NotebookPage:
        t0 = time.monotonic()
        self.path = path
        self.workspace = None
        quoted = urllib.parse.quote(path)
        self._url = f"{self.server.url}/notebooks/{quoted}?token={self.server.token}"
        self.page.goto(self._url, wait_until="domcontentloaded")
        self._wait_ready()
        self.timings["open"] = time.monotonic() - t0
        return self

    def run_cell(self, i: int, wait: bool = True, timeout: float | None = None,
                 key: str = "Shift+Enter") -> bool | None:
        """Click into cell i's editor and press ``key`` (Shift+Enter: run and select the next
        cell; on the last cell Notebook 7 then appends an empty cell, as JupyterLab does).

        wait=True: wait until the cell has run and return True if it produced no error
        output. wait=False: return once the key is pressed; use ``wait_cell(i)`` later."""
        # Watch the cell model's executionState (idle -> running -> idle) before the key
        # press, so that neither a fast cell nor a queued one is missed.
        self.evaluate("""
            const [i] = args;
            const model = panel.content.widgets[i].model;
            window.__nbRuns = window.__nbRuns || {};
            const key = path + '#' + i;
            const old = window.__nbRuns[key];
            if (old && old.disconnect) old.disconnect();
            const rec = {state: 'armed', ok: null, error: null};
            const onChange = (m, change) => {
              if (change.name !== 'executionState') return;
              if (change.newValue === 'running') rec.state = 'running';
              else if (change.newValue === 'idle' && rec.state === 'running') {
                rec.state = 'done';
                rec.ok = !m.outputs.toJSON().some((o) => o.output_type === 'error');
                rec.disconnect();
              }
            };
            rec.disconnect = () => model.stateChanged.disconnect(onChange);
            model.stateChanged.connect(onChange);
            window.__nbRuns[key] = rec;
        """, i)
        self.cell(i).locator(".jp-InputArea-editor .cm-content").click()
        self.page.wait_for_function(
            _js("""const [i] = args; return panel.content.activeCellIndex === i
                   && panel.content.mode === 'edit';""", "path, ...args"),
            arg=[self.path, i], timeout=10_000,
        )
        self.page.keyboard.press(key)
        if wait:
            return self.wait_cell(i, timeout=timeout)
        return None

    def _run_state(self, i: int) -> dict:
        return self.page.evaluate(
            "(key) => { const r = (window.__nbRuns || {})[key];"
            " return r ? {state: r.state, ok: r.ok, error: r.error} : null; }",
            f"{self.path}#{i}",
        )

    def wait_cell(self, i: int, timeout: float | None = None) -> bool:
        """Wait for the last ``run_cell(i)`` to finish; returns True if it produced no error."""
        key = f"{self.path}#{i}"
        self.page.wait_for_function(
            "(key) => (window.__nbRuns || {})[key]?.state === 'done'",
            arg=key, timeout=self.timeout_ms if timeout is None else timeout * 1000,
        )
        return bool(self._run_state(i)["ok"])

    def cell_running(self, i: int) -> bool:
        rec = self._run_state(i)
        return bool(rec) and rec["state"] in ("armed", "running")
