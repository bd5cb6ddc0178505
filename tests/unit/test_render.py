"""Values rendered for a model: a bounded table for a DataFrame, a note when cut, bytes refused."""

import pandas as pd
import pytest

from nbstream._errors import InputError
from nbstream._render import MAX_CHARS, TABLE_ROWS, for_model


def test_text_and_numbers_are_their_str():
    assert for_model("TCP", what="{x}") == "TCP"
    assert for_model(3.5, what="{x}") == "3.5"


def test_a_long_value_is_cut_with_a_note_saying_how_much():
    text = for_model("a" * (MAX_CHARS + 500), what="{doc}")
    assert text.startswith("a" * MAX_CHARS)
    assert text.endswith(f"[{{doc}} truncated: the first {MAX_CHARS:,} of {MAX_CHARS + 500:,} characters are shown]")


@pytest.mark.parametrize("value", [b"\x89PNG", bytearray(b"abc"), memoryview(b"abcd")])
def test_bytes_are_refused_in_one_line(value):
    with pytest.raises(InputError, match=r"\{blob\} is binary data \(\d+ bytes\).*--image or --file") as info:
        for_model(value, what="{blob}")
    assert "\n" not in str(info.value)


def test_a_dataframe_is_a_bounded_markdown_table_with_its_shape():
    frame = pd.DataFrame({"city": [f"c{i}" for i in range(100)], "pipe|name": ["a|b\nc"] * 100})
    text = for_model(frame, what="{df}")
    lines = text.splitlines()
    assert lines[0] == "DataFrame with 100 rows × 2 columns"
    assert lines[2] == "|  | city | pipe\\|name |"
    assert lines[4] == "| 0 | c0 | a\\|b c |"  # pipes escaped, newlines folded: one row per line
    assert len([line for line in lines if line.startswith("| ")]) == TABLE_ROWS + 1  # header + 20 rows
    assert lines[-1] == f"(the first {TABLE_ROWS} of 100 rows are shown)"


def test_a_wide_dataframe_shows_its_first_columns_and_says_so():
    frame = pd.DataFrame([[i for i in range(30)]], columns=[f"k{i}" for i in range(30)])
    text = for_model(frame, what="{df}")
    assert "| k19 |" in text and "k20" not in text
    assert text.endswith("(the first 20 of 30 columns are shown)")
