"""Fixtures for browser tests: a real JupyterLab 4 server + Playwright in Debian's Chromium.

See README.md in this directory for the API and recipes. In short::

    pytestmark = pytest.mark.browser

    def test_something(lab):
        lab.open_notebook(["print('hi')"])
        lab.run_cell(0)
        assert "hi" in lab.output_text(0)
"""

from __future__ import annotations

import inspect
import os
import re
import time
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

from .lab import CHROMIUM, CHROMIUM_ARGS, KERNELS_SETTINGS, LabPage, LabServer, NotebookPage

HERE = Path(__file__).resolve().parent

_labs_key = pytest.StashKey[list]()
_artifacts_key = pytest.StashKey[Path]()


def _skip_reason() -> str | None:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return (f"browser tests need Debian's Chromium at {CHROMIUM} "
                "(apt-get install chromium; or set NBSTREAM_CHROMIUM); CI installs it")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "browser tests need the 'playwright' Python package (pip install -e '.[test]')"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # This hook sees every collected item, not only ours: filter by directory.
    reason = _skip_reason()
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)
            if reason:
                item.add_marker(pytest.mark.skip(reason=reason))


# ------------------------------------------------------------------------------- server


@pytest.fixture(scope="session")
def lab_server_factory(tmp_path_factory):
    """``factory(env=None, extra_args=(), app="lab") -> LabServer``, started and ready.

    Servers are cached by (env, extra_args, app) for the session and stopped at its end.
    ``env`` reaches every kernel (e.g. ``{"ANTHROPIC_BASE_URL": sim_url}``); ``extra_args``
    are extra ``jupyter lab`` command-line options (e.g.
    ``["--ZMQChannelsWebsocketConnection.iopub_msg_rate_limit=1e9"]``). ``app="notebook"``
    starts Notebook 7 (``jupyter notebook``) instead of JupyterLab; pages that
    ``lab_factory`` opens on it are ``NotebookPage``s."""
    servers: dict[tuple, LabServer] = {}

    def factory(env: Mapping[str, str] | None = None, extra_args: Iterable[str] = (),
                app: str = "lab") -> LabServer:
        key = (tuple(sorted((env or {}).items())), tuple(extra_args), app)
        if key not in servers:
            server = LabServer(env=env, extra_args=extra_args, app=app,
                               base_dir=tmp_path_factory.mktemp(app))
            server.start()
            servers[key] = server
        return servers[key]

    yield factory
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="module")
def simulator(request):
    """A module's simulator, when the module sets ``SIMULATOR = {"ttft": ..., "rate": ...}``."""
    from nbstream.simulator import Simulator

    with Simulator(**getattr(request.module, "SIMULATOR", {})) as sim:
        yield sim


@pytest.fixture(scope="module")
def lab_server(request, lab_server_factory) -> LabServer:
    """The JupyterLab server for a module (servers are shared across modules with the same env).

    A module that sets ``SIMULATOR = {...}`` gets kernels pointed at its simulator (``API_KEY``, and
    ``APP = "notebook"`` for Notebook 7, may be set too); otherwise the kernels get no extra env.
    """
    if not hasattr(request.module, "SIMULATOR"):
        return lab_server_factory()
    simulator = request.getfixturevalue("simulator")
    env = {"ANTHROPIC_BASE_URL": simulator.base_url,
           "ANTHROPIC_API_KEY": getattr(request.module, "API_KEY", "sk-browser-test")}
    return lab_server_factory(env=env, app=getattr(request.module, "APP", "lab"))


# ------------------------------------------------------------------------------ browser


# Package scope, not session scope: between sync calls, Playwright's sync API leaves its
# event loop marked as *running* in the main thread (playwright/_impl/_greenlets.py,
# wait_for_future), so no pytest-asyncio test can run while it is alive ("Cannot run the
# event loop while another loop is running"). Package scope = one Chromium for everything
# under tests/browser/, stopped before pytest moves on to the async tests elsewhere.
@pytest.fixture(scope="package")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    yield pw
    pw.stop()


@pytest.fixture(scope="package")
def browser(playwright_instance):
    """Headless Debian Chromium, shared by every test in tests/browser/.

    ``NBSTREAM_BROWSER_HEADED=1`` shows it (needs a display)."""
    headed = os.environ.get("NBSTREAM_BROWSER_HEADED") == "1"
    b = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=not headed, args=CHROMIUM_ARGS,
    )
    yield b
    b.close()


@pytest.fixture(autouse=True)
def _no_async_tests_here(request):
    if inspect.iscoroutinefunction(getattr(request, "function", None)):
        pytest.fail("async tests cannot live in tests/browser/: the sync Playwright API keeps its "
                    "event loop marked as running, which breaks pytest-asyncio. Write browser tests "
                    "as plain functions; put async kernel tests elsewhere.", pytrace=False)


@pytest.fixture
def comms_over_subshells() -> str:
    """The ``commsOverSubshells`` setting for this test's pages (JupyterLab default).

    Choose another with ``@pytest.mark.parametrize("comms_over_subshells", ["disabled"])``."""
    return "perCommTarget"


@pytest.fixture(scope="session")
def browser_artifacts_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("browser-artifacts", numbered=False)


@pytest.fixture
def lab_factory(request, lab_server, browser, comms_over_subshells, browser_artifacts_dir):
    """``factory(server=None, comms_over_subshells=None, kernel_settings=None) -> LabPage``.

    The first page a test opens on a server deletes all of that server's sessions/kernels
    and sets ``commsOverSubshells``; pages are closed and sessions deleted afterwards."""
    labs: list[LabPage] = []
    request.node.stash[_labs_key] = labs
    request.node.stash[_artifacts_key] = browser_artifacts_dir
    reset: set[int] = set()
    hint = re.sub(r"\[.*", "", request.node.name).removeprefix("test_")

    default_comms = comms_over_subshells

    def factory(server: LabServer | None = None, comms_over_subshells: str | None = None,
                kernel_settings: Mapping | None = None) -> LabPage:
        server = server or lab_server
        value = comms_over_subshells or default_comms
        if id(server) not in reset:
            server.delete_all_sessions()
            reset.add(id(server))
        if kernel_settings is not None:
            server.put_setting(KERNELS_SETTINGS, {"commsOverSubshells": value, **kernel_settings})
        else:
            server.set_comms_over_subshells(value)
        page_class = NotebookPage if server.app == "notebook" else LabPage
        page = page_class(server, browser, name_hint=hint)
        labs.append(page)
        return page

    yield factory
    for page in labs:
        page.close()
    for server in {id(p.server): p.server for p in labs}.values():
        try:
            server.delete_all_sessions()
        except Exception:
            pass


@pytest.fixture
def lab(lab_factory) -> LabPage:
    """A fresh browser page on ``lab_server`` (see ``LabPage`` in lab.py)."""
    return lab_factory()


# ------------------------------------------------------------------- failure artifacts


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    rep = yield
    if rep.failed and rep.when in ("setup", "call"):
        labs = item.stash.get(_labs_key, [])
        if labs:
            base = item.stash[_artifacts_key]
            safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.nodeid)[-120:]
            lines = []
            for n, page in enumerate(labs):
                d = base / f"{safe}-{n}" if len(labs) > 1 else base / safe
                t0 = time.monotonic()
                try:
                    page.dump_artifacts(d)
                    lines.append(f"{d}  (screenshot.png, console.log, page.html, server-log-tail.txt; "
                                 f"{time.monotonic() - t0:.1f}s)")
                except Exception as e:  # never mask the real failure
                    lines.append(f"{d}: could not save artifacts: {e!r}")
                if page.console_errors:
                    lines.append("console errors:\n  " + "\n  ".join(page.console_errors[-20:]))
            rep.sections.append(("browser artifacts", "\n".join(lines)))
    return rep
