"""What reconciling says of each message (a :class:`Finding`), and what the checked messages
cost by the rules, per category (:class:`Costs`): the reporting types."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from whatsapp_pricing.failures import meaning_of
from whatsapp_pricing.webhooks import CategoryChange, Skipped


@dataclass(slots=True)
class Finding:
    """One message compared: what Meta reported, what the rules predict, and whether they agree."""

    message: str
    outcome: str
    """``agrees``, ``disagrees``, ``failed``, ``undelivered`` or ``unknown``."""
    detail: str
    meta: dict[str, Any] = field(default_factory=dict)
    """What Meta reported in the message's ``pricing``, every field it gave (whether or not the
    rules could be compared with it)."""
    predicted: dict[str, Any] = field(default_factory=dict)
    flag: str = ""
    """Set when Meta billed a template at a category other than the one it was sent as."""
    customer: str = ""
    """The customer's number, or their business-scoped user id if Meta never gave the number."""
    user_id: str = ""
    """The customer's business-scoped user id, where the log gave it."""
    account: str = ""
    """The WhatsApp Business Account the message was sent from (the entry's ``id``)."""
    business_number: str = ""
    """The business phone number it was sent from (``metadata.phone_number_id``)."""
    currency: str = ""
    """The currency of that account's rate card, in which ``predicted["charge"]`` is."""
    errors: tuple[int, ...] = ()
    """Meta's error codes, when it reported the message failed."""


@dataclass(slots=True)
class CategoryCost:
    """What the rules charge for one category of a log's messages, beside what Meta billed."""

    messages: int = 0
    amount: Decimal = Decimal(0)
    """The sum of the priced charges."""
    unpriced: int = 0
    billable: int = 0
    """How many of the log's messages of the category Meta marked ``billable``, checked or not
    (a message the rules reject, or could not check, keeps what Meta reported)."""
    disagreements: int = 0
    disagreeing_amount: Decimal = Decimal(0)
    """What the rules charge for the messages on which Meta and the rules disagree."""


class Costs:
    """What a log's checked messages cost by the rules, per ``pricing.category``."""

    def __init__(self) -> None:
        self.by_category: dict[tuple[str, str, str], CategoryCost] = {}
        """Costs by account, currency and category."""

    def take(self, finding: Finding) -> None:
        priced = finding.outcome in ("agrees", "disagrees") and "charge" in finding.predicted
        billable = finding.meta.get("billable") is True
        if not (priced or billable):
            return
        category = str(finding.predicted.get("category") or finding.meta.get("category") or "?")
        key = (finding.account, finding.currency, category)
        cost = self.by_category.setdefault(key, CategoryCost())
        cost.billable += billable
        if not priced:
            return
        cost.messages += 1
        charge = finding.predicted["charge"]
        amount = Decimal(0) if charge == "unpriced" else Decimal(charge)
        cost.unpriced += charge == "unpriced"
        cost.amount += amount
        if finding.outcome == "disagrees":
            cost.disagreements += 1
            cost.disagreeing_amount += amount


class ErrorCodes:
    """Meta's error codes on a log's failed messages: each code, how many messages carried it,
    and what it means (:mod:`whatsapp_pricing.failures`)."""

    def __init__(self) -> None:
        self.counts: Counter[int] = Counter()

    def take(self, finding: Finding) -> None:
        self.counts.update(finding.errors)

    def listed(self) -> list[ErrorCode]:
        """Every code seen, the most frequent first."""
        ordered = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))
        return [ErrorCode(code, count, meaning_of(code)) for code, count in ordered]


@dataclass(frozen=True, slots=True)
class ErrorCode:
    """One of Meta's error codes in a log, with how many messages carried it and its meaning."""

    code: int
    messages: int
    meaning: str


OUTCOMES = ("agrees", "disagrees", "failed", "undelivered", "unknown")
UNCHECKED = ("disagrees", "unknown")
"""Outcomes that leave a log not clean: the rules disagree, or could not check the message."""


def is_clean(outcomes: Mapping[str, int], broken_lines: int) -> bool:
    """Whether a log is clean, from how many findings had each outcome and its broken lines."""
    return not broken_lines and not any(outcomes.get(outcome) for outcome in UNCHECKED)


@dataclass
class Reconciliation:
    """The findings for every business message, every line the log could not use, and the
    template category changes it announced."""

    findings: list[Finding]
    skipped: list[Skipped]
    category_changes: list[CategoryChange] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """Every message checked and agreeing, and no broken input."""
        outcomes = Counter(finding.outcome for finding in self.findings)
        return is_clean(outcomes, sum(skip.bad for skip in self.skipped))

    def count(self, outcome: str) -> int:
        return sum(finding.outcome == outcome for finding in self.findings)

    @property
    def error_codes(self) -> list[ErrorCode]:
        """Every error code Meta reported on a failed message, with its count and meaning."""
        codes = ErrorCodes()
        for finding in self.findings:
            codes.take(finding)
        return codes.listed()
