"""Every %%llm option is documented: in the README's option table and in %%llm?."""

from __future__ import annotations

import pathlib
import re

from nbstream._cell_args import PARSER, help_text

README = (pathlib.Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_option_is_in_the_readme_table_and_the_help():
    table = "\n".join(line for line in README.splitlines() if line.startswith("| `"))
    shown = help_text()
    for action in PARSER._actions:
        option = max(action.option_strings, key=len)
        assert re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", table), option
        assert option in shown, option
