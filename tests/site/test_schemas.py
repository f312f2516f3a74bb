"""The format page's schemas: generated from the models, complete, and downloadable as they are."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from tests.helpers import customer, free_form, template
from whatsapp_pricing import Timeline, simulate
from whatsapp_pricing.site.schemas import (
    DOCUMENTS,
    anchor,
    expand,
    json_schema,
    plain_description,
)

HEADING = re.compile(r"^### `(?P<name>\w+)` \{ #(?P<anchor>[\w-]+) \}$")
ROW = re.compile(r"^- `(?P<field>\w+)`: \*(?P<value>.*?)\*\.(?: (?P<meaning>.*))?$")
DOWNLOAD = re.compile(r'href="data:application/schema\+json;base64,([^"]+)" download="([^"]+)"')


def tables(name: str) -> dict[str, dict[str, tuple[str, str]]]:
    """Each object the page describes, with each field's value and meaning, as the page has them."""
    objects: dict[str, dict[str, tuple[str, str]]] = {}
    current: dict[str, tuple[str, str]] = {}
    for line in expand([f"{{{{ schema {name} }}}}"]):
        if heading := HEADING.match(line):
            assert heading["anchor"] == anchor(heading["name"])
            current = objects.setdefault(heading["name"], {})
        elif row := ROW.match(line):
            current[row["field"]] = (row["value"], row["meaning"] or "")
    return objects


def models_in(annotation: Any) -> set[type[BaseModel]]:
    """The models a field's type can hold, however deep in unions, tuples and annotations."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return {annotation} | {
            inner
            for field in annotation.model_fields.values()
            for inner in models_in(field.annotation)
        }
    return {inner for argument in get_args(annotation) for inner in models_in(argument)}


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_model_and_field_has_its_row(name: str) -> None:
    document = DOCUMENTS[name]
    described = tables(name)
    models = {model.__name__: model for model in models_in(document.model)}
    assert set(described) == set(models)
    for model_name, rows in described.items():
        assert list(rows) == list(models[model_name].model_fields), model_name


def test_rows_say_what_a_field_holds_and_when_it_may_be_left_out() -> None:
    timeline = tables("timeline")
    assert (
        timeline["Account"]["currency"][0]
        == 'text matching `^[A-Z]{3}$`; optional, default `"USD"`'
    )
    assert timeline["Account"]["time_zone"][0] == "text; required"
    assert timeline["TemplateMessage"]["type"][0] == '`"template"`; required'
    assert timeline["TemplateMessage"]["category"][0] == (
        'one of `"marketing"`, `"utility"`, `"authentication"`; required'
    )
    assert timeline["AgentMessage"]["tokens"][0] == "a whole number above 0; required"
    assert timeline["Timeline"]["events"][0].startswith(
        "a list of [`CustomerMessage`](#customer-message) or [`TemplateMessage`]"
    )
    verdict = tables("verdict")
    assert verdict["MessageVerdict"]["conversation"][0] == (
        "[`ConversationRef`](#conversation-ref) or `null`"
    )
    assert verdict["MessageVerdict"]["rule"][0] == "a [rule code](rules.md#rule-codes)"
    # The simulator writes every field of a verdict, so none is marked required or optional.
    values = [value for rows in verdict.values() for value, _ in rows.values()]
    assert [value for value in values if "required" in value or "optional" in value] == []
    # A field with no description of its own takes that of the object it holds.
    assert verdict["Verdict"]["total"][1] == "The sum of all charges."


def test_every_field_of_a_verdict_is_always_written() -> None:
    """What the schema requires is exactly what the simulator writes, defaults included."""
    timeline = Timeline.model_validate(
        {
            "account": {"time_zone": "America/Sao_Paulo"},
            "events": [customer(0), free_form("reply", 1), template("promo", 2, "marketing")],
        }
    )
    written = json.loads(simulate(timeline).model_dump_json())
    schema = json_schema(DOCUMENTS["verdict"])
    definitions = schema["$defs"]
    assert set(written) == set(schema["required"]) == set(schema["properties"])
    message, conversation = written["messages"][1], written["conversations"][0]
    for name, value in [
        ("MessageVerdict", message),
        ("Conversation", conversation),
        ("Money", message["charge"]),
        ("WebhookReport", message["webhook"]),
        ("Total", written["total"]),
    ]:
        assert set(value) == set(definitions[name]["required"]), name


def test_a_timeline_may_leave_out_what_has_a_default() -> None:
    account = json_schema(DOCUMENTS["timeline"])["$defs"]["Account"]
    assert account["required"] == ["time_zone"]


def descriptions(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["description"]] if isinstance(node.get("description"), str) else []
        return found + [text for value in node.values() for text in descriptions(value)]
    if isinstance(node, list):
        return [text for value in node for text in descriptions(value)]
    return []


@pytest.mark.parametrize("name", DOCUMENTS)
def test_descriptions_are_plain_markdown_in_jsons_words(name: str) -> None:
    texts = descriptions(json_schema(DOCUMENTS[name]))
    assert texts
    assert [text for text in texts if "``" in text or "\n" in text or "`None`" in text] == []


def test_a_docstring_becomes_one_line_of_markdown() -> None:
    assert plain_description("``None`` when\n    unpriced; see ``priced_amount``") == (
        "`null` when unpriced; see `priced_amount`"
    )


def test_an_unknown_schema_stops_the_build() -> None:
    with pytest.raises(ValueError, match="no schema is called 'invoice'"):
        expand(["{{ schema invoice }}"])


def test_the_page_offers_each_schema_as_the_file_generated_from_the_models(
    built_site: Path,
) -> None:
    html = (built_site / "timeline-format" / "index.html").read_text("utf-8")
    offered = {file_name: data for data, file_name in DOWNLOAD.findall(html)}
    assert set(offered) == {document.file_name for document in DOCUMENTS.values()}
    assert {"timeline.schema.json", "verdict.schema.json"} <= set(offered)
    for document in DOCUMENTS.values():
        downloaded = json.loads(base64.b64decode(offered[document.file_name]))
        assert downloaded == json_schema(document)
        generated = document.model.model_json_schema(mode=document.mode)
        assert downloaded["$defs"].keys() == generated["$defs"].keys()
