"""Authentication-international began on 2024-06-01 (Indonesia) and 2024-07-01 (India), Meta's
dates: before a market had the rate there was no such rate, so the engine bills the market's
authentication rate and reports authentication, and the June 2023 card (as Meta reissued it in
2024) shows the 2024 rates only from their first day."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from whatsapp_pricing import Timeline, shipped_rate_book, simulate
from whatsapp_pricing.markets import meta_markets
from whatsapp_pricing.rate_cards import Missing, RateBook, RateCard
from whatsapp_pricing.site.feeds import changes, rate_cards
from whatsapp_pricing.site.rate_tables import card_table

INDONESIA = "+6281234567890"
INDIA = "+919812345678"


def otp(day: str, customer: str) -> tuple[Decimal | None, str | None, str]:
    timeline = Timeline.model_validate(
        {
            "account": {
                "time_zone": "UTC",
                "authentication_international": True,
                "primary_business_location": "BR",
            },
            "events": [
                {
                    "type": "template",
                    "id": "otp",
                    "at": f"{day}T10:00:00Z",
                    "customer": customer,
                    "category": "authentication",
                }
            ],
        }
    )
    [message] = simulate(timeline).messages
    return message.charge.amount, message.webhook.category, message.reason


def june_2023_card() -> tuple[RateBook, RateCard]:
    book = shipped_rate_book()
    return book, next(card for card in book.cards if card.effective == date(2023, 6, 1))


@pytest.mark.parametrize(
    ("day", "customer", "amount"),
    [
        ("2023-10-02", INDONESIA, "0.0300"),  # Indonesia's authentication rate
        ("2024-05-31", INDONESIA, "0.0300"),
        ("2024-06-01", INDONESIA, "0.1360"),  # its authentication-international rate
        ("2024-07-01", INDIA, "0.0280"),
    ],
)
def test_the_rate_applies_from_the_day_meta_introduced_it(
    day: str, customer: str, amount: str
) -> None:
    charged, _, reason = otp(day, customer)
    assert charged == Decimal(amount), reason


def test_before_india_had_the_rate_there_was_no_authentication_rate_to_bill() -> None:
    charged, _, reason = otp("2024-06-15", INDIA)
    assert charged is None
    assert "has no India authentication rate on 2024-06-15" in reason


def test_a_per_message_otp_reports_the_category_meta_billed() -> None:
    """The webhook names the international category only where the market has the rate:
    Brazil has none (n/a), so an OTP to Brazil from abroad is an authentication message (it was
    once reported as international while priced as authentication)."""
    assert otp("2025-10-06", INDIA)[:2] == (Decimal("0.0280"), "authentication-international")
    assert otp("2025-10-06", "+5511987654321")[:2] == (Decimal("0.0068"), "authentication")


def test_an_otp_from_abroad_says_whose_volume_tiers_it_lacks() -> None:
    """No USD tiers of India's authentication-international rate are shipped (its INR ones are):
    the reason names the rate charged, and the currency and rate whose tiers are missing."""
    charged, _, reason = otp("2026-08-10", INDIA)
    assert charged == Decimal("0.0304")
    assert reason.endswith(
        "charged at the India authentication-international rate of 0.0304 USD, as the "
        "business's primary location is elsewhere (the list rate: the shipped data has no USD "
        "volume tiers for India authentication-international on that day)."
    )


def test_the_card_says_n_a_before_a_cells_first_day_and_the_rate_after() -> None:
    _, card = june_2023_card()
    column = "Authentication-International"
    assert card.rate("Indonesia", column, date(2023, 6, 1)) is Missing.NOT_APPLICABLE
    assert card.rate("Indonesia", column, date(2024, 6, 1)) == Decimal("0.1360")
    assert card.rate("India", column, date(2024, 6, 30)) is Missing.NOT_APPLICABLE


def test_the_card_shown_for_2023_keeps_2024_rates_out_of_its_table_and_dates_them() -> None:
    book, card = june_2023_card()
    shown = card_table(book, card, card.effective)
    table, notes = shown.split("</table>", 1)
    assert "0.1360" not in table
    assert "0.0280" not in table
    assert "Indonesia Authentication-International 0.1360 from 2024-06-01" in notes
    assert "India Authentication-International 0.0280 from 2024-07-01" in notes
    assert "0.1360" in card_table(book, card, date(2024, 7, 1)).split("</table>")[0]


def test_the_feed_dates_the_rates_added_later() -> None:
    [entry] = [
        c
        for c in rate_cards(shipped_rate_book(), date(2026, 12, 4)).cards
        if c.id == "card-usd-2023-06-01"
    ]
    assert entry.not_before["Indonesia"]["Authentication-International"] == date(2024, 6, 1)
    assert entry.not_before["India"]["Authentication-International"] == date(2024, 7, 1)


def test_the_change_feed_has_the_day_each_added_rate_began() -> None:
    """A support team subscribed to the feed is told of 2024-06-01 and 2024-07-01, not only of
    the card's 2023-06-01."""
    history = changes(shipped_rate_book(), meta_markets(), date(2026, 12, 4)).changes
    added = {c.day: c.title for c in history if c.id.startswith("rate-card:card-usd-2023-06-01:")}
    assert sorted(added) == [date(2024, 6, 1), date(2024, 7, 1)]
    assert "Indonesia Authentication-International" in added[date(2024, 6, 1)]
    assert "India Authentication-International" in added[date(2024, 7, 1)]
