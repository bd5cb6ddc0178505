"""Fill ``{name}`` placeholders in a prompt from the notebook's variables. Nothing is evaluated.

The rules are Python's format-string rules, cut down to plain names: ``{name}`` becomes ``str(value)``,
``{{`` and ``}}`` are literal braces, and anything else inside braces (an attribute, an index, a
conversion, an expression) is an error that says how to write a literal brace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ._errors import InputError

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|\{")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def placeholders(template: str) -> list[str]:
    """The names a template uses, in order of first use."""
    names: list[str] = []
    for match in _TOKEN.finditer(template):
        name = match.group(1)
        if name is not None and _NAME.match(name.strip()) and name.strip() not in names:
            names.append(name.strip())
    return names


def fill(template: str, namespace: Mapping[str, object], *, what: str = "prompt") -> str:
    """Substitute every ``{name}``; raise InputError for a missing name or a non-name placeholder."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "{{":
            return "{"
        if token == "}}":
            return "}"
        inner = match.group(1)
        if inner is None:
            raise InputError(f"the {what} has an unmatched '{{': write '{{{{' for a literal brace")
        name = inner.strip()
        if not _NAME.match(name):
            raise InputError(
                f"the {what} has {{{inner}}}, which is not a variable name: "
                "placeholders are plain names like {topic}; write '{{' and '}}' for literal braces"
            )
        if name not in namespace:
            raise InputError(f"the {what} uses {{{name}}}, but no variable named {name!r} is defined")
        return str(namespace[name])

    return _TOKEN.sub(replace, template)
