"""Running a ``%%llm`` cell: fill its placeholders, build its calls, show them, await them, store them.

The input transformer in ``_magics`` rewrites a ``%%llm`` cell into ``await run_cell(line, body)``, so
the cell awaits its own stream: output lands in the right cell, nbclient/papermill wait for it, the saved
widget state is final, the kernel's interrupt cancels it, and the Cancel button still works while the
cell runs (ipykernel 7 handles comm messages during an awaiting cell).
"""

from __future__ import annotations

import asyncio
import re
import uuid
import weakref
from collections.abc import Callable
from typing import Any

from IPython import get_ipython
from IPython.display import display as ipython_display

from ._batch import BatchCall, BatchJob, check_batch_requests, custom_ids
from ._budget import Budget, budget_of
from ._cell_args import PARSER, lookup_tools, panel_rows, parse_options, split_prompts
from ._chat import chat
from ._count import count_tokens
from ._errors import InputError, Interrupted
from ._format import summary
from ._limiter import Limiter
from ._panel import ParallelPanel, build_rows
from ._request import CALL_OPTIONS, make_request
from ._run import Run
from ._schema import schema_from_cell
from ._templating import fill
from ._terminal import TerminalPrinter
from ._validate import DEFAULT_CONCURRENCY
from ._view import in_notebook
from ._widget import StreamWidget

_last: object = None
# JupyterLab cell id -> the widget or panel its last run made, weakly: only to cancel it on a re-run,
# never keeping a finished answer's text alive for the kernel's life.
_by_cell: weakref.WeakValueDictionary[str, Any] = weakref.WeakValueDictionary()


def last() -> Any:
    """The last ``%%llm`` result (a list for a panel; the widget or panel for ``--background``); also ``_llm``."""
    return _last


_WORD = re.compile(r"""(?:"[^"]*"|'[^']*'|\S)+""")  # a shell word, quotes kept


def split_line_magic(line: str) -> tuple[str, str]:
    """``%llm -m sonnet What is TCP?``: the options before the prompt, and the prompt as typed (an
    apostrophe in the prompt is just text)."""
    actions = {o: a for a in PARSER._actions for o in a.option_strings}
    words = list(_WORD.finditer(line))
    end, k = 0, 0
    while k < len(words) and words[k].group().startswith("-"):
        action = actions.get(words[k].group())
        k += 1
        if action is not None and k < len(words):
            optional = action.nargs == "?"  # --cache [auto|system]: a value only if it is one of them
            if action.nargs is None or (optional and words[k].group() in (action.choices or ())):
                k += 1  # its value
        end = words[k - 1].end()
    return line[:end].strip(), line[end:].strip()


def _cell_id() -> str | None:
    """The id JupyterLab and Notebook 7 put in each execute request's metadata (None elsewhere)."""
    kernel = getattr(get_ipython(), "kernel", None)
    parent = kernel.get_parent() if kernel is not None else None
    cell = (parent or {}).get("metadata", {}).get("cellId")
    return cell if isinstance(cell, str) else None


def _replace_cell_output(view: Any) -> None:
    """Re-running a cell cancels the stream its previous run started: no orphan streams."""
    cell = _cell_id()
    if cell is None:
        return
    previous = _by_cell.get(cell)
    if previous is not None and previous is not view:
        previous.cancel()
    _by_cell[cell] = view


async def run_cell(line: str, body: str, *, background: bool = False) -> None:
    """Run one ``%%llm`` cell: parse, fill placeholders, stream, store the result."""
    shell = get_ipython()
    namespace = shell.user_ns if shell is not None else {}
    args = parse_options(line)
    body = body.rstrip("\n")  # IPython ends every cell with a newline; it is not part of the prompt
    prompt = body if args.raw else fill(body, namespace)
    system = args.system if args.raw or args.system is None else fill(args.system, namespace, what="system prompt")
    options: dict[str, Any] = {name: getattr(args, name, None) for name in CALL_OPTIONS}
    options.update(system=system, tools=lookup_tools(args.tools, namespace))
    if args.schema is not None:
        options["schema"] = schema_from_cell(args.schema, namespace)
    budgets = budget_of(args.budget, "the cell's --budget")
    if args.parallel or args.models or args.n > 1 or args.batch:
        await _run_panel(args, body, namespace, options, budgets, background=background)
        return
    conversation = chat(args.chat) if args.chat else None
    key = _cell_id()
    if conversation is not None:
        conversation.configure(**options)  # they stay with the chat
        request = conversation.prepare(prompt, key=key)
    else:
        request = make_request(prompt, **options)
    if args.count:
        counted = await count_tokens(request)
        ipython_display(counted)
        _store(namespace, args.out, counted)
        return
    if not in_notebook():  # terminal IPython: plain text to stdout
        if request.approve:  # a terminal has no Approve / Deny to click while the cell awaits
            raise InputError("--approve needs a notebook front end for its Approve / Deny buttons; not in a terminal")
        run = Run(request, budgets=budgets)
        if conversation is not None:
            conversation.track(run, key=key)
        run.observe(TerminalPrinter())
        await _await_and_store(run, namespace, args.out, lambda: run.result)
    else:
        widget = StreamWidget("", _request=request, budget=budgets[0] if budgets else None)
        if conversation is not None:
            conversation.track(widget.run, key=key)
        await _show(widget, namespace, args.out, background=background or args.background)


async def _show(view: Any, namespace: dict[str, Any], out: str | None, *, background: bool) -> None:
    """Show a widget or panel in this cell; unless in the background, await it and store its result."""
    _replace_cell_output(view)
    view.display()
    if background:
        _store(namespace, out, view)  # the widget itself: awaitable, cancellable
        return
    await _await_and_store(view, namespace, out, lambda: getattr(view, "result", None) or view.results)


async def _run_panel(
    args: Any, body: str, namespace: dict[str, Any], options: dict[str, Any], budgets: list[Budget], *,
    background: bool,
) -> None:
    prompts = split_prompts(body) if args.parallel else [body]
    if not args.raw:
        prompts = [fill(prompt, namespace) for prompt in prompts]
    models: list[str | None] = [m.strip() for m in args.models.split(",")] if args.models else [options["model"]]
    if any(m is not None and not m for m in models):
        raise InputError(f"--models needs a comma-separated list of model names, got {args.models!r}")
    shared = {k: v for k, v in options.items() if k != "model"}
    rows = panel_rows(prompts, models, args.n)
    concurrency = args.concurrency or DEFAULT_CONCURRENCY
    if not in_notebook():  # terminal IPython: the same rows and limiter (or batch job), printed at the end
        requests, labels = build_rows(rows, **shared)
        if args.batch:
            check_batch_requests(requests)
            calls = [
                BatchCall(r, cid)
                for r, cid in zip(requests, custom_ids(uuid.uuid4().hex[:10], len(requests)), strict=True)
            ]
            print("nbstream: submitting a Message Batch; results arrive when it ends.")
            await BatchJob(calls).run()
            results = [call.result for call in calls]
        else:
            limiter = Limiter(concurrency)
            results = list(await asyncio.gather(*(Run(r, limiter=limiter, budgets=budgets) for r in requests)))
        for label, result in zip(labels, results, strict=True):
            assert result is not None  # every call of a finished job or gather has its result
            print(f"== {label}\n{result.text}\n[{summary(result)}{' · ' + result.error if result.error else ''}]\n")
        _store(namespace, args.out, results)
        return
    panel = ParallelPanel(
        rows, concurrency=concurrency, batch=args.batch, budget=budgets[0] if budgets else None, **shared
    )
    await _show(panel, namespace, args.out, background=background or args.background)


async def _await_and_store(
    awaitable: Any, namespace: dict[str, Any], out: str | None, partial: Callable[[], object]
) -> None:
    """Await the cell's stream and store its result. The kernel's interrupt cancels the awaiting cell
    from outside: the stream has then recorded its partial result; store it and say so in one line
    (an error, so that "Run all" stops here)."""
    try:
        value = await awaitable
    except asyncio.CancelledError:
        _store(namespace, out, partial())
        raise Interrupted("the kernel was interrupted: generation cancelled, partial text kept in _llm") from None
    _store(namespace, out, value)


def _store(namespace: dict[str, Any], out: str | None, value: object) -> None:
    global _last
    _last = value
    namespace["_llm"] = value
    if out:
        namespace[out] = value




async def run_line(line: str) -> None:
    """``%llm [options] prompt``: the one-line form of the cell."""
    options, prompt = split_line_magic(line)
    if not prompt:
        raise InputError("%llm needs a prompt after its options: %llm [options] your question (or use %%llm)")
    await run_cell(options, prompt)
