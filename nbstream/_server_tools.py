"""Server tools: tools that run inside the API (web search, web fetch, code execution, ...).

They are enabled with a simple option each (``web_search=True``, ``--web-search``; ...) or given as
definitions in the general tools list (``tools=[my_function, {"type": "...", "name": "..."}]``), and the
API streams their calls and results as blocks of their own (see ``_content_parts``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ._errors import InputError

# The newest versions the SDK knows (anthropic 2.10: types/web_search_tool_20260318_param.py, ...).
DEFINITIONS: dict[str, dict[str, str]] = {
    "web_search": {"type": "web_search_20260318", "name": "web_search"},
    "web_fetch": {"type": "web_fetch_20260318", "name": "web_fetch"},
    "code_execution": {"type": "code_execution_20260521", "name": "code_execution"},
}


def split_tools(tools: object) -> tuple[object, tuple[dict[str, Any], ...]]:
    """The general tools list as (functions, server tool definitions): a definition is a dict with a
    ``type`` and a ``name``."""
    if tools is None or isinstance(tools, (str, bytes, dict)) or callable(tools) or not isinstance(tools, Iterable):
        if isinstance(tools, dict):
            raise InputError("tools must be a list (of functions, or server tool definitions)")
        return tools, ()
    functions, servers = [], []
    for tool in tools:
        if isinstance(tool, dict):
            if not isinstance(tool.get("type"), str) or not isinstance(tool.get("name"), str):
                raise InputError(f"a server tool definition needs a 'type' and a 'name', got {tool!r}")
            servers.append(dict(tool))
        else:
            functions.append(tool)
    return functions, tuple(servers)


def server_tools(
    given: tuple[dict[str, Any], ...], *, web_search: object = None, web_fetch: object = None,
    code_execution: object = None,
) -> tuple[dict[str, Any], ...]:
    """The server tools of a request: the options' tools, then the definitions given, each name once."""
    out = list(given)
    for name, enabled in (("web_search", web_search), ("web_fetch", web_fetch), ("code_execution", code_execution)):
        if enabled is None or enabled is False:
            continue
        if enabled is not True:
            raise InputError(f"{name} must be True or False, got {enabled!r}")
        if not any(t["name"] == name for t in out):
            out.insert(0, dict(DEFINITIONS[name]))
    names = [t["name"] for t in out]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(f"two tools share the name {twice[0]!r}")
    return tuple(out)
