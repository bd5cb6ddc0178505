"""Model aliases and cost in US dollars, from the dated price table in ``prices.json``.

Prices are data: to update them, edit ``prices.json`` (its ``as_of`` and ``source`` say where they came
from). A model the table does not know is still sent as given; its cost is None ("unknown"), unless the
user gave it a price (``nbstream.set_price``, ``%config LLMMagics.prices``) or a server on this machine
answered it (cost 0, shown as "local").
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from ._errors import InputError
from ._events import Usage

# Prices the user gave, per model id, in the table's shape (USD per million tokens); they win over the table.
_user_prices: dict[str, dict[str, float]] = {}


@cache
def price_table() -> dict[str, Any]:
    table: dict[str, Any] = json.loads(resources.files("nbstream").joinpath("prices.json").read_text(encoding="utf-8"))
    return table


def resolve_model(name: str) -> str:
    """Expand a short alias (``haiku``, ``sonnet``, ``opus``) to the current model id."""
    return str(price_table()["aliases"].get(name.strip().lower(), name.strip()))


def known_model(model: str) -> bool:
    return model in price_table()["models"] or model in _user_prices


def check_prices(value: object) -> dict[str, dict[str, float]]:
    """``{model: {"input": $, "output": $[, "cache_read": $]}}`` in USD per million tokens, validated."""
    if not isinstance(value, dict):
        raise InputError(f"prices must be a dict of model -> {{'input': $, 'output': $}}, got {value!r}")
    checked = {}
    for model, price in value.items():
        if not isinstance(model, str) or not model.strip():
            raise InputError(f"prices: a model must be a name, got {model!r}")
        if not isinstance(price, dict) or not {"input", "output"} <= set(price) or set(price) - set(_PRICE_KEYS):
            raise InputError(f"prices[{model!r}] must have 'input' and 'output' (and optionally 'cache_read'), "
                             f"in USD per million tokens, got {price!r}")
        for key, amount in price.items():
            if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not amount >= 0:
                raise InputError(f"prices[{model!r}][{key!r}] must be 0 or more dollars, got {amount!r}")
        # Without a cache-read price, cached prompt tokens cost what input tokens cost.
        checked[resolve_model(model)] = {"cache_read": price["input"], **{k: float(v) for k, v in price.items()}}
    return checked


_PRICE_KEYS = ("input", "output", "cache_read")


def set_prices(prices: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
    """Replace the user's prices (what ``%config LLMMagics.prices = {...}`` does); returns the live table
    (``set_price`` updates the same dict, so ``nbstream.defaults.prices`` always shows both)."""
    checked = check_prices(prices)
    _user_prices.clear()
    _user_prices.update(checked)
    return _user_prices


def set_price(model: str, *, input: float, output: float, cache_read: float | None = None) -> None:  # noqa: A002
    """Price a model the table does not know (or override it), in USD per million tokens.

    ``nbstream.set_price("gemma-3-270m", input=0, output=0)``; ``cache_read`` defaults to ``input``.
    """
    price = {"input": input, "output": output} | ({} if cache_read is None else {"cache_read": cache_read})
    _user_prices.update(check_prices({model: price}))


def cost(model: str, usage: Usage, *, batch: bool = False, local: bool = False, fast: bool = False) -> float | None:
    """The cost of one response, or None for a model neither the user nor the table prices.

    ``local``: the response came from a server on this machine; an unpriced model then costs 0.

    Follows the published formula: cache writes at 1.25x (5 min) or 2x (1 h) the input price, cache
    reads at the model's own read price, the batch discount and the US-only inference multiplier on
    top. A Haiku 5.5 prompt above 100,000 tokens moves every token of that request to the higher band.
    ``fast``: the request asked for fast mode (``speed="fast"``), priced as the table's ``fast`` entry.
    """
    table = price_table()
    prices: dict[str, Any] | None = _user_prices.get(model) or table["models"].get(model)
    if prices is None:
        return 0.0 if local else None
    mod = table["modifiers"]
    prompt_tokens = usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens
    if fast and "fast" in prices:  # speed="fast" (fast mode): the model's fast-mode prices; modifiers stack on them
        prices = {**prices, **prices["fast"]}
    band = prices.get("long_prompt")
    if band and prompt_tokens > band["above_tokens"]:
        prices = band
    write_1h = usage.cache_creation_1h_tokens
    write_5m = usage.cache_creation_input_tokens - write_1h
    dollars = (
        usage.input_tokens * prices["input"]
        + write_5m * prices["input"] * mod["cache_write_5m"]
        + write_1h * prices["input"] * mod["cache_write_1h"]
        + usage.cache_read_input_tokens * prices["cache_read"]
        + usage.output_tokens * prices["output"]
    ) / 1_000_000
    if batch or usage.service_tier == "batch":
        dollars *= mod["batch"]
    if usage.inference_geo == "us":
        dollars *= mod["inference_geo_us"]
    return float(dollars) + server_tool_fees(usage)


def server_tool_fees(usage: Usage) -> float:
    """The per-call fees of server tools (``usage.server_tool_use``), from the table's dated fees."""
    fees = price_table()["server_tool_fees"]
    searches, fetches = usage.web_search_requests, usage.web_fetch_requests
    return float(searches * fees["web_search_request"] + fetches * fees["web_fetch_request"])


def uncached_cost(model: str, usage: Usage, *, batch: bool = False, local: bool = False) -> float | None:
    """What the same request would have cost with no prompt caching (all prompt tokens at input price)."""
    prompt_tokens = usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens
    plain = Usage(
        input_tokens=prompt_tokens,
        output_tokens=usage.output_tokens,
        service_tier=usage.service_tier,
        inference_geo=usage.inference_geo,
        web_search_requests=usage.web_search_requests,
        web_fetch_requests=usage.web_fetch_requests,
    )
    return cost(model, plain, batch=batch, local=local)
