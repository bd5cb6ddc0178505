"""``%%llm`` and its friends, as IPython sees them: the magics, ``%config LLMMagics``, and the input
transformer that lets a ``%%llm`` cell await its own stream (reading the cell is ``_cell_args``, running
it ``_cell``)."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import HTML
from IPython.display import display as ipython_display
from traitlets import Any as AnyTrait
from traitlets import Undefined, validate

from . import _cell, _offline
from ._cell_args import help_text
from ._chat import chat, chats
from ._config import defaults
from ._errors import InputError
from ._ledger import spend
from ._lesson import use_lesson
from ._log import history, history_table


class _Setting(AnyTrait):
    """A %config value whose default is nbstream's current session default (nbstream.defaults)."""

    def __init__(self, help: str) -> None:
        super().__init__(allow_none=True, help=help)
        self.default_value = Undefined

    def make_dynamic_default(self) -> Any:
        return getattr(defaults, str(self.name))


@magics_class
class LLMMagics(Magics):
    """Stream Claude into the notebook. Defaults: ``%config LLMMagics.model = "sonnet"``."""

    model = _Setting("Default model id or alias (haiku, sonnet, opus).").tag(config=True)
    max_tokens = _Setting("Default max_tokens.").tag(config=True)
    system = _Setting("Default system prompt (None for none).").tag(config=True)
    idle_timeout = _Setting("Seconds without a byte before a stream counts as stalled.").tag(config=True)
    max_retries = _Setting("Retries before the first token (429, 529, 5xx, connection).").tag(config=True)
    log_path = _Setting("The call log's SQLite file (None switches the log off).").tag(config=True)
    transport = _Setting("The SDK's HTTP client: 'aiohttp' (C-parsed, the default) or 'httpx'.").tag(config=True)
    prices = _Setting("Your prices, USD per million tokens: {model: {'input': $, 'output': $}}.").tag(config=True)
    budget = _Setting("US dollars this kernel's calls may spend (None: no cap).").tag(config=True)
    replay = _Setting("Answer identical finished requests from the call log: True, False or 'instant'.").tag(
        config=True
    )

    @validate(
        "model", "max_tokens", "system", "idle_timeout", "max_retries", "log_path", "transport", "prices", "budget",
        "replay",
    )
    def _to_defaults(self, proposal: Any) -> Any:
        # One home for defaults: %config writes through to nbstream's session defaults (validated there).
        setattr(defaults, proposal.trait.name, proposal.value)
        LLMMagics.llm.__doc__ = help_text()  # %%llm? shows the new default
        return getattr(defaults, proposal.trait.name)

    @line_cell_magic
    def llm(self, line: str, cell: str | None = None) -> Any:
        # The transformer usually turns a %%llm cell (or a cell that is one %llm line) into an awaited
        # call; this runs when it is bypassed (run_cell_magic, a %llm line among other code): the reply
        # then streams in the background. Its help (%%llm?) is set from _cell_args.help_text().
        run = _cell.run_line(line) if cell is None else _cell.run_cell(line, cell, background=True)
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # no loop (plain terminal IPython without autoawait): run it here
            return asyncio.run(run)
        return asyncio.ensure_future(run)

    @magic_arguments()
    @argument("state", nargs="?", default="on", choices=["on", "off"], help="on (default) or off")
    @argument("--ttft", type=float, help="seconds to the first token")
    @argument("--rate", type=float, help="tokens per second")
    @line_magic
    def llm_offline(self, line: str) -> None:
        """Use the built-in offline model (a local simulator; replies are labelled simulated), or turn it off."""
        args = parse_argstring(LLMMagics.llm_offline, line)
        if args.state == "off":
            _back_to_api()
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

    @magic_arguments()
    @argument("path", help="the lesson file (saved by nbstream.save_lesson), or off for the live API")
    @argument("--unless-key", action="store_true", help="only when this kernel has no API key")
    @line_magic
    def llm_lesson(self, line: str) -> None:
        """Answer this kernel's calls from a recorded lesson (no key, no network); ``%llm_lesson off`` ends it."""
        args = parse_argstring(LLMMagics.llm_lesson, line)
        if args.path == "off":
            _back_to_api()
            return
        use_lesson(args.path, unless_key=args.unless_key)

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
        ipython_display(HTML(history_table(history(args.n))))


def _back_to_api() -> None:
    _offline.use_api()
    print("nbstream: calls go to the Anthropic API again.")


_CELL_MAGIC = re.compile(r"%%llm(?=\s|$)")
_LINE_MAGIC = re.compile(r"%llm(?=\s|$)")
_RUN = "await __import__('nbstream._cell', fromlist=['run_cell'])"


def transform_cell(lines: list[str]) -> list[str]:
    """IPython cleanup transformer: a ``%%llm`` cell, or a cell that is one ``%llm`` line, becomes an
    awaited call (help, ``%%llm?`` or ``%llm?``, is left alone)."""
    if not lines or lines[0].rstrip().endswith("?"):
        return lines
    if _CELL_MAGIC.match(lines[0]):
        line = lines[0][len("%%llm") :].strip()
        body = "".join(lines[1:])
        return [f"{_RUN}.run_cell({line!r}, {body!r})\n"]
    if _LINE_MAGIC.match(lines[0]) and not "".join(lines[1:]).strip():
        return [f"{_RUN}.run_line({lines[0][len('%llm') :].strip()!r})\n"]
    return lines


def load_ipython_extension(shell: Any) -> None:
    LLMMagics.llm.__doc__ = help_text()  # %%llm? shows plain text with this session's defaults
    shell.register_magics(LLMMagics)
    if transform_cell not in shell.input_transformers_cleanup:
        # First, before IPython's own %% handling turns the cell into a run_cell_magic call.
        shell.input_transformers_cleanup.insert(0, transform_cell)


def unload_ipython_extension(shell: Any) -> None:
    if transform_cell in shell.input_transformers_cleanup:
        shell.input_transformers_cleanup.remove(transform_cell)
