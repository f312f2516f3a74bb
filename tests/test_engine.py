"""The conversation rules, checked against Meta's worked examples and their edge cases.

Vectors V1 to V11 are those of the fact sheet (section 1.6), from Meta's conversation-based
pricing page and the 2023 and 2024 wording of Meta's examples.
"""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from tests.helpers import (
    BRAZIL,
    INDIA,
    SOUTH_AFRICA,
    customer,
    free_form,
    joined,
    run,
    spans,
    template,
    timeline,
)
from whatsapp_pricing import MessageStatus, Rule, UnsupportedPeriod, simulate
from whatsapp_pricing.domain import Account
from whatsapp_pricing.engine import ConversationEngine, Event, Kind
from whatsapp_pricing.periods import PERIODS
from whatsapp_pricing.rate_cards import RateBook, shipped_rate_book
from whatsapp_pricing.simulation import events_of
from whatsapp_pricing.simulation import run as run_engine


def test_v1_a_template_opens_its_own_category_unless_one_is_open() -> None:
    verdict = run(
        template("promo", 0, "marketing"),
        template("order", 4, "utility"),
        template("shipped", 10, "utility"),
    )
    assert spans(verdict) == [("marketing", 0, 24), ("utility", 4, 28)]
    assert joined(verdict) == {"promo": "c1", "order": "c2", "shipped": "c2"}
    assert [message.charge.amount for message in verdict.messages] == [
        Decimal("0.0625"),
        Decimal("0.0080"),
        Decimal(0),
    ]


def test_v2_free_form_joins_any_open_conversation_and_opens_service_only_when_none_is() -> None:
    verdict = run(
        template("promo", 0, "marketing"),
        customer(4),
        free_form("list", 5),
        free_form("text", 25),
        free_form("more", 26),
    )
    assert spans(verdict) == [("marketing", 0, 24), ("service", 25, 49)]
    assert joined(verdict) == {"promo": "c1", "list": "c1", "text": "c2", "more": "c2"}


def test_v2_the_service_conversation_outlives_the_window_that_allowed_it() -> None:
    verdict = run(customer(4), free_form("text", 25))
    ((category, opened, expires),) = spans(verdict)
    assert (category, opened, expires) == ("service", 25, 49)
    assert expires > 4 + 24


def test_v3_free_entry_point_from_a_click_to_whatsapp_ad() -> None:
    verdict = run(
        customer(10, entry_point="click_to_whatsapp_ad"),
        template("reply", 22, "marketing"),
        template("offer", 30, "marketing"),
        free_form("inside window", 33),
        free_form("after window", 35),
        template("last day", 93, "utility"),
        template("after fep", 94, "utility"),
    )
    assert spans(verdict) == [("free_entry_point", 22, 94), ("utility", 94, 118)]
    statuses = {message.id: message.status for message in verdict.messages}
    assert statuses["after window"] is MessageStatus.REJECTED
    assert joined(verdict) == {
        "reply": "c1",
        "offer": "c1",
        "inside window": "c1",
        "after window": None,
        "last day": "c1",
        "after fep": "c2",
    }
    assert [message.charge.amount for message in verdict.messages[:-1]] == [0] * 5


def test_a_facebook_page_button_is_a_free_entry_point_too() -> None:
    verdict = run(customer(0, entry_point="facebook_page_cta"), free_form("reply", 1))
    assert spans(verdict) == [("free_entry_point", 1, 73)]
    assert verdict.messages[0].rule is Rule.FEP_OPENED


def test_answering_an_ad_after_24_hours_opens_an_ordinary_conversation() -> None:
    verdict = run(
        customer(0, entry_point="click_to_whatsapp_ad"),
        template("late", 24, "utility"),
    )
    assert spans(verdict) == [("utility", 24, 48)]


def test_v4_same_category_joins_other_category_opens_a_second_conversation() -> None:
    verdict = run(
        template("code", 0, "authentication", INDIA),
        template("code again", 3, "authentication", INDIA),
        template("promo", 5, "marketing", INDIA),
    )
    assert spans(verdict) == [("authentication", 0, 24), ("marketing", 5, 29)]


def test_v5_a_reply_to_a_customer_opens_a_service_conversation() -> None:
    verdict = run(customer(0), free_form("reply", 2))
    assert spans(verdict) == [("service", 2, 26)]


def test_v6_marketing_then_utility_are_two_charges() -> None:
    verdict = run(template("m", 3 + 40 / 60, "marketing"), template("u", 6, "utility"))
    assert [conversation.category for conversation in verdict.conversations] == [
        "marketing",
        "utility",
    ]
    assert verdict.total.amount == Decimal("0.0625") + Decimal("0.0080")


def test_v7_two_utility_templates_two_hours_apart_are_one_charge() -> None:
    verdict = run(template("u1", 9, "utility"), template("u2", 11, "utility"))
    assert verdict.total.amount == Decimal("0.0080")


def test_v9_a_template_during_a_service_conversation_opens_its_own() -> None:
    verdict = run(customer(9), free_form("answer", 9.5), template("promo", 16.5, "marketing"))
    assert spans(verdict) == [("service", 9.5, 33.5), ("marketing", 16.5, 40.5)]


def test_v10_a_bot_reply_and_a_later_agent_reply_share_one_service_conversation() -> None:
    verdict = run(customer(0), free_form("bot", 0), free_form("agent", 12))
    assert joined(verdict) == {"bot": "c1", "agent": "c1"}


def test_v11_a_free_entry_point_closes_the_open_conversations() -> None:
    verdict = run(
        template("promo", 0, "marketing"),
        customer(2, entry_point="click_to_whatsapp_ad"),
        template("reply", 3, "utility"),
        template("promo again", 4, "marketing"),
    )
    assert spans(verdict) == [("marketing", 0, 3), ("free_entry_point", 3, 75)]
    assert joined(verdict)["promo again"] == "c2"
    assert verdict.total.amount == Decimal("0.0625")


def test_a_free_form_message_outside_the_window_is_rejected_and_free() -> None:
    verdict = run(free_form("cold", 0))
    (message,) = verdict.messages
    assert message.status is MessageStatus.REJECTED
    assert message.conversation is None
    assert message.charge.amount == 0
    assert message.rule is Rule.CSW_CLOSED
    assert verdict.conversations == ()


class TestExactBoundaries:
    def test_a_conversation_is_closed_exactly_24_hours_after_it_opened(self) -> None:
        verdict = run(template("a", 0, "utility"), template("b", 24, "utility"))
        assert spans(verdict) == [("utility", 0, 24), ("utility", 24, 48)]

    def test_the_service_window_is_closed_exactly_24_hours_after_the_customer_wrote(
        self,
    ) -> None:
        verdict = run(customer(0), free_form("just in time", 23.99), free_form("too late", 24))
        assert [message.status for message in verdict.messages] == ["delivered", "rejected"]

    def test_a_free_entry_point_ends_exactly_72_hours_after_it_opened(self) -> None:
        verdict = run(
            customer(0, entry_point="click_to_whatsapp_ad"),
            template("reply", 1, "marketing"),
            template("at 72 hours", 73, "marketing"),
        )
        assert spans(verdict) == [("free_entry_point", 1, 73), ("marketing", 73, 97)]

    def test_a_reply_exactly_24_hours_after_the_ad_is_too_late(self) -> None:
        verdict = run(
            customer(0, entry_point="click_to_whatsapp_ad"), template("reply", 24, "marketing")
        )
        assert spans(verdict) == [("marketing", 24, 48)]


class TestSameInstant:
    def test_events_at_the_same_instant_keep_their_input_order(self) -> None:
        window_first = run(customer(5), free_form("reply", 5))
        reply_first = run(free_form("reply", 5), customer(5))
        assert window_first.messages[0].status is MessageStatus.DELIVERED
        assert reply_first.messages[0].status is MessageStatus.REJECTED

    def test_two_templates_of_one_category_at_one_instant_open_one_conversation(self) -> None:
        verdict = run(template("a", 0, "marketing"), template("b", 0, "marketing"))
        assert joined(verdict) == {"a": "c1", "b": "c1"}


class TestFreeTier:
    """1,000 free service conversations per account and calendar month, in the account's zone."""

    def service_conversations(self, count: int, at_hours: float) -> list[dict[str, object]]:
        numbers = [f"+55119{index:08d}" for index in range(count)]
        return [customer(at_hours, number) for number in numbers] + [
            free_form(f"reply {index}", at_hours + 0.5, number)
            for index, number in enumerate(numbers)
        ]

    def test_the_1001st_service_conversation_of_a_month_is_charged(self) -> None:
        verdict = run(*self.service_conversations(1001, 0))
        charges = [conversation.charge.amount for conversation in verdict.conversations]
        assert charges == [0] * 1000 + [Decimal("0.0300")]
        assert [message.rule for message in verdict.messages[999:]] == [
            Rule.CBP_FREE_TIER,
            Rule.CBP_SERVICE_OPENED,
        ]

    def test_templates_do_not_use_the_free_tier(self) -> None:
        promos = [
            template(f"promo {index}", 0, "marketing", f"+27821{index:06d}") for index in range(5)
        ]
        verdict = run(*promos, customer(1), free_form("reply", 2))
        assert verdict.conversations[-1].charge.amount == 0
        assert verdict.messages[-1].rule is Rule.CBP_FREE_TIER


def test_the_free_tier_resets_at_local_midnight_not_utc() -> None:
    """In Auckland (UTC+13 in October), 2024-10-31 11:30 UTC is 2024-11-01 00:30 local."""
    month_end = "2024-09-30T10:30:00+00:00"  # 23:30 on 30 September in Auckland
    month_start = "2024-09-30T11:30:00+00:00"  # 00:30 on 1 October in Auckland
    numbers = [f"+5511977{index:06d}" for index in range(1001)]
    events = []
    for index, number in enumerate(numbers[:1000]):
        events += [
            {"type": "customer_message", "at": "2024-09-30T09:00:00+00:00", "customer": number},
            {"type": "free_form", "id": f"s{index}", "at": month_end, "customer": number},
        ]
    events += [
        {"type": "customer_message", "at": "2024-09-30T09:00:00+00:00", "customer": numbers[1000]},
        {"type": "free_form", "id": "next month", "at": month_start, "customer": numbers[1000]},
    ]
    in_auckland = simulate(timeline(*events, time_zone="Pacific/Auckland"))
    assert in_auckland.messages[-1].charge.amount == 0
    in_utc = simulate(timeline(*events, time_zone="UTC"))
    assert in_utc.messages[-1].charge.amount is None  # September 2024: no card in force


@pytest.mark.parametrize(
    ("day", "allowance", "conversations"),
    [
        ("2022-03-07", "free_conversations", "conversations"),
        ("2023-07-03", "free_service_conversations", "service conversations"),
    ],
)
def test_a_free_tiers_reason_names_the_periods_allowance(
    day: str, allowance: str, conversations: str
) -> None:
    """Both free tiers say a free conversation's place in the allowance of the period in
    force, as the period table gives it (here a made-up one of two), in the same words."""
    periods = [replace(period, **{allowance: 2}) if getattr(period, allowance) else period
               for period in PERIODS]  # fmt: skip
    shipped = shipped_rate_book()
    book = RateBook(shipped.cards, vocabulary=shipped.vocabulary.with_periods(periods))
    engine = ConversationEngine(Account(time_zone="UTC"), book)
    at = datetime.fromisoformat(f"{day}T10:00:00").replace(tzinfo=UTC).timestamp()
    numbers = [f"+5511988{index:06d}" for index in range(3)]
    records = []
    for order, number in enumerate(numbers):
        engine.process(Event(at, 2 * order, Kind.CUSTOMER_MESSAGE, number))
        reply = Event(at + 60, 2 * order + 1, Kind.FREE_FORM, number, f"m{order}")
        records.append(engine.process(reply))
    month = datetime.fromisoformat(day).strftime("%B %Y")
    free = f"free as number 2 of the account's 2 free {conversations} for {month}."
    second, third = records[1:]
    assert second is not None
    assert third is not None
    assert second.reason.endswith(free)
    assert second.charge.amount == 0
    assert "free as number" not in third.reason


def test_service_conversations_are_free_without_limit_from_november_2024() -> None:
    numbers = [f"+5511966{index:06d}" for index in range(1001)]
    events = []
    for index, number in enumerate(numbers):
        events += [
            {"type": "customer_message", "at": "2024-11-04T09:00:00+00:00", "customer": number},
            {
                "type": "free_form",
                "id": f"s{index}",
                "at": "2024-11-04T10:00:00+00:00",
                "customer": number,
            },
        ]
    verdict = simulate(timeline(*events))
    assert verdict.total.amount == 0
    assert verdict.messages[-1].rule is Rule.CBP_SERVICE_FREE


class TestTimeZones:
    def test_a_conversation_lasts_24_real_hours_across_a_daylight_saving_change(self) -> None:
        # New York's clocks went back on 2023-11-05 at 02:00: that local day had 25 hours.
        verdict = simulate(
            timeline(
                {
                    "type": "template",
                    "id": "a",
                    "at": "2023-11-04T12:00:00-04:00",
                    "customer": BRAZIL,
                    "category": "marketing",
                },
                {
                    "type": "template",
                    "id": "b",
                    "at": "2023-11-05T11:30:00-05:00",
                    "customer": BRAZIL,
                    "category": "marketing",
                },
                time_zone="America/New_York",
            )
        )
        assert joined(verdict) == {"a": "c1", "b": "c2"}
        assert verdict.conversations[0].expires_at.isoformat() == "2023-11-05T16:00:00+00:00"


class TestPricing:
    def test_the_market_comes_from_the_customer_number(self) -> None:
        verdict = run(
            template("za", 0, "marketing", SOUTH_AFRICA),
            template("do", 0, "marketing", "+18095551234"),
            template("us", 0, "marketing", "+14155552671"),
            template("kz", 0, "marketing", "+77011234567"),
            template("ru", 0, "marketing", "+79161234567"),
        )
        assert [message.market for message in verdict.messages] == [
            "South Africa",
            "Rest of Latin America",
            "North America",
            "Russia or Other",  # +7 is Russia's in Meta's table; Kazakhstan was not listed
            "Russia",
        ]
        assert [message.charge.amount for message in verdict.messages] == [
            Decimal("0.0379"),
            Decimal("0.0740"),
            Decimal("0.0250"),
            None,
            Decimal("0.0802"),
        ]

    def test_an_unknown_rate_is_unpriced_never_guessed(self) -> None:
        verdict = run(
            template("known", 0, "marketing"),
            template("unknown", 0, "utility", "+254712345678"),  # Kenya: Rest of Africa
        )
        unknown = verdict.messages[1]
        assert unknown.market == "Rest of Africa"
        assert unknown.charge.amount is None
        assert unknown.rule is Rule.CBP_TEMPLATE_OPENED
        assert verdict.total.amount is None
        assert verdict.total.priced_amount == Decimal("0.0625")
        assert verdict.total.unpriced_charges == 1

    def test_a_day_no_sourced_card_covers_is_unpriced(self) -> None:
        august = simulate(
            timeline(
                {
                    "type": "template",
                    "id": "a",
                    "at": "2024-08-15T10:00:00+00:00",
                    "customer": INDIA,
                    "category": "marketing",
                }
            )
        )
        assert august.messages[0].charge.amount is None

    def test_a_cell_that_only_applies_later_is_unpriced_before(self) -> None:
        def authentication_in_india(day: str) -> Decimal | None:
            verdict = simulate(
                timeline(
                    {
                        "type": "template",
                        "id": "otp",
                        "at": f"{day}T10:00:00+05:30",
                        "customer": INDIA,
                        "category": "authentication",
                    },
                    time_zone="Asia/Kolkata",
                )
            )
            return verdict.messages[0].charge.amount

        assert authentication_in_india("2024-06-30") is None
        assert authentication_in_india("2024-07-01") == Decimal("0.0014")

    def test_money_is_exact(self) -> None:
        verdict = run(*(template(f"m{index}", 25 * index, "utility") for index in range(10)))
        assert verdict.total.amount == Decimal("0.0800")


class TestPeriods:
    def test_periods_switch_at_midnight_in_the_account_time_zone(self) -> None:
        def in_kolkata(at: str) -> object:
            return simulate(
                timeline(
                    {
                        "type": "template",
                        "id": "a",
                        "at": at,
                        "customer": INDIA,
                        "category": "marketing",
                    },
                    time_zone="Asia/Kolkata",
                )
            )

        with pytest.raises(UnsupportedPeriod, match=r"events\[0\]\.at: 2022-01-31 .*NBP"):
            in_kolkata("2022-01-31T18:29:00+00:00")
        first = in_kolkata("2022-01-31T18:30:00+00:00").messages[0]
        assert (first.period, first.rule) == ("cbp-2022-02", Rule.CBP2_FREE_TIER)
        assert in_kolkata("2023-02-28T18:29:00+00:00").messages[0].period == "cbp-2022-02"
        assert in_kolkata("2023-02-28T18:30:00+00:00").messages[0].period == "cbp-2023-03"
        assert in_kolkata("2023-05-31T18:29:00+00:00").messages[0].period == "cbp-2023-03"
        last = in_kolkata("2023-05-31T18:30:00+00:00").messages[0]
        assert (last.period, last.rule, last.market) == (
            "cbp-2023-06",
            Rule.CBP_TEMPLATE_OPENED,
            "India",
        )


def test_the_engine_forgets_customers_once_nothing_is_open() -> None:
    """Memory grows with the customers in play at one moment, not with the timeline."""
    events = [customer(0, f"+5511966{index:06d}") for index in range(100)]
    events += [template("later", 72, "utility")]
    timeline_ = timeline(*events)
    engine = ConversationEngine(timeline_.account)
    ordered = events_of(timeline_)
    list(run_engine(engine, ordered[:100]))
    assert engine.customers_in_play == 100
    list(run_engine(engine, ordered[100:]))
    assert engine.customers_in_play == 1


def test_a_kazakh_number_before_its_own_market_is_priced_only_where_both_readings_agree() -> None:
    """Russia (by the calling code) or Other (unlisted): the reason names both, never one."""
    verdict = simulate(
        timeline(
            {"type": "template", "id": "offer", "at": "2025-09-30T10:00:00+05:00",
             "customer": "+77011234567", "category": "marketing"},
            {"type": "template", "id": "later", "at": "2026-10-01T10:00:00+05:00",
             "customer": "+77011234567", "category": "marketing"},
            time_zone="Asia/Almaty",
        )
    )  # fmt: skip
    offer, later = verdict.messages
    assert offer.market == "Russia or Other"
    assert offer.charge.amount is None
    assert "as Russia" in offer.reason
    assert "as Other" in offer.reason
    assert "0.0604" in offer.reason
    assert (later.market, later.charge.amount) == ("Kazakhstan", Decimal("0.0604"))
