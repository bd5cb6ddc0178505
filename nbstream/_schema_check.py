"""A small JSON Schema validator: the keywords structured output uses, and the common constraints.

Checked: ``type`` (one or a list), ``properties``, ``required``, ``additionalProperties`` (false or a
schema), ``items``, ``minItems``/``maxItems``, ``enum``, ``const``, ``anyOf``/``oneOf``/``allOf``, local
``$ref`` (``#/$defs/...``, ``#/definitions/...``), ``minimum``/``maximum`` (and exclusive), ``minLength``/
``maxLength``, ``pattern``. Other keywords (``format``, ``title``, ``description`` ...) are not checked,
as a validator ignores what it does not know. A leaf module, pure: an instance and a schema in, the first
problem as one line out (or None).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_TYPES: dict[str, Any] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_ARTICLE = {"object": "an object", "array": "a list", "integer": "an integer", "null": "null"}


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _at(path: str) -> str:
    return path or "the reply"


def problem(instance: Any, schema: Any, root: Any = None, path: str = "") -> str | None:
    """The first way ``instance`` breaks ``schema``, as "age: expected an integer, got 'forty'"; else None."""
    root = schema if root is None else root
    if schema is False:
        return f"{_at(path)}: not allowed"
    if not isinstance(schema, Mapping):  # True, or not a schema at all: nothing to check
        return None
    ref = schema.get("$ref")
    if isinstance(ref, str):
        target = _resolve(ref, root)
        if target is None:
            return f"{_at(path)}: the schema's $ref {ref!r} cannot be resolved"
        found = problem(instance, target, root, path)
        if found is not None:
            return found
    kinds = schema.get("type")
    if kinds is not None:
        names = [kinds] if isinstance(kinds, str) else list(kinds)
        if not any(_TYPES.get(name, lambda _v: True)(instance) for name in names):
            wanted = " or ".join(_ARTICLE.get(n, f"a {n}") for n in names)
            return f"{_at(path)}: expected {wanted}, got {_shown(instance)}"
    if "enum" in schema and instance not in schema["enum"]:
        return f"{_at(path)}: {_shown(instance)} is not one of {', '.join(map(repr, schema['enum']))}"
    if "const" in schema and instance != schema["const"]:
        return f"{_at(path)}: expected {schema['const']!r}, got {_shown(instance)}"
    for key in ("anyOf", "oneOf"):
        if key in schema and all(problem(instance, s, root, path) is not None for s in schema[key]):
            return f"{_at(path)}: {_shown(instance)} matches none of the allowed shapes"
    for sub in schema.get("allOf", ()):
        found = problem(instance, sub, root, path)
        if found is not None:
            return found
    if isinstance(instance, dict):
        return _object_problem(instance, schema, root, path)
    if isinstance(instance, list):
        return _array_problem(instance, schema, root, path)
    if isinstance(instance, str):
        return _string_problem(instance, schema, path)
    if isinstance(instance, (int, float)) and not isinstance(instance, bool):
        return _number_problem(instance, schema, path)
    return None


def _resolve(ref: str, root: Any) -> Any:
    if not ref.startswith("#/"):
        return None
    node = root
    for part in ref[2:].split("/"):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _object_problem(instance: dict[str, Any], schema: Mapping[str, Any], root: Any, path: str) -> str | None:
    properties = schema.get("properties") or {}
    for name in schema.get("required", ()):
        if name not in instance:
            return f"{path + '.' if path else ''}{name}: missing (required)"
    extra = schema.get("additionalProperties", True)
    for name, value in instance.items():
        where = f"{path}.{name}" if path else name
        if name in properties:
            found = problem(value, properties[name], root, where)
        elif extra is False:
            found = f"{where}: not in the schema (no other fields allowed)"
        else:
            found = problem(value, extra, root, where)
        if found is not None:
            return found
    return None


def _array_problem(instance: list[Any], schema: Mapping[str, Any], root: Any, path: str) -> str | None:
    if "minItems" in schema and len(instance) < schema["minItems"]:
        return f"{_at(path)}: {len(instance)} items, at least {schema['minItems']} expected"
    if "maxItems" in schema and len(instance) > schema["maxItems"]:
        return f"{_at(path)}: {len(instance)} items, at most {schema['maxItems']} expected"
    items = schema.get("items")
    if items is not None:
        for i, item in enumerate(instance):
            found = problem(item, items, root, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def _string_problem(instance: str, schema: Mapping[str, Any], path: str) -> str | None:
    if "minLength" in schema and len(instance) < schema["minLength"]:
        return f"{_at(path)}: shorter than {schema['minLength']} characters"
    if "maxLength" in schema and len(instance) > schema["maxLength"]:
        return f"{_at(path)}: longer than {schema['maxLength']} characters"
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and re.search(pattern, instance) is None:
        return f"{_at(path)}: {_shown(instance)} does not match {pattern!r}"
    return None


def _number_problem(instance: float, schema: Mapping[str, Any], path: str) -> str | None:
    for key, words in (("minimum", "less than"), ("maximum", "more than"),
                       ("exclusiveMinimum", "not more than"), ("exclusiveMaximum", "not less than")):
        bound = schema.get(key)
        if not isinstance(bound, (int, float)) or isinstance(bound, bool):
            continue
        broken = {"minimum": instance < bound, "maximum": instance > bound,
                  "exclusiveMinimum": instance <= bound, "exclusiveMaximum": instance >= bound}[key]
        if broken:
            return f"{_at(path)}: {instance!r} is {words} {bound!r}"
    return None
