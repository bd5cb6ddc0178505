"""The static copy's tool-call cards: the live view's cards (``js/tool_card.js``) written as HTML.

Side by side for consecutive calls (run concurrently by the kernel), each with its name, status,
duration, its arguments pretty-printed as the widget prints them, and its result collapsed (open when
it is an error). Every value comes from the model or a tool: only ever escaped, never parsed as HTML.
"""

from __future__ import annotations

import html
import json
from typing import Any

from . import _format
from ._content_html import links_html

TOOL_STATUS_LABELS = {
    "forming": "writing arguments", "ready": "ready", "running": "running", "done": "done", "failed": "failed",
}


def pretty_json(src: str) -> str:
    """JSON re-indented like the widget's ``prettyJson``: token by token, numbers and key order as written.

    The text of a call that never finished is returned as it is (it may not parse).
    """
    try:
        json.loads(src)
    except ValueError:
        return src
    out: list[str] = []
    depth, i, n = 0, 0, len(src)
    while i < n:
        c = src[i]
        if c == '"':
            j = i + 1
            while j < n and src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            out.append(src[i : j + 1])
            i = j
        elif c in " \n\t\r":
            pass  # whitespace between tokens is replaced by the indentation
        elif c in "{[":
            j = i + 1
            while j < n and src[j] in " \n\t\r":
                j += 1
            if j < n and src[j] == ("}" if c == "{" else "]"):
                out.append(c + src[j])
                i = j
            else:
                depth += 1
                out.append(c + "\n" + "  " * depth)
        elif c in "}]":
            depth -= 1
            out.append("\n" + "  " * depth + c)
        elif c == ",":
            out.append(",\n" + "  " * depth)
        elif c == ":":
            out.append(": ")
        else:
            out.append(c)
        i += 1
    return "".join(out)


_ERROR_CLASS = ' class="nbstream-tool-error"'


def _card(part: dict[str, Any]) -> str:
    name = part.get("name") or "tool"
    status = str(part.get("status") or "")
    args = part.get("input") or ""
    shown_args = args if status == "forming" or not args else pretty_json(args)
    duration = _format.seconds(part["duration"]) if part.get("duration") is not None else ""
    head = (
        f'<div class="nbstream-tool-head"><span class="nbstream-tool-name">{html.escape(name)}(…)</span>'
        f'<span class="nbstream-tool-status">{html.escape(TOOL_STATUS_LABELS.get(status, status))}</span>'
        + (f'<span class="nbstream-tool-duration">{duration}</span>' if duration else "")
        + ('<span class="nbstream-tool-server">runs in the API</span>' if part.get("server") else "")
        + "</div>"
    )
    body = f'<pre class="nbstream-tool-args">{html.escape(shown_args)}</pre>' if shown_args else ""
    body += links_html(part.get("links"))  # a server tool's results as links (http(s) only)
    if part.get("result") is not None:
        result, error = str(part["result"]), bool(part.get("is_error"))
        label = "error" if error else "result (empty)" if result == "" else "result"
        body += (
            f'<details class="nbstream-tool-result"{" open" if error else ""}>'
            f'<summary class="nbstream-tool-result-label">{label}</summary>'
            f"<pre{_ERROR_CLASS if error else ''}>{html.escape(result)}</pre>"
            "</details>"
        )
    return (
        f'<div class="nbstream-tool" role="group" data-status="{html.escape(status, quote=True)}" '
        f'aria-label="tool call {html.escape(name, quote=True)}">{head}{body}</div>'
    )


def tools_html(parts: list[dict[str, Any]]) -> str:
    """Consecutive tool calls as one group of cards, side by side."""
    cards = "".join(_card(part) for part in parts)
    return f'<div class="nbstream-tools" role="group" aria-label="tool calls">{cards}</div>'
