"""Pure parts: directive parsing, reply text and tokenisation, usage and estimates (no I/O)."""

from __future__ import annotations

import pytest

from nbstream.simulator import Directive, DirectiveError, parse_directive_text, parse_directives
from nbstream.simulator._directives import ERROR_TYPES, FAULTS, STATUS_CODES
from nbstream.simulator._messages import EVENT_ERROR_MESSAGES, STATUS_ERRORS
from nbstream.simulator._reply import Usage, estimate_input_tokens, plan_reply
from nbstream.simulator._text import compose, natural_length, seed_for, tokenize

# -- directives ----------------------------------------------------------------------------------------------


def test_parse_a_directive() -> None:
    d = parse_directive_text("Hello [[sim: ttft=0.5 rate=200 tokens=40 fault=error_event after=12]] there")
    assert (d.ttft, d.rate, d.tokens, d.fault, d.after) == (0.5, 200.0, 40, "error_event", 12)
    assert d.error == "overloaded_error"  # default for error_event
    assert d.as_dict() == {"ttft": 0.5, "rate": 200.0, "tokens": 40, "fault": "error_event", "after": 12}


def test_no_directive_is_the_empty_directive() -> None:
    assert parse_directive_text("just a prompt with [[brackets]] and [sim: x=1]") == Directive()


def test_several_directives_later_keys_win_and_spacing_is_free() -> None:
    d = parse_directive_text("[[sim: tokens=5 seed=1]] text [[ sim :tokens=9\n status=429 ]]")
    assert d.tokens == 9 and d.seed == 1 and d.status == 429
    assert list(d.as_dict()) == ["seed", "tokens", "status"]


def test_directives_come_from_system_and_user_text_only() -> None:
    body = {
        "system": [{"type": "text", "text": "[[sim: tokens=3 rate=10]]"}],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "[[sim: rate=20]]"}, {"type": "image"}]},
            {"role": "assistant", "content": "[[sim: tokens=99]]"},  # the model's words are not directives
            {"role": "user", "content": "go [[sim: seed=4]]"},
        ],
    }
    assert parse_directives(body).as_dict() == {"tokens": 3, "rate": 20.0, "seed": 4}


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[[sim: speed=3]]", "speed"),
        ("[[sim: rate=0]]", "rate"),
        ("[[sim: rate=inf]]", "rate"),
        ("[[sim: ttft=-1]]", "ttft"),
        ("[[sim: tokens=2.5]]", "tokens"),
        ("[[sim: status=200]]", "status"),
        ("[[sim: should_retry=maybe]]", "should_retry"),
        ("[[sim: chunk=0]]", "chunk"),
        ("[[sim: fault=]]", "fault="),
        ("[[sim: times]]", "times"),
    ],
)
def test_bad_directives_name_the_key(text: str, key: str) -> None:
    with pytest.raises(DirectiveError, match=key):
        parse_directive_text(text)


def test_times_limits_the_attempts() -> None:
    assert parse_directive_text("[[sim: status=529 times=2]]").applies(2)
    assert not parse_directive_text("[[sim: status=529 times=2]]").applies(3)
    assert parse_directive_text("[[sim: status=529]]").applies(100)


def test_every_allowed_status_and_error_type_has_a_message() -> None:
    assert STATUS_CODES <= set(STATUS_ERRORS)
    assert set(EVENT_ERROR_MESSAGES) == ERROR_TYPES
    assert STATUS_ERRORS[413][0] == "request_too_large" and STATUS_ERRORS[529][0] == "overloaded_error"
    assert {"close_before_response", "delay_headers", "drop", "stall", "eof"} <= FAULTS


# -- text ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, 7, 10, 37, 150, 299, 1000, 5000])
def test_compose_gives_exactly_n_small_tokens(n: int) -> None:
    for seed in range(5):
        tokens = compose(seed, n)
        assert len(tokens) == n
        assert all(0 < len(t) <= 4 for t in tokens)
        assert tokenize("".join(tokens)) == tokens  # re-tokenising the text gives the same pieces


def test_compose_is_deterministic() -> None:
    assert compose(42, 200) == compose(42, 200)
    assert compose(42, 200) != compose(43, 200)


def test_natural_length_is_150_to_300_and_stable() -> None:
    lengths = {natural_length(seed_for(f"prompt {i}")) for i in range(200)}
    assert min(lengths) >= 150 and max(lengths) <= 300 and len(lengths) > 50
    assert seed_for("same") == seed_for("same")


def test_tokenize_keeps_whitespace_with_the_following_word() -> None:
    assert tokenize("Hello streaming\n\n## World") == [
        "Hell",
        "o",
        " str",
        "eami",
        "ng",
        "\n\n##",
        " Wor",
        "ld",
    ]


# -- estimates, usage, plan ----------------------------------------------------------------------------------


def test_input_estimate() -> None:
    assert estimate_input_tokens({"messages": [{"role": "user", "content": ""}]}) == 1
    body = {
        "system": "abcd",
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "abcdabcd"}]},
            {"role": "assistant", "content": "abcd"},
        ],
    }
    assert estimate_input_tokens(body) == 4


def test_usage_shapes() -> None:
    usage = Usage(input_tokens=25, output_tokens=12)
    assert usage.full() == {
        "input_tokens": 25,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
        "output_tokens": 12,
        "service_tier": "standard",
    }
    assert usage.delta(7) == {
        "input_tokens": 25,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": 0,
        "output_tokens": 7,
    }


def test_plan_reply_caps_at_max_tokens() -> None:
    body = {"model": "claude-x", "max_tokens": 20, "messages": [{"role": "user", "content": "hi"}]}
    reply = plan_reply(body, Directive(tokens=50))
    assert reply.stop_reason == "max_tokens" and reply.usage.output_tokens == 20
    message = reply.message(final=True)
    assert message["content"][0]["type"] == "text" and message["stop_reason"] == "max_tokens"
    start = reply.message(final=False)
    assert start["content"] == [] and start["stop_reason"] is None and start["usage"]["output_tokens"] == 1
