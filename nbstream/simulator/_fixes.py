"""What the offline model says when asked to fix a failing notebook cell (``%%llm --fix``).

A prompt that quotes a cell in a ```python block and a Python traceback gets a short explanation and the
cell back with a fix for the common cases (a missing import, a dict key that may be absent, a module to
install), else the cell with a note on the failing line. Honest about being simulated: it only knows
these patterns, and the reply carries the simulated label like every other.
"""

from __future__ import annotations

import re

__all__ = ["fix_answer"]

_CELL = re.compile(r"```python\n(?P<source>.*?)\n```", re.DOTALL)
_ERROR_LINE = re.compile(r"^(?P<type>[A-Za-z_][\w.]*(?:Error|Exception|Warning|Interrupt|Exit)): ?(?P<message>.*)$",
                         re.MULTILINE)
_IMPORTS = {
    "np": "import numpy as np", "pd": "import pandas as pd", "plt": "import matplotlib.pyplot as plt",
    "math": "import math", "os": "import os", "sys": "import sys", "json": "import json", "re": "import re",
    "time": "import time", "random": "import random", "datetime": "import datetime", "Path": "from pathlib import Path",
}  # fmt: skip


def fix_answer(prompt: str) -> str | None:
    """The reply to a fix request, or None when the prompt is not one."""
    cell = _CELL.search(prompt)
    if cell is None or "Traceback (most recent call last)" not in prompt:
        return None
    errors = list(_ERROR_LINE.finditer(prompt[cell.end():]))
    if not errors:
        return None
    kind, message = errors[-1]["type"], errors[-1]["message"].strip()
    source = cell["source"]
    explanation, fixed = _fix(kind, message, source)
    return (
        f"The cell raised `{kind}: {message}`. {explanation}\n\n"
        f"```python\n{fixed}\n```\n\n"
        "Run the new cell to check the fix."
    )


def _fix(kind: str, message: str, source: str) -> tuple[str, str]:
    name = re.match(r"name '(\w+)' is not defined", message)
    if kind == "NameError" and name:
        missing = name.group(1)
        if missing in _IMPORTS:
            return f"`{missing}` is used before it is imported.", f"{_IMPORTS[missing]}\n{source}"
        return (f"`{missing}` is used before anything defines it: define it first.",
                f"{missing} = None  # give {missing} its value before it is used\n{source}")
    if kind == "KeyError":
        key = message.strip()
        pattern = re.compile(r"\[\s*" + re.escape(key) + r"\s*\]")
        if pattern.search(source):
            return (f"The key {key} is not in the dictionary; `.get` returns None instead of failing.",
                    pattern.sub(f".get({key})", source))
    module = re.match(r"No module named '([\w.]+)'", message)
    if kind == "ModuleNotFoundError" and module:
        package = module.group(1).split(".")[0]
        return (f"The package `{package}` is not installed in this kernel's environment.",
                f"%pip install {package}\n{source}")
    if kind == "ZeroDivisionError":
        return ("A divisor is zero; check it before dividing.",
                "# check the divisor before dividing: it is 0 here\n" + source)
    return ("Look at the line the traceback points at.", f"# fix the line the traceback points at ({kind})\n{source}")
