import pytest

from nbstream._errors import InputError
from nbstream._templating import fill, placeholders


def test_names_are_filled_from_the_namespace():
    assert fill("Explain {topic} to {who}.", {"topic": "TCP", "who": "a child"}) == "Explain TCP to a child."


def test_values_are_converted_with_str():
    assert fill("n={n}", {"n": 3}) == "n=3"


def test_double_braces_are_literal():
    assert fill("{{topic}} and {{ }}", {}) == "{topic} and { }"


def test_a_missing_name_is_a_clear_error():
    with pytest.raises(InputError, match=r"\{topic\}.*no variable named 'topic'"):
        fill("about {topic}", {})


@pytest.mark.parametrize("template", ["{x.__class__}", "{x[0]}", "{x!r}", "{1+1}", "{__import__('os')}", "{}"])
def test_nothing_but_plain_names_is_accepted(template):
    with pytest.raises(InputError, match="not a variable name"):
        fill(template, {"x": "value"})


def test_an_unmatched_brace_says_how_to_write_a_literal_one():
    with pytest.raises(InputError, match="unmatched"):
        fill("a { b", {})


def test_a_value_is_not_itself_filled():
    assert fill("{a}", {"a": "{b}", "b": "no"}) == "{b}"


def test_placeholders_lists_names_once_in_order():
    assert placeholders("{b} {a} {b} {{c}}") == ["b", "a"]


def context(kind, n, *, what):
    return f"<{kind} {n} for the {what}>"


@pytest.mark.parametrize(
    ("template", "expected"),
    [("{In[3]}", "<In 3 for the prompt>"), ("{Out[12]}", "<Out 12 for the prompt>"),
     ("{Err}", "<Err None for the prompt>"), ("{ Err[4] }", "<Err 4 for the prompt>")],
)
def test_notebook_references_go_to_the_context(template, expected):
    assert fill(template, {}, context=context) == expected


def test_a_reference_without_a_kernel_is_a_clear_error():
    with pytest.raises(InputError, match=r"\{In\[3\]\}, which needs an IPython kernel"):
        fill("{In[3]}", {"In": ["", "x"]})


@pytest.mark.parametrize("template", ["{In[-1]}", "{Out['a']}", "{Err[1][2]}", "{In[1:2]}", "{x[0]}"])
def test_other_indexes_are_not_references(template):
    with pytest.raises(InputError, match="not a variable name"):
        fill(template, {"x": "v"}, context=context)


def test_values_are_rendered_for_a_model():
    with pytest.raises(InputError, match=r"\{data\} is binary data"):
        fill("{data}", {"data": b"\x00\x01"})
    assert "truncated" in fill("{long}", {"long": "x" * 100_000})


def test_the_last_result_is_a_plain_name():
    assert fill("{_}", {"_": 42}) == "42"
