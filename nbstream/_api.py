"""The function API: what ``%%llm`` does, for hosts without IPython magics (marimo) and for code.

    w = nbstream.stream("Explain TCP", model="haiku")   # starts at once; show w as a cell's output
    result = await w                                     # in any cell: the Result when it ends

    p = nbstream.parallel(["Summarise A", "Summarise B"], concurrency=2)
    results = await p

Both return the live view (a :class:`StreamWidget`, a :class:`ParallelPanel`), already streaming on the
running event loop (a Jupyter kernel's or marimo's), so other cells run while it streams; its Cancel
button, ``.cancel()`` and awaiting it work the same on every host. Without a running loop (plain
Python) the call starts when it is first awaited.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._panel import ParallelPanel
from ._widget import StreamWidget


def stream(prompt: str, **options: Any) -> StreamWidget:
    """Start one streamed call; options as :class:`StreamWidget` (model, system, max_tokens, tools ...)."""
    widget = StreamWidget(prompt, **options)
    try:
        widget.start()
    except RuntimeError:  # no running event loop: it starts when awaited
        pass
    return widget


def parallel(prompts: Sequence[str | dict[str, Any]], **options: Any) -> ParallelPanel:
    """Start many calls under one concurrency cap; options as :class:`ParallelPanel`."""
    panel = ParallelPanel(prompts, **options)
    try:
        panel.start()
    except RuntimeError:
        pass
    return panel
