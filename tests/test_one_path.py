"""Four front doors, one path: simulate(), the command line's JSON and --table, the streaming
writer and the in-browser bridge give the same verdict for the same timeline."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import BRAZIL, INDIA
from whatsapp_pricing import Timeline, simulate
from whatsapp_pricing.cli import _print_table, main
from whatsapp_pricing.domain import Verdict
from whatsapp_pricing.in_browser import simulate_json
from whatsapp_pricing.rate_cards import shipped_rate_book
from whatsapp_pricing.simulation import price
from whatsapp_pricing.timeline_io import read_timeline, write_verdict

KENYA = "+254712345678"
"""A market the shipped cards leave unpriced for some categories."""


def event(kind: str, at: str, customer: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "at": at, "customer": customer, **fields}


def rich_events() -> list[dict[str, Any]]:
    """Every era from two-category conversations to a provisional card, a free entry point, a
    Meta Business Agent message, an unpriced market and business numbers, out of time order."""
    return [
        event("customer_message", "2022-05-02T10:00:00+00:00", BRAZIL),
        event("free_form", "2022-05-02T10:05:00+00:00", BRAZIL, id="2022-reply"),
        event(
            "template", "2022-05-03T12:00:00+00:00", INDIA, id="2022-promo", category="marketing"
        ),
        event("template", "2024-10-07T09:00:00+00:00", KENYA, id="kenya", category="utility"),
        event(
            "customer_message",
            "2024-10-07T10:00:00+00:00",
            BRAZIL,
            entry_point="click_to_whatsapp_ad",
        ),
        event("free_form", "2024-10-07T10:30:00+00:00", BRAZIL, id="fep-open"),
        event("template", "2024-10-08T10:00:00+00:00", BRAZIL, id="fep-free", category="marketing"),
        event(
            "template",
            "2025-07-15T08:00:00+00:00",
            INDIA,
            id="pmp-marketing",
            category="marketing",
            business_number="+15550001111",
        ),
        event("customer_message", "2025-07-15T09:00:00+00:00", INDIA),
        event("template", "2025-07-15T09:10:00+00:00", INDIA, id="in-window", category="utility"),
        event("template", "2025-07-16T09:10:00+00:00", INDIA, id="auth", category="authentication"),
        event("customer_message", "2026-11-02T09:00:00+00:00", BRAZIL),
        event("agent_message", "2026-11-02T09:01:00+00:00", BRAZIL, id="agent", tokens=1200),
        event("free_form", "2026-11-02T09:02:00+00:00", BRAZIL, id="service"),
        event("template", "2027-02-01T09:00:00+00:00", BRAZIL, id="late", category="marketing"),
        # Out of order on purpose: every door sorts the same way.
        event("free_form", "2022-05-02T10:06:00+00:00", BRAZIL, id="2022-second"),
    ]


def document(currency: str) -> dict[str, Any]:
    return {"account": {"time_zone": "Asia/Kolkata", "currency": currency}, "events": rich_events()}


def table_of(verdict_json: str, capsys: pytest.CaptureFixture[str]) -> str:
    """What ``--table`` prints for this verdict."""
    capsys.readouterr()
    _print_table(Verdict.model_validate_json(verdict_json))
    return capsys.readouterr().out


def test_the_timeline_is_as_rich_as_it_says() -> None:
    usd = simulate(Timeline.model_validate(document("USD")))
    assert len({message.period for message in usd.messages}) >= 4
    assert "free_entry_point" in {conversation.category for conversation in usd.conversations}
    assert "mba" in {message.rule.split(".")[0] for message in usd.messages}
    assert any(message.provisional for message in usd.messages)
    assert usd.total.unpriced_charges > 0
    assert usd.notices == ()
    assert simulate(Timeline.model_validate(document("JPY"))).notices != ()


@pytest.mark.parametrize("currency", ["USD", "INR", "JPY"])
def test_every_door_gives_the_same_verdict(
    currency: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = json.dumps(document(currency))
    expected = simulate(Timeline.model_validate_json(text)).model_dump_json()

    streamed = io.BytesIO()
    write_verdict(price(*read_timeline(text), shipped_rate_book()), streamed)
    assert streamed.getvalue().decode() == expected

    assert simulate_json(text) == expected

    path = tmp_path / "timeline.json"
    path.write_text(text, encoding="utf-8")
    capsys.readouterr()
    assert main(["simulate", str(path)]) == 0
    printed = capsys.readouterr()
    assert printed.out == expected + "\n"
    notices = json.loads(expected)["notices"]
    assert printed.err == "".join(f"whatsapp-pricing: notice: {n}\n" for n in notices)

    assert main(["simulate", "--table", str(path)]) == 0
    shown = capsys.readouterr()
    assert shown.err == printed.err
    assert "Total: " in shown.out
    assert shown.out == table_of(expected, capsys)


def test_the_summary_comes_after_the_messages() -> None:
    pricing = price(*read_timeline(json.dumps(document("USD"))), shipped_rate_book())
    with pytest.raises(RuntimeError, match="after all of its messages"):
        pricing.summary()
    batches = list(pricing.batches(5))
    assert [len(batch) for batch in batches] == [5, 5, 2]
    assert pricing.summary().total.unpriced_charges > 0
    with pytest.raises(RuntimeError, match="read once"):
        next(pricing.batches())
