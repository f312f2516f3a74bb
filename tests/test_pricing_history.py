"""The right rule for any date: each period of Meta's pricing, its cutovers and its options.

Dates, rules and sources: the fact sheet, sections 1.5, 2, 3 and 4.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_engine_properties import timelines
from whatsapp_pricing import Rule, Timeline, Verdict, simulate
from whatsapp_pricing.engine import ConversationEngine, Key
from whatsapp_pricing.periods import period_on
from whatsapp_pricing.rate_cards import (
    Column,
    RateBook,
    VolumeTiers,
    parse_rate_card,
    shipped_volume_tiers,
)
from whatsapp_pricing.records import Counted
from whatsapp_pricing.simulation import events_of
from whatsapp_pricing.simulation import run as run_engine

ARGENTINA = "+5491123456789"
BRAZIL = "+5511987654321"
INDIA = "+919812345678"
MALAYSIA = "+60123456789"
KAZAKHSTAN = "+77011234567"
KENYA = "+254712345678"  # Rest of Africa
BANGLADESH = "+8801712345678"


def priced(
    *events: dict[str, Any],
    time_zone: str = "UTC",
    rate_book: RateBook | None = None,
    **account: Any,
) -> Verdict:
    document = {"account": {"time_zone": time_zone, **account}, "events": list(events)}
    return simulate(Timeline.model_validate(document), rate_book)


def customer(at: str, number: str, entry_point: str | None = None) -> dict[str, Any]:
    event = {"type": "customer_message", "at": at, "customer": number}
    return event | ({"entry_point": entry_point} if entry_point else {})


def template(message_id: str, at: str, number: str, category: str) -> dict[str, Any]:
    return {
        "type": "template",
        "id": message_id,
        "at": at,
        "customer": number,
        "category": category,
    }


def free_form(message_id: str, at: str, number: str, **extra: str) -> dict[str, Any]:
    return {"type": "free_form", "id": message_id, "at": at, "customer": number, **extra}


def charges(verdict: Verdict) -> list[Decimal | None]:
    return [message.charge.amount for message in verdict.messages]


class TestPerMessagePricing:
    """From 2025-07-01: each delivered template is charged; non-template messages are free."""

    def test_each_template_is_charged_and_none_opens_a_conversation(self) -> None:
        verdict = priced(
            template("promo", "2025-08-04T10:00:00+00:00", ARGENTINA, "marketing"),
            template("promo again", "2025-08-04T11:00:00+00:00", ARGENTINA, "marketing"),
            template("order", "2025-08-04T12:00:00+00:00", ARGENTINA, "utility"),
        )
        assert charges(verdict) == [Decimal("0.0618"), Decimal("0.0618"), Decimal("0.0289")]
        assert [message.conversation for message in verdict.messages] == [None, None, None]
        assert verdict.conversations == ()
        assert verdict.messages[0].rule is Rule.PMP_CHARGED

    def test_utility_templates_and_free_form_messages_in_the_window_are_free(self) -> None:
        verdict = priced(
            customer("2025-08-04T09:00:00+00:00", ARGENTINA),
            template("receipt", "2025-08-04T10:00:00+00:00", ARGENTINA, "utility"),
            free_form("answer", "2025-08-04T10:05:00+00:00", ARGENTINA),
            template("promo", "2025-08-04T11:00:00+00:00", ARGENTINA, "marketing"),
            template("late receipt", "2025-08-05T10:00:00+00:00", ARGENTINA, "utility"),
        )
        assert charges(verdict) == [0, 0, Decimal("0.0618"), Decimal("0.0289")]
        assert verdict.messages[0].rule is Rule.PMP_UTILITY_IN_WINDOW

    def test_a_free_entry_point_window_makes_every_message_free_for_72_hours(self) -> None:
        verdict = priced(
            customer("2025-08-04T09:00:00+00:00", ARGENTINA, "click_to_whatsapp_ad"),
            template("reply", "2025-08-04T10:00:00+00:00", ARGENTINA, "marketing"),
            template("offer", "2025-08-06T10:00:00+00:00", ARGENTINA, "marketing"),
            template("after", "2025-08-07T10:00:00+00:00", ARGENTINA, "marketing"),
        )
        assert charges(verdict) == [0, 0, Decimal("0.0618")]
        assert [conversation.category for conversation in verdict.conversations] == [
            "free_entry_point"
        ]
        assert verdict.messages[1].conversation is not None
        assert verdict.messages[2].conversation is None

    def test_a_market_missing_from_a_partial_card_is_unpriced(self) -> None:
        verdict = priced(template("promo", "2025-08-04T10:00:00+00:00", BRAZIL, "marketing"))
        assert charges(verdict) == [None]
        assert verdict.total.amount is None


class TestChargedServiceMessages:
    """From 2026-10-01: service messages are charged at the utility rate, in the window too."""

    def test_service_and_in_window_utility_messages_are_charged(self) -> None:
        verdict = priced(
            customer("2026-11-02T09:00:00+00:00", BRAZIL),
            free_form("answer", "2026-11-02T09:05:00+00:00", BRAZIL),
            template("receipt", "2026-11-02T09:10:00+00:00", BRAZIL, "utility"),
        )
        assert charges(verdict) == [Decimal("0.0068"), Decimal("0.0068")]
        assert verdict.messages[0].rule is Rule.PMP_SERVICE_CHARGED

    def test_the_free_entry_point_window_stays_free(self) -> None:
        verdict = priced(
            customer("2026-11-02T09:00:00+00:00", BRAZIL, "facebook_page_cta"),
            free_form("answer", "2026-11-02T09:05:00+00:00", BRAZIL),
            free_form("more", "2026-11-02T09:10:00+00:00", BRAZIL),
        )
        assert charges(verdict) == [0, 0]

    def test_the_reported_allowance_is_off_unless_the_timeline_turns_it_on(self) -> None:
        events = [customer("2026-11-02T09:00:00+00:00", BRAZIL)] + [
            free_form(f"m{index}", "2026-11-02T10:00:00+00:00", BRAZIL, business_number=number)
            for index, number in enumerate(["+551130000001"] * 1001 + ["+551130000002"])
        ]
        assert charges(priced(*events))[:1] == [Decimal("0.0068")]
        allowed = priced(*events, unconfirmed_free_service_messages=True)
        assert charges(allowed) == [0] * 1000 + [Decimal("0.0068"), 0]
        assert allowed.messages[0].rule is Rule.PMP_FREE_SERVICE_UNCONFIRMED
        assert allowed.messages[1000].rule is Rule.PMP_SERVICE_CHARGED


class TestCutovers:
    def test_per_message_pricing_starts_at_midnight_in_the_account_time_zone(self) -> None:
        """The issue's case: 01:30 on 1 July in Kolkata is per-message; 23:30 on 30 June is not."""

        def in_kolkata(at: str) -> Verdict:
            return priced(template("m", at, ARGENTINA, "marketing"), time_zone="Asia/Kolkata")

        after = in_kolkata("2025-07-01T01:30:00+05:30")
        assert after.messages[0].conversation is None
        assert charges(after) == [Decimal("0.0618")]
        before = in_kolkata("2025-06-30T23:30:00+05:30")
        assert before.messages[0].conversation is not None
        assert before.conversations[0].category == "marketing"

    def test_a_conversation_open_at_the_switch_keeps_its_messages(self) -> None:
        verdict = priced(
            template("opens", "2025-06-30T20:00:00+00:00", ARGENTINA, "utility"),
            template("joins", "2025-07-01T10:00:00+00:00", ARGENTINA, "utility"),
            template("charged", "2025-07-01T20:00:00+00:00", ARGENTINA, "utility"),
        )
        first, joins, charged = verdict.messages
        assert first.conversation is not None
        assert joins.conversation == first.conversation
        assert joins.charge.amount == 0
        assert joins.rule is Rule.PMP_CARRIED_OVER
        assert charged.conversation is None
        assert charged.charge.amount == Decimal("0.0289")

    def test_service_conversations_are_free_from_november_2024(self) -> None:
        def answer_on(day: str) -> Decimal | None:
            verdict = priced(
                *(
                    customer(f"{day}T09:00:00+00:00", f"+5511977{index:06d}")
                    for index in range(1001)
                ),
                *(
                    free_form(f"m{index}", f"{day}T09:30:00+00:00", f"+5511977{index:06d}")
                    for index in range(1001)
                ),
            )
            return verdict.messages[-1].charge.amount

        assert answer_on("2024-10-30") == Decimal("0.0300")
        assert answer_on("2024-11-01") == 0


class TestAuthenticationInternational:
    ELIGIBLE: dict[str, Any] = {  # noqa: RUF012
        "authentication_international": True,
        "primary_business_location": "BR",
    }

    def code(self, at: str, number: str, **account: Any) -> Decimal | None:
        verdict = priced(template("otp", at, number, "authentication"), **account)
        return verdict.messages[0].charge.amount

    def test_an_eligible_account_pays_the_international_rate_outside_its_country(self) -> None:
        assert self.code("2024-10-07T10:00:00+00:00", INDIA, **self.ELIGIBLE) == Decimal("0.0280")
        assert self.code("2024-10-07T10:00:00+00:00", INDIA) == Decimal("0.0014")

    def test_a_market_without_an_international_rate_keeps_the_regular_one(self) -> None:
        assert self.code("2024-10-07T10:00:00+00:00", MALAYSIA, **self.ELIGIBLE) == Decimal(
            "0.0180"
        )

    def test_inside_the_business_country_the_regular_rate_applies(self) -> None:
        account = {"authentication_international": True, "primary_business_location": "IN"}
        assert self.code("2024-10-07T10:00:00+05:30", INDIA, **account) == Decimal("0.0014")

    def test_the_rate_starts_on_its_own_day_per_market(self) -> None:
        indonesia = "+6281234567890"
        assert self.code("2024-06-03T10:00:00+00:00", indonesia, **self.ELIGIBLE) == Decimal(
            "0.1360"
        )
        assert self.code("2024-06-03T10:00:00+00:00", INDIA, **self.ELIGIBLE) is None

    def test_per_message_international_rates_and_unknown_ones(self) -> None:
        assert self.code("2026-11-02T10:00:00+00:00", KAZAKHSTAN, **self.ELIGIBLE) == Decimal(
            "0.1600"
        )
        assert self.code("2026-11-02T10:00:00+00:00", INDIA, **self.ELIGIBLE) is None

    def test_eligibility_needs_a_primary_location(self) -> None:
        with pytest.raises(ValueError, match="primary_business_location"):
            priced(authentication_international=True)


class TestVolumeTiers:
    CARD = """\
# Title: a test card
# Pricing: per message
# Currency: USD
# Effective: 2026-10-01
# Source: written for this test
# Confidence: made up
Market,Currency,Marketing,Utility,Authentication,Authentication-International,Service
Rest of Africa,USD,0.0225,0.0040,0.0040,n/a,0.0040
"""

    def book(self, day: date, *tiers: tuple[int, str]) -> RateBook:
        """The test card from ``day``, with tiers given as (first message, discount or '')."""
        card = parse_rate_card(self.CARD.replace("2026-10-01", day.isoformat()))
        table = tuple((first, Decimal(discount) if discount else None) for first, discount in tiers)
        return RateBook(
            [card], [VolumeTiers("USD", "Rest of Africa", Column.UTILITY, day, None, table)]
        )

    def utilities(self, count: int, day: str = "2026-11-02") -> list[dict[str, Any]]:
        start = datetime.fromisoformat(f"{day}T00:00:00+00:00")
        return [
            template(f"u{index}", (start + timedelta(minutes=index)).isoformat(), KENYA, "utility")
            for index in range(count)
        ]

    def test_each_tier_rate_applies_to_the_messages_within_it(self) -> None:
        book = self.book(date(2026, 10, 1), (1, "0"), (3, "0.05"), (5, ""))
        verdict = priced(*self.utilities(6), rate_book=book)
        assert charges(verdict) == [
            Decimal("0.0040"),
            Decimal("0.0040"),
            Decimal("0.003800"),
            Decimal("0.003800"),
            None,
            None,
        ]
        assert {message.rule for message in verdict.messages} == {Rule.PMP_CHARGED}

    def test_tiers_count_per_calendar_month_in_the_account_zone(self) -> None:
        book = self.book(date(2026, 10, 1), (1, "0"), (2, "0.10"))
        verdict = priced(
            template("a", "2026-10-31T20:00:00+00:00", KENYA, "utility"),  # 31 Oct in UTC-5
            template("b", "2026-11-01T04:30:00+00:00", KENYA, "utility"),  # 31 Oct 23:30 there
            template("c", "2026-11-01T05:30:00+00:00", KENYA, "utility"),  # 1 Nov 00:30 there
            time_zone="America/Bogota",
            rate_book=book,
        )
        assert charges(verdict) == [Decimal("0.0040"), Decimal("0.00360"), Decimal("0.0040")]

    def test_only_charged_messages_count(self) -> None:
        book = self.book(date(2025, 10, 1), (1, "0"), (2, "0.10"))
        verdict = priced(
            customer("2025-11-03T09:00:00+00:00", KENYA),
            template("free", "2025-11-03T09:10:00+00:00", KENYA, "utility"),
            template("first", "2025-11-04T10:00:00+00:00", KENYA, "utility"),
            template("second", "2025-11-04T11:00:00+00:00", KENYA, "utility"),
            rate_book=book,
        )
        assert charges(verdict) == [0, Decimal("0.0040"), Decimal("0.00360")]

    def test_the_shipped_fragment_for_rest_of_africa(self) -> None:
        (africa,) = [
            tiers
            for tiers in shipped_volume_tiers()
            if (tiers.currency, tiers.market, tiers.column) == ("USD", "Rest of Africa", "Utility")
        ]
        assert africa.discount(100_000) == 0
        assert africa.discount(100_001) == Decimal("0.05")
        assert africa.discount(80_000_001) == Decimal("0.25")


class TestInternationalAuthenticationTiers:
    """Meta's pricing page ("Volume tiers", its example of a business charged the
    authentication-international rate from the 15th): that rate has volume tiers, and its
    messages go on counting with the market's authentication messages."""

    FROM_INDIA: dict[str, Any] = {  # noqa: RUF012
        "currency": "INR",
        "authentication_international": True,
        "primary_business_location": "IN",
    }

    def codes(self, count: int) -> list[dict[str, Any]]:
        start = datetime(2026, 11, 2, tzinfo=UTC)
        moments = [(start + timedelta(seconds=n)).isoformat() for n in range(count)]
        return [
            template(f"otp{n}", at, BANGLADESH, "authentication") for n, at in enumerate(moments)
        ]

    def test_the_shipped_inr_tiers_lower_the_rate_from_the_100001st_code(self) -> None:
        """Bangladesh's INR authentication-international tiers of 2026-10-01: the list rate to
        100,000 messages a month, then Meta's 5 % lower rate."""
        *_, last_listed, first_lower = priced(*self.codes(100_001), **self.FROM_INDIA).messages
        assert (last_listed.charge.amount, first_lower.charge.amount) == (
            Decimal("7.0360"),
            Decimal("6.6842"),
        )
        assert first_lower.webhook is not None
        assert first_lower.webhook.category == "authentication-international"
        assert first_lower.reason.endswith(
            "message 100,001 of November 2026 for Bangladesh authentication is in the volume "
            "tier 5% below the authentication-international list rate of 7.0360."
        )

    def test_they_count_with_the_markets_authentication_messages(self) -> None:
        def counted(**account: Any) -> list[Key]:
            document = {"account": {"time_zone": "UTC", **account}, "events": self.codes(1)}
            timeline = Timeline.model_validate(document)
            counters = _Recording()
            engine = ConversationEngine(timeline.account, counters=counters)
            list(run_engine(engine, events_of(timeline)))
            return counters.keys

        assert counted(**self.FROM_INDIA) == counted(currency="INR") != []

    def test_an_unknown_international_rate_stays_unpriced_whatever_its_tier(self) -> None:
        account = self.FROM_INDIA | {"currency": "USD"}
        (code,) = priced(*self.codes(1), **account).messages
        assert code.charge.amount is None
        assert code.reason.endswith(
            "authentication-international rate for Bangladesh on 2026-11-02 is known."
        )


class _Recording:
    """The engine's counters, noting the key of every count."""

    def __init__(self) -> None:
        self.keys: list[Key] = []

    def next(
        self,
        key: Key,
        at: float,
        order: int,
        free: int | None = None,
        counted: Counted | None = None,
    ) -> int:
        self.keys.append(key)
        return self.keys.count(key)


ZONES = [
    "Asia/Kolkata",
    "Pacific/Auckland",
    "America/Los_Angeles",
    "Pacific/Kiritimati",
    "Pacific/Pago_Pago",
    "UTC",
]


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(ZONES),
    st.datetimes(min_value=datetime(2024, 10, 29), max_value=datetime(2026, 10, 3)),
)
def test_the_period_depends_only_on_the_local_delivery_date(zone: str, moment: datetime) -> None:
    """A marketing template to an 'Other' market number, around every cutover."""
    at = moment.replace(tzinfo=ZoneInfo("UTC"))
    verdict = priced(template("m", at.isoformat(), "+3545512345", "marketing"), time_zone=zone)
    local_day = at.astimezone(ZoneInfo(zone)).date()
    per_message = period_on(local_day).per_message
    assert (verdict.messages[0].conversation is None) == per_message
    assert per_message == (local_day >= date(2025, 7, 1))


PER_MESSAGE_STARTS = [
    datetime(2025, 8, 4, tzinfo=ZoneInfo("UTC")),
    datetime(2026, 11, 2, tzinfo=ZoneInfo("UTC")),
]


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(PER_MESSAGE_STARTS).flatmap(lambda start: timelines(start)),
    st.randoms(use_true_random=False),
)
def test_per_message_verdicts_do_not_depend_on_input_order(
    events: list[dict[str, Any]], shuffler: Any
) -> None:
    shuffled = list(events)
    shuffler.shuffle(shuffled)
    assert priced(*shuffled) == priced(*events)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(PER_MESSAGE_STARTS).flatmap(lambda start: timelines(start)))
def test_per_message_pricing_opens_only_free_entry_point_windows(
    events: list[dict[str, Any]],
) -> None:
    verdict = priced(*events)
    assert {conversation.category for conversation in verdict.conversations} <= {"free_entry_point"}
    for message in verdict.messages:
        if message.conversation is not None:
            assert message.charge.amount == 0
    known = [message.charge.amount for message in verdict.messages]
    assert verdict.total.priced_amount == sum((amount or 0 for amount in known), Decimal(0))


class TestBeyondTheLatestCard:
    """Charges after the next day Meta could change prices are the best known, and say so."""

    def test_a_charge_after_the_latest_cards_quarter_is_provisional(self) -> None:
        verdict = priced(
            template("november", "2026-11-02T10:00:00+00:00", BRAZIL, "marketing"),
            template("january", "2027-01-04T10:00:00+00:00", BRAZIL, "marketing"),
        )
        november, january = verdict.messages
        assert (november.provisional, january.provisional) == (False, True)
        assert january.charge == november.charge
        assert january.rule is Rule.PMP_CHARGED

    def test_a_free_message_is_never_provisional(self) -> None:
        verdict = priced(
            {"type": "customer_message", "at": "2027-01-04T09:00:00+00:00", "customer": BRAZIL,
             "entry_point": "click_to_whatsapp_ad"},
            template("free", "2027-01-04T10:00:00+00:00", BRAZIL, "marketing"),
        )  # fmt: skip
        assert verdict.messages[0].charge.amount == 0
        assert not verdict.messages[0].provisional

    def test_a_currency_with_no_card_gets_one_notice(self) -> None:
        events = [
            template("t", "2026-11-02T10:00:00+00:00", BRAZIL, "marketing"),
            template("u", "2026-11-02T11:00:00+00:00", BRAZIL, "utility"),
        ]
        verdict = priced(*events, currency="JPY")
        assert [message.charge.amount for message in verdict.messages] == [None, None]
        assert len(verdict.notices) == 1
        assert "--rate-card" in verdict.notices[0]
        assert priced(*events).notices == ()
