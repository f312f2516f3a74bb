"""Does my bill match? Meta's own figures (:mod:`.analytics`) beside what the rules charge for
the delivered messages of the log, bucket by bucket, with the known causes of a difference, each
checked against the log where it can be.

Meta counts and bills per bucket of time (its ``start`` and ``end``), country, category and
pricing type; the rules' side is the log's findings put in the same buckets. A bucket whose
volume agrees and whose cost agrees within rounding is quiet. For one that differs, every known
cause is tried, and a cause *explains* the difference only when the log shows it could (messages
near the bucket's edge, a template category change, a second spelling of the category, ...).
"""

from __future__ import annotations

import bisect
import math
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple
from zoneinfo import ZoneInfo

from whatsapp_pricing.domain import Account
from whatsapp_pricing.errors import UsageError
from whatsapp_pricing.markets import country_of
from whatsapp_pricing.periods import REPORTED_FREE_SERVICE
from whatsapp_pricing.reconcile.accounts import Accounts
from whatsapp_pricing.reconcile.analytics import Analytics, Figure, read_analytics
from whatsapp_pricing.reconcile.findings import Finding
from whatsapp_pricing.reconcile.options import ReconcileOptions
from whatsapp_pricing.records import Rule
from whatsapp_pricing.vocabulary import VOCABULARY, Category, PricingType, Vocabulary
from whatsapp_pricing.webhooks import CategoryChange, Skipped, read_log

ROUNDING = Decimal("0.00005")
"""Half a unit of the fourth decimal: how far the rules' cost may be from a data point of
Meta's written to four decimals or more (one written with fewer is allowed half a unit of its
own last decimal: Meta rounded it so)."""
ALLOWANCE = REPORTED_FREE_SERVICE.reported_free_service_messages or 0
FREE_ENTRY_POINT = "free_entry_point"
DAY = 86400


class Charged(NamedTuple):
    """A delivered message of the log as the rules priced it, in the terms of Meta's analytics."""

    account: str
    business_number: str
    country: str
    category: Category
    pricing_type: PricingType
    charge: Decimal | None
    """``None``: no sourced rate."""
    delivered_at: float
    sent_at: float | None
    reported: str
    """Meta's ``pricing.category`` for it, as the webhook spelled it."""
    rule: str
    counted: bool
    """Whether Meta's analytics count it: every message under per-message pricing, the one
    that opened the conversation under conversation-based pricing."""
    per_conversation: bool


class Unseen(NamedTuple):
    """A message the log saw sent but never delivered: Meta may have delivered it anyway."""

    account: str
    country: str
    sent_at: float


@dataclass(frozen=True, slots=True)
class Cause:
    """A known cause of a difference, and what the log says of it."""

    code: str
    """Stable: ``time_zone``, ``send_day``, ``volume_tiers``, ``recategorised``, ``max_price``,
    ``free_service_allowance``, ``missing_webhooks``, ``unpriced``."""
    explains: bool
    """Whether the log shows it could account for the difference."""
    detail: str

    def __str__(self) -> str:
        return f"{self.code}{'' if self.explains else ' (not shown by the log)'}: {self.detail}"


@dataclass(slots=True)
class Side:
    volume: int = 0
    cost: Decimal = Decimal(0)
    unpriced: int = 0
    points: int = 0
    """How many of Meta's data points were summed into it."""
    rounding: Decimal = Decimal(0)
    """How much Meta's rounding of those data points may account for."""


class Key(NamedTuple):
    start: int
    end: int
    country: str
    category: str
    pricing_type: str


@dataclass(slots=True)
class Bucket:
    """One bucket x country x category x type: Meta's figures beside the rules'."""

    key: Key
    meta: Side = field(default_factory=Side)
    rules: Side = field(default_factory=Side)
    lite: int = 0
    """Marketing messages Meta spelled ``MARKETING_LITE`` (sent with a max price)."""
    tiers: set[str] = field(default_factory=set)
    """The volume tiers Meta's figures name for it (the ``TIER`` dimension), if asked for."""
    messages: list[Charged] = field(default_factory=list)
    causes: list[Cause] = field(default_factory=list)

    @property
    def volume_difference(self) -> int:
        """Meta's volume less the rules'."""
        return self.meta.volume - self.rules.volume

    @property
    def cost_difference(self) -> Decimal:
        """Meta's cost less the rules'."""
        return self.meta.cost - self.rules.cost

    @property
    def tolerance(self) -> Decimal:
        return max(self.meta.rounding, ROUNDING)

    @property
    def differs(self) -> bool:
        return bool(self.volume_difference) or abs(self.cost_difference) > self.tolerance

    @property
    def explained(self) -> bool:
        return any(cause.explains for cause in self.causes)

    @property
    def status(self) -> str:
        if not self.differs:
            return "agrees"
        return "explained" if self.explained else "differs"


@dataclass(slots=True)
class Bill:
    """One account's analytics beside the rules, bucket by bucket."""

    account: str
    currency: str
    field: str
    source: str
    buckets: list[Bucket]
    outside: int = 0
    """Delivered messages of the log outside the time Meta's figures cover."""
    other_model: int = 0
    """Delivered messages priced under the other pricing model than the figures'."""
    allowance: str = ""
    """What the log and the figures together say of the unconfirmed free service messages."""

    @property
    def meta_total(self) -> Decimal:
        return sum((bucket.meta.cost for bucket in self.buckets), Decimal(0))

    @property
    def rules_total(self) -> Decimal:
        return sum((bucket.rules.cost for bucket in self.buckets), Decimal(0))

    @property
    def differing(self) -> list[Bucket]:
        return [bucket for bucket in self.buckets if bucket.differs]

    @property
    def explained(self) -> Decimal:
        return sum((b.cost_difference for b in self.differing if b.explained), Decimal(0))

    @property
    def unexplained(self) -> Decimal:
        return sum((b.cost_difference for b in self.differing if not b.explained), Decimal(0))

    @property
    def rounding(self) -> Decimal:
        return sum((b.cost_difference for b in self.buckets if not b.differs), Decimal(0))

    @property
    def messages(self) -> int:
        return sum(bucket.rules.volume for bucket in self.buckets)

    def explaining(self) -> Counter[str]:
        """How many differing buckets each cause explains."""
        return Counter(cause.code for b in self.differing for cause in b.causes if cause.explains)


def charged(finding: Finding, vocabulary: Vocabulary = VOCABULARY) -> Charged | Unseen | None:
    """What a finding adds to the comparison: a priced delivery, a message sent and never seen
    delivered, or nothing."""
    if finding.outcome == "undelivered" and finding.sent_at is not None:
        return Unseen(finding.account, country_of(finding.customer) or "", finding.sent_at)
    predicted = finding.predicted
    if finding.outcome not in ("agrees", "disagrees") or "charge" not in predicted:
        return None
    if finding.delivered_at is None:
        return None
    category = vocabulary.reported.get(str(predicted.get("category") or ""))
    if category is None:
        return None
    per_conversation = predicted.get("pricing_model") == "CBP"
    amount = None if predicted["charge"] == "unpriced" else Decimal(predicted["charge"])
    if category.name == FREE_ENTRY_POINT:
        kind = vocabulary.pricing_type(FREE_ENTRY_POINT)
    elif predicted.get("type"):
        kind = vocabulary.pricing_type(str(predicted["type"]))
    else:  # conversation-based pricing: free within the month's allowance, or charged
        kind = vocabulary.pricing_type("free_customer_service" if amount == 0 else "regular")
    return Charged(
        finding.account,
        finding.business_number,
        country_of(finding.customer) or "",
        category,
        kind,
        amount,
        finding.delivered_at,
        finding.sent_at,
        str(finding.meta.get("category", "")),
        finding.rule,
        not (per_conversation and finding.rule.endswith("joined")),
        per_conversation,
    )


def key_category(category: Category, pricing_type: PricingType, vocabulary: Vocabulary) -> str:
    """The category a bucket is filed under: a free entry point's messages under free entry
    point, whatever category Meta names them with (the rules name none)."""
    if pricing_type.name == FREE_ENTRY_POINT:
        return FREE_ENTRY_POINT
    return category.name


def _rounding_of(cost: Decimal) -> Decimal:
    """Half a unit of the last decimal Meta wrote (``10`` may be anything from 9.5 up)."""
    exponent = cost.as_tuple().exponent
    if not isinstance(exponent, int):
        return ROUNDING
    return max(ROUNDING, Decimal((0, (5,), exponent - 1)))


class Grid:
    """Meta's buckets of time, to file the log's messages in the same ones."""

    def __init__(self, figures: Sequence[Figure]) -> None:
        spans = sorted({(figure.start, figure.end) for figure in figures})
        self._starts = [start for start, _ in spans]
        self._spans = spans
        self.first = spans[0][0] if spans else 0
        self.last = max((end for _, end in spans), default=0)

    def bucket(self, at: float) -> tuple[int, int] | None:
        """The bucket of Meta's that counts a message delivered ``at``; ``None`` if outside."""
        if not self.first <= at < self.last:
            return None
        index = max(bisect.bisect_right(self._starts, at) - 1, 0)
        start, end = self._spans[index]
        if start <= at < end:
            return start, end
        length = end - start
        if length <= DAY:  # half-hourly or daily: the same grid on
            begins = start + math.floor((at - start) / length) * length
            return begins, begins + length
        return _month_like(start, at)


def _month_like(known_start: int, at: float) -> tuple[int, int]:
    """The monthly bucket holding ``at``, its edges at the same time of day as a known one's."""
    offset = known_start % DAY
    moment = datetime.fromtimestamp(at - offset, UTC)
    first = datetime(moment.year, moment.month, 1, tzinfo=UTC)
    following = (first + timedelta(days=32)).replace(day=1)
    return int(first.timestamp()) + offset, int(following.timestamp()) + offset


def compare_bill(
    analytics: Analytics,
    found: Iterable[Charged | Unseen],
    account: Account,
    changes: Sequence[CategoryChange] = (),
    vocabulary: Vocabulary = VOCABULARY,
) -> Bill:
    """Meta's figures for one account beside the rules' charges for the log's messages."""
    grid = Grid(analytics.figures)
    buckets: dict[Key, Bucket] = {}
    for figure in analytics.figures:
        category = key_category(figure.category, figure.pricing_type, vocabulary)
        key = Key(figure.start, figure.end, figure.country, category, figure.pricing_type.name)
        bucket = buckets.setdefault(key, Bucket(key))
        bucket.meta.volume += figure.volume
        bucket.meta.cost += figure.cost
        bucket.meta.points += 1
        bucket.meta.rounding += _rounding_of(figure.cost)
        if figure.tier:
            bucket.tiers.add(figure.tier)
        if figure.spelling != figure.category.analytics[0]:
            bucket.lite += figure.volume
    bill = Bill(analytics.account, account.currency, analytics.field, analytics.source, [])
    unseen: list[Unseen] = []
    messages: list[Charged] = []
    for each in found:
        if analytics.account and each.account and each.account != analytics.account:
            continue
        if isinstance(each, Unseen):
            unseen.append(each)
            continue
        messages.append(each)
        if each.per_conversation != analytics.per_conversation:
            bill.other_model += 1
            continue
        if not each.counted:
            continue
        span = grid.bucket(each.delivered_at)
        if span is None:
            bill.outside += 1
            continue
        category = key_category(each.category, each.pricing_type, vocabulary)
        key = Key(*span, each.country, category, each.pricing_type.name)
        bucket = buckets.setdefault(key, Bucket(key))
        bucket.rules.volume += 1
        bucket.messages.append(each)
        if each.charge is None:
            bucket.rules.unpriced += 1
        else:
            bucket.rules.cost += each.charge
    bill.buckets = [buckets[key] for key in sorted(buckets)]
    context = _Context(bill, buckets, grid, account, changes, unseen, messages, vocabulary)
    for bucket in bill.differing:
        bucket.causes = [cause for check in CHECKS if (cause := check(bucket, context))]
    bill.allowance = context.allowance()
    return bill


@dataclass
class _Context:
    """What the checks of a cause may look at besides the bucket."""

    bill: Bill
    buckets: dict[Key, Bucket]
    grid: Grid
    account: Account
    changes: Sequence[CategoryChange]
    unseen: list[Unseen]
    messages: list[Charged]
    vocabulary: Vocabulary

    def neighbours(self, bucket: Bucket) -> list[Bucket]:
        """The buckets just before and after, of the same country, category and type, whose
        volume differs the other way: messages that may have moved across the edge."""
        key = bucket.key
        found = []
        for other in self.buckets.values():
            o = other.key
            same = (o.country, o.category, o.pricing_type) == key[2:]
            adjacent = o.end == key.start or o.start == key.end
            if same and adjacent and other.volume_difference * bucket.volume_difference < 0:
                found.append(other)
        return found

    def paired(
        self, bucket: Bucket, *, category: str | None = None, kind: str | None = None
    ) -> int:
        """The volume difference of the same bucket and country with another category or type."""
        key = bucket.key
        other = key._replace(
            category=category or key.category, pricing_type=kind or key.pricing_type
        )
        found = self.buckets.get(other)
        return 0 if found is None or other == key else found.volume_difference

    def moved(self, bucket: Bucket) -> bool:
        """Whether the bucket's volume difference is mirrored next door (the bucket before or
        after, or another category or type of the same bucket and country): counted elsewhere,
        not missing."""
        key = bucket.key
        mirrored = any(
            other.key[:3] == key[:3] and other.volume_difference * bucket.volume_difference < 0
            for other in self.buckets.values()
        )
        return mirrored or bool(self.neighbours(bucket))

    def first_of_month(self) -> set[int]:
        """Which delivered service messages (by index in ``messages``) were among the first
        ``ALLOWANCE`` of their business number's month, in the account's time zone."""
        zone = ZoneInfo(self.account.time_zone)
        seen: Counter[tuple[str, str, int, int]] = Counter()
        first = set()
        ordered = sorted(range(len(self.messages)), key=lambda i: self.messages[i].delivered_at)
        for index in ordered:
            message = self.messages[index]
            if message.category.name != "service":
                continue
            local = datetime.fromtimestamp(message.delivered_at, zone)
            month = (message.account, message.business_number, local.year, local.month)
            seen[month] += 1
            if seen[month] <= ALLOWANCE:
                first.add(id(message))
        return first

    def allowance(self) -> str:
        """Evidence, from the log and Meta's figures together, on the unconfirmed allowance."""
        if not ALLOWANCE:
            return ""
        first = self.first_of_month()
        charged = [
            m for m in self.messages if id(m) in first and m.rule == Rule.PMP_SERVICE_CHARGED
        ]
        freed = [m for m in self.messages if m.rule == Rule.PMP_FREE_SERVICE_UNCONFIRMED]
        meta_free = rules_free = meta_regular = rules_regular = 0
        for bucket in self.bill.buckets:
            if bucket.key.category != "service":
                continue
            if bucket.key.pricing_type == "regular":
                meta_regular += bucket.meta.volume
                rules_regular += bucket.rules.volume
            elif bucket.key.pricing_type == "free_customer_service":
                meta_free += bucket.meta.volume
                rules_free += bucket.rules.volume
        tested = len(charged) + len(freed)
        if not tested:
            return ""
        plural = "" if tested == 1 else "s"
        extra_free = meta_free - rules_free + len(freed)
        extra_charged = meta_regular - rules_regular + len(charged)
        per = f"the first {ALLOWANCE:,} service messages of a business number in a month"
        if extra_free >= tested and extra_charged <= 0:
            return (
                f"Meta's figures count as free {tested:,} service message{plural} of your log, "
                f"among {per}: for this account, the reported allowance applies."
            )
        if extra_charged >= tested and extra_free <= 0:
            return (
                f"Meta's figures charge {tested:,} service message{plural} of your log, among "
                f"{per}: for this account, the reported allowance does not apply."
            )
        return (
            f"Meta's figures neither clearly charge nor clearly free the {tested:,} service "
            f"message{plural} of your log among {per}: this log does not settle the allowance."
        )


def _near_midnight(bucket: Bucket, context: _Context) -> Cause | None:
    """Meta's buckets are cut at a fixed time of day in UTC; the account's day, month, free
    allowances and rule changes turn at midnight in its own time zone."""
    zone = ZoneInfo(context.account.time_zone)
    start = datetime.fromtimestamp(bucket.key.start, zone)
    if start.hour == start.minute == 0 or bucket.key.end - bucket.key.start < DAY:
        return None  # cut at the account's midnight, or finer than a day: nothing can move
    shifted = context.neighbours(bucket)
    offset = bucket.key.start % DAY
    near = [
        m
        for each in (bucket, *shifted)
        for m in each.messages
        if _near_midnight_at(m.delivered_at, offset, zone)
    ]
    if not near:
        return None
    difference = abs(bucket.volume_difference)
    explains = len(near) >= difference and (bool(shifted) or not difference)
    return Cause(
        "time_zone",
        explains,
        f"Meta's buckets begin at {datetime.fromtimestamp(bucket.key.start, UTC):%H:%M} UTC, the "
        f"account's day at midnight {context.account.time_zone}; {len(near)} message(s) of the "
        "log here were delivered between the two",
    )


def _near_midnight_at(at: float, offset: int, zone: ZoneInfo) -> bool:
    """Whether the account's date at ``at`` differs from the date of Meta's day that counts it
    (Meta's day begins ``offset`` seconds past midnight UTC, and is named by the date at its
    middle): near midnight, Meta and the account disagree on which day it is."""
    edge = (int(at) - offset) // DAY * DAY + offset
    named = datetime.fromtimestamp(edge + DAY // 2, UTC).date()
    return datetime.fromtimestamp(at, zone).date() != named


def _send_day(bucket: Bucket, context: _Context) -> Cause | None:
    """Meta may count a message in the bucket it was sent in, the log in the one it was
    delivered in."""
    span = bucket.key[:2]
    moved = [
        m
        for m in bucket.messages
        if m.sent_at is not None and context.grid.bucket(m.sent_at) != span
    ] + [
        m
        for other in context.neighbours(bucket)
        for m in other.messages
        if m.sent_at is not None and context.grid.bucket(m.sent_at) == span
    ]
    if not moved:
        return None
    difference = abs(bucket.volume_difference)
    explains = bool(context.neighbours(bucket)) and len(moved) >= difference > 0
    return Cause(
        "send_day",
        explains,
        f"{len(moved)} message(s) of the log here were sent in an earlier bucket than they were "
        "delivered in",
    )


def _volume_tiers(bucket: Bucket, context: _Context) -> Cause | None:
    category = context.vocabulary.category_named.get(bucket.key.category)
    if category is None or not category.tiered or bucket.volume_difference:
        return None
    if bucket.cost_difference >= 0 or not bucket.rules.volume:
        return None
    rate = bucket.meta.cost / bucket.meta.volume if bucket.meta.volume else Decimal(0)
    card = bucket.rules.cost / bucket.rules.volume
    named = f" (Meta's figures name tier {', '.join(sorted(bucket.tiers))})" if bucket.tiers else ""
    return Cause(
        "volume_tiers",
        True,
        f"Meta charged {rate:.4f} a message, the card {card:.4f}{named}: {category.name} rates "
        "fall with the month's volume, counted across the whole business portfolio, which one "
        "account's log does not hold",
    )


def _recategorised(bucket: Bucket, context: _Context) -> Cause | None:
    reported = context.vocabulary.reported
    relevant = [
        change
        for change in context.changes
        if change.at < bucket.key.end
        and (not context.bill.account or change.account in ("", context.bill.account))
        and bucket.key.category
        in {getattr(reported.get(c), "name", "") for c in (change.before, change.after)}
    ]
    if not relevant:
        return None
    other = {
        getattr(reported.get(c), "name", "")
        for change in relevant
        for c in (change.before, change.after)
    } - {bucket.key.category}
    swapped = any(
        context.paired(bucket, category=name) * bucket.volume_difference < 0 for name in other
    )
    changes = ", ".join(
        f"{c.template} {c.before} to {c.after} (line {c.line})" for c in relevant[:3]
    )
    return Cause(
        "recategorised",
        swapped or (not bucket.volume_difference and bucket.cost_difference != 0),
        f"the log announces template category changes: {changes}",
    )


def _max_price(bucket: Bucket, context: _Context) -> Cause | None:
    lite = bucket.lite + sum(
        1
        for m in bucket.messages
        if m.reported and m.reported != m.category.webhook[0] and m.category.name == "marketing"
    )
    if not lite or bucket.cost_difference >= 0:
        return None
    return Cause(
        "max_price",
        not bucket.volume_difference,
        f"{lite} marketing message(s) here went through the Marketing Messages API "
        "(MARKETING_LITE): Meta charges them the max price the business set, or less",
    )


def _free_service(bucket: Bucket, context: _Context) -> Cause | None:
    key = bucket.key
    if key.category != "service" or not ALLOWANCE:
        return None
    other = "free_customer_service" if key.pricing_type == "regular" else "regular"
    swapped = context.paired(bucket, kind=other)
    if swapped * bucket.volume_difference >= 0:
        return None
    first = context.first_of_month()
    among = [
        m
        for m in context.messages
        if id(m) in first
        and m.rule in (Rule.PMP_SERVICE_CHARGED, Rule.PMP_FREE_SERVICE_UNCONFIRMED)
        and context.grid.bucket(m.delivered_at) == key[:2]
        and m.country == key.country
    ]
    return Cause(
        "free_service_allowance",
        len(among) >= abs(bucket.volume_difference),
        f"Meta counts {abs(bucket.volume_difference)} service message(s) here as "
        f"{'free' if key.pricing_type == 'free_customer_service' else 'charged'} that the rules "
        f"do not; {len(among)} of the log's are among the first {ALLOWANCE:,} of their "
        "number's month (an allowance Meta has not confirmed)",
    )


def _missing_webhooks(bucket: Bucket, context: _Context) -> Cause | None:
    difference = bucket.volume_difference
    if difference <= 0:
        return None
    key = bucket.key
    unseen = [
        u
        for u in context.unseen
        if key.start <= u.sent_at < key.end and (u.country == key.country or not u.country)
    ]
    if not unseen and context.moved(bucket):
        return None  # the log's messages are all there, counted in another bucket
    return Cause(
        "missing_webhooks",
        len(unseen) >= difference,
        f"Meta counted {difference} more message(s) than the log holds as delivered; the log "
        f"has {len(unseen)} sent here with no delivery status (lost webhooks?)",
    )


def _unpriced(bucket: Bucket, context: _Context) -> Cause | None:
    if not bucket.rules.unpriced:
        return None
    return Cause(
        "unpriced",
        not bucket.volume_difference,
        f"{bucket.rules.unpriced} message(s) here have no sourced rate card, so the rules give "
        "no amount for them",
    )


CHECKS: tuple[Callable[[Bucket, _Context], Cause | None], ...] = (
    _near_midnight,
    _send_day,
    _volume_tiers,
    _recategorised,
    _max_price,
    _free_service,
    _missing_webhooks,
    _unpriced,
)
"""Every known cause, in the order the summary names them."""


class Comparison:
    """Meta's figures for one or more accounts, and what the log's findings add to them as they
    settle: the one object a run (on one process, on Spark's driver, in the browser) feeds."""

    def __init__(
        self,
        analytics: Sequence[Analytics],
        options: ReconcileOptions,
        vocabulary: Vocabulary = VOCABULARY,
    ) -> None:
        self._analytics = list(analytics)
        self._options = options
        self._vocabulary = vocabulary
        self._found: list[Charged | Unseen] = []
        self._accounts: set[str] = set()
        """The accounts the log's messages came from."""
        for each in self._analytics:
            self._account(each)  # an account the run does not know is refused before any log

    def take(self, settled: Finding | Skipped) -> None:
        if not isinstance(settled, Finding):
            return
        if settled.account:
            self._accounts.add(settled.account)
        found = charged(settled, self._vocabulary)
        if found is not None:
            self._found.append(found)

    def bills(self, changes: Sequence[CategoryChange] = ()) -> list[Bill]:
        """Each file's comparison, once the log has been read."""
        bills = []
        for each in self._analytics:
            account = self._account(each)
            if each.account and self._accounts and each.account not in self._accounts:
                held = ", ".join(sorted(self._accounts))
                raise UsageError(
                    f"{each.source}: the analytics are for account {each.account}, the log holds "
                    f"account {held}: another account's figures"
                )
            bills.append(compare_bill(each, self._found, account, changes, self._vocabulary))
        return bills

    def _account(self, analytics: Analytics) -> Account:
        options = self._options
        account = options.account_of(analytics.account) if analytics.account else options.account
        if account is None:
            if analytics.account:
                raise UsageError(
                    f"{analytics.source}: the analytics are for account {analytics.account}, "
                    "which is not in --accounts"
                )
            raise UsageError(
                f"{analytics.source}: the response has no account id: give the account's "
                "--time-zone, or save the response with its id"
            )
        if analytics.currency is not None and analytics.currency != account.currency:
            raise UsageError(
                f"{analytics.source}: costs in {analytics.currency}, the account's currency is "
                f"{account.currency}: give --currency {analytics.currency} (or the account's "
                "currency in --accounts)"
            )
        return account


def compare_log(
    log: str, analytics: str, account: Account, *, now: float | None = None
) -> list[Bill]:
    """A whole log (text) beside Meta's figures (text) for one account's settings, in one call:
    what the site's browser page runs, by the same path as ``reconcile --analytics``."""
    options = ReconcileOptions(account=account, now=time.time() if now is None else now)
    comparison = Comparison(read_analytics(analytics.encode(), "the analytics"), options)
    reconciler = Accounts(options)
    for settled in reconciler.read(read_log(log)):
        comparison.take(settled)
    return comparison.bills(reconciler.category_changes)
