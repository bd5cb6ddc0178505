"""Structured output: a reply that is JSON fitting the request's ``output_config.format`` schema.

The real API constrains decoding to the schema; the simulator builds one instance of it, drawn from the
prompt's words and the seed, so the same request gives the same data. ``off_schema=1`` (a directive)
breaks it on purpose (the first required field goes missing), to test what a client does with a reply
that does not fit.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from typing import Any

_FORMATS = {
    "date": "2026-12-01", "date-time": "2026-12-01T09:30:00Z", "time": "09:30:00", "email": "ada@example.com",
    "uri": "https://example.com/", "uuid": "5f0c6f3e-8a2b-4c1d-9e7f-2b3c4d5e6f70", "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1", "hostname": "example.com", "duration": "PT1H",
}


def output_schema(body: Mapping[str, Any]) -> dict[str, Any] | None:
    config = body.get("output_config")
    fmt = config.get("format") if isinstance(config, Mapping) else None
    schema = fmt.get("schema") if isinstance(fmt, Mapping) else None
    return schema if isinstance(schema, dict) else None


def structured_text(schema: dict[str, Any], prompt: str, seed: int, *, off_schema: bool = False) -> str:
    words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]{2,}", prompt)] or ["example"]
    value = _instance(schema, schema, random.Random(seed), words, depth=0)
    if off_schema and isinstance(value, dict):
        required = schema.get("required") or list(value)
        if required:
            value.pop(required[0], None)
    return json.dumps(value, ensure_ascii=False)


def _instance(schema: Any, root: dict[str, Any], rng: random.Random, words: list[str], depth: int) -> Any:
    if not isinstance(schema, Mapping) or depth > 8:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        node: Any = root
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if isinstance(node, Mapping) else {}
        return _instance(node, root, rng, words, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return rng.choice(list(schema["enum"]))
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return _instance(schema[key][0], root, rng, words, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties") or {}
        return {name: _instance(sub, root, rng, words, depth + 1) for name, sub in properties.items()}
    if kind == "array":
        count = max(2, int(schema.get("minItems") or 0))
        return [_instance(schema.get("items") or {}, root, rng, words, depth + 1) for _ in range(count)]
    if kind == "string":
        return _FORMATS.get(str(schema.get("format")), " ".join(rng.choice(words) for _ in range(rng.randint(1, 3))))
    if kind == "integer":
        return rng.randint(1, 99)
    if kind == "number":
        return round(rng.uniform(1, 100), 2)
    if kind == "boolean":
        return rng.random() < 0.5
    return None
