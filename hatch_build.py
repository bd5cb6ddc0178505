"""Build the front end into nbstream/static when a wheel or sdist is built and the bundle is missing.

So `pip install .` from a clone yields a wheel that already contains the front end (no Node needed to
use it). Editable installs skip this: `make js` builds the bundle for development.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class FrontendBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        root = Path(self.root)
        bundle = root / "nbstream" / "static" / "widget.js"
        if version == "editable" or bundle.is_file() or os.environ.get("NBSTREAM_SKIP_JS") == "1":
            return
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("building nbstream's front end needs Node.js and npm (or a prebuilt nbstream/static)")
        subprocess.check_call([npm, "ci", "--no-audit", "--no-fund"], cwd=root)
        subprocess.check_call([npm, "run", "build"], cwd=root)
