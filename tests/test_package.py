"""What `pip install nbstream` gets, and the public API it exposes."""

from __future__ import annotations

import subprocess
import sys
import types
import zipfile

import nbstream


def test_the_public_api_is_exactly_what_all_says():
    public = [
        name for name in dir(nbstream)
        if (not name.startswith("_") or name == "__version__")
        and name not in {"annotations", "importlib", "Any", "TYPE_CHECKING"}
        and not isinstance(getattr(nbstream, name), types.ModuleType)  # submodules, e.g. simulator
    ]
    assert nbstream.__all__ == sorted(nbstream.__all__, key=str.casefold)
    assert set(public) == set(nbstream.__all__)
    for name in nbstream.__all__:
        getattr(nbstream, name)  # every exported name resolves


def test_the_wheel_ships_the_built_front_end_and_the_price_table(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), "."],
        capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stderr
    (wheel,) = tmp_path.glob("nbstream-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "nbstream/static/widget.js" in names
    assert "nbstream/prices.json" in names
    assert "nbstream/simulator/__main__.py" in names
    # the Jupyter Server extension's switch, installed into <prefix>/etc/jupyter/jupyter_server_config.d
    assert any(n.endswith(".data/data/etc/jupyter/jupyter_server_config.d/nbstream.json") for n in names)
    assert not any(name.startswith(("js/", "tests/", "node_modules/")) for name in names)
    bundle = zipfile.ZipFile(wheel).read("nbstream/static/widget.js")
    assert len(bundle) > 10_000 and b"nbstream" in bundle
