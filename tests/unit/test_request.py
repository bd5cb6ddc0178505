import pytest

from nbstream import InputError
from nbstream._config import defaults
from nbstream._request import make_request


@pytest.fixture(autouse=True)
def fresh_defaults():
    defaults.reset()
    yield
    defaults.reset()


def test_defaults_fill_what_is_not_given():
    request = make_request("hi")
    assert request.model == "claude-haiku-5-5"
    assert request.max_tokens == 1024
    assert request.params() == {
        "model": "claude-haiku-5-5", "max_tokens": 1024, "messages": [{"role": "user", "content": "hi"}],
    }


def test_aliases_and_system_prompt():
    request = make_request("hi", model="sonnet", system="Be terse.")
    assert request.params()["model"] == "claude-sonnet-5-5"
    assert request.params()["system"] == "Be terse."


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_tokens": 0}, "max_tokens must be a positive whole number, got 0"),
        ({"max_tokens": -5}, "got -5"),
        ({"max_tokens": 1.5}, "got 1.5"),
        ({"max_tokens": True}, "got True"),
        ({"model": ""}, "model must be a model name"),
        ({"model": "claude haiku"}, "model must be a model name"),
        ({"model": 3}, "got 3"),
        ({"system": 42}, "system must be text"),
        ({"idle_timeout": 0}, "idle_timeout must be a positive number of seconds"),
        ({"idle_timeout": float("nan")}, "idle_timeout"),
        ({"max_retries": -1}, "max_retries must be a whole number"),
    ],
)
def test_bad_values_are_one_line_errors_naming_the_value(kwargs, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(")) as info:
        make_request("hi", **kwargs)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("prompt", ["", "   \n ", None, 42])
def test_an_empty_or_non_text_prompt_is_refused(prompt):
    with pytest.raises(InputError):
        make_request(prompt)


def test_defaults_validate_assignments_and_keep_the_old_value():
    with pytest.raises(InputError, match="max_tokens"):
        defaults.max_tokens = 0
    assert defaults.max_tokens == 1024
    with pytest.raises(AttributeError, match="no setting named 'colour'"):
        defaults.colour = "red"
