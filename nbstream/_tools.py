"""Plain Python functions as tools the model can call, and one turn's calls run concurrently.

    @nbstream.tool
    def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> str:
        \"\"\"Current weather for a city.

        Args:
            city: The city, e.g. Paris.
        \"\"\"

The JSON schema comes from the type hints and the docstring (the SDK's own derivation), and the
model's arguments are validated before the function runs. Sync and async functions both work: when
a response holds several tool_use blocks, async ones are gathered and sync ones run in worker
threads, all at once, and every result goes back in one message. A tool that raises returns its
error to the model as an ``is_error`` result, and the loop goes on.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from . import _client
from ._accumulate import Block, MalformedStream
from ._approve import DECLINED, Approvals
from ._errors import InputError
from ._events import RunEvent, ToolFinished, ToolStarted

_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")


class Tool:
    """A function the model may call; calling the Tool object itself calls the function."""

    def __init__(self, fn: Callable[..., Any], *, name: str | None = None, description: str | None = None) -> None:
        if not callable(fn):
            raise InputError(f"a tool must be a function, got {type(fn).__name__}")
        tool_name = name or str(getattr(fn, "__name__", ""))
        if not _NAME.match(tool_name):
            raise InputError(f"tool name {tool_name!r} must be 1-64 letters, digits, '_' or '-'")
        self.fn = fn
        self.is_async = inspect.iscoroutinefunction(fn)
        try:
            self._sdk = _client.function_tool(fn, name=tool_name, description=description)
        except Exception as exc:  # an annotation pydantic cannot turn into a schema
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise InputError(f"tool {tool_name!r}: cannot build its schema: {reason}") from None
        self.name: str = self._sdk.name
        self.definition: dict[str, Any] = dict(self._sdk.to_dict())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Tool({self.name!r}, {'async' if self.is_async else 'sync'})"

    async def invoke(self, arguments: dict[str, Any]) -> str:
        """Run with the model's arguments (validated first): async in the loop, sync in a worker thread."""
        if self.is_async:
            value = await self._sdk.call(arguments)
        else:
            value = await asyncio.to_thread(self._sdk.call, arguments)
        return as_content(value)


def tool(fn: Callable[..., Any] | None = None, *, name: str | None = None, description: str | None = None) -> Any:
    """Decorator: ``@tool`` or ``@tool(name=..., description=...)`` turns a function into a Tool."""
    if fn is None:
        return lambda f: Tool(f, name=name, description=description)
    return Tool(fn, name=name, description=description)


def check_tools(tools: object) -> tuple[Tool, ...]:
    """Functions or Tools -> Tools, with unique names; raises InputError for anything else."""
    if tools is None:
        return ()
    if callable(tools) or isinstance(tools, (str, bytes)) or not isinstance(tools, Iterable):
        raise InputError("tools must be a list of functions (or nbstream.tool objects)")
    out = tuple(t if isinstance(t, Tool) else Tool(t) for t in tools)
    names = [t.name for t in out]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(f"two tools share the name {duplicates[0]!r}")
    return out


def as_content(value: Any) -> str:
    """A tool's return value as the text of its tool_result."""
    if isinstance(value, str):
        return value
    if value is None:
        return "(no result)"
    return json.dumps(value, default=str, ensure_ascii=False)


def error_text(exc: BaseException) -> str:
    """What the model is told when a tool fails: the error in a line or two, never a traceback."""
    cause = exc.__cause__
    detail = f"{type(exc).__name__}: {exc}"
    if cause is not None:
        detail += " (" + " ".join(str(cause).split())[:400] + ")"
    return detail


async def run_calls(
    calls: list[Block], tools: tuple[Tool, ...], notify: Callable[[RunEvent], None],
    approvals: Approvals | None = None,
) -> list[dict[str, Any]]:
    """Run one turn's tool calls at once; return their tool_result blocks in the calls' order.
    With ``approvals``, each call first waits for the user's decision; a denied one is not run."""
    by_name = {t.name: t for t in tools}
    allowed = await approvals.ask(calls, notify) if approvals is not None else [True] * len(calls)

    async def one(call: Block, run_it: bool) -> dict[str, Any]:
        name = call.tool_name or ""
        if not run_it:
            notify(ToolFinished(call.tool_id or "", name, False, 0.0, DECLINED))
            return {"type": "tool_result", "tool_use_id": call.tool_id, "content": DECLINED, "is_error": True}
        notify(ToolStarted(call.tool_id or "", name))
        started = time.monotonic()
        ok = False
        try:
            found = by_name.get(name)
            if found is None:
                raise LookupError(f"there is no tool named {name!r}")
            content = await found.invoke(call.tool_input())
            ok = True
        except MalformedStream as exc:
            content = str(exc)
        except Exception as exc:  # noqa: BLE001 - the model hears about it; the loop goes on
            content = error_text(exc)
        notify(ToolFinished(call.tool_id or "", name, ok, time.monotonic() - started, content))
        result: dict[str, Any] = {"type": "tool_result", "tool_use_id": call.tool_id, "content": content}
        if not ok:
            result["is_error"] = True
        return result

    return list(await asyncio.gather(*(one(call, ok) for call, ok in zip(calls, allowed, strict=True))))
