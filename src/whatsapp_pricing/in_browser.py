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
    """The estimate of a month of traffic and of the same month a year earlier."""

    def answer() -> str:
        month = Traffic.model_validate_json(traffic)
        estimates = {"month": estimate(month), "a_year_earlier": estimate(month.a_year_earlier())}
        return json.dumps({key: value.model_dump(mode="json") for key, value in estimates.items()})

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
