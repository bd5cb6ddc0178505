"""Installing nbstream on Google Colab's stock runtime changes none of its pinned packages.

Runs in the old-stack virtualenv (compat/oldstack.sh), which keeps the Colab set's wheels: a fresh
virtualenv gets exactly that set, then `pip install` of nbstream's wheel, resolved against the real
package index (where newer releases of every pinned package exist), may only add packages.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
COMPAT = ROOT / "compat"
PINS = next(COMPAT.glob("colab-freeze-*.txt"))
OLDSTACK = pathlib.Path(sys.prefix)

pytestmark = pytest.mark.skipif(
    not (OLDSTACK / "colab-set.txt").is_file(), reason="runs in the old-stack virtualenv (compat/oldstack.sh)"
)


def pip(python: pathlib.Path, *args: str) -> str:
    out = subprocess.run(
        [str(python), "-m", "pip", "--disable-pip-version-check", *args], capture_output=True, text=True, timeout=900
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return out.stdout


def frozen(python: pathlib.Path) -> dict[str, str]:
    found = {}
    for line in pip(python, "freeze", "--all").splitlines():
        name, sep, version = line.partition("==")
        if not sep:  # a wheel installed from a file: "name @ file:///..."
            name, _, version = line.partition(" @ ")
        found[name.strip().lower()] = version.strip()
    return found


def test_installing_the_wheel_into_the_colab_set_changes_none_of_its_packages(tmp_path):
    wheels = OLDSTACK / "wheels"
    pip(pathlib.Path(sys.executable), "wheel", "--no-deps", "--quiet", "--no-index", "--find-links", str(wheels),
        "-w", str(tmp_path / "dist"), str(ROOT))
    (wheel,) = (tmp_path / "dist").glob("nbstream-*.whl")

    subprocess.run([sys._base_executable, "-m", "venv", str(tmp_path / "colab")], check=True, timeout=300)
    python = tmp_path / "colab" / "bin" / "python"
    pip(python, "install", "--quiet", "--no-index", "--find-links", str(wheels), "-c", str(PINS),
        "-r", str(COMPAT / "oldstack-requirements.txt"))
    before = frozen(python)
    colab = {name: version for name, version in
             (line.lower().split("==") for line in PINS.read_text().splitlines() if "==" in line)}
    pinned = {name: version for name, version in before.items() if name in colab}
    assert pinned == {name: colab[name] for name in pinned}  # exactly Colab's versions
    assert set(before) - set(colab) <= {"jedi", "overrides"}  # IPython's and nbclassic's own dependencies
    assert before["ipykernel"] == "6.17.1" and before["ipywidgets"] == "7.7.1" and before["ipython"] == "7.34.0"

    pip(python, "install", "--quiet", str(wheel))  # no constraints: pip itself must see no need to upgrade
    after = frozen(python)

    changed = {name: (version, after.get(name)) for name, version in before.items() if after.get(name) != version}
    assert changed == {}
    added = set(after) - set(before)
    assert {"nbstream", "anthropic"} <= added
    check = subprocess.run([str(python), "-c", "import nbstream, nbstream._widget, nbstream._magics"],
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stderr
