"""The command line: the contract's JSON on success, one line and status 2 on bad input."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

import whatsapp_pricing
from tests.conftest import ROOT
from tests.helpers import FIXTURES, customer, free_form, template
from tests.test_reconcile import SERVICE_REPLY, category_update, pmp, status
from whatsapp_pricing import cli
from whatsapp_pricing.cli import main
from whatsapp_pricing.domain import Verdict
from whatsapp_pricing.webhooks import read_log
from whatsapp_pricing.why_charged import Pasted, answer


def timeline_file(tmp_path: Path, data: Any) -> str:
    path = tmp_path / "timeline.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def good_timeline() -> dict[str, Any]:
    return {
        "account": {"time_zone": "America/Sao_Paulo"},
        "events": [customer(0), free_form("reply", 1), template("promo", 2, "marketing")],
    }


def test_simulate_prints_the_verdict_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", timeline_file(tmp_path, good_timeline())]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [message["id"] for message in printed["messages"]] == ["reply", "promo"]
    assert printed["messages"][1]["charge"] == {"amount": "0.0625", "currency": "USD"}
    assert printed["total"]["amount"] == "0.0625"
    Verdict.model_validate(printed)


def test_simulate_reads_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stdin = io.TextIOWrapper(io.BytesIO(json.dumps(good_timeline()).encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    assert main(["simulate", "-"]) == 0
    assert json.loads(capsys.readouterr().out)["total"]["amount"] == "0.0625"


def test_the_table_shows_messages_and_the_total(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "--table", timeline_file(tmp_path, good_timeline())]) == 0
    shown = capsys.readouterr().out
    assert "Total: 0.0625 USD" in shown
    assert "promo" in shown


def with_event(change: dict[str, Any], index: int = 1) -> dict[str, Any]:
    data = good_timeline()
    data["events"][index] = {**data["events"][index], **change}
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('{"account": ', "the timeline is not valid JSON"),
        (with_event({"at": "2024-10-07T10:00:00"}), "events[1].at: the timestamp"),
        (
            with_event({"customer": "5511987654321"}),
            "events[1].customer: '5511987654321' is neither an E.164 number",
        ),
        (with_event({"customer": "+999812345678"}), "events[1].customer: +999812345678 is not a"),
        (with_event({"colour": "blue"}), "events[1].colour: unknown field"),
        (with_event({"category": "promo"}, 2), "events[2].category: Input should be"),
        (with_event({"type": "sms"}), "events[1].type: unknown event type 'sms'"),
        (with_event({"id": "promo"}), "events[2].id: 'promo' is also events[1].id"),
        (with_event({"at": "2022-01-31T10:00:00+00:00"}), "events[1].at: 2022-01-31 is before"),
        (
            {**good_timeline(), "account": {"time_zone": "Mars/Olympus"}},
            "account.time_zone: unknown time zone 'Mars/Olympus'",
        ),
        ({"account": {"time_zone": "UTC"}}, "events: required field is missing"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: Any, message: str
) -> None:
    assert main(["simulate", timeline_file(tmp_path, data)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith(f"whatsapp-pricing: error: {message}")


def test_a_missing_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["simulate", "no-such-timeline.json"]) == 2
    assert "cannot read no-such-timeline.json" in capsys.readouterr().err


def test_a_rate_card_from_meta_replaces_the_shipped_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    card = tmp_path / "meta.csv"
    card.write_text(
        "Cost per conversation in USD, effective October 1, 2024\n"
        "Market,Currency,Marketing,Utility,Authentication,Authentication-International,Service\n"
        "Brazil,$US,0.0700,0.0080,0.0315,n/a,0.0300\n",
        encoding="utf-8",
    )
    assert (
        main(["simulate", "--rate-card", str(card), timeline_file(tmp_path, good_timeline())]) == 0
    )
    assert json.loads(capsys.readouterr().out)["total"]["amount"] == "0.0700"


def test_a_broken_rate_card_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    card = tmp_path / "broken.csv"
    card.write_text("Country,Price\n", encoding="utf-8")
    arguments = ["simulate", "--rate-card", str(card), timeline_file(tmp_path, good_timeline())]
    assert main(arguments) == 2
    assert capsys.readouterr().err.startswith(
        f"whatsapp-pricing: error: rate card {card}: no header"
    )


def test_the_installed_command_never_shows_a_traceback(tmp_path: Path) -> None:
    command = Path(sys.executable).with_name("whatsapp-pricing")
    result = subprocess.run(
        [str(command), "simulate", timeline_file(tmp_path, "[1, 2")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("whatsapp-pricing: error: the timeline is not valid JSON")
    assert "Traceback" not in result.stderr


def run_exiting(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """The exit status and output of a run that argparse ends (help, version, usage mistakes)."""
    with pytest.raises(SystemExit) as exit:
        main(arguments)
    captured = capsys.readouterr()
    return int(exit.value.code or 0), captured.out, captured.err


def test_version_is_the_installed_packages(capsys: pytest.CaptureFixture[str]) -> None:
    installed = metadata.version("whatsapp-pricing")
    assert run_exiting(["--version"], capsys) == (0, f"whatsapp-pricing {installed}\n", "")
    assert whatsapp_pricing.__version__ == installed


COMMANDS = [[], ["simulate"], ["reconcile"]]
MARKUP = re.compile(
    r"`"  # reST ``literals`` and roles (:class:`X`), Markdown code
    r"|:[a-z]+:"  # a reST role or field without its backticks
    r"|\*\*|__"  # bold
    r"|\]\(|\.\. [a-z]+::"  # a Markdown link, a reST directive
    r"|%\(|\\"  # an argparse placeholder left unexpanded, an escape
)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: " ".join(command) or "main")
def test_help_is_plain_text(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    status, shown, errors = run_exiting([*command, "--help"], capsys)
    assert (status, errors) == (0, "")
    assert MARKUP.findall(shown) == []


def test_help_points_only_to_files_in_the_repository(capsys: pytest.CaptureFixture[str]) -> None:
    shown = "".join(run_exiting([*command, "--help"], capsys)[1] for command in COMMANDS)
    pointers = re.findall(r"[\w./-]+\.(?:md|json)\b", shown)
    assert "docs/timeline-format.md" in pointers
    assert [pointer for pointer in pointers if not (ROOT / pointer).is_file()] == []
    assert "../" not in shown


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        ([], "whatsapp-pricing: error: the following arguments are required: command"),
        (["simlate"], "whatsapp-pricing: error: argument command: invalid choice: 'simlate'"),
        (["simulate"], "whatsapp-pricing simulate: error: the following arguments are required"),
        (["simulate", "a.json", "b.json"], "whatsapp-pricing simulate: error: unknown arguments"),
        (["simulate", "--tabel", "a.json"], "whatsapp-pricing simulate: error: unknown arguments"),
        (
            ["reconcile", "log", "--window", "a day"],
            "whatsapp-pricing reconcile: error: argument --window: invalid float value",
        ),
        (["reconcile"], "whatsapp-pricing reconcile: error: the following arguments"),
    ],
)
def test_a_usage_mistake_is_one_line_naming_the_help_to_read(
    arguments: list[str], said: str, capsys: pytest.CaptureFixture[str]
) -> None:
    status, shown, errors = run_exiting(arguments, capsys)
    assert (status, shown) == (2, "")
    assert errors.count("\n") == 1
    assert errors.startswith(said)
    command = said.split(": error:")[0]
    assert errors.endswith(f"(see {command} --help)\n")


def test_a_currency_may_be_given_in_lower_case(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "webhooks.jsonl"
    log.write_text("", encoding="utf-8")
    assert main(["reconcile", str(log), "--time-zone", "UTC", "--currency", "eur"]) == 0
    assert capsys.readouterr().err == ""


def test_reconcile_prints_a_summary_and_writes_the_detail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "webhooks.jsonl"
    log.write_text("\n".join(SERVICE_REPLY) + "\n", encoding="utf-8")
    report, table = tmp_path / "findings.json", tmp_path / "findings.csv"
    arguments = ["reconcile", str(log), "--time-zone", "UTC", "--json", str(report)]
    assert main([*arguments, "--csv", str(table)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("messages: 2 (2 agrees, 0 disagrees")
    assert [finding["outcome"] for finding in json.loads(report.read_text())["findings"]] == [
        "agrees",
        "agrees",
    ]
    assert (
        table.read_text().splitlines()[0]
        == "message,outcome,detail,flag,customer,user_id,account,business_number"
    )


def test_reconcile_exits_1_when_the_log_is_not_clean(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "webhooks.jsonl"
    log.write_text('{"object": "whatsapp_business_account", "entry": [\n', encoding="utf-8")
    assert main(["reconcile", str(log), "--time-zone", "UTC"]) == 1
    assert "line 1: not JSON" in capsys.readouterr().out


def test_reconcile_needs_a_real_time_zone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "webhooks.jsonl"
    log.write_text("", encoding="utf-8")
    assert main(["reconcile", str(log), "--time-zone", "Mars/Olympus"]) == 2
    assert "unknown time zone 'Mars/Olympus'" in capsys.readouterr().err


def test_reconcile_flags_templates_from_the_sent_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    at = 1754301600
    update = {
        "message_template_id": 1,
        "message_template_name": "order_update",
        "message_template_language": "en_US",
        "previous_category": "UTILITY",
        "new_category": "MARKETING",
    }
    log = tmp_path / "webhooks.jsonl"
    log.write_text(
        "\n".join(
            [
                category_update(update, at),
                status("wamid.t", "delivered", at + 60, **pmp("marketing", "regular")),
            ]
        ),
        encoding="utf-8",
    )
    sent = tmp_path / "sent.csv"
    sent.write_text("message_id,template,category\nwamid.t,order_update,UTILITY\n")
    table = tmp_path / "findings.csv"
    arguments = ["reconcile", str(log), "--time-zone", "UTC", "--sent", str(sent)]
    assert main([*arguments, "--csv", str(table)]) == 0
    printed = capsys.readouterr().out
    assert "template category changes: 1; messages billed at another category than sent as: 1" in (
        printed
    )
    assert (
        "order_update (en_US): utility to marketing from 2025-08-04 10:00 UTC (line 1)" in printed
    )
    assert "moved from utility to marketing" in table.read_text()


@pytest.mark.parametrize(
    ("sent", "error"),
    [
        ("id,name\nwamid.t,x\n", "needs the columns message_id and template"),
        ("message_id,template\nwamid.t,\n", "line 2: message_id and template must not be empty"),
    ],
)
def test_reconcile_refuses_an_unusable_sent_record(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], sent: str, error: str
) -> None:
    log, record = tmp_path / "webhooks.jsonl", tmp_path / "sent.csv"
    log.write_text("\n".join(SERVICE_REPLY), encoding="utf-8")
    record.write_text(sent, encoding="utf-8")
    arguments = ["reconcile", str(log), "--time-zone", "UTC", "--sent", str(record)]
    assert main(arguments) == 2
    assert error in capsys.readouterr().err


def test_reconcile_needs_a_positive_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "webhooks.jsonl"
    log.write_text("\n".join(SERVICE_REPLY), encoding="utf-8")
    assert main(["reconcile", str(log), "--time-zone", "UTC", "--window", "0"]) == 2
    assert "--window must be a positive number of hours, not 0" in capsys.readouterr().err


def test_reconcile_reads_stdin_and_lists_skipped_lines_in_the_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ("\n".join(SERVICE_REPLY) + "\n{broken\n").encode()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    table = tmp_path / "findings.csv"
    assert main(["reconcile", "-", "--time-zone", "UTC", "--csv", str(table)]) == 1
    rows = list(csv.reader(table.read_text().splitlines()))
    assert ["line 7", "broken line"] in [row[:2] for row in rows]
    assert "line 7: not JSON" in capsys.readouterr().out


def test_a_run_that_stops_leaves_no_detail_file_that_looks_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def log_that_breaks_off(source: object) -> Iterator[object]:
        yield from read_log("\n".join(SERVICE_REPLY))
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(cli, "read_logs", log_that_breaks_off)
    log, table = tmp_path / "log.jsonl", tmp_path / "findings.csv"
    log.write_text("\n", encoding="utf-8")
    assert main(["reconcile", str(log), "--time-zone", "UTC", "--csv", str(table)]) == 2
    assert capsys.readouterr().err == (
        f"whatsapp-pricing: error: cannot read {log}: Input/output error\n"
    )
    assert not table.exists()
    assert Path(f"{table}.partial").read_text("utf-8").startswith("message,outcome")


def test_a_finished_run_leaves_only_the_detail_file(tmp_path: Path) -> None:
    log, table = tmp_path / "log.jsonl", tmp_path / "findings.csv"
    log.write_text("\n".join(SERVICE_REPLY) + "\n", encoding="utf-8")
    assert main(["reconcile", str(log), "--time-zone", "UTC", "--csv", str(table)]) == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["findings.csv", "log.jsonl"]


def test_a_currency_with_no_card_is_said_once_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = good_timeline()
    document["account"]["currency"] = "JPY"
    assert main(["simulate", timeline_file(tmp_path, document)]) == 0
    captured = capsys.readouterr()
    assert captured.err.startswith("whatsapp-pricing: notice: No rate card in JPY is shipped")
    assert captured.err.count("\n") == 1
    assert json.loads(captured.out)["notices"] == [captured.err.split("notice: ", 1)[1].strip()]


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: gzip.compress(text.encode()),
        lambda text: b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode(),
        lambda text: text.encode("utf-16"),
        lambda text: gzip.compress(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()),
    ],
    ids=["gzip", "bom-crlf", "utf-16", "gzip-bom-crlf"],
)
def test_reconcile_reads_logs_as_people_keep_them(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encode: Any
) -> None:
    log = tmp_path / "webhooks.log"
    log.write_bytes(encode("\n".join(SERVICE_REPLY) + "\n"))
    assert main(["reconcile", str(log), "--time-zone", "UTC"]) == 0
    assert capsys.readouterr().out.startswith("messages: 2 (2 agrees")


def test_a_log_compressed_and_cut_short_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "webhooks.jsonl.gz"
    log.write_bytes(gzip.compress(("\n".join(SERVICE_REPLY) * 50).encode())[:300])
    assert main(["reconcile", str(log), "--time-zone", "UTC"]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"whatsapp-pricing: error: cannot read {log}: ")
    assert error.count("\n") == 1


def test_reconcile_says_what_it_cost_and_each_unknown_reason_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    group = pmp("group_marketing", "regular")
    lines = [*SERVICE_REPLY, *(status(f"wamid.g{n}", "delivered", 1754301600 + n, **group)
                               for n in range(3))]  # fmt: skip
    log = tmp_path / "webhooks.jsonl"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["reconcile", str(log), "--time-zone", "UTC"]) == 1
    printed = capsys.readouterr().out.splitlines()
    assert "what the rules charge for account 1, by category (USD):" in printed
    assert any(line.startswith("  service: 2 messages, ") for line in printed)
    unknown = [line for line in printed if "unknown (" in line]
    why = "a group message ('group_marketing'): the Groups API is not modelled"
    assert unknown == [f"  unknown (3 messages): {why}"]


def test_reconcile_a_providers_log_per_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Two accounts, each in its own time zone and currency; an unlisted one is reported."""

    def for_account(line: str, account: str) -> str:
        document = json.loads(line)
        document["entry"][0]["id"] = account
        return json.dumps(document)

    lines = [for_account(line, "111") for line in SERVICE_REPLY]
    lines += [for_account(line, "222") for line in SERVICE_REPLY]
    lines.append(for_account(SERVICE_REPLY[0], "333"))
    log, accounts = tmp_path / "provider.jsonl", tmp_path / "accounts.csv"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    accounts.write_text("waba_id,time_zone,currency\n111,UTC,USD\n222,Asia/Kolkata,INR\n")
    report = tmp_path / "findings.json"
    arguments = ["reconcile", str(log), "--accounts", str(accounts), "--json", str(report)]
    assert main(arguments) == 1
    printed = capsys.readouterr().out
    assert "what the rules charge for account 111, by category (USD):" in printed
    assert "what the rules charge for account 222, by category (INR):" in printed
    assert "account 333 is not in the list of accounts" in printed
    findings = json.loads(report.read_text())["findings"]
    assert sorted((finding["account"], finding["outcome"]) for finding in findings) == [
        ("111", "agrees"),
        ("111", "agrees"),
        ("222", "agrees"),
        ("222", "agrees"),
    ]


def test_reconcile_needs_a_time_zone_or_accounts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "log.jsonl"
    log.write_text("\n", encoding="utf-8")
    assert main(["reconcile", str(log)]) == 2
    assert "--time-zone, or --accounts" in capsys.readouterr().err
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("waba_id,time_zone\n1,Mars/Olympus\n")
    assert main(["reconcile", str(log), "--accounts", str(accounts)]) == 2
    assert capsys.readouterr().err.startswith(f"whatsapp-pricing: error: {accounts}, line 2: ")


@pytest.mark.parametrize(
    "encode",
    [
        lambda data: data,
        lambda data: gzip.compress(data),
        lambda data: b"\xef\xbb\xbf" + data.replace(b"\n", b"\r\n"),
    ],
    ids=["as-sent", "gzip", "bom-crlf"],
)
def test_reconcile_a_providers_log_of_december_2026(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encode: Any
) -> None:
    """Meta's format of today, kept as people keep it, with a deep line and a far-future one."""
    far_future = status("wamid.far", "delivered", 32503680000, **pmp("marketing", "regular"))
    far_future = far_future.replace('"id": "1"', '"id": "102290129340398"')
    deep = "[" * 100_000 + "]" * 100_000
    data = (FIXTURES / "december-2026.jsonl").read_bytes() + f"{deep}\n{far_future}\n".encode()
    log, table = tmp_path / "provider.log", tmp_path / "findings.csv"
    log.write_bytes(encode(data))
    arguments = ["reconcile", str(log), "--accounts", str(FIXTURES / "accounts.csv")]
    assert main([*arguments, "--csv", str(table)]) == 1
    printed = capsys.readouterr().out
    assert printed.startswith("messages: 4 (4 agrees, 0 disagrees")
    assert "lines skipped: 2 (2 broken)" in printed
    assert "line 11: nested too deeply to be a webhook notification" in printed
    assert "line 12: its time (3000-01-01 00:00:00 UTC) is after this run" in printed
    rows = {row["message"]: row for row in csv.DictReader(table.read_text("utf-8").splitlines())}
    assert (rows["wamid.B1"]["customer"], rows["wamid.B1"]["account"]) == (
        "+254751578687",
        "204081632640128",
    )


def test_each_category_the_rules_do_not_know_is_said_once_with_a_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """What Meta reports for a Meta Business Agent message is unconfirmed: whatever category it
    is, if the rules do not know it, it is counted, never a crash."""
    at = 1793613600  # 2026-11-02, agent messages are charged
    lines = [
        status(f"wamid.{category}{n}", "delivered", at + n, **pmp(category, "regular"))
        for category in ("undocumented_a", "undocumented_b")
        for n in range(1 + (category == "undocumented_b"))
    ]
    log = tmp_path / "webhooks.jsonl"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["reconcile", str(log), "--time-zone", "UTC"]) == 1
    unknown = [line for line in capsys.readouterr().out.splitlines() if "unknown (" in line]
    assert unknown == [
        "  unknown (2 messages): pricing category 'undocumented_b' is not one the rules know",
        "  unknown (1 message): pricing category 'undocumented_a' is not one the rules know",
    ]


def test_reconcile_says_when_no_rate_card_is_shipped_in_its_currency(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    log = tmp_path / "empty.jsonl"
    log.write_text("")
    assert main(["reconcile", str(log), "--time-zone", "UTC", "--currency", "xyz"]) == 0
    assert "No rate card in XYZ is shipped" in capsys.readouterr().err


def test_reconcile_summary_heads_what_is_worth_a_look(capsys: pytest.CaptureFixture[str]) -> None:
    """The public log has failed messages (error codes), a standby echo and disagreements: the
    findings come under a heading of their own, not inside the error codes' list above them."""
    log = FIXTURES / "real" / "public-statuses.jsonl"
    assert main(["reconcile", str(log), "--time-zone", "UTC"]) == 1
    printed = capsys.readouterr().out.splitlines()
    codes, worth = (
        printed.index("error codes Meta reported on failed messages:"),
        printed.index("worth a look:"),
    )
    assert codes < worth
    assert all(line.startswith("  131049 ") for line in printed[codes + 1 : worth])
    assert printed[worth + 1].startswith("  line 8: an echo of what Meta Business Agent sent")
    assert any(": disagrees: " in line for line in printed[worth + 1 :])


def test_reconcile_summary_without_findings_has_no_worth_a_look_heading(
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = FIXTURES / "december-2026.jsonl"
    assert main(["reconcile", str(log), "--time-zone", "UTC"]) == 0
    assert "worth a look:" not in capsys.readouterr().out


def test_simulate_table_names_each_messages_rule_and_period(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Per-message pricing (2026-11): the rule code and period a ticket quotes, no empty
    Conversations table, and the unpriced count in words."""
    monkeypatch.setenv("COLUMNS", "200")
    timeline = {
        "account": {"time_zone": "Asia/Kolkata", "currency": "INR"},
        "events": [
            {"type": "template", "id": "offer", "at": "2026-11-02T10:00:00Z",
             "customer": "+919812345678", "category": "marketing"},
            {"type": "template", "id": "kz", "at": "2026-09-02T10:00:00Z",
             "customer": "+77011234567", "category": "marketing"},
        ],
    }  # fmt: skip
    assert main(["simulate", "--table", timeline_file(tmp_path, timeline)]) == 0
    printed = capsys.readouterr().out
    offer = next(line for line in printed.splitlines() if "│ offer " in line)
    assert "│ pmp.charged " in offer
    assert "│ pmp-2026-10 " in printed.splitlines()[printed.splitlines().index(offer) + 1]
    assert "Conversations" not in printed
    assert "1 charge without a sourced rate; the priced ones add up to 0.8631 INR." in printed


def test_simulate_table_keeps_the_conversations_of_conversation_based_pricing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["simulate", "--table", timeline_file(tmp_path, good_timeline())]) == 0
    assert "Conversations" in capsys.readouterr().out


def test_reconcile_reads_a_loggers_prefix_as_the_check_page_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """One reading behind both doors: the command line and the Check page price the same
    logger-prefixed log alike, and a line that is not JSON at all is named with its words."""
    lines = (FIXTURES / "december-2026.jsonl").read_text().splitlines()
    prefixed = [f"2026-11-02 08:00:0{n % 10} INFO webhook: {line}" for n, line in enumerate(lines)]
    log = tmp_path / "service.log"
    log.write_text("\n".join([*prefixed, "2026-11-02 08:01:00 INFO shutting down"]) + "\n")
    report = tmp_path / "report.json"
    main(["reconcile", str(log), "--time-zone", "Africa/Nairobi", "--json", str(report)])
    printed = capsys.readouterr().out
    assert f"line {len(lines) + 1}: not JSON: the line holds no notification" in printed
    findings = json.loads(report.read_text())["findings"]
    page = answer(Pasted(paste="\n".join(prefixed), time_zone="Africa/Nairobi"))
    assert len(findings) == len(page) > 0
    assert {f["message"]: f["predicted"]["charge"] for f in findings} == {
        found.message: str(found.charge.amount) for found in page
    }
