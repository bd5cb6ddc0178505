"""nbstream: stream Claude's output live into Jupyter notebooks.

    %load_ext nbstream

    %%llm --model haiku --out answer
    Explain the TCP handshake to a ten-year-old, using {topic} as an analogy.

or from code: ``w = StreamWidget("prompt").display(); result = await w``.
Offline (no API key needed): ``%llm_offline`` or ``nbstream.use_offline()``.
"""

from __future__ import annotations

from typing import Any

from ._config import defaults
from ._errors import InputError, Interrupted, NbstreamError
from ._events import Result, Usage
from ._magics import last
from ._offline import use_api, use_offline
from ._widget import StreamWidget

__version__ = "0.1.0"

__all__ = [
    "InputError",
    "Interrupted",
    "NbstreamError",
    "Result",
    "StreamWidget",
    "Usage",
    "__version__",
    "defaults",
    "last",
    "load_ipython_extension",
    "unload_ipython_extension",
    "use_api",
    "use_offline",
]


def load_ipython_extension(shell: Any) -> None:
    """``%load_ext nbstream``: the %%llm magics and the cell transformer that lets a cell await its stream."""
    from ._magics import load_ipython_extension as load

    load(shell)


def unload_ipython_extension(shell: Any) -> None:
    from ._magics import unload_ipython_extension as unload

    unload(shell)
