"""What reconciling says of each message (a :class:`Finding`), and what the checked messages
cost by the rules, per category (:class:`Costs`): the reporting types."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Final

from whatsapp_pricing.failures import meaning_of
from whatsapp_pricing.webhooks import CategoryChange, Skipped


@dataclass(slots=True, init=False)
class Finding:
    """One message compared: what Meta reported, what the rules predict, and whether they agree.

    Its ``__init__`` is written out, to be native code when compiled (see
    :class:`~.message.PendingMessage`): one is made for every message of a log.
    """

    message: str
    outcome: str
    """``agrees``, ``disagrees``, ``failed``, ``undelivered`` or ``unknown``."""
    detail: str
    meta: dict[str, Any]
    """What Meta reported in the message's ``pricing``, every field it gave (whether or not the
    rules could be compared with it)."""
    predicted: dict[str, Any]
    flag: str
    """Set when Meta billed a template at a category other than the one it was sent as."""
    customer: str
    """The customer's number, or their business-scoped user id if Meta never gave the number."""
    user_id: str
    """The customer's business-scoped user id, where the log gave it."""
    account: str
    """The WhatsApp Business Account the message was sent from (the entry's ``id``)."""
    business_number: str
    """The business phone number it was sent from (``metadata.phone_number_id``)."""
    currency: str
    """The currency of that account's rate card, in which ``predicted["charge"]`` is."""
    errors: tuple[int, ...]
    """Meta's error codes, when it reported the message failed."""
    delivered_at: float | None
    """When Meta delivered it (Unix time), if it did: the analytics bucket that counts it."""
    sent_at: float | None
    """When Meta reported it sent, if a status said so."""
    rule: str
    """The code of the rule that priced it, once priced."""

    def __init__(
        self,
        message: str,
        outcome: str,
        detail: str,
        meta: dict[str, Any] | None = None,
        predicted: dict[str, Any] | None = None,
        flag: str = "",
        rule: str = "",
    ) -> None:
        """What the comparison says; who and when are filled in as the message settles."""
        self.message, self.outcome, self.detail = message, outcome, detail
        self.meta = {} if meta is None else meta
        self.predicted = {} if predicted is None else predicted
        self.flag, self.rule = flag, rule
        self.customer = self.user_id = self.account = self.business_number = self.currency = ""
        self.errors = ()
        self.delivered_at = self.sent_at = None


class Amount:
    """An exact sum of decimal amounts, kept as an integer count of its finest unit: what
    adding :class:`~decimal.Decimal` values from ``Decimal(0)`` gives (the finest exponent of
    the terms), without a ``Decimal`` per term. A log of a billion messages adds a charge per
    message, and a charge is one of few strings: each is taken apart once."""

    __slots__ = ("exponent", "units")

    def __init__(self) -> None:
        self.units = 0
        self.exponent = 0
        """The exponent of ``Decimal(0)``, where the sum starts."""

    def add(self, term: tuple[int, int]) -> None:
        """Adds ``units`` times ten to the ``exponent`` (a :func:`parts` of an amount)."""
        units, exponent = term
        if exponent < self.exponent:
            self.units *= 10 ** (self.exponent - exponent)
            self.exponent = exponent
        elif exponent > self.exponent:
            units *= 10 ** (exponent - self.exponent)
        self.units += units

    @property
    def value(self) -> Decimal:
        return Decimal(self.units).scaleb(self.exponent)

    def __str__(self) -> str:
        return str(self.value)


_PARTS: Final[dict[str, tuple[int, int]]] = {}


def parts(amount: str) -> tuple[int, int]:
    """An amount written as a ``Decimal`` writes it, as (units, exponent); the same few amounts
    recur, so each is read once."""
    found = _PARTS.get(amount)
    if found is None:
        sign, digits, exponent = Decimal(amount).as_tuple()
        if not isinstance(exponent, int):
            raise ValueError(f"not an amount: {amount!r}")
        units = int("".join(map(str, digits)) or "0")
        found = _PARTS[amount] = (-units if sign else units, exponent)
    return found


NOTHING: Final = (0, 0)
"""An unpriced charge adds nothing, as ``Decimal(0)`` would."""


@dataclass(slots=True)
class CategoryCost:
    """What the rules charge for one category of a log's messages, beside what Meta billed."""

    messages: int = 0
    priced: Amount = field(default_factory=Amount)
    """The sum of the priced charges."""
    unpriced: int = 0
    billable: int = 0
    """How many of the log's messages of the category Meta marked ``billable``, checked or not
    (a message the rules reject, or could not check, keeps what Meta reported)."""
    disagreements: int = 0
    disagreeing: Amount = field(default_factory=Amount)
    """What the rules charge for the messages on which Meta and the rules disagree."""

    @property
    def amount(self) -> Decimal:
        """The sum of the priced charges."""
        return self.priced.value

    @property
    def disagreeing_amount(self) -> Decimal:
        return self.disagreeing.value


class Costs:
    """What a log's checked messages cost by the rules, per ``pricing.category``."""

    def __init__(self) -> None:
        self.by_category: dict[tuple[str, str, str], CategoryCost] = {}
        """Costs by account, currency and category."""

    def take(self, finding: Finding) -> None:
        predicted, meta = finding.predicted, finding.meta
        charge: str | None = predicted.get("charge")
        if finding.outcome not in ("agrees", "disagrees"):
            charge = None  # not priced
        billable = meta.get("billable") is True
        if charge is None and not billable:
            return
        category = str(predicted.get("category") or meta.get("category") or "?")
        key = (finding.account, finding.currency, category)
        cost = self.by_category.get(key)
        if cost is None:
            cost = self.by_category[key] = CategoryCost()
        cost.billable += billable
        if charge is None:
            return
        cost.messages += 1
        if charge == "unpriced":
            cost.unpriced += 1
            amount = NOTHING
        else:
            amount = parts(charge)
        cost.priced.add(amount)
        if finding.outcome == "disagrees":
            cost.disagreements += 1
            cost.disagreeing.add(amount)


class ErrorCodes:
    """Meta's error codes on a log's failed messages: each code, how many messages carried it,
    and what it means (:mod:`whatsapp_pricing.failures`)."""

    def __init__(self) -> None:
        self.counts: Counter[int] = Counter()

    def take(self, finding: Finding) -> None:
        if finding.errors:  # most have none: no call to update then
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


_SKIPPED: Final = Skipped
"""Read as a constant, for every finding (compiled, an imported name is looked up in the
module's dict at each use)."""
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


class Summary:
    """Counts what a reconciliation found and keeps the first few things worth a look, as
    findings settle (the command line tells it).

    Failed messages are only counted, with Meta's error codes: Meta never charges them, so
    there is nothing to check.
    """

    SHOWN = 20

    def __init__(self) -> None:
        self.costs = Costs()
        self.error_codes = ErrorCodes()
        self.unknown: Counter[str] = Counter()
        """Why messages could not be checked, each reason once, with how many."""
        self.outcomes = dict.fromkeys(OUTCOMES, 0)
        self.flagged = 0
        self.skipped = 0
        self.broken = 0
        self.notes: list[str] = []
        self.hidden = 0

    @property
    def clean(self) -> bool:
        return is_clean(self.outcomes, self.broken)

    def take(self, settled: Finding | Skipped) -> None:
        if isinstance(settled, _SKIPPED):
            self.skipped += 1
            self.broken += settled.bad
            self._note(f"line {settled.line}: {settled.why}")
            return
        self.outcomes[settled.outcome] += 1
        self.flagged += bool(settled.flag)
        self.costs.take(settled)
        self.error_codes.take(settled)
        if settled.outcome == "unknown":
            self.unknown[settled.detail] += 1
        elif settled.outcome not in ("agrees", "failed"):
            self._note(f"{settled.message}: {settled.outcome}: {settled.detail}")
        if settled.flag:
            self._note(f"{settled.message}: flagged: {settled.flag}")

    def _note(self, note: str) -> None:
        if len(self.notes) < self.SHOWN:
            self.notes.append(note)
        else:
            self.hidden += 1
