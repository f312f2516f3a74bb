"""The vocabulary is said once: everything derives from its tables, and periods hold the dates."""

from __future__ import annotations

import ast
import re
import typing
from datetime import timedelta
from pathlib import Path

import pytest

from whatsapp_pricing import ConversationCategory, TemplateCategory
from whatsapp_pricing.domain import Event, WebhookReport
from whatsapp_pricing.errors import EVENT_TYPES
from whatsapp_pricing.periods import AGENT_PLATFORM_LAUNCH, PERIODS
from whatsapp_pricing.rate_cards import HEADER, Column
from whatsapp_pricing.vocabulary import VOCABULARY

PACKAGE = Path(__file__).parent.parent / "src" / "whatsapp_pricing"
STYLESHEET = Path(__file__).parent.parent / "docs" / "stylesheets" / "timeline.css"


def test_the_contracts_enums_are_the_tables_rows() -> None:
    assert [member.value for member in TemplateCategory] == [
        category.name for category in VOCABULARY.categories if category.template
    ]
    assert [member.value for member in ConversationCategory] == [
        category.name for category in VOCABULARY.categories if category.conversation
    ]
    assert [member.value for member in Column] == [
        category.column for category in VOCABULARY.categories if category.column
    ]
    assert ("Market", "Currency", *(column.value for column in Column)) == HEADER


def test_the_event_models_are_the_tables_kinds() -> None:
    """The discriminated union's tags (pydantic needs them as literals) match the kinds."""
    members = typing.get_args(typing.get_args(Event)[0])
    tags = {typing.get_args(member.model_fields["type"].annotation)[0] for member in members}
    assert tags == set(VOCABULARY.event_types) == set(EVENT_TYPES)


def test_the_webhook_types_are_the_tables_pricing_types() -> None:
    annotation = WebhookReport.model_fields["type"].annotation
    literal = next(arg for arg in typing.get_args(annotation) if arg is not type(None))
    assert set(typing.get_args(literal)) == {kind.name for kind in VOCABULARY.pricing_types}


def test_every_category_that_names_a_conversation_has_a_colour_in_both_palettes() -> None:
    css = STYLESHEET.read_text(encoding="utf-8")
    light, dark = css.split('[data-md-color-scheme="slate"]', 1)
    for category in VOCABULARY.categories:
        if not category.conversation:
            continue
        assert category.legend, category.name
        assert f"--wp-{category.name}:" in light, category.name
        assert f"--wp-{category.name}:" in dark.split("}", 1)[0], category.name
        rule = f".wp-timeline .wp-{category.name} {{ fill: var(--wp-{category.name}); }}"
        assert rule in css, category.name


def test_every_spelling_names_one_category() -> None:
    webhook = [s for category in VOCABULARY.categories for s in category.webhook]
    analytics = [s for category in VOCABULARY.categories for s in category.analytics]
    assert len(webhook) == len(set(webhook))
    assert len(analytics) == len(set(analytics))
    assert VOCABULARY.reported["marketing_lite"] is VOCABULARY.category("marketing")
    assert VOCABULARY.webhook_spelling["customer_initiated"] == "user_initiated"


def _strings_outside_docstrings(tree: ast.AST) -> list[tuple[int, str]]:
    """The text of every string literal (f-strings' literal parts too) that is not a
    docstring or an attribute's docstring: what the package says at run time."""
    documented = {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in documented
    ]


def _period_facts() -> set[str]:
    days = {AGENT_PLATFORM_LAUNCH}
    for period in PERIODS:
        days |= {period.starts, period.starts - timedelta(days=1)}
    allowances = {
        value
        for period in PERIODS
        for value in (
            period.free_conversations,
            period.free_service_conversations,
            period.reported_free_service_messages,
        )
        if value
    }
    return {str(day) for day in days} | {f"{allowance:,}" for allowance in allowances}


def test_no_module_but_periods_types_a_period_date_or_allowance() -> None:
    """Rule texts, summaries, help and messages format them from the periods."""
    facts = _period_facts()
    pattern = re.compile("|".join(re.escape(fact) for fact in sorted(facts)))
    typed = [
        f"{path.relative_to(PACKAGE)}:{line}: {text!r}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "periods.py"
        for line, text in _strings_outside_docstrings(ast.parse(path.read_text("utf-8")))
        if pattern.search(text)
    ]
    assert typed == []


def test_the_date_check_would_see_a_typed_date() -> None:
    source = (
        'SUMMARY = "Per-message pricing, 2025-07-01 to 2026-09-30: free."\n"""Said 2025-07-01."""'
    )
    found = [text for _, text in _strings_outside_docstrings(ast.parse(source))]
    assert found == ["Per-message pricing, 2025-07-01 to 2026-09-30: free."]
    assert {"2025-07-01", "2026-09-30", "1,000"} <= _period_facts()


@pytest.mark.parametrize("name", ["marketing", "utility", "authentication", "service"])
def test_the_estimator_asks_for_each_category_it_can_price(name: str) -> None:
    assert VOCABULARY.category(name) in VOCABULARY.estimated


def test_the_rules_predict_a_categorys_own_name_but_for_a_free_entry_point() -> None:
    """The engine reports a category by its name; only the free entry point's differs, and the
    records spell it from the table."""
    differ = [c.name for c in VOCABULARY.categories if c.webhook and c.webhook[0] != c.name]
    assert differ == ["free_entry_point"]
