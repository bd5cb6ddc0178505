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
from typing import Any

from IPython import get_ipython
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from traitlets import Any as AnyTrait
from traitlets import validate

from . import _offline
from ._config import DEFAULT_VALUES, defaults
from ._errors import InputError, Interrupted
from ._events import Result
from ._request import make_request
from ._run import Run
from ._templating import fill
from ._terminal import TerminalPrinter
from ._view import in_notebook
from ._widget import StreamWidget

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_last: Result | StreamWidget | None = None


def last() -> Result | StreamWidget | None:
    """The last ``%%llm`` result (or, for ``--background``, its widget); also ``_llm`` in the notebook."""
    return _last


@magics_class
class LLMMagics(Magics):
    """Stream Claude into the notebook. Defaults: ``%config LLMMagics.model = "sonnet"``."""

    model = AnyTrait(DEFAULT_VALUES["model"], help="Default model id or alias (haiku, sonnet, opus).").tag(
        config=True
    )
    max_tokens = AnyTrait(DEFAULT_VALUES["max_tokens"], help="Default max_tokens.").tag(config=True)
    system = AnyTrait(DEFAULT_VALUES["system"], help="Default system prompt (None for none).").tag(config=True)
    idle_timeout = AnyTrait(
        DEFAULT_VALUES["idle_timeout"], help="Seconds without a byte before a stream counts as stalled."
    ).tag(config=True)
    max_retries = AnyTrait(
        DEFAULT_VALUES["max_retries"], help="Retries before the first token (429, 529, 5xx, connection)."
    ).tag(config=True)

    @validate("model", "max_tokens", "system", "idle_timeout", "max_retries")
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
    @cell_magic
    def llm(self, line: str, cell: str) -> Any:
        """Stream the model's reply to the cell's text into the cell.

        ``{name}`` in the prompt is replaced by the notebook variable ``name`` (``{{`` and ``}}`` are
        literal braces; nothing else is evaluated). The result object (text, status, usage, cost, ttft,
        duration, ...) goes to ``--out VAR`` and always to ``_llm``.
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
        for name in ("ttft", "rate"):
            value = getattr(args, name)
            if value is not None and not value > 0:
                raise InputError(f"--{name} must be a positive number, got {value!r}")
        url = _offline.use_offline(ttft=args.ttft, rate=args.rate)
        print(f"nbstream: using the offline model at {url} (replies are simulated).")


def _parse(line: str) -> Any:
    # POSIX quoting (IPython's parse_argstring keeps the quotes: --system "Be terse" would send them).
    try:
        argv = shlex.split(line)
    except ValueError as exc:
        raise InputError(f"could not read the options: {exc}") from None
    args = LLMMagics.llm.parser.parse_args(argv)
    if args.out is not None and not _IDENTIFIER.match(args.out):
        raise InputError(f"--out needs a variable name, got {args.out!r}")
    return args


async def run_cell(line: str, body: str, *, background: bool = False) -> None:
    """Run one ``%%llm`` cell: parse, fill placeholders, stream, store the result."""
    global _last
    shell = get_ipython()
    namespace = shell.user_ns if shell is not None else {}
    args = _parse(line)
    prompt = body if args.raw else fill(body, namespace)
    system = args.system if args.raw or args.system is None else fill(args.system, namespace, what="system prompt")
    options = {
        "model": args.model, "system": system, "max_tokens": args.max_tokens, "idle_timeout": args.idle_timeout,
    }
    if not in_notebook():  # terminal IPython: plain text to stdout
        run = Run(make_request(prompt, **options))
        run.observe(TerminalPrinter())
        result = await run
    else:
        widget = StreamWidget(prompt, **options).display()
        if background or args.background:
            _store(namespace, args.out, widget)
            return
        result = await widget
    _store(namespace, args.out, result)
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        # The kernel's interrupt cancelled the stream. Say so in one line (and stop "Run all").
        raise Interrupted("the kernel was interrupted: generation cancelled, partial text kept in _llm")


def _store(namespace: dict[str, Any], out: str | None, value: Result | StreamWidget) -> None:
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
