"""Fill a prompt's placeholders from the notebook. Nothing is evaluated.

The rules are Python's format-string rules, cut down to plain names and the notebook's references:
``{name}`` becomes the variable's value rendered for a model (``_render``: a DataFrame as a bounded
Markdown table, a long value cut with a note, bytes refused); ``{_}`` is IPython's last result; with a
notebook context (a ``%%llm`` cell, ``nbstream.fill``), ``{In[n]}`` is cell n's source, ``{Out[n]}`` its
result, ``{Err}`` the last error and ``{Err[n]}`` cell n's. ``{{`` and ``}}`` are literal braces;
anything else inside braces (an attribute, another index, a conversion, an expression) is an error that
says how to write a literal brace.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from . import _render
from ._errors import InputError

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|\{")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_REFERENCE = re.compile(r"(In|Out|Err)(?:\[\s*([0-9]+)\s*\])?\Z")

Context = Callable[..., str]
"""``context(kind, n, what=...)``: the text of ``{In[n]}``, ``{Out[n]}``, ``{Err}`` (n None) or ``{Err[n]}``."""


def placeholders(template: str) -> list[str]:
    """The names a template uses, in order of first use."""
    names: list[str] = []
    for match in _TOKEN.finditer(template):
        name = match.group(1)
        if name is not None and _NAME.match(name.strip()) and name.strip() not in names:
            names.append(name.strip())
    return names


def fill(
    template: str, namespace: Mapping[str, object], *, what: str = "prompt", context: Context | None = None
) -> str:
    """Substitute every placeholder; raise InputError for a missing one or a placeholder that is not one."""

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
        reference = _REFERENCE.match(name)
        if reference is not None and (reference.group(2) is not None or name in ("In", "Out", "Err")):
            kind, number = reference.group(1), reference.group(2)
            if context is None:
                raise InputError(f"the {what} uses {{{name}}}, which needs an IPython kernel's cells")
            return context(kind, None if number is None else int(number), what=what)
        if not _NAME.match(name):
            raise InputError(
                f"the {what} has {{{inner}}}, which is not a variable name: placeholders are plain names like "
                "{topic} or the notebook's {In[3]}, {Out[3]}, {_}, {Err}; write '{{' and '}}' for literal braces"
            )
        if name not in namespace:
            raise InputError(f"the {what} uses {{{name}}}, but no variable named {name!r} is defined")
        return _render.for_model(namespace[name], what=f"{{{name}}}")

    return _TOKEN.sub(replace, template)
