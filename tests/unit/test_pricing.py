import pytest

from nbstream._events import Usage
from nbstream._pricing import cost, price_table, resolve_model, uncached_cost


def test_aliases_resolve_to_the_current_models():
    assert resolve_model("haiku") == "claude-haiku-5-5"
    assert resolve_model("Sonnet") == "claude-sonnet-5-5"
    assert resolve_model("opus") == "claude-opus-5-5"
    assert resolve_model("claude-some-future-model") == "claude-some-future-model"


def test_the_table_is_dated_and_sourced():
    table = price_table()
    assert table["as_of"] == "2026-11-21"
    assert "pricing" in table["source"]


def test_plain_cost_uses_input_and_output_prices():
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    assert cost("claude-sonnet-5-5", usage) == pytest.approx(2.0 + 10.0)


def test_cache_writes_and_reads_use_their_own_prices():
    usage = Usage(
        input_tokens=0, output_tokens=0, cache_creation_input_tokens=1_000_000,
        cache_creation_1h_tokens=400_000, cache_read_input_tokens=1_000_000,
    )
    # Opus 5.5: 600k at 5-minute writes (1.25 x $4), 400k at 1-hour writes (2 x $4), 1M reads at $0.20
    assert cost("claude-opus-5-5", usage) == pytest.approx(0.6 * 5 + 0.4 * 8 + 0.20)


def test_haiku_long_prompts_move_every_token_to_the_higher_band():
    short = Usage(input_tokens=100_000, output_tokens=1000)
    long = Usage(input_tokens=100_001, output_tokens=1000)
    assert cost("claude-haiku-5-5", short) == pytest.approx(0.1 * 0.10 + 0.001 * 0.50)
    assert cost("claude-haiku-5-5", long) == pytest.approx(0.100001 * 0.50 + 0.001 * 2.50)


def test_batch_and_us_inference_modifiers_stack():
    usage = Usage(input_tokens=1_000_000, output_tokens=0, service_tier="batch", inference_geo="us")
    assert cost("claude-opus-5-5", usage) == pytest.approx(4.0 * 0.5 * 1.1)


def test_an_unknown_model_has_unknown_cost():
    assert cost("claude-experimental-9", Usage(input_tokens=10, output_tokens=10)) is None


def test_uncached_cost_prices_every_prompt_token_as_input():
    usage = Usage(input_tokens=100, output_tokens=0, cache_read_input_tokens=900_000)
    assert uncached_cost("claude-sonnet-5-5", usage) == pytest.approx(900_100 * 2.0 / 1e6)
    assert cost("claude-sonnet-5-5", usage) < uncached_cost("claude-sonnet-5-5", usage)


@pytest.fixture
def user_prices():
    from nbstream._pricing import set_prices

    yield
    set_prices({})


def test_a_price_the_user_gives_prices_a_model_the_table_does_not_know(user_prices):
    from nbstream import set_price

    usage = Usage(input_tokens=1_000_000, output_tokens=2_000_000, cache_read_input_tokens=1_000_000)
    assert cost("gemma-3-270m", usage) is None
    set_price("gemma-3-270m", input=0.5, output=1.0)
    assert cost("gemma-3-270m", usage) == pytest.approx(0.5 + 2.0 + 0.5)  # cache reads at the input price
    set_price("haiku", input=1, output=1, cache_read=0)  # an alias; the user's price wins over the table
    assert cost("claude-haiku-5-5", usage) == pytest.approx(1 + 2)


def test_config_prices_replace_the_users_prices_and_defaults_shows_both(user_prices):
    from nbstream import defaults, set_price

    defaults.prices = {"my-model": {"input": 2, "output": 4}}
    set_price("other", input=0, output=0)
    assert set(defaults.prices) == {"my-model", "other"}
    assert cost("my-model", Usage(input_tokens=1_000_000)) == pytest.approx(2.0)


@pytest.mark.parametrize(
    ("prices", "message"),
    [
        ({"m": {"input": 1}}, "prices['m'] must have 'input' and 'output'"),
        ({"m": {"input": -1, "output": 1}}, "prices['m']['input'] must be 0 or more dollars, got -1"),
        ({"m": {"input": 1, "output": 1, "cache_write": 2}}, "prices['m'] must have 'input' and 'output'"),
        ({"m": {"input": "free", "output": 1}}, "must be 0 or more dollars, got 'free'"),
        ([1], "prices must be a dict"),
    ],
)
def test_a_bad_price_is_one_line_and_keeps_the_old_prices(user_prices, prices, message):
    from nbstream import InputError, defaults

    defaults.prices = {"kept": {"input": 1, "output": 1}}
    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("]", r"\]")):
        defaults.prices = prices
    assert set(defaults.prices) == {"kept"}


def test_a_local_server_makes_an_unpriced_model_free_but_a_known_or_priced_one_keeps_its_price(user_prices):
    from nbstream import set_price

    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000)
    assert cost("gemma-3-270m", usage, local=True) == 0.0
    assert cost("claude-sonnet-5-5", usage, local=True) == pytest.approx(12.0)
    set_price("gemma-3-270m", input=0.1, output=0.1)
    assert cost("gemma-3-270m", usage, local=True) == pytest.approx(0.2)
