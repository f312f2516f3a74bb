"""What the site's in-browser engine calls: JSON text in, JSON text out.

The site runs this package under Pyodide. Each function here answers one request of the page's
script with the same code paths as the command line (``simulate --table`` reads a timeline with
:func:`~whatsapp_pricing.timeline_io.read_timeline` and prices it through the one pipeline,
:func:`~whatsapp_pricing.simulation.price`, exactly so), and turns any input the rules refuse
into ``{"error": "..."}`` with the command line's one-line wording, so the page never shows a
traceback.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from pydantic import TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from whatsapp_pricing.domain import Account
from whatsapp_pricing.errors import PricingError
from whatsapp_pricing.estimate import Traffic, estimate
from whatsapp_pricing.rate_cards import shipped_rate_book
from whatsapp_pricing.reconcile import statement
from whatsapp_pricing.reconcile.bill import compare_log
from whatsapp_pricing.simulation import price, verdict_from
from whatsapp_pricing.timeline_io import read_timeline
from whatsapp_pricing.why_charged import Answer, answer, question_from_json

ANSWERS = TypeAdapter(list[Answer])


def simulate_json(timeline: str) -> str:
    """The verdict of a timeline in the contract's JSON, as ``simulate`` writes it."""

    def answer() -> str:
        account, events = read_timeline(timeline)
        return verdict_from(price(account, events, shipped_rate_book())).model_dump_json()

    return _answered(answer)


def estimate_json(traffic: str) -> str:
    """The estimate of a month of traffic and of the same month a year earlier, with the
    month's CSV; a mistake is told in the words of the Try page's form."""

    def answer() -> str:
        try:
            month = Traffic.model_validate_json(traffic)
        except ValidationError as error:
            raise PricingError(in_the_forms_words(error.errors()[0], traffic)) from None
        now, before = estimate(month), estimate(month.a_year_earlier())
        answers = {"month": now.model_dump(mode="json")}
        answers["a_year_earlier"] = before.model_dump(mode="json")
        return json.dumps({**answers, "csv": now.to_csv()})

    return _answered(answer)


def bill_json(request: str) -> str:
    """A pasted webhook log beside a pasted ``pricing_analytics`` response, as ``reconcile
    --analytics`` compares them: ``{"log", "analytics", "time_zone", "currency"}`` in, each
    account's summary lines and bucket rows out."""

    def answer() -> str:
        asked = json.loads(request)
        account = Account(
            time_zone=asked.get("time_zone") or "UTC", currency=asked.get("currency") or "USD"
        )
        bills = compare_log(str(asked.get("log", "")), str(asked.get("analytics", "")), account)
        return json.dumps(
            {
                "bills": [
                    {
                        "summary": statement.summary(bill),
                        "rows": [statement.row(bill, bucket) for bucket in bill.buckets],
                    }
                    for bill in bills
                ]
            }
        )

    return _answered(answer)


FIELDS = {
    "month": "Month",
    "currency": "Billing currency",
    "time_zone": "Time zone",
    "numbers": "Business phone numbers",
    "failed_messages": "Failed messages",
    "markets": "The table of countries",
    "market": "country or market",
    "country": "country or market",
    "customers_writing_first": "customers who write first",
    "via_ads": "customers through an ad",
    "per_message_sent": "fee per message sent",
    "per_message_received": "fee per message received",
    "markup_percent": "markup",
    "per_failed_message": "fee per failed message",
    "licence_per_number": "licence per number",
}
"""How the estimator's form names each field (a category's count is named by its category)."""


def in_the_forms_words(problem: ErrorDetails, asked: str) -> str:
    """One mistake in the estimator's input, where the form shows it and what to do."""
    where = _where_in_the_form(problem["loc"], asked)
    context = problem.get("ctx") or {}
    kind = problem["type"]
    if kind == "json_invalid":
        return "the form's figures could not be read; reload the page and try again"
    if kind in ("int_parsing", "int_type", "int_from_float", "decimal_parsing"):
        return f"{where}: write a whole number, such as 25000"
    if kind in ("greater_than_equal", "greater_than"):
        return f"{where}: write 0 or more"
    if kind in ("less_than_equal", "less_than"):
        return f"{where}: write at most {context.get('le', context.get('lt')):,}"
    if kind == "too_short":
        return f"{where}: add at least one country or market with its counts"
    if kind == "string_pattern_mismatch" and where == "Month":
        return "Month: pick a month, such as 2026-11"
    if kind == "string_pattern_mismatch":
        return f"{where}: write a three-letter currency code, such as USD"
    if kind == "missing":
        return f"{where}: fill it in"
    if kind == "extra_forbidden":
        return f"{where}: not a column the estimator knows; use the table's headings"
    message = problem["msg"].removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _where_in_the_form(location: tuple[int | str, ...], asked: str) -> str:
    """``('markets', 1, 'utility')`` is "Row 2 (Brazil), utility"."""
    if len(location) >= 2 and location[0] == "markets" and isinstance(location[1], int):
        row = location[1]
        try:
            written = json.loads(asked)["markets"][row]
            market = written.get("country") or written.get("market") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            market = ""
        named = f"Row {row + 1}" + (f" ({market})" if market else "")
        field = str(location[2]) if len(location) > 2 else ""
        return f"{named}, {FIELDS.get(field, field)}" if field else named
    if location and location[0] == "provider":
        field = str(location[-1])
        return f"Provider fees, {FIELDS.get(field, field)}"
    return FIELDS.get(str(location[0]), str(location[0])) if location else ""


def why_charged_json(question: str) -> str:
    """Why each message of a pasted webhook, or of four choices, cost what it cost."""

    def answered() -> str:
        return ANSWERS.dump_json(answer(question_from_json(question))).decode()

    return _answered(answered)


def _answered(answer: Callable[[], str]) -> str:
    try:
        return answer()
    except ValidationError as error:
        return json.dumps({"error": str(PricingError.from_problems(error.errors()))})
    except (PricingError, ValueError) as error:
        return json.dumps({"error": str(error)})
