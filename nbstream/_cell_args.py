"""Reading a ``%%llm`` cell: its options line, its prompts, and the help that ``%%llm?`` shows.

Pure of IPython: a line of options in, a namespace of checked values out, or a one-line InputError that
names the problem (with a "did you mean" for a mistyped option). The help is plain text with the current
session defaults filled in.
"""

from __future__ import annotations

import argparse
import difflib
import re
import shlex
from typing import Any, NoReturn

from ._attachments import NamedValue
from ._config import defaults
from ._errors import InputError
from ._format import dollars
from ._params import EFFORTS, SERVICE_TIERS, SPEEDS, THINKING_DISPLAYS, parse_pairs
from ._validate import DEFAULT_CONCURRENCY, DEFAULT_MAX_TURNS, check_budget

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise InputError(_friendlier(self, message))


def _friendlier(parser: argparse.ArgumentParser, message: str) -> str:
    """argparse's message, with the closest real option for a mistyped one."""
    unknown = re.match(r"unrecognized arguments: (\S+)", message)
    if unknown:
        word = unknown.group(1)
        options = [o for action in parser._actions for o in action.option_strings]
        close = difflib.get_close_matches(word.split("=")[0], options, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]}?" if close else " (%%llm? lists the options)"
        return f"unrecognized arguments: {word}{hint}"
    return message


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="%%llm", add_help=False, allow_abbrev=False)
    add = parser.add_argument
    add("-m", "--model", help="model id or alias: haiku, sonnet, opus (default {model})")
    add("-s", "--system", help="system prompt (default {system})")
    add("--max-tokens", type=int, metavar="N", help="the most tokens to generate (default {max_tokens})")
    add("-o", "--out", metavar="VAR", help="store the result in this variable (it is always in _llm too)")
    add("--background", action="store_true", help="return at once; the reply streams in the background")
    add("--idle-timeout", type=float, metavar="S",
        help="seconds without data before a stream counts as stalled (default {idle_timeout})")
    add("--raw", action="store_true", help="send the prompt as written, without {{name}}/{{In[n]}} substitution")
    add("--parallel", action="store_true", help="one call per prompt; prompts are separated by lines of ---")
    add("--models", metavar="A,B", help="run the prompt on each of these models side by side")
    add("-n", type=int, default=1, metavar="N", help="run each prompt N times")
    add("--concurrency", type=int, metavar="K", help=f"at most K calls in flight (default {DEFAULT_CONCURRENCY})")
    add("--tools", metavar="F,G", help="let the model call these notebook functions (names, comma-separated)")
    add("--web-search", action="store_true", default=None, help="let the model search the web (runs in the API)")
    add("--web-fetch", action="store_true", default=None, help="let the model fetch web pages (runs in the API)")
    add("--code-execution", action="store_true", default=None, help="let the model run code in the API's sandbox")
    add("--max-turns", type=int, metavar="N", help=f"at most N model turns per call (default {DEFAULT_MAX_TURNS})")
    add("--approve", action="store_true",
        help="show each tool call with Approve / Deny buttons before it runs (a denied call is not run)")
    add("--approve-timeout", type=float, metavar="S",
        help="seconds to wait for Approve / Deny before the run stops (default 300)")
    add("--chat", metavar="NAME", help="continue the conversation NAME (each cell adds a turn)")
    add("--cache", nargs="?", const="auto", choices=["auto", "system"],
        help="prompt caching: auto (the API places the breakpoint) or system (the system prompt)")
    add("--count", action="store_true", help="only count the prompt's input tokens and estimate the cost")
    add("--batch", action="store_true", help="send the prompts as a Message Batch (half price; no streaming)")
    add("--thinking", metavar="MODE",
        help="thinking: adaptive, disabled, between_tools, or a budget in tokens (enabled thinking), e.g. 4096")
    add("--thinking-display", choices=THINKING_DISPLAYS, metavar="D",
        help="how thinking comes back: summarized or omitted")
    add("--effort", choices=EFFORTS, metavar="E", help="output_config.effort: " + ", ".join(EFFORTS))
    add("--stop", action="append", dest="stop_sequences", metavar="TEXT",
        help="stop when the model writes TEXT (repeatable)")
    add("--tool-choice", metavar="C", help="auto, any, none, or a tool's name (the model must call it)")
    add("--speed", choices=SPEEDS, metavar="S", help="standard or fast (fast mode, where the model has it)")
    add("--service-tier", choices=SERVICE_TIERS, metavar="T", help="auto or standard_only")
    add("--metadata", action="append", metavar="K=V", help="request metadata, e.g. user_id=u-123 (repeatable)")
    add("--schema", metavar="SPEC",
        help="structured output: fields ('name, age int, tags list[str]'), JSON schema text, or a variable holding "
        "a schema dict or a pydantic model; the parsed reply is in .data")
    add("--param", action="append", dest="params", metavar="K=V",
        help="any other request key, sent as given; the value is read as JSON (temperature=0.2 for llama.cpp)")
    add("--image", action="append", dest="images", metavar="VAR_OR_PATH",
        help="send an image (repeatable): a variable (bytes, a PIL image, a matplotlib figure), a path, or last-figure")
    add("--file", action="append", dest="files", metavar="PATH",
        help="send a PDF or a text file (repeatable; a path, or a variable holding one)")
    add("--to-cell", action="store_true", help="put the reply's code block(s) into a new cell below (not run)")
    add("--fix", action="store_true",
        help="explain the kernel's last error and put the fixed cell below (the cell's text adds instructions)")
    add("--replay", nargs="?", const=True, choices=["instant", "off"],
        help="answer a request the call log holds, finished, from it: no request, $0 (now {replay})")
    add("--budget", type=float, metavar="USD",
        help="the most this cell's calls may cost, in US dollars (besides the session's, now {budget})")
    return parser


PARSER = build_parser()


def parse_options(line: str) -> argparse.Namespace:
    """The options of a ``%%llm`` line, checked. Raises a one-line InputError."""
    # POSIX quoting (IPython's parse_argstring keeps the quotes: --system "Be terse" would send them).
    try:
        argv = shlex.split(line)
    except ValueError as exc:
        raise InputError(f"could not read the options: {exc}") from None
    args = PARSER.parse_args(argv)
    if args.out is not None and not _IDENTIFIER.match(args.out):
        raise InputError(f"--out needs a variable name, got {args.out!r}")
    if args.n < 1:
        raise InputError(f"-n must be a positive whole number, got {args.n}")
    if args.concurrency is not None and args.concurrency < 1:
        raise InputError(f"--concurrency must be a positive whole number, got {args.concurrency}")
    if args.model is not None and "," in args.model:
        raise InputError(f"--model takes one model; to run several side by side use --models {args.model}")
    if (args.chat or args.count) and (args.parallel or args.models or args.n > 1 or args.batch):
        raise InputError(
            "--chat and --count take one streamed prompt: they do not combine with --parallel, --models, -n or --batch"
        )
    if args.approve and (args.parallel or args.models or args.n > 1 or args.batch):
        raise InputError(
            "--approve takes one streamed prompt: it does not combine with --parallel, --models, -n or --batch"
        )
    one_cell = [name for name, on in (("--to-cell", args.to_cell), ("--fix", args.fix), ("--count", args.count)) if on]
    if (args.to_cell or args.fix) and (args.parallel or args.models or args.n > 1 or args.batch or args.count):
        raise InputError(
            f"{' and '.join(one_cell)} take one streamed reply: they do not combine with "
            "--parallel, --models, -n, --batch or --count"
        )
    args.budget = check_budget(args.budget, "--budget")
    if args.budget is not None and args.batch:
        raise InputError("--budget does not combine with --batch: a Message Batch cannot be stopped part-way")
    if args.chat is not None and not args.chat.strip():
        raise InputError("--chat needs a name")
    if args.thinking is not None and args.thinking.isdigit():
        args.thinking = int(args.thinking)  # a budget in tokens
    args.metadata = parse_pairs(args.metadata, "--metadata")
    args.params = parse_pairs(args.params, "--param")
    return args


def lookup_tools(names: str | None, namespace: dict[str, Any]) -> list[Any] | None:
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


def lookup_attachments(values: list[str] | None, namespace: dict[str, Any]) -> list[Any] | None:
    """``--image``/``--file``: a notebook variable by that name (looked up, never evaluated), else the
    text itself (a path, or last-figure)."""
    if values is None:
        return None
    return [NamedValue(v, namespace[v]) if _IDENTIFIER.match(v) and v in namespace else v for v in values]


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


_ABOUT = """\
Stream the model's reply to the cell's text into the cell.

    %%llm [options]
    the prompt, on the lines below

    %llm [options] a one-line prompt

{name} in the prompt is replaced by the notebook variable name, rendered for a model (a DataFrame as a
table of its first 20 rows with its shape, a long value cut with a note, bytes refused); {In[3]} is cell
3's source, {Out[3]} its result, {_} the last result, {Err} the last error and {Err[3]} cell 3's (type,
message, traceback). {{ and }} are literal braces; nothing is evaluated. The result (text, status,
usage, cost, ttft, duration, ...) goes to --out VAR and always to _llm.

--parallel, --models and -n combine into a panel of rows streaming at once (--models a,b -n 3 is six
rows); --out then holds the list of results, in row order. --tools lets the model call notebook
functions; --web-search, --web-fetch and --code-execution let it use the tools the API runs itself
(searches are billed per call, in the cost); --chat NAME continues a conversation; --count sends
nothing but a token count; --batch sends the prompts as a Message Batch at half price (results arrive
when it ends). --to-cell puts the reply's code into a new cell below, not run; --fix (or %llm fix)
explains the last error with its cell and traceback and puts the fixed cell below. --image and --file
send images (PNG, JPEG, GIF, WebP) and files (PDF, text) with the prompt.

--replay answers from the call log when it holds this very request, finished: no request is sent, $0,
at the recorded pace (--replay instant: at once). --budget caps what the cell may cost: a call whose
input does not fit in what is left is not sent, a stream stops (its partial text kept) when the cap is
reached, and a panel starts no new row after it.

Request parameters (--thinking, --effort, --stop, --tool-choice, --speed, --service-tier, --metadata) go
on the wire as the API names them; --param key=value sends any other key as given (temperature for a
llama.cpp server; Claude's API removed it). --schema asks for JSON fitting a schema: the parsed reply is
in .data, and a reply that does not fit ends failed. --approve shows each tool call with Approve / Deny
buttons before it runs.

Defaults come from nbstream.defaults, or %config LLMMagics.model = "sonnet" (and max_tokens, system,
idle_timeout, max_retries, log_path, budget, replay).

Options:
"""


def help_text() -> str:
    """``%%llm?``: plain text, with this session's defaults as they are now."""
    values = {
        "model": defaults.model, "max_tokens": defaults.max_tokens, "idle_timeout": f"{defaults.idle_timeout:g} s",
        "system": "none" if defaults.system is None else repr(defaults.system[:40]),
        "budget": "none" if defaults.budget is None else dollars(defaults.budget),
        "replay": "on" if defaults.replay is True else defaults.replay or "off",
    }
    lines = [_ABOUT]
    for action in PARSER._actions:
        flags = ", ".join(action.option_strings)
        if action.nargs == 0:  # a switch
            pass
        elif action.nargs == "?":
            flags += " [" + "|".join(action.choices or ()) + "]"
        else:
            flags += f" {action.metavar or action.dest.upper()}"
        text = (action.help or "").format(**values)
        lines.append(f"  {flags:<24} {text}")
    return "\n".join(lines) + "\n"
