"""The notebook as a prompt's context: cells' sources (``{In[n]}``), results (``{Out[n]}``, ``{_}``) and
errors (``{Err}``, ``{Err[n]}``) of this kernel, and the last figure a cell displayed.

IPython keeps sources and results, but no errors by cell: :class:`ErrorBook` records them from its
``post_run_cell`` hook (registered by ``%load_ext nbstream``), with the type, the message, a plain
traceback (no ANSI colours, IPython's own frames left out) and the failing cell's source. nbstream's own
one-line errors (a bad option) are not recorded: ``--fix`` is for the notebook's code.
"""

from __future__ import annotations

import base64
import collections
import io
import os
import re
import sys
import traceback
from dataclasses import dataclass
from typing import Any

from . import _render, _templating
from ._errors import InputError, NbstreamError

_IPYTHON_FILES = f"{os.sep}IPython{os.sep}"
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_KEEP_ERRORS = 50
_TRACEBACK_CHARS = 8_000


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


@dataclass(frozen=True)
class CellError:
    count: int | None  # the cell's execution count (None: before the extension was loaded)
    type: str
    message: str
    traceback: str
    source: str  # the failing cell's source as typed

    def for_model(self) -> str:
        where = f" in cell {self.count}" if self.count is not None else ""
        return f"{self.type}{where}: {self.message}\n\n{self.traceback}".rstrip()


def _cell_frames_only(tb: Any) -> Any:
    """Skip IPython's own frames (run_code's exec) at the top of a cell's traceback."""
    while tb is not None and _IPYTHON_FILES in tb.tb_frame.f_code.co_filename:
        tb = tb.tb_next
    return tb


def describe(exc: BaseException, *, count: int | None, source: str) -> CellError:
    tb = _cell_frames_only(exc.__traceback__)
    lines = traceback.format_exception(type(exc), exc, tb)
    text = _render.truncate(strip_ansi("".join(lines)).rstrip(), what="the traceback", limit=_TRACEBACK_CHARS)
    return CellError(count, type(exc).__name__, strip_ansi(str(exc)), text, source)


class ErrorBook:
    """The kernel's latest errors by execution count (the last ``_KEEP_ERRORS`` of them)."""

    def __init__(self) -> None:
        self._errors: collections.OrderedDict[int, CellError] = collections.OrderedDict()
        self._last: CellError | None = None

    def post_run_cell(self, result: Any) -> None:
        exc = getattr(result, "error_in_exec", None) or getattr(result, "error_before_exec", None)
        if exc is None or isinstance(exc, NbstreamError):
            return
        count = getattr(result, "execution_count", None)
        info = getattr(result, "info", None)
        error = describe(exc, count=count, source=getattr(info, "raw_cell", None) or "")
        self._last = error
        if isinstance(count, int):
            self._errors[count] = error
            while len(self._errors) > _KEEP_ERRORS:
                self._errors.popitem(last=False)

    def last(self) -> CellError | None:
        if self._last is not None:
            return self._last
        # An error from before %load_ext nbstream: IPython keeps the last one it showed.
        exc = getattr(sys, "last_value", None)
        if isinstance(exc, BaseException) and not isinstance(exc, NbstreamError):
            return describe(exc, count=None, source="")
        return None

    def of_cell(self, count: int) -> CellError | None:
        return self._errors.get(count)

    def clear(self) -> None:
        self._errors.clear()
        self._last = None


errors = ErrorBook()


class FigureBook:
    """The last PNG a cell displayed (an inline matplotlib figure, an image): ``--image last-figure``.

    ipykernel's display publisher lets a hook see each display message; this one only looks and passes
    the message on. Only the latest image is kept."""

    def __init__(self) -> None:
        self.png: bytes | None = None

    def seen(self, msg: Any) -> Any:
        try:
            data = msg["content"]["data"].get("image/png")
            if isinstance(data, str):
                self.png = base64.b64decode(data)
        except (KeyError, TypeError, AttributeError, ValueError):
            pass
        return msg

    def last(self) -> bytes | None:
        if self.png is not None:
            return self.png
        pyplot = sys.modules.get("matplotlib.pyplot")  # no kernel hook: the open figure, if any
        if pyplot is not None and pyplot.get_fignums():
            buffer = io.BytesIO()
            pyplot.gcf().savefig(buffer, format="png", bbox_inches="tight")
            return buffer.getvalue()
        return None


figures = FigureBook()


def install(shell: Any) -> None:
    if errors.post_run_cell not in shell.events.callbacks["post_run_cell"]:
        shell.events.register("post_run_cell", errors.post_run_cell)
    publisher: Any = getattr(shell, "display_pub", None)
    if callable(getattr(publisher, "register_hook", None)):
        publisher.unregister_hook(figures.seen)  # once, however often the extension is loaded
        publisher.register_hook(figures.seen)


def uninstall(shell: Any) -> None:
    if errors.post_run_cell in shell.events.callbacks["post_run_cell"]:
        shell.events.unregister("post_run_cell", errors.post_run_cell)
    publisher: Any = getattr(shell, "display_pub", None)
    if callable(getattr(publisher, "unregister_hook", None)):
        publisher.unregister_hook(figures.seen)


class NotebookContext:
    """Answers a prompt's ``{In[n]}``, ``{Out[n]}``, ``{Err}`` and ``{Err[n]}`` from one IPython shell."""

    def __init__(self, shell: Any, book: ErrorBook = errors) -> None:
        self.shell = shell
        self.book = book

    def __call__(self, kind: str, n: int | None, *, what: str) -> str:
        if kind == "Err":
            return self.error(n, what=what)
        if n is None:
            raise InputError(f"the {what} uses {{{kind}}} without a cell number: write {{{kind}[3]}} for cell 3")
        if kind == "In":
            return _render.truncate(self.source(n, what=what), what=f"{{In[{n}]}}")
        return _render.for_model(self.output(n, what=what), what=f"{{Out[{n}]}}")

    def _count(self) -> int:
        return int(getattr(self.shell, "execution_count", 0) or 0)

    def source(self, n: int, *, what: str = "prompt") -> str:
        history = getattr(getattr(self.shell, "history_manager", None), "input_hist_raw", None) or []
        if not 1 <= n < len(history) or n >= self._count():
            raise InputError(f"the {what} uses {{In[{n}]}}, but there is no cell {n} before this one")
        return str(history[n])

    def output(self, n: int, *, what: str = "prompt") -> object:
        outputs = self.shell.user_ns.get("Out", {}) if self.shell is not None else {}
        if n not in outputs:
            raise InputError(f"the {what} uses {{Out[{n}]}}, but cell {n} has no result (Out has no {n})")
        return outputs[n]

    def error(self, n: int | None, *, what: str = "prompt") -> str:
        found = self.book.last() if n is None else self.book.of_cell(n)
        if found is None:
            name = "{Err}" if n is None else f"{{Err[{n}]}}"
            raise InputError(
                f"the {what} uses {name}, but "
                + ("no cell has raised an error yet" if n is None else f"cell {n} raised no error")
            )
        return found.for_model()


def fill(template: str, namespace: dict[str, Any] | None = None, *, what: str = "prompt") -> str:
    """Fill a prompt as a ``%%llm`` cell does, from this kernel's variables, cells, results and errors
    (from code: ``StreamWidget(nbstream.fill("Why does {Err} happen?"))``). Raises a one-line InputError."""
    from IPython import get_ipython  # only here: the simulator and plain Python never need IPython

    shell = get_ipython()
    if namespace is None:
        namespace = shell.user_ns if shell is not None else {}
    return _templating.fill(template, namespace, what=what, context=NotebookContext(shell) if shell else None)
