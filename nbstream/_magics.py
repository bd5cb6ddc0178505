"""``%%llm`` and its friends.

A ``%%llm`` cell is rewritten by an input transformer into ``await run_cell(line, body)``, so the cell
awaits its own stream: output lands in the right cell, nbclient/papermill wait for it, the saved widget
state is final, the kernel's interrupt cancels it, and the Cancel button still works while the cell
runs (ipykernel 7 handles comm messages during an awaiting cell). The real cell magic below is reached
only when the transformer is bypassed (``run_cell_magic``); it then streams in the background.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import uuid
from typing import Any

from IPython import get_ipython
from IPython.display import HTML
from IPython.display import display as ipython_display
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Any as AnyTrait
from traitlets import Undefined, validate

from . import _offline
from ._config import defaults
from ._errors import InputError, Interrupted
from ._request import make_request
from ._run import Run
from ._templating import fill
from ._terminal import TerminalPrinter
from ._view import in_notebook
from ._batch import BatchCall, BatchJob, check_batch_requests, custom_ids
from ._chat import chat, chats
from ._count import count_tokens
from ._format import summary
from ._ledger import spend
from ._limiter import Limiter
from ._panel import DEFAULT_CONCURRENCY, ParallelPanel, build_rows
from ._widget import StreamWidget

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_last: object = None
_by_cell: dict[str, Any] = {}  # JupyterLab cell id -> the widget or panel its last run made


def last() -> Any:
    """The last ``%%llm`` result (a list for a panel; the widget or panel for ``--background``); also ``_llm``."""
    return _last


class _Setting(AnyTrait):
    """A %config value whose default is nbstream's current session default (nbstream.defaults)."""

    def __init__(self, help: str) -> None:
        super().__init__(allow_none=True, help=help)
        self.default_value = Undefined

    def make_dynamic_default(self) -> Any:
        return getattr(defaults, self.name)


@magics_class
class LLMMagics(Magics):
    """Stream Claude into the notebook. Defaults: ``%config LLMMagics.model = "sonnet"``."""

    model = _Setting("Default model id or alias (haiku, sonnet, opus).").tag(config=True)
    max_tokens = _Setting("Default max_tokens.").tag(config=True)
    system = _Setting("Default system prompt (None for none).").tag(config=True)
    idle_timeout = _Setting("Seconds without a byte before a stream counts as stalled.").tag(config=True)
    max_retries = _Setting("Retries before the first token (429, 529, 5xx, connection).").tag(config=True)
    log_path = _Setting("The call log's SQLite file (None switches the log off).").tag(config=True)
    prices = _Setting("Your prices, USD per million tokens: {model: {'input': $, 'output': $}}.").tag(config=True)

    @validate("model", "max_tokens", "system", "idle_timeout", "max_retries", "log_path", "prices")
    def _to_defaults(self, proposal: Any) -> Any:
        # One home for defaults: %config writes through to nbstream's session defaults (validated there).
        setattr(defaults, proposal.trait.name, proposal.value)
        return getattr(defaults, proposal.trait.name)

    @magic_arguments()
    @argument("-m", "--model", help="model id or alias: haiku, sonnet, opus (default: LLMMagics.model)")
    @argument("-s", "--system", help="system prompt")
    @argument("--max-tokens", type=int, help="the most tokens to generate (default: LLMMagics.max_tokens)")
    @argument("-o", "--out", metavar="VAR", help="store the result in this variable (it is always in _llm too)")
    @argument("--background", action="store_true", help="return at once; the reply streams in the background")
    @argument("--idle-timeout", type=float, help="seconds without data before a stream counts as stalled")
    @argument("--raw", action="store_true", help="send the prompt as written, without {name} substitution")
    @argument("--parallel", action="store_true", help="one call per prompt; prompts are separated by lines of ---")
    @argument("--models", metavar="A,B", help="run the prompt on each of these models side by side")
    @argument("-n", type=int, default=1, metavar="N", help="run each prompt N times")
    @argument("--concurrency", type=int, metavar="K", help="at most K calls in flight (default 5)")
    @argument("--tools", metavar="F,G", help="let the model call these notebook functions (names, comma-separated)")
    @argument("--max-turns", type=int, metavar="N", help="at most N model turns per call (tool loops; default 5)")
    @argument("--chat", metavar="NAME", help="continue the conversation NAME (each cell adds a turn)")
    @argument("--cache", nargs="?", const="auto", choices=["auto", "system"],
              help="prompt caching: auto (the API places the breakpoint) or system (the system prompt)")
    @argument("--count", action="store_true", help="only count the prompt's input tokens and estimate the cost")
    @argument("--batch", action="store_true", help="send the prompts as a Message Batch (half price; no streaming)")
    @cell_magic
    def llm(self, line: str, cell: str) -> Any:
        """Stream the model's reply to the cell's text into the cell.

        ``{name}`` in the prompt is replaced by the notebook variable ``name`` (``{{`` and ``}}`` are
        literal braces; nothing else is evaluated). The result object (text, status, usage, cost, ttft,
        duration, ...) goes to ``--out VAR`` and always to ``_llm``.

        ``--parallel``, ``--models`` and ``-n`` combine into a panel of rows streaming at once
        (``--models a,b -n 3`` is six rows); ``--out`` then holds the list of results, in row order.
        ``--tools`` lets the model call notebook functions (tool calls show as they form and run);
        ``--chat NAME`` continues a conversation; ``--count`` sends nothing but a token count;
        ``--batch`` sends the prompts as a Message Batch at half price (results arrive when it ends).
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop (plain terminal IPython without autoawait): run it here
            return asyncio.run(run_cell(line, cell))
        return asyncio.ensure_future(run_cell(line, cell, background=True))

    @magic_arguments()
    @argument("state", nargs="?", default="on", choices=["on", "off"], help="on (default) or off")
    @argument("--ttft", type=float, help="seconds to the first token")
    @argument("--rate", type=float, help="tokens per second")
    @line_magic
    def llm_offline(self, line: str) -> None:
        """Use the built-in offline model (a local simulator; replies are labelled simulated), or turn it off."""
        args = parse_argstring(LLMMagics.llm_offline, line)
        if args.state == "off":
            _offline.use_api()
            print("nbstream: calls go to the Anthropic API again.")
            return
        if args.ttft is not None and not args.ttft >= 0:
            raise InputError(f"--ttft must be 0 or more seconds, got {args.ttft!r}")
        if args.rate is not None and not args.rate > 0:
            raise InputError(f"--rate must be a positive number of tokens per second, got {args.rate!r}")
        url = _offline.use_offline(ttft=args.ttft, rate=args.rate)
        print(f"nbstream: using the offline model at {url} (replies are simulated).")


    @magic_arguments()
    @argument("name", nargs="?", help="the chat to show (all chats when left out)")
    @argument("--reset", action="store_true", help="forget the chat's turns")
    @line_magic
    def llm_chat(self, line: str) -> None:
        """Show a chat's history, or reset it (``%llm_chat NAME --reset``)."""
        args = parse_argstring(LLMMagics.llm_chat, line)
        if args.name is None:
            print(", ".join(f"{c.name} ({len(c)} turns)" for c in chats().values()) or "no chats yet")
            return
        if args.name not in chats():
            raise InputError(f"there is no chat named {args.name!r}")
        conversation = chat(args.name)
        if args.reset:
            conversation.reset()
            print(f"nbstream: chat {args.name!r} is empty again.")
            return
        ipython_display(conversation)

    @line_magic
    def llm_spend(self, line: str) -> None:
        """Calls, tokens by kind and cost so far in this kernel, by model."""
        ipython_display(spend())

    @magic_arguments()
    @argument("-n", type=int, default=20, help="how many of the latest calls (default 20)")
    @line_magic
    def llm_history(self, line: str) -> None:
        """Show the latest calls from the call log in a table (newest first)."""
        args = parse_argstring(LLMMagics.llm_history, line)
        from ._log import history, history_table

        ipython_display(HTML(history_table(history(args.n))))


def _parse(line: str) -> Any:
    # POSIX quoting (IPython's parse_argstring keeps the quotes: --system "Be terse" would send them).
    try:
        argv = shlex.split(line)
    except ValueError as exc:
        raise InputError(f"could not read the options: {exc}") from None
    args = LLMMagics.llm.parser.parse_args(argv)
    if args.out is not None and not _IDENTIFIER.match(args.out):
        raise InputError(f"--out needs a variable name, got {args.out!r}")
    if args.n < 1:
        raise InputError(f"-n must be a positive whole number, got {args.n}")
    if args.concurrency is not None and args.concurrency < 1:
        raise InputError(f"--concurrency must be a positive whole number, got {args.concurrency}")
    if (args.chat or args.count) and (args.parallel or args.models or args.n > 1 or args.batch):
        raise InputError(
            "--chat and --count take one streamed prompt: they do not combine with --parallel, --models, -n or --batch"
        )
    if args.chat is not None and not args.chat.strip():
        raise InputError("--chat needs a name")
    return args


def _lookup_tools(names: str | None, namespace: dict[str, Any]) -> list[Any] | None:
    """``--tools a,b``: functions from the notebook's namespace (looked up by name, never evaluated)."""
    if names is None:
        return None
    found = []
    for name in (n.strip() for n in names.split(",")):
        if not name:
            raise InputError(f"--tools needs a comma-separated list of function names, got {names!r}")
        if name not in namespace:
            raise InputError(f"--tools names {name!r}, but no function of that name is defined")
        if not callable(namespace[name]):
            raise InputError(f"--tools names {name!r}, which is not a function")
        found.append(namespace[name])
    return found


def split_prompts(body: str) -> list[str]:
    """``--parallel``: the cell's prompts, separated by lines holding only ``---``."""
    prompts: list[list[str]] = [[]]
    for line in body.splitlines(keepends=True):
        if line.strip() == "---":
            prompts.append([])
        else:
            prompts[-1].append(line)
    texts = ["".join(lines).strip("\n") for lines in prompts]
    for number, text in enumerate(texts, start=1):
        if not text.strip():
            raise InputError(f"prompt {number} of the --parallel cell is empty")
    return texts


def panel_rows(prompts: list[str], models: list[str | None], n: int) -> list[dict[str, Any]]:
    """Every prompt on every model, n times each; labels name only what varies between rows."""
    rows = []
    for p, prompt in enumerate(prompts, start=1):
        for model in models:
            for k in range(1, n + 1):
                parts = []
                if len(prompts) > 1:
                    parts.append(f"prompt {p}")
                if len(models) > 1:
                    parts.append(str(model))
                if n > 1:
                    parts.append(f"#{k}")
                row: dict[str, Any] = {"prompt": prompt, "label": " · ".join(parts) or "#1"}
                if model is not None:
                    row["model"] = model
                rows.append(row)
    return rows


def _cell_id() -> str | None:
    """The id JupyterLab and Notebook 7 put in each execute request's metadata (None elsewhere)."""
    kernel = getattr(get_ipython(), "kernel", None)
    parent = kernel.get_parent() if kernel is not None else None
    return (parent or {}).get("metadata", {}).get("cellId")


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
    args = _parse(line)
    body = body.rstrip("\n")  # IPython ends every cell with a newline; it is not part of the prompt
    prompt = body if args.raw else fill(body, namespace)
    system = args.system if args.raw or args.system is None else fill(args.system, namespace, what="system prompt")
    options = {
        "model": args.model, "system": system, "max_tokens": args.max_tokens, "idle_timeout": args.idle_timeout,
        "tools": _lookup_tools(args.tools, namespace), "max_turns": args.max_turns, "cache": args.cache,
    }
    if args.parallel or args.models or args.n > 1 or args.batch:
        await _run_panel(args, body, namespace, options, background=background)
        return
    conversation = chat(args.chat) if args.chat else None
    key = _cell_id()
    if conversation is not None:
        chat_options = ("model", "system", "max_tokens", "tools", "cache", "max_turns")
        conversation.configure(**{k: options[k] for k in chat_options})  # they stay with the chat
        request = conversation.prepare(prompt, key=key, idle_timeout=options["idle_timeout"])
    else:
        request = make_request(prompt, **options)
    if args.count:
        counted = await count_tokens(request)
        ipython_display(counted)
        _store(namespace, args.out, counted)
        return
    if not in_notebook():  # terminal IPython: plain text to stdout
        run = Run(request)
        if conversation is not None:
            conversation.track(run, key=key)
        run.observe(TerminalPrinter())
        _store(namespace, args.out, await run)
        _raise_if_interrupted()
    else:
        widget = StreamWidget("", _request=request)
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
    _store(namespace, out, await view)
    _raise_if_interrupted()


async def _run_panel(
    args: Any, body: str, namespace: dict[str, Any], options: dict[str, Any], *, background: bool
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
            calls = [BatchCall(r, cid) for r, cid in zip(requests, custom_ids(uuid.uuid4().hex[:10], len(requests)))]
            print("nbstream: submitting a Message Batch; results arrive when it ends.")
            await BatchJob(calls).run()
            results = [call.result for call in calls]
        else:
            limiter = Limiter(concurrency)
            results = list(await asyncio.gather(*(Run(r, limiter=limiter) for r in requests)))
        for label, result in zip(labels, results):
            print(f"== {label}\n{result.text}\n[{summary(result)}{' · ' + result.error if result.error else ''}]\n")
        _store(namespace, args.out, results)
        return
    panel = ParallelPanel(rows, concurrency=concurrency, batch=args.batch, **shared)
    await _show(panel, namespace, args.out, background=background or args.background)


def _raise_if_interrupted() -> None:
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        # The kernel's interrupt cancelled the stream. Say so in one line (and stop "Run all").
        raise Interrupted("the kernel was interrupted: generation cancelled, partial text kept in _llm")


def _store(namespace: dict[str, Any], out: str | None, value: object) -> None:
    global _last
    _last = value
    namespace["_llm"] = value
    if out:
        namespace[out] = value


_CELL_MAGIC = re.compile(r"%%llm(?=\s|$)")


def transform_cell(lines: list[str]) -> list[str]:
    """IPython cleanup transformer: a ``%%llm`` cell becomes an awaited call (help ``%%llm?`` is left alone)."""
    if not lines or not _CELL_MAGIC.match(lines[0]) or lines[0].rstrip().endswith("?"):
        return lines
    line = lines[0][len("%%llm") :].strip()
    body = "".join(lines[1:])
    return [f"await __import__('nbstream._magics', fromlist=['run_cell']).run_cell({line!r}, {body!r})\n"]


def load_ipython_extension(shell: Any) -> None:
    shell.register_magics(LLMMagics)
    if transform_cell not in shell.input_transformers_cleanup:
        # First, before IPython's own %% handling turns the cell into a run_cell_magic call.
        shell.input_transformers_cleanup.insert(0, transform_cell)


def unload_ipython_extension(shell: Any) -> None:
    if transform_cell in shell.input_transformers_cleanup:
        shell.input_transformers_cleanup.remove(transform_cell)
