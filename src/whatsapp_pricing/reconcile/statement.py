"""How a :class:`~.bill.Bill` is told: a summary that leads with the money, and one row per
bucket for ``--json`` and ``--csv``."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from whatsapp_pricing.reconcile.bill import Bill, Bucket

SHOWN = 20
"""Differing buckets the summary lists; the rows hold every bucket."""
COLUMNS = (
    "account",
    "start",
    "end",
    "country",
    "category",
    "type",
    "meta_volume",
    "meta_cost",
    "rules_volume",
    "rules_cost",
    "rules_unpriced",
    "volume_difference",
    "cost_difference",
    "status",
    "causes",
)


def row(bill: Bill, bucket: Bucket) -> dict[str, Any]:
    """One bucket as a row: money as decimal strings, times in UTC."""
    key = bucket.key
    return {
        "account": bill.account,
        "start": _utc(key.start),
        "end": _utc(key.end),
        "country": key.country,
        "category": key.category,
        "type": key.pricing_type,
        "meta_volume": bucket.meta.volume,
        "meta_cost": str(bucket.meta.cost),
        "rules_volume": bucket.rules.volume,
        "rules_cost": str(bucket.rules.cost),
        "rules_unpriced": bucket.rules.unpriced,
        "volume_difference": bucket.volume_difference,
        "cost_difference": str(bucket.cost_difference),
        "status": bucket.status,
        "causes": "; ".join(str(cause) for cause in bucket.causes),
    }


def summary(bill: Bill) -> list[str]:
    """The comparison in a few lines, the money first."""
    currency = bill.currency
    of = f" for account {bill.account}" if bill.account else ""
    what = "conversations" if bill.field == "conversation_analytics" else "messages"
    lines = [
        f"Meta's own figures{of} ({bill.source}, {bill.field}): Meta billed "
        f"{_money(bill.meta_total, currency)}, the rules give "
        f"{_money(bill.rules_total, currency)} for the {what} in your log ({bill.messages:,})."
    ]
    difference = bill.meta_total - bill.rules_total
    if not bill.differing:
        lines.append(
            f"  Every bucket agrees (the {_money(difference, currency)} between them is rounding)."
        )
    else:
        causes = ", ".join(f"{code} ({n})" for code, n in bill.explaining().most_common())
        explained = f"is explained by {causes}" if causes else "is explained by no known cause"
        lines.append(
            f"  Of the difference, {_money(bill.explained, currency)} {explained}; "
            f"{_money(bill.unexplained, currency)} is unexplained; "
            f"{_money(bill.rounding, currency)} is rounding. "
            f"{len(bill.differing)} of {len(bill.buckets)} buckets differ."
        )
    if bill.allowance:
        lines.append(f"  Free service messages: {bill.allowance}")
    if bill.outside:
        lines.append(
            f"  {bill.outside:,} delivered message(s) of the log fall outside the time Meta's "
            "figures cover: not compared."
        )
    if bill.other_model:
        lines.append(
            f"  {bill.other_model:,} delivered message(s) of the log fall under the other "
            f"pricing model than {bill.field}: compare them with the other field."
        )
    for bucket in bill.differing[:SHOWN]:
        key = bucket.key
        lines.append(
            f"  {_utc(key.start)} to {_utc(key.end)} {key.country} {key.category} "
            f"{key.pricing_type}: Meta {bucket.meta.volume} for "
            f"{_money(bucket.meta.cost, currency)}, the rules {bucket.rules.volume} for "
            f"{_money(bucket.rules.cost, currency)}"
            + (f" ({bucket.rules.unpriced} unpriced)" if bucket.rules.unpriced else "")
        )
        for cause in bucket.causes:
            lines.append(f"    {cause}")
        if not bucket.causes:
            lines.append("    no known cause fits: unexplained")
    if len(bill.differing) > SHOWN:
        lines.append(f"  ... and {len(bill.differing) - SHOWN} more; --json or --csv has them all")
    return lines


def _utc(at: int) -> str:
    return f"{datetime.fromtimestamp(at, UTC):%Y-%m-%d %H:%M}"


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount} {currency}"
