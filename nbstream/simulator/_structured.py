"""Structured output: a reply that is JSON fitting the request's ``output_config.format`` schema.

The real API constrains decoding to the schema; the simulator builds one instance of it, drawn from the
prompt (its capitalised names for strings, its numbers for numbers, in order) and the seed, so the same
request gives the same data. ``off_schema=1`` (a directive)
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


# Capitalised words that start a request rather than name something.
_NOT_NAMES = frozenset({"The", "A", "An", "What", "Which", "Who", "How", "Extract", "Explain", "Name", "List", "Give",
                        "Tell", "Find", "Classify", "Summarise", "Summarize", "Describe", "Is", "Are", "In", "Of"})


class _Source:
    """What the instance is drawn from: the prompt's names and numbers in order, then the seed."""

    def __init__(self, prompt: str, seed: int) -> None:
        runs = re.findall(r"[A-Z][A-Za-z'-]+(?:\s+[A-Z][A-Za-z'-]+)*", prompt)
        names = [" ".join(w for w in run.split() if w not in _NOT_NAMES) for run in runs]
        self.names = [n for n in names if n] or re.findall(r"[a-z]{4,}", prompt)[:5] or ["example"]
        self.numbers = [int(n) for n in re.findall(r"\b\d{1,9}\b", prompt)]
        self.rng = random.Random(seed)
        self._name = self._number = 0

    def name(self) -> str:
        self._name += 1
        return self.names[(self._name - 1) % len(self.names)]

    def number(self) -> int:
        self._number += 1
        if self._number <= len(self.numbers):
            return self.numbers[self._number - 1]
        return self.rng.randint(1, 99)


def structured_text(schema: dict[str, Any], prompt: str, seed: int, *, off_schema: bool = False) -> str:
    value = _instance(schema, schema, _Source(prompt, seed), depth=0)
    if off_schema and isinstance(value, dict):
        required = schema.get("required") or list(value)
        if required:
            value.pop(required[0], None)
    return json.dumps(value, ensure_ascii=False)


def _instance(schema: Any, root: dict[str, Any], src: _Source, depth: int) -> Any:
    if not isinstance(schema, Mapping) or depth > 8:
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        node: Any = root
        for part in ref[2:].split("/"):
            node = node.get(part, {}) if isinstance(node, Mapping) else {}
        return _instance(node, root, src, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return src.rng.choice(list(schema["enum"]))
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return _instance(schema[key][0], root, src, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties = schema.get("properties") or {}
        return {name: _instance(sub, root, src, depth + 1) for name, sub in properties.items()}
    if kind == "array":
        count = max(2, int(schema.get("minItems") or 0))
        return [_instance(schema.get("items") or {}, root, src, depth + 1) for _ in range(count)]
    if kind == "string":
        return _FORMATS.get(str(schema.get("format")), src.name())
    if kind == "integer":
        return src.number()
    if kind == "number":
        return round(src.number() + src.rng.random(), 2)
    if kind == "boolean":
        return src.rng.random() < 0.5
    return None
