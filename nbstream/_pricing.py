"""Model aliases and cost in US dollars, from the dated price table in ``prices.json``.

Prices are data: to update them, edit ``prices.json`` (its ``as_of`` and ``source`` say where they came
from). A model the table does not know is still sent as given; its cost is None ("unknown").
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from ._events import Usage


@cache
def price_table() -> dict[str, Any]:
    table: dict[str, Any] = json.loads(resources.files("nbstream").joinpath("prices.json").read_text(encoding="utf-8"))
    return table


def resolve_model(name: str) -> str:
    """Expand a short alias (``haiku``, ``sonnet``, ``opus``) to the current model id."""
    return str(price_table()["aliases"].get(name.strip().lower(), name.strip()))


def known_model(model: str) -> bool:
    return model in price_table()["models"]


def cost(model: str, usage: Usage, *, batch: bool = False) -> float | None:
    """The cost of one response, or None for a model the table does not know.

    Follows the published formula: cache writes at 1.25x (5 min) or 2x (1 h) the input price, cache
    reads at the model's own read price, the batch discount and the US-only inference multiplier on
    top. A Haiku 5.5 prompt above 100,000 tokens moves every token of that request to the higher band.
    """
    table = price_table()
    prices = table["models"].get(model)
    if prices is None:
        return None
    mod = table["modifiers"]
    prompt_tokens = usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens
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
    return float(dollars)


def uncached_cost(model: str, usage: Usage, *, batch: bool = False) -> float | None:
    """What the same request would have cost with no prompt caching (all prompt tokens at input price)."""
    prompt_tokens = usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens
    plain = Usage(
        input_tokens=prompt_tokens,
        output_tokens=usage.output_tokens,
        service_tier=usage.service_tier,
        inference_geo=usage.inference_geo,
    )
    return cost(model, plain, batch=batch)
