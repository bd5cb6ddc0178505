"""nbstream: stream Claude's output live into Jupyter notebooks.

    %load_ext nbstream

    %%llm --model haiku --out answer
    Explain the TCP handshake to a ten-year-old, using {topic} as an analogy.

or from code: ``w = StreamWidget("prompt").display(); result = await w``.
Offline (no API key needed): ``%llm_offline`` or ``nbstream.use_offline()``.
"""

from __future__ import annotations

import importlib
import typing
from typing import Any

if typing.TYPE_CHECKING:  # the public names, for type checkers and editors (at run time they load lazily, below)
    from ._batch import batches
    from ._cell import last
    from ._chat import Chat, chat
    from ._config import defaults
    from ._count import TokenCount, count
    from ._errors import InputError, Interrupted, NbstreamError
    from ._events import Usage
    from ._ledger import Spend, spend
    from ._lesson import Lesson, save_lesson, use_lesson
    from ._log import history
    from ._offline import use_api, use_offline
    from ._panel import ParallelPanel
    from ._result import Result
    from ._tools import Tool, tool
    from ._widget import StreamWidget

# Names load on first use (PEP 562), so `python -m nbstream.simulator` never imports the SDK or IPython.
_EXPORTS = {
    "batches": "._batch",
    "Chat": "._chat",
    "chat": "._chat",
    "count": "._count",
    "defaults": "._config",
    "history": "._log",
    "InputError": "._errors",
    "Interrupted": "._errors",
    "last": "._cell",
    "Lesson": "._lesson",
    "NbstreamError": "._errors",
    "parallel": "._api",
    "ParallelPanel": "._panel",
    "Result": "._result",
    "save_lesson": "._lesson",
    "set_price": "._pricing",
    "Spend": "._ledger",
    "spend": "._ledger",
    "stream": "._api",
    "StreamWidget": "._widget",
    "TokenCount": "._count",
    "Tool": "._tools",
    "tool": "._tools",
    "Usage": "._events",
    "use_api": "._offline",
    "use_lesson": "._lesson",
    "use_offline": "._offline",
}

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "batches",
    "Chat",
    "chat",
    "count",
    "defaults",
    "history",
    "InputError",
    "Interrupted",
    "last",
    "Lesson",
    "load_ipython_extension",
    "NbstreamError",
    "parallel",
    "ParallelPanel",
    "Result",
    "save_lesson",
    "set_price",
    "Spend",
    "spend",
    "stream",
    "StreamWidget",
    "TokenCount",
    "tool",
    "Tool",
    "unload_ipython_extension",
    "Usage",
    "use_api",
    "use_lesson",
    "use_offline",
]


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext nbstream``: the %%llm magics and the cell transformer that lets a cell await its stream."""
    from ._magics import load_ipython_extension as load

    load(shell)


def unload_ipython_extension(shell: Any) -> None:
    from ._magics import unload_ipython_extension as unload

    unload(shell)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'nbstream' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """nbstream's Jupyter Server extension: kernel websockets without Nagle's delay (``_jupyter_server``)."""
    return [{"module": "nbstream._jupyter_server"}]
