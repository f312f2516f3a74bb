"""Writes the list of rule codes and pricing periods into pages, from their definitions in code.

A page line ``{{ rules cbp }}`` becomes one heading per rule whose code starts with ``cbp.``
(with its permanent anchor, summary, reason wording and what Meta's webhook reports), a line
``{{ periods }}`` a table of every period id with its dates, and a line ``{{ categories }}`` the
vocabulary's table of categories, with how Meta spells each. Support staff link a rule as
``rules.md#cbp-free-tier``; the anchors are registered like every question's.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from datetime import timedelta
from operator import attrgetter
from typing import Any

from whatsapp_pricing.periods import PER_MESSAGE_PRICING_STARTS, PERIODS, Period
from whatsapp_pricing.records import Rule, webhook_report
from whatsapp_pricing.site import PlaceholderExtension
from whatsapp_pricing.vocabulary import VOCABULARY

PLACEHOLDER = re.compile(
    r"^\{\{ (rules (?P<prefix>[a-z0-9]+)|periods|(?P<categories>categories)) \}\}$"
)


def expand(lines: list[str]) -> list[str]:
    """The page's lines with every placeholder replaced by what it stands for."""
    expanded: list[str] = []
    for line in lines:
        match = PLACEHOLDER.match(line.strip())
        if match is None:
            expanded.append(line)
        elif match["prefix"]:
            expanded += rules_markdown(match["prefix"])
        elif match["categories"]:
            expanded += categories_markdown()
        else:
            expanded += periods_markdown()
    return expanded


def rules_markdown(prefix: str) -> list[str]:
    """A heading and description for each rule whose code starts with ``prefix.``."""
    rules = [rule for rule in Rule if rule.value.startswith(f"{prefix}.")]
    if not rules:
        raise ValueError(f"no rule code starts with {prefix!r}")
    lines: list[str] = []
    for rule in rules:
        lines += [
            f"### `{rule.value}` {{ #{rule.anchor} }}",
            "",
            rule.summary,
            "",
            f"The reason it gives: “{wording(rule)}”",
            "",
            _reported(rule),
            "",
        ]
    return lines


def periods_markdown() -> list[str]:
    """A table of every pricing period: its id, its dates and what it is."""
    lines = ['<div class="wp-periods" markdown>', "", "| Period id | From | To | Rules |"]
    lines.append("|---|---|---|---|")
    for period, following in zip(PERIODS, [*PERIODS[1:], None], strict=True):
        until = "today" if following is None else f"{following.starts - timedelta(days=1)}"
        lines.append(f"| `{period.id}` | {period.starts} | {until} | {period.name} |")
    return [*lines, "", "</div>", ""]


def categories_markdown() -> list[str]:
    """A list of every category of the vocabulary: who sends it, its rate column and tiers, and
    how Meta's webhooks and analytics spell it (a list rather than a table: it reads on a phone)."""

    def spelled(names: tuple[str, ...]) -> str:
        return ", ".join(f"`{name}`" for name in names) or "none"

    lines = ['<div class="wp-categories" markdown>', ""]
    for category in VOCABULARY.categories:
        column = f"rate-card column {category.column}" if category.column else "no rate column"
        tiers = "with volume tiers" if category.tiered else "no volume tiers"
        lines.append(
            f"- `{category.name}`: sent by {category.sent_by}; {column}, {tiers}. Webhooks: "
            f"{spelled(category.webhook)}; analytics: {spelled(category.analytics)}."
        )
    return [*lines, "", "</div>", ""]


FACT_SHOWN = {
    "came_through": "the ad or the button",
    "closing": " [and ends the conversations that were open early]",
    "where": " [inside the customer service window]",
    "priced": "the rate charged, and why",
    "number": "n",
}
"""How a fact of the reason is shown in the rule's wording, in italics; otherwise by its name."""
FIXED_FACTS = {
    "began": f"{PER_MESSAGE_PRICING_STARTS}",
    "per": f"{VOCABULARY.route_named['marketing_messages_api'].max_price_per:,}",
}
"""Facts that are the same for every message, shown as they are (from the periods and the
vocabulary)."""
FREE_TIER_ALLOWANCE: dict[Rule, Callable[[Period], int | None]] = {
    Rule.CBP2_FREE_TIER: attrgetter("free_conversations"),
    Rule.CBP_FREE_TIER: attrgetter("free_service_conversations"),
    Rule.CBP_SERVICE_OPENED: attrgetter("free_service_conversations"),
}
"""Which of a period's allowances each free tier's rule names: two categories count every
conversation, four only service ones. Shown from the first period that has it."""


class _Fact(str):
    """A fact's place in a rule's wording: it formats as its text, whatever the format spec."""

    def __format__(self, spec: str) -> str:
        return str(self)


def wording(rule: Rule) -> str:
    """The rule's reason with each fact shown in italics, by what it stands for."""
    fixed = FIXED_FACTS
    if rule in FREE_TIER_ALLOWANCE:
        allowance = next(filter(None, map(FREE_TIER_ALLOWANCE[rule], PERIODS)))
        fixed = {**FIXED_FACTS, "allowance": f"{allowance:,}"}
    facts = {
        name: _Fact(fixed.get(name) or f"*{FACT_SHOWN.get(name, name)}*")
        for name in inspect.signature(rule.reason).parameters
    }
    return rule.reason(**facts)


_SERVICE = VOCABULARY.webhook_name["service"]
CATEGORY_SHOWN = {
    Rule.CBP_FREE_TIER: _SERVICE,
    Rule.CBP_SERVICE_OPENED: _SERVICE,
    Rule.CBP_SERVICE_FREE: _SERVICE,
    Rule.PMP_UTILITY_IN_WINDOW: VOCABULARY.webhook_name["utility"],
    Rule.PMP_CHARGED: (
        f"the template's (`{VOCABULARY.webhook_name[VOCABULARY.international.name]}` where that "
        "rate applied)"
    ),
    Rule.MM_CHARGED: f"`{VOCABULARY.route_named['marketing_messages_api'].reported}`",
    Rule.MM_MAX_PRICE: f"`{VOCABULARY.route_named['marketing_messages_api'].reported}`",
    Rule.DS_CHARGED: "the message's (utility or authentication)",
    Rule.PMP_SERVICE_FREE: _SERVICE,
    Rule.PMP_SERVICE_CHARGED: _SERVICE,
    Rule.PMP_FREE_SERVICE_UNCONFIRMED: _SERVICE,
}
"""What ``pricing.category`` says under each rule, in words (its spellings from the vocabulary);
otherwise the conversation's."""
CHARGED = (
    Rule.CBP_TEMPLATE_OPENED,
    Rule.PMP_CHARGED,
    Rule.PMP_SERVICE_CHARGED,
    Rule.MM_CHARGED,
    Rule.MM_MAX_PRICE,
    Rule.DS_CHARGED,
)


FAILED_STATUS = (Rule.CSW_CLOSED, Rule.FAILED, Rule.FAILED_EXPIRED)
"""Rules whose messages Meta's status webhook reports as failed (with the error code)."""


def _reported(rule: Rule) -> str:
    """What Meta's status webhook says of a message under the rule, in one sentence."""
    if rule in FAILED_STATUS:
        return "Meta's webhook: a `failed` status, and nothing billed."
    if rule in (Rule.CALL_CHARGED, Rule.CALL_UNANSWERED):
        return "Calls have no `pricing` object; Meta reports what they cost in `call_analytics`."
    if webhook_report(rule, "", True, True) is None:
        return "What Meta's status webhook reports for these messages is not on Meta's pages."
    models = [False, True] if rule.model is None else [rule.model == "PMP"]
    reports = []
    for per_message in models:
        report = webhook_report(rule, "", rule in CHARGED, per_message)
        assert report is not None
        category = CATEGORY_SHOWN.get(rule, report.category or "the conversation's")
        fields = [f"`pricing_model` {report.pricing_model}", f"`category` {category}"]
        if report.type is not None:
            fields.append(f"`type` {report.type}")
        fields.append(
            "`billable` not judged (providers differ)"
            if report.billable is None
            else f"`billable` {str(report.billable).lower()}"
        )
        reports.append(", ".join(fields))
    return "Meta's webhook reports " + "; or, under per-message pricing, ".join(reports) + "."


def makeExtension(**kwargs: Any) -> PlaceholderExtension:
    """``rule_codes``: expands ``{{ rules PREFIX }}``, ``{{ periods }}`` and
    ``{{ categories }}`` lines."""
    return PlaceholderExtension("rule_codes", expand, **kwargs)
