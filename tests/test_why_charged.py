"""Why was I charged? A pasted webhook or four choices get the engine's own answer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from whatsapp_pricing import Account
from whatsapp_pricing.errors import UsageError
from whatsapp_pricing.in_browser import why_charged_json
from whatsapp_pricing.reconcile import reconcile
from whatsapp_pricing.webhooks import read_log
from whatsapp_pricing.why_charged import Chosen, Pasted, answer, question_from_json

LOG = Path(__file__).parent / "fixtures" / "webhooks" / "december-2026.jsonl"


def status_notification(pricing: dict[str, Any], status: str = "delivered") -> dict[str, Any]:
    """One status webhook in Meta's shape, as a developer copies it from their server's log."""
    body = {
        "id": "wamid.HBgMOTE5ODEyMzQ1Njc4FQIAERgSQTE2",
        "status": status,
        "timestamp": "1793613600",  # 2026-11-02 10:00 UTC
        "recipient_id": "919812345678",
        "pricing": pricing,
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": "106540352242922"},
        "statuses": [body],
    }
    change = {"field": "messages", "value": value}
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}


UTILITY = {"billable": True, "pricing_model": "PMP", "category": "utility", "type": "regular"}


def test_a_pasted_status_gets_charge_period_rule_and_a_ticket_sentence() -> None:
    paste = json.dumps(status_notification(UTILITY), indent=2)
    question = Pasted(paste=paste, time_zone="Asia/Kolkata", site="https://x/", link="https://x/a")
    [found] = answer(question)
    assert (found.market, str(found.charge.amount), found.charge.currency) == (
        "India",
        "0.0014",
        "USD",
    )
    assert (found.rule, found.period.id, found.period.ends) == ("pmp.charged", "pmp-2026-10", None)
    assert found.rule_link == "https://x/rules/#pmp-charged"
    assert found.differences == []
    assert "never say whether the customer service window was open" in found.notes[0]
    assert found.sentence.startswith(
        "Message wamid.HBgMOTE5ODEyMzQ1Njc4FQIAERgSQTE2 (to India, 2026-11-02 15:30 IST) costs "
        "0.0014 USD under Meta's rules: "
    )
    assert found.sentence.endswith("Details: https://x/a")


def test_meta_saying_the_window_was_open_is_named_and_the_reader_can_say_so() -> None:
    free = {**UTILITY, "billable": False, "type": "free_customer_service"}
    paste = json.dumps(status_notification(free))
    [unknown] = answer(Pasted(paste=paste))
    assert unknown.differences == [
        "type: Meta says 'free_customer_service', the rules say 'regular'",
        "billable: Meta says False, the rules say True",
    ]
    assert (
        "Meta's type free_customer_service says the customer service window was open"
        in (unknown.notes[0])
    )
    # From 2026-10-01 a utility template inside the window is charged again: Meta's report
    # of a free one then disagrees with the rules even when the customer wrote.
    [told] = answer(Pasted(paste=paste, customer_wrote="yes"))
    assert told.rule == "pmp.charged"


def test_a_bare_status_or_value_is_put_back_in_metas_envelope() -> None:
    notification = status_notification(UTILITY)
    value = notification["entry"][0]["changes"][0]["value"]
    whole = answer(Pasted(paste=json.dumps(notification)))
    assert answer(Pasted(paste=json.dumps(value))) == whole
    assert answer(Pasted(paste=json.dumps(value["statuses"][0]))) == whole


def test_log_lines_get_the_charges_reconcile_predicts() -> None:
    """Lines with a logger's prefix, two accounts, usernames and a Mexican id in both forms."""
    lines = LOG.read_text().splitlines()
    paste = "\n".join(
        f"2026-11-02 08:00:0{n % 10} INFO webhook {line}" for n, line in enumerate(lines)
    )
    answers = {
        found.message: found for found in answer(Pasted(paste=paste, time_zone="Africa/Nairobi"))
    }
    accounts = {
        "102290129340398": Account(time_zone="Africa/Nairobi"),
        "204081632640128": Account(time_zone="Africa/Nairobi"),
    }
    findings = reconcile(read_log(LOG.read_bytes()), None, accounts=accounts).findings
    assert {finding.message: finding.predicted["charge"] for finding in findings} == {
        message: str(found.charge.amount) for message, found in answers.items()
    }
    assert all(not found.differences for found in answers.values())


def test_four_choices() -> None:
    [found] = answer(
        Chosen(day="2026-11-03", country="BR", category="service", customer_wrote="yes")
    )
    assert (found.rule, found.market, str(found.charge.amount)) == (
        "pmp.service_charged",
        "Brazil",
        "0.0068",
    )
    assert found.sentence.startswith(
        "This message (to Brazil, 2026-11-03 12:00 UTC) costs 0.0068 USD"
    )
    [closed] = answer(
        Chosen(day="2026-11-03", country="BR", category="service", customer_wrote="no")
    )
    assert (closed.rule, str(closed.charge.amount)) == ("csw.closed", "0")
    [ad] = answer(Chosen(day="2025-08-03", country="IN", category="marketing", customer_wrote="ad"))
    assert (ad.rule, str(ad.charge.amount)) == ("fep.opened", "0")


@pytest.mark.parametrize(
    ("question", "said"),
    [
        ({"paste": ""}, "The box is empty"),
        (
            {"paste": '{"object": "whatsapp_business_account",\n "entry": [{"id": "1"'},
            "stops at line 2, column 22 before it is complete: the { opened at line 2, column 12",
        ),
        (
            {"paste": '{"object": "whatsapp_business_account",\n "entry": [{"id": "1"'},
            "(}]} missing)",
        ),
        ({"paste": '{"a": 1 "b": 2}'}, "at line 1, column 9, a comma is missing"),
        (
            {"paste": json.dumps(status_notification({**UTILITY, "category": "promo"}))},
            "'promo' is not one",
        ),
        (
            {"paste": json.dumps(status_notification(UTILITY, "failed"))},
            "failed: Meta never charges",
        ),
        (
            {"day": "2021-11-03", "country": "IN", "category": "utility", "customer_wrote": "no"},
            "Day: 2021-11-03 is before 2022-02-01",
        ),
        (
            {"day": "2026-11-03", "country": "IN", "category": "promo", "customer_wrote": "no"},
            "Kind of message: Input should be",
        ),
        (
            {
                "day": "2026-11-03",
                "country": "India",
                "category": "utility",
                "customer_wrote": "no",
            },
            "Customer's country: ",
        ),
    ],
)
def test_refusals_say_where_and_what_to_do(question: dict[str, str], said: str) -> None:
    with pytest.raises(UsageError, match=None) as refused:
        answer(question_from_json(json.dumps(question)))
    assert said in str(refused.value)
    assert said in json.loads(why_charged_json(json.dumps(question)))["error"]


def test_one_log_line_with_a_loggers_prefix() -> None:
    """A support agent copies the one line of the log that names the message, prefix and all."""
    notification = json.dumps(status_notification(UTILITY))
    alone = answer(Pasted(paste=notification))
    assert answer(Pasted(paste=f"2026-11-02 10:00:00,123 INFO webhook {notification}")) == alone
    with pytest.raises(UsageError, match="The paste"):
        answer(Pasted(paste=notification[:-3]))
    with pytest.raises(UsageError, match="The paste"):
        answer(Pasted(paste="2026-11-02 10:00:00 INFO no JSON on this line"))


def test_a_failed_message_says_what_its_error_code_means() -> None:
    """The real 131049 status from a public log (line 11 of public-statuses.jsonl)."""
    lines = (LOG.parent / "real" / "public-statuses.jsonl").read_text().splitlines()
    with pytest.raises(UsageError) as raised:
        answer(Pasted(paste=lines[10]))
    assert str(raised.value).endswith(
        "failed: Meta never charges a message it did not deliver. Error 131049: Meta chose not "
        "to deliver this marketing template, to keep engagement healthy: the per-user limit on "
        "marketing templates."
    )


def test_a_report_that_only_follows_a_customers_message_takes_the_window_as_open() -> None:
    """Meta's real 2023 status of an Indian service reply (a billable service conversation,
    which only a customer's message opens): with "I don't know" for the customer's last
    message, the rules do not reject it as sent outside a closed window."""
    real = Path(__file__).parent / "fixtures" / "webhooks" / "real" / "public-statuses.jsonl"
    paste = "\n".join(real.read_text(encoding="utf-8").splitlines()[:2])
    [reply] = answer(Pasted(paste=paste, time_zone="Asia/Kolkata"))
    assert reply.rule != "csw.closed"
    assert reply.differences == []
    assert "Meta's category 'service' follows only a customer's message" in " ".join(reply.notes)
