"""Structured output: a schema for the reply, sent as ``output_config.format``, and the reply checked against it.

A schema is given as a JSON schema (a dict, or its JSON text), a pydantic model class (only if the user
has pydantic models: nbstream does not need pydantic itself), or the short syntax ``llm`` uses::

    "name, age int, tags list[str], bio: a short biography"

(fields separated by commas or new lines; a type after the name: str (the default), int, float, bool,
list[T]; a description after a colon). Every field of the short syntax is required.

What is sent is the schema as the SDK shapes one for the API (``anthropic.transform_schema``: every
object closed with ``additionalProperties: false``, constraints the API does not enforce moved into the
descriptions). The reply is then checked against the schema as given, constraints included: by pydantic
for a model (``result.data`` is an instance), else by ``_schema_check`` (``result.data`` is the parsed JSON).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import anthropic

from . import _schema_check
from ._errors import InputError

_SHORT_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean"}
_FIELD = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)(?:\s+([A-Za-z_\[\]]+))?\s*(?::\s*(.*))?\Z", re.S)


@dataclass(frozen=True, eq=False)
class Schema:
    """A checked schema: what is sent, and how a reply is read."""

    wire: dict[str, Any]  # output_config.format.schema
    original: dict[str, Any]  # the schema as given, which the reply is checked against
    model: Any = None  # a pydantic model class, when one was given

    @property
    def fields(self) -> list[str]:
        return list((self.original.get("properties") or {}).keys())

    def summary(self) -> str:
        name = getattr(self.model, "__name__", None)
        shown = ", ".join(self.fields[:6]) + (", ..." if len(self.fields) > 6 else "")
        return f"schema {name}" if name else f"schema {shown}" if shown else "schema"

    def read(self, text: str, stop_reason: str | None) -> tuple[Any, str | None]:
        """The reply as data, or None and the one-line reason it does not fit the schema."""
        try:
            value = json.loads(text)
        except ValueError as exc:
            why = " (the reply stopped at max_tokens: raise max_tokens)" if stop_reason == "max_tokens" else ""
            return None, f"The reply is not valid JSON{why}: {exc}."
        if self.model is not None:
            try:
                return self.model.model_validate(value), None
            except Exception as exc:  # noqa: BLE001 - pydantic's ValidationError, without importing pydantic
                return None, f"The reply does not match {self.model.__name__}: {_pydantic_line(exc)}."
        found = _schema_check.problem(value, self.original)
        if found is not None:
            return None, f"The reply does not match the schema: {found}."
        return value, None


def _pydantic_line(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "the reply"
        return f"{where}: {first.get('msg', '')}"
    return " ".join(str(exc).split())


def _is_pydantic_model(value: object) -> bool:
    return isinstance(value, type) and callable(getattr(value, "model_json_schema", None)) and callable(
        getattr(value, "model_validate", None)
    )


def parse_short(text: str) -> dict[str, Any]:
    """``"name, age int, tags list[str]"`` -> a JSON schema of an object with those required fields."""
    properties: dict[str, Any] = {}
    separator = "\n" if "\n" in text.strip() else ","
    for item in (part for part in text.split(separator) if part.strip()):
        match = _FIELD.match(item)
        if match is None:
            raise InputError(f"schema field {item.strip()!r}: write it as 'name', 'name int' or 'name: description'")
        name, kind, description = match.groups()
        if name in properties:
            raise InputError(f"schema field {name!r} is given twice")
        prop = _short_type(kind or "str", name)
        if description:
            prop["description"] = description.strip()
        properties[name] = prop
    if not properties:
        raise InputError("the schema is empty: give fields such as 'name, age int'")
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def _short_type(kind: str, name: str) -> dict[str, Any]:
    if kind in _SHORT_TYPES:
        return {"type": _SHORT_TYPES[kind]}
    inner = re.fullmatch(r"list\[(\w+)\]", kind)
    if inner and inner.group(1) in _SHORT_TYPES:
        return {"type": "array", "items": {"type": _SHORT_TYPES[inner.group(1)]}}
    raise InputError(f"schema field {name!r} has type {kind!r}: use str, int, float, bool or list[str] (list of one)")


def make_schema(value: object) -> Schema | None:
    """A JSON schema (dict or JSON text), a pydantic model class or the short syntax; None for no schema."""
    if value is None or isinstance(value, Schema):
        return value
    model = None
    if _is_pydantic_model(value):
        model = value
        original = value.model_json_schema()  # type: ignore[attr-defined]
    elif isinstance(value, Mapping):
        original = dict(value)
    elif isinstance(value, str):
        if value.strip().startswith("{"):
            try:
                original = json.loads(value)
            except ValueError as exc:
                raise InputError(f"the schema is not valid JSON: {exc}") from None
        else:
            original = parse_short(value)
    else:
        raise InputError(
            f"schema must be a JSON schema (a dict), a pydantic model or fields such as 'name, age int', "
            f"got {type(value).__name__}"
        )
    if not isinstance(original, dict):
        raise InputError("the schema must be a JSON object such as {\"type\": \"object\", ...}")
    try:
        wire = anthropic.transform_schema(original)
    except (ValueError, TypeError, AttributeError) as exc:
        raise InputError(f"the schema cannot be sent: {' '.join(str(exc).split())}") from None
    return Schema(wire=wire, original=original, model=model)


def schema_from_cell(text: str, namespace: Mapping[str, Any]) -> Schema | None:
    """``--schema SPEC``: a notebook variable holding a schema dict or a pydantic model (looked up by name,
    never evaluated), JSON text, or the short syntax."""
    name = text.strip()
    if name.isidentifier() and name in namespace:
        found = namespace[name]
        if isinstance(found, Mapping) or _is_pydantic_model(found):
            return make_schema(found)
    return make_schema(text)


def columns(data: Any, fields: list[str]) -> dict[str, Any]:
    """A reply's data as table columns: an object's fields (a pydantic model's too), else one ``data`` column.
    A row without data (it failed) has the schema's fields, empty."""
    if data is None:
        return dict.fromkeys(fields) if fields else {"data": None}
    if callable(getattr(data, "model_dump", None)):
        data = data.model_dump()
    if isinstance(data, dict):
        return dict(data)
    return {"data": data}


def fence_json(text: str) -> str:
    """The reply as a Markdown code block (the static copy shows a JSON answer as code)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}json\n{text}\n{fence}"
