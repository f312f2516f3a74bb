"""Reconciling logs of public payloads: what Meta reported is kept on every finding, standby
lines count, a withheld number is no number, and every error code is listed with its meaning.

The lines and where each came from: ``tests/fixtures/webhooks/real/README.md``.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from tests.helpers import FIXTURES
from whatsapp_pricing.cli import main
from whatsapp_pricing.domain import Account
from whatsapp_pricing.failures import meaning_of
from whatsapp_pricing.reconcile import ErrorCode, Reconciliation, reconcile
from whatsapp_pricing.webhooks import read_log

REAL = FIXTURES / "real"
PUBLIC = (REAL / "public-statuses.jsonl").read_text(encoding="utf-8").splitlines()
META_SHAPES = (REAL / "meta-shapes.jsonl").read_text(encoding="utf-8").splitlines()
COMBINED = [*PUBLIC, *META_SHAPES]
UTC_ACCOUNT = Account(time_zone="UTC")


def reconciled(lines: list[str]) -> Reconciliation:
    return reconcile(read_log("\n".join(lines)), UTC_ACCOUNT)


def marked_billable(lines: list[str]) -> set[str]:
    """The messages the log itself marks billable, read straight from the JSON."""
    marked = set()
    for line in lines:
        for entry in json.loads(line)["entry"]:
            for change in entry["changes"]:
                value = change["value"]
                value = value.get("standby", value)
                for status in value.get("statuses", ()):
                    if status.get("pricing", {}).get("billable") is True:
                        marked.add(status["id"])
    return marked


def test_every_finding_keeps_what_meta_reported_so_the_billable_count_is_the_logs() -> None:
    """Seven messages of the combined log are marked billable by Meta; among them replies the
    rules reject (no customer message in the log) and messages never delivered."""
    result = reconciled(COMBINED)
    assert len(marked_billable(COMBINED)) == 7
    billable = {finding.message for finding in result.findings if finding.meta.get("billable")}
    assert billable == marked_billable(COMBINED)


def test_the_summary_says_how_many_messages_meta_marked_billable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "combined.jsonl"
    log.write_text("\n".join(COMBINED) + "\n", encoding="utf-8")
    main(["reconcile", str(log), "--time-zone", "UTC"])
    printed = capsys.readouterr().out.splitlines()
    assert printed[1] == "Meta marked 7 of them billable"
    per_category = [line for line in printed if "; Meta marked " in line]
    assert sum(int(line.split("Meta marked ")[1].split()[0]) for line in per_category) == 7


def test_a_message_the_rules_reject_keeps_metas_report() -> None:
    """A service reply from a real account (Django-CRM): the log lacks the customer's message,
    so the rules reject it, and the finding still says what Meta reported."""
    [finding] = reconciled(PUBLIC[:2]).findings
    assert finding.outcome == "disagrees"
    assert "the rules reject a free-form message" in finding.detail
    assert finding.meta == {"billable": True, "pricing_model": "CBP", "category": "service"}


def test_an_undelivered_message_keeps_metas_report_too() -> None:
    [finding] = reconciled([PUBLIC[5]]).findings
    assert finding.outcome == "undelivered"
    assert finding.meta == {
        "billable": True,
        "pricing_model": "PMP",
        "type": "regular",
        "category": "marketing",
    }


def test_a_customer_message_on_standby_opens_the_service_window() -> None:
    """Meta's standby example: the customer writes while the agent holds the conversation; the
    business then takes it over with a reply, which the window makes a service conversation."""
    reply = json.loads(PUBLIC[8])
    value = reply["entry"][0]["changes"][0]
    value["field"] = "messages"
    [status] = value["value"].pop("standby")["statuses"]
    status.update(
        id="wamid.takeover",
        timestamp=str(int(status["timestamp"]) + 60),
        conversation={"id": "c-takeover", "origin": {"type": "service"}},
        pricing={"billable": True, "pricing_model": "CBP", "category": "service"},
    )
    value["value"]["statuses"] = [status]
    takeover = json.dumps(reply)
    [without] = reconciled([takeover]).findings
    assert without.outcome == "disagrees"
    findings = {finding.message: finding for finding in reconciled([PUBLIC[6], takeover]).findings}
    assert findings["wamid.takeover"].outcome == "agrees"
    assert "opens service conversation" in findings["wamid.takeover"].detail


def test_the_agents_status_receipt_on_standby_is_checked_and_its_echo_listed() -> None:
    result = reconciled(PUBLIC[6:9])
    [receipt] = result.findings
    assert receipt.message == "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzRUIwQTk4NkNGMUZCMDZERTREMAA="
    assert receipt.meta["category"] == "utility"
    assert receipt.outcome in ("agrees", "disagrees")
    [echo] = result.skipped
    assert not echo.bad
    assert "echo of what Meta Business Agent sent" in echo.why


def test_a_withheld_number_is_no_number_the_user_id_names_the_customer() -> None:
    """Meta's username example, the number withheld as an empty ``from`` and ``recipient_id``:
    the customer is the business-scoped user id, and the reply inside the window agrees."""
    [finding] = reconciled(META_SHAPES[:2]).findings
    assert finding.customer == "US.13491208655302741918"
    assert finding.user_id == "US.13491208655302741918"
    assert finding.outcome == "agrees"
    assert finding.meta["type"] == "free_customer_service"
    assert all(finding.customer != "+" for finding in reconciled(COMBINED).findings)


def test_marketing_lite_agrees_with_a_marketing_charge_and_a_max_price_cost_is_kept() -> None:
    """The Marketing Messages API's category, with and without a max price (whose ``cost`` is
    Meta's estimate: kept in Meta's report, not compared)."""
    lite, capped = reconciled(META_SHAPES[2:4]).findings
    assert lite.outcome == capped.outcome == "agrees"
    assert lite.predicted["category"] == "marketing"
    assert lite.meta["category"] == capped.meta["category"] == "marketing_lite"
    assert "cost" not in lite.meta
    assert capped.meta["cost"] == {"amount": 0.035, "currency": "USD"}


def test_every_error_code_is_listed_with_its_meaning_and_count() -> None:
    result = reconciled(COMBINED)
    assert result.error_codes == [
        ErrorCode(131049, 2, meaning_of(131049)),
        ErrorCode(131026, 1, meaning_of(131026)),
        ErrorCode(131042, 1, meaning_of(131042)),
        ErrorCode(131047, 1, meaning_of(131047)),
    ]
    failed = {finding.message: finding for finding in result.findings if finding.errors}
    assert failed["wamid.failed-131047"].outcome == "failed"
    assert failed["wamid.failed-131047"].errors == (131047,)
    assert "error 131047 (the customer service window was closed" in (
        failed["wamid.failed-131047"].detail
    )
    assert "never charges" in failed["wamid.failed-131042"].detail


def test_a_code_not_in_the_table_is_listed_by_its_number() -> None:
    assert meaning_of(999999).startswith("a code not explained here")


def test_the_json_and_csv_list_the_error_codes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log, report, table = tmp_path / "log.jsonl", tmp_path / "out.json", tmp_path / "out.csv"
    log.write_text("\n".join(META_SHAPES[4:]) + "\n", encoding="utf-8")
    main(["reconcile", str(log), "--time-zone", "UTC", "--json", str(report), "--csv", str(table)])
    listed = json.loads(report.read_text(encoding="utf-8"))
    assert [(code["code"], code["messages"]) for code in listed["error_codes"]] == [
        (131026, 1),
        (131042, 1),
        (131047, 1),
    ]
    assert {finding["message"]: finding["errors"] for finding in listed["findings"]} == {
        "wamid.failed-131047": [131047],
        "wamid.failed-131026": [131026],
        "wamid.failed-131042": [131042],
    }
    rows = list(csv.reader(table.read_text(encoding="utf-8").splitlines()))
    assert ["error 131042", "error code"] in [row[:2] for row in rows]
    printed = capsys.readouterr().out
    assert "error codes Meta reported on failed messages:" in printed
    assert f"  131026 (1 message): {meaning_of(131026)}" in printed
