"""Writes the JSON schemas of the timeline and the verdict into a page, from the models.

A page line ``{{ schema timeline }}`` (or ``verdict``) becomes a link that downloads the schema
as a ``.json`` file, one heading and list of fields per object, and the schema itself behind a
fold. Everything is generated from the pydantic models when the site is built, so the format
page cannot describe a field the simulator does not have. The file travels inside the page as a
``data:`` address: a Markdown extension cannot add files to the site, and the page then works
offline and from any host.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode
from pydantic_core import core_schema

from whatsapp_pricing.domain import Timeline, Verdict
from whatsapp_pricing.site import PlaceholderExtension
from whatsapp_pricing.site.feeds import Changes, Markets, RateCards

DIALECT = "https://json-schema.org/draft/2020-12/schema"
"""The JSON Schema version pydantic writes; an identifier for validators, never fetched."""
PLACEHOLDER = re.compile(r"^\{\{ schema (?P<name>[a-z]+) \}\}$")
PYTHON_WORDS = {"None": "null", "True": "true", "False": "false"}
"""Python words in the models' docstrings, as a reader of the JSON writes them."""
DOCUMENTED_ELSEWHERE = {"Rule": "a [rule code](rules.md#rule-codes)"}
"""Types with a page of their own, shown as a link instead of a list of values."""
SIMPLE_TYPES = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "`true` or `false`",
    "null": "`null`",
}


@dataclass(frozen=True)
class Document:
    """A JSON document the simulator reads or writes, and the model that defines it."""

    model: type[BaseModel]
    mode: JsonSchemaMode
    """``validation`` for what the simulator reads, ``serialization`` for what it writes."""
    summary: str
    """What the document is, in a few words, for the download link."""

    @property
    def file_name(self) -> str:
        return f"{self.model.__name__.lower()}.schema.json"


DOCUMENTS = {
    "timeline": Document(Timeline, "validation", "the timeline the simulator reads"),
    "verdict": Document(Verdict, "serialization", "the verdict the simulator writes"),
    "ratecards": Document(RateCards, "serialization", "the feed `feeds/rate-cards.json`"),
    "markets": Document(Markets, "serialization", "the feed `feeds/markets.json`"),
    "changes": Document(Changes, "serialization", "the feed `feeds/changes.json`"),
}


class _SchemaForReaders(GenerateJsonSchema):
    """Pydantic's schema, with every field of the output marked as always present, but those
    left out when they say nothing (``at_most``).

    The simulator writes every other field of a verdict, defaults included, so a consumer may
    rely on ``provisional`` and ``notices`` being there; pydantic would list them as optional.
    """

    def field_is_required(
        self,
        field: core_schema.ModelField | core_schema.DataclassField | core_schema.TypedDictField,
        total: bool,
    ) -> bool:
        if self.mode == "serialization":
            return field.get("serialization_exclude_if") is None
        return super().field_is_required(field, total)


def json_schema(document: Document) -> dict[str, Any]:
    """The document's JSON schema, its descriptions in plain Markdown and JSON's words."""
    schema = document.model.model_json_schema(
        mode=document.mode, schema_generator=_SchemaForReaders
    )
    return {"$schema": DIALECT, **_plain(schema)}


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            key: plain_description(value)
            if key == "description" and isinstance(value, str)
            else _plain(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_plain(value) for value in node]
    return node


def plain_description(text: str) -> str:
    """A docstring's text as one line of Markdown, in JSON's words.

    Double backticks become single ones, and Python's None, True and False become null, true
    and false, as a reader of the JSON writes them.
    """

    def code(match: re.Match[str]) -> str:
        return f"`{PYTHON_WORDS.get(match[1], match[1])}`"

    return re.sub(r"``(.+?)``", code, " ".join(text.split()))


def expand(lines: list[str]) -> list[str]:
    """The page's lines with every schema placeholder replaced by the schema's description."""
    expanded: list[str] = []
    for line in lines:
        match = PLACEHOLDER.match(line.strip())
        if match is None:
            expanded.append(line)
        elif match["name"] in DOCUMENTS:
            expanded += schema_markdown(DOCUMENTS[match["name"]])
        else:
            raise ValueError(f"no schema is called {match['name']!r}; use one of {list(DOCUMENTS)}")
    return expanded


def schema_markdown(document: Document) -> list[str]:
    """The download link, the fields of each object, and the schema itself in a fold."""
    schema = json_schema(document)
    text = json.dumps(schema, indent=2, ensure_ascii=False)
    address = "data:application/schema+json;base64," + base64.b64encode(text.encode()).decode()
    lines = [
        f'<p><a href="{address}" download="{document.file_name}">'
        f"Download <code>{document.file_name}</code></a> ({document.summary}, "
        f"JSON Schema {DIALECT.split('/')[-2]}).</p>",
        "",
    ]
    for name, definition in _objects(schema):
        lines += _object_markdown(name, definition, schema["$defs"], document.mode)
    return [
        *lines,
        f"/// details | {document.file_name}, as generated from the models",
        "    attrs: {data-search-exclude: ''}",  # the lists above are what search should find
        "",
        "```json",
        *text.splitlines(),
        "```",
        "",
        "///",
        "",
    ]


def _objects(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object of the schema, the document first, then each in the order it is met."""
    definitions = schema["$defs"]
    queue, seen = [(schema["title"], schema)], {schema["title"]}
    while queue:
        name, definition = queue.pop(0)
        yield name, definition
        for referred in _references(definition):
            if referred not in seen and definitions[referred].get("type") == "object":
                seen.add(referred)
                queue.append((referred, definitions[referred]))


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"].rsplit("/", 1)[-1]
        for key, value in node.items():
            if key != "$defs":
                yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def anchor(name: str) -> str:
    """The permanent anchor of an object's heading: ``MessageVerdict`` is ``message-verdict``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()


def _object_markdown(
    name: str, definition: dict[str, Any], definitions: dict[str, Any], mode: JsonSchemaMode
) -> list[str]:
    """The object's heading and a list of its fields: a list, not a table, reads on a phone."""
    lines = [f"### `{name}` {{ #{anchor(name)} }}", ""]
    if "description" in definition:
        lines += [definition["description"], ""]
    required = set(definition.get("required", ()))
    for field, prop in definition["properties"].items():
        value = kind(prop, definitions)
        if field not in required and mode == "serialization":
            value += "; written only when `true`"
        elif field not in required:
            value += f"; optional, default `{json.dumps(prop.get('default'))}`"
        elif mode == "validation":
            value += "; required"
        meaning = _meaning(prop, definitions)
        lines.append(f"- `{field}`: *{value}*." + (f" {meaning}" if meaning else ""))
    return [*lines, ""]


def _meaning(prop: dict[str, Any], definitions: dict[str, Any]) -> str:
    """The field's description; else that of the type it refers to, or what a tag is for."""
    if "description" in prop:
        return str(prop["description"])
    if "$ref" in prop:
        return str(definitions[prop["$ref"].rsplit("/", 1)[-1]].get("description", ""))
    if "const" in prop:
        return "Which kind of object this is."
    return ""


def kind(prop: dict[str, Any], definitions: dict[str, Any]) -> str:
    """What a field holds, in a few words, with links to the objects it contains."""
    if "$ref" in prop:
        return _named(prop["$ref"].rsplit("/", 1)[-1], definitions)
    if "const" in prop:
        return f"`{json.dumps(prop['const'])}`"
    if "enum" in prop:
        return "one of " + ", ".join(f"`{json.dumps(value)}`" for value in prop["enum"])
    choices: list[dict[str, Any]] = prop.get("anyOf") or prop.get("oneOf") or []
    if choices:
        return " or ".join(kind(choice, definitions) for choice in choices)
    return _simple(prop, definitions)


def _simple(prop: dict[str, Any], definitions: dict[str, Any]) -> str:
    if prop.get("type") == "array":
        return f"a list of {kind(prop['items'], definitions)}"
    shown = SIMPLE_TYPES.get(prop.get("type", ""), "any value")
    if prop.get("format") == "date-time":
        shown = "a date and time (ISO 8601)"
    if "pattern" in prop:
        shown += f" matching `{prop['pattern']}`"
    if prop.get("minLength") == 1:
        shown += ", not empty"
    if "exclusiveMinimum" in prop:
        shown += f" above {prop['exclusiveMinimum']}"
    return shown


def _named(name: str, definitions: dict[str, Any]) -> str:
    if name in DOCUMENTED_ELSEWHERE:
        return DOCUMENTED_ELSEWHERE[name]
    definition = definitions[name]
    if definition.get("type") == "object":
        return f"[`{name}`](#{anchor(name)})"
    return kind({key: value for key, value in definition.items() if key != "title"}, definitions)


def makeExtension(**kwargs: Any) -> PlaceholderExtension:
    """``schemas``: expands ``{{ schema timeline }}`` and ``{{ schema verdict }}`` lines."""
    return PlaceholderExtension("schemas", expand, **kwargs)
