"""Integration tests reach a simulator the way a user reaches the API: through the environment."""

from __future__ import annotations

import pytest

from nbstream._offline import use_api
from nbstream.simulator import Simulator


@pytest.fixture(scope="module")
def simulator(request):
    """One simulator per module; a module sets ``SIMULATOR = {"ttft": ..., "rate": ...}`` to tune it."""
    with Simulator(**getattr(request.module, "SIMULATOR", {"ttft": 0.02, "rate": 1000})) as sim:
        yield sim


@pytest.fixture
def routed(simulator, monkeypatch, request):
    """This test's calls go to the module's simulator (ANTHROPIC_BASE_URL, and the module's API_KEY)."""
    monkeypatch.setenv("ANTHROPIC_BASE_URL", simulator.base_url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", getattr(request.module, "API_KEY", "sk-test"))
    use_api()
    simulator.reset()
    return simulator
