"""The Spark run finds what the single-process run finds: same findings, skipped lines, status.

Spark runs in local mode on this machine (it needs a Java runtime); under CI a missing Java or
pyspark fails these tests rather than skipping them.
"""

from __future__ import annotations

import dataclasses
import functools
import gzip
import json
import math
import os
import pickle
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import FIXTURES, timeline, webhook_log, webhook_notification
from tests.test_engine_properties import timelines
from whatsapp_pricing import spark_classes
from whatsapp_pricing.cli import main
from whatsapp_pricing.domain import Account
from whatsapp_pricing.reconcile import Accounts, Finding, ReconcileOptions
from whatsapp_pricing.webhooks import GZIP_MAGIC, Skipped, read_log, read_logs

HOW_TO_GET_SPARK = (
    "the Spark tests need pyspark (pip install 'whatsapp-pricing[spark]') and a Java runtime "
    "(apt-get install default-jre-headless)"
)
ACCOUNTS = {"1": Account(time_zone="UTC"), "2": Account(time_zone="Pacific/Kiritimati")}
"""Two accounts, one in the farthest time zone from UTC (UTC+14)."""


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    if shutil.which("java") is None or _missing("pyspark", "pandas", "pyarrow"):
        if os.environ.get("CI") == "true":
            pytest.fail(HOW_TO_GET_SPARK)
        pytest.skip(HOW_TO_GET_SPARK)
    from whatsapp_pricing.spark import session

    # Every sort spills to disk after a few rows, as a large log's would after many: the
    # counts pass 2 ranks are sorted by the JVM, and must come out the same when spilled.
    given = os.environ.get("PYSPARK_SUBMIT_ARGS")
    os.environ["PYSPARK_SUBMIT_ARGS"] = f"--conf {SPILL_AFTER}=500 pyspark-shell"
    try:
        spark = session("local[2]")
    finally:
        os.environ.pop("PYSPARK_SUBMIT_ARGS")
        if given is not None:
            os.environ["PYSPARK_SUBMIT_ARGS"] = given
    spark.sparkContext.setLogLevel("ERROR")
    yield spark
    spark.stop()


SPILL_AFTER = "spark.shuffle.spill.numElementsForceSpillThreshold"
"""Spark's setting of the rows a sorter holds before it spills (a sort's, a shuffle's)."""
ARROW_BATCH = "spark.sql.execution.arrow.maxRecordsPerBatch"


def _missing(*modules: str) -> bool:
    import importlib.util

    return any(importlib.util.find_spec(module) is None for module in modules)


Outcome = tuple[list[tuple[str, ...]], list[tuple[int, str, bool]], bool]


def single_process(
    paths: list[Path], window: float, now: float, accounts: Mapping[str, Account] = ACCOUNTS
) -> Outcome:
    reconciler = Accounts(ReconcileOptions(accounts=accounts, window=window, now=now))
    files = [path.open("rb") for path in paths]
    try:
        return _outcome(list(reconciler.read(read_logs(files))))
    finally:
        for file in files:
            file.close()


SMALL_BUCKETS = 8
"""Lines a bucket in most tests, of 400 bytes as the buckets are counted (a test's lines are
longer, so a bucket holds fewer): customers dealt into many buckets, so that most counts reach
across buckets and pass 2 must patch (ids) or run again (free and volume tiers)."""


def _every_field(finding: Finding) -> str:
    fields = {field.name: getattr(finding, field.name) for field in dataclasses.fields(Finding)}
    return json.dumps(fields, sort_keys=True, default=str)


def on_spark(
    spark: Any,
    paths: list[Path],
    window: float,
    now: float,
    items_per_task: int = SMALL_BUCKETS,
    accounts: Mapping[str, Account] = ACCOUNTS,
    run_again: int | None = None,
) -> Outcome:
    """The findings on Spark; ``run_again``: how many customers pass 2 must have run again
    (checked when given), the others' counts being patched or repriced."""
    from whatsapp_pricing.spark import reconcile_on_spark

    options = ReconcileOptions(accounts=accounts, window=window, now=now)
    reconciled = reconcile_on_spark(spark, [str(path) for path in paths], options, items_per_task)
    if run_again is not None:
        assert reconciled.run_again == run_again
    return _outcome(list(reconciled.settled))  # a stream, read once


def _outcome(settled: list[Finding | Skipped]) -> Outcome:
    """Every field of every finding (the ones tests read by name first, then all of them as
    JSON), and every skipped line."""
    findings = sorted(
        (each.message, each.outcome, each.detail, each.account, each.customer, each.flag,
         each.rule, (each.predicted or {}).get("charge"), _every_field(each))
        for each in settled
        if isinstance(each, Finding)
    )  # fmt: skip
    skipped = sorted(
        (each.line, each.why, each.bad) for each in settled if isinstance(each, Skipped)
    )
    clean = not any(outcome in ("disagrees", "unknown") for _, outcome, *_ in findings)
    return findings, skipped, clean and not any(bad for *_, bad in skipped)


def test_the_fixture_log_gives_the_same_findings_summary_and_status(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "logs"
    log.mkdir()
    data = (FIXTURES / "december-2026.jsonl").read_bytes()
    (log / "a.jsonl").write_bytes(data + b'{"object": "not a notification"\n')
    (log / "b.jsonl.gz").write_bytes(gzip.compress(data))
    arguments = ["reconcile", str(log), "--accounts", str(FIXTURES / "accounts.csv")]
    runs = []
    for extra in ([], ["--spark", "local[2]"]):
        status = main([*arguments, *extra, "--json", str(tmp_path / "findings.json")])
        summary = capsys.readouterr().out
        written = json.loads((tmp_path / "findings.json").read_text())
        findings = sorted(json.dumps(each, sort_keys=True) for each in written["findings"])
        runs.append((status, summary, findings, written["skipped"]))
    assert runs[0] == runs[1]
    status, summary, findings, skipped = runs[0]
    assert status == 1
    assert len(findings) == 4
    assert skipped[0]["bad"]
    assert "messages: 4 (" in summary


def _multi_account_log(
    events: list[list[dict[str, Any]]], rng: random.Random, accounts: list[str]
) -> list[str]:
    """Each timeline's log for one of the accounts, interleaved by time, then roughed up as
    logs are: a few lines moved far back, some repeated, some cut short. Message ids are made
    unique across timelines, as Meta's are across a log. Some lines give the customer's user id
    beside the number, as Meta's do from 2026: the timelines share their customers, so a line
    of one account links the names for every account."""
    lines: list[tuple[float, str]] = []
    for number, (timeline_events, account) in enumerate(zip(events, accounts, strict=True)):
        for line in webhook_log(timeline(*timeline_events)):
            notification = json.loads(line)
            notification["entry"][0]["id"] = account
            value = notification["entry"][0]["changes"][0]["value"]
            item = (value.get("messages") or value.get("statuses"))[0]
            item["id"] = f"t{number}.{item['id']}"
            if rng.random() < 0.1:
                inbound = "from" in item
                customer = item["from" if inbound else "recipient_id"]
                item["from_user_id" if inbound else "recipient_user_id"] = f"XX.{customer}"
            at = float(item["timestamp"])
            lines.append((at, json.dumps(notification)))
    log = [line for _, line in sorted(lines, key=lambda pair: pair[0])]
    for _ in range(rng.randint(0, 6)):
        index = rng.randrange(len(log))
        move = rng.choice(["back", "repeat", "cut"])
        if move == "back":
            log.insert(max(0, index - rng.randint(1, 30)), log.pop(index))
        elif move == "repeat":
            log.insert(min(len(log), index + rng.randint(1, 30)), log[index])
        else:
            log[index] = log[index][: rng.randrange(max(1, len(log[index])))]  # cut twice: empty
    return log


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    st.lists(
        st.sampled_from(
            [
                datetime(2022, 9, 5, tzinfo=UTC),
                datetime(2024, 10, 28, tzinfo=UTC),
                datetime(2025, 8, 4, tzinfo=UTC),
                datetime(2026, 11, 2, tzinfo=UTC),
            ]
        ).flatmap(lambda start: timelines(start=start)),
        min_size=1,
        max_size=3,
    ),
    st.lists(st.sampled_from(["1", "2", "3"]), min_size=3, max_size=3),
    st.randoms(use_true_random=False),
    st.sampled_from([3600.0, 24 * 3600.0]),
)
def test_any_multi_account_log_gives_the_same_answer(
    spark: Any,
    events: list[list[dict[str, Any]]],
    accounts: list[str],
    rng: random.Random,
    window: float,
) -> None:
    """Account 3 is in no list: its lines are reported, not priced, in both runs."""
    log = _multi_account_log(events, rng, accounts[: len(events)])
    with tempfile.TemporaryDirectory() as folder:
        # Read in the order given, not by name; a space in a name is quoted in Spark's.
        halves = [Path(folder, "2.jsonl"), Path(folder, "1 later.jsonl")]
        middle = len(log) // 2
        halves[0].write_text("".join(line + "\n" for line in log[:middle]))
        halves[1].write_text("".join(line + "\n" for line in log[middle:]))
        now = time.time()
        assert on_spark(spark, halves, window, now) == single_process(halves, window, now)


def test_counts_across_buckets_are_patched_or_run_again_as_the_whole_run_counts(
    spark: Any, tmp_path: Path
) -> None:
    """A month of conversation-based pricing, in buckets of 40 lines' bytes: conversation ids
    (counted across every customer) are patched into the findings; the first 1,000 service
    conversations, free, are repriced from their positions; later ones keep pass 1's price. No
    customer runs again."""
    rng = random.Random(23)
    start = datetime(2024, 10, 1, tzinfo=UTC).timestamp()
    events: list[dict[str, Any]] = []
    for number in range(1_300):
        customer = f"+5511{900000000 + number}"
        at = start + rng.randrange(20 * 24 * 3600)
        for step, (kind, category) in enumerate(
            [("customer_message", None), ("free_form", None), ("template", "marketing"),
             ("template", rng.choice(["utility", "authentication"]))]
        ):  # fmt: skip
            event = {"type": kind, "customer": customer, "at": _iso(at + 600 * step)}
            if kind != "customer_message":
                event["id"] = f"m{number}.{step}"
            if category:
                event["category"] = category
            events.append(event)
    events.sort(key=lambda event: event["at"])
    log = tmp_path / "month.jsonl"
    log.write_text("\n".join(webhook_log(timeline(*events))) + "\n")
    now = time.time()
    single = single_process([log], 24 * 3600, now)
    # The month's conversations, one counter, ranked by the JVM, which spills them (see the
    # fixture) and hands pass 2 its buckets' counts in batches of 100: they number the same.
    assert spark.sparkContext.getConf().get(SPILL_AFTER) == "500"
    spark.conf.set(ARROW_BATCH, "100")
    try:
        assert on_spark(spark, [log], 24 * 3600, now, items_per_task=40, run_again=0) == single
    finally:
        spark.conf.unset(ARROW_BATCH)
    details = [detail for _, _, detail, *_ in single[0]]
    assert sum("free as number" in detail for detail in details) == 1_000
    assert any("c3900" in detail for detail in details)  # ids counted over the whole month


def test_a_counter_is_ranked_a_batch_at_a_time_and_sent_back_to_its_buckets() -> None:
    """Pass 2's ranking as Spark hands it the counts: sorted, in batches that cut a counter
    in two. Positions run on across the cut and start again at the next counter; each batch's
    counts go back to their buckets, with the customers whose position changes a price: the
    free tier's first two (past the placeholder three: the third was right), the volume
    tier's count that its bucket numbered otherwise, and a line with token-like words; never
    a conversation's id (a name only), nor a count whose message is repriced from its position
    alone (account 3's, though the positions change their prices)."""
    import pyarrow

    from whatsapp_pricing import spark as on_spark
    from whatsapp_pricing.spark import Alike

    token = on_spark.TOKEN
    rows = [(0, "", "", 0.0, 3, 0, Alike.NONE, "t", False)]
    rows += [(bucket, "1", "conversations", 10.0 + order, order, token + order, Alike.NAME,
              f"g{order}", False) for order, bucket in enumerate([0, 1, 0, 1, 1])]  # fmt: skip
    rows += [(bucket, "1", "free", 10.0, order, 3, 2, f"f{order}", False)
             for order, bucket in enumerate([1, 0, 0])]  # fmt: skip
    rows += [(0, "1", "volume", 5.0, 9, 1, Alike.EVERY, "v0", False),
             (1, "1", "volume", 6.0, 1, 1, Alike.EVERY, "v1", False),
             (1, "2", "volume", 6.0, 2, 1, Alike.EVERY, "w0", False),
             (0, "3", "free", 7.0, 4, 3, 2, "p1", True),
             (1, "3", "volume", 6.0, 3, 5, Alike.EVERY, "p0", True)]  # fmt: skip
    names = on_spark.COUNTS.fieldNames()
    batches = [
        pyarrow.RecordBatch.from_pylist([dict(zip(names, row, strict=True)) for row in part])
        for part in (rows[:3], rows[3:9], rows[9:])
    ]
    out = []
    for batch in on_spark._ranking(batches):
        for bucket, blob, again in zip(*batch.to_pydict().values(), strict=True):
            counts = on_spark._streamed_counts([blob]).select(["key", "group", "position"])
            rows_of = [tuple(count.values()) for count in counts.to_pylist()]
            out.append((bucket, rows_of, again and on_spark._decode_groups(again)))
    assert out == [
        (0, [("", "t", 1), ("conversations", "g0", 1)], ["t"]),
        (1, [("conversations", "g1", 2)], None),
        (0, [("conversations", "g2", 3), ("free", "f1", 2), ("free", "f2", 3)], ["f1"]),
        (1, [("conversations", "g3", 4), ("conversations", "g4", 5), ("free", "f0", 1)], ["f0"]),
        (0, [("volume", "v0", 1), ("free", "p1", 1)], None),
        (1, [("volume", "v1", 2), ("volume", "w0", 1), ("volume", "p0", 1)], ["v1"]),
    ]


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).isoformat()


def _service_conversation(number: str, at: float) -> list[str]:
    """A customer writes, and the business answers free-form: one service conversation."""
    customer = {"from": number.removeprefix("+"), "id": f"in{number}", "timestamp": str(int(at))}
    status = {
        "id": f"wamid.{number}",
        "status": "delivered",
        "timestamp": str(int(at) + 60),
        "recipient_id": number.removeprefix("+"),
        "pricing": {"billable": True, "pricing_model": "CBP", "category": "service"},
    }
    return [
        _for_account("2", {"messages": [customer]}),
        _for_account("2", {"statuses": [status]}),
    ]


def _settled_blob(results: list[tuple[str, int, Any]]) -> bytes:
    """Results, each with its group and place, as pass 1 sends them on."""
    from whatsapp_pricing import spark as on_spark

    return on_spark._packed(on_spark._encode(on_spark._settled(results)))


def _same_user_ids(
    spark: Any, logs: list[Path], window: float, expected: Mapping[str, str]
) -> None:
    """One process gives the messages of ``expected`` those user ids (``window`` in seconds),
    and Spark, with a bucket a line, gives the same findings as one process."""
    now = time.time()
    single = single_process(logs, window, now)
    names = {message: json.loads(fields)["user_id"] for message, *_, fields in single[0]}
    assert {message: names[message] for message in expected} == expected
    assert on_spark(spark, logs, window, now, items_per_task=1) == single


def _linking_line(account: str, number: str, user_id: str, at: float) -> str:
    """A customer's message to ``account`` at ``at`` that links their number to a user id."""
    message = {"from": number, "from_user_id": user_id, "id": f"in.{account}", "type": "text",
               "timestamp": str(int(at))}  # fmt: skip
    contacts = [{"wa_id": number, "user_id": user_id}]
    return _for_account(account, {"contacts": contacts, "messages": [message]})


def _for_account(account: str, value: dict[str, Any]) -> str:
    notification = json.loads(webhook_notification(value))
    notification["entry"][0]["id"] = account
    return json.dumps(notification)


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("c\\u0039" + "0" * 16 + "1", "c9" + "0" * 16 + "1"),
        ("c9" + "\\u0660" * 16 + "\\u0661", "c9" + "\u0660" * 16 + "\u0661"),
    ],
    ids=["a digit written as an escape", "another script's digits"],
)
def test_metas_words_shaped_like_a_token_are_left_as_meta_wrote_them(
    spark: Any, tmp_path: Path, written: str, read: str
) -> None:
    """An origin Meta names with the first token's shape, once its JSON is decoded: pass 2
    must not take it for the bucket's first conversation and write that conversation's id. In
    March 2025, past the free tier, so its customer is patched, not run again."""
    at = datetime(2025, 3, 5, 9, 0, tzinfo=UTC).timestamp()
    lines = _service_conversation("+255700000001", at)
    lines += _service_conversation("+255700000002", at + 600)
    status = json.loads(lines[1])
    value = status["entry"][0]["changes"][0]["value"]
    value["statuses"][0]["conversation"] = {"id": "meta-1", "origin": {"type": "WORD"}}
    lines[1] = json.dumps(status).replace('"WORD"', f'"{written}"')
    log = tmp_path / "month.jsonl"
    log.write_text("\n".join(lines) + "\n")
    now = time.time()
    single = single_process([log], 24 * 3600, now)
    assert any(read in detail for _, _, detail, *_ in single[0])
    # One bucket, whose first conversation's token is the word's number.
    assert on_spark(spark, [log], 24 * 3600, now, items_per_task=10**6) == single


def test_parsing_reads_the_text_as_spark_sends_it_as_strings_or_large_strings() -> None:
    """Spark sends the log's text as strings, or as large strings where a session asks for
    them; parsing views either as the lines' bytes, as read."""
    import pyarrow  # type: ignore[import-untyped]

    from whatsapp_pricing import spark as on_spark

    lines = ['{"entry": []}', "not json \u00e9"]
    for kind in (pyarrow.string(), pyarrow.large_string()):
        columns = [pyarrow.array(lines, kind), pyarrow.array(["f", "f"]), pyarrow.array([0, 0])]
        batch = pyarrow.record_batch(columns, names=["value", "file", "block"])
        assert list(on_spark._runs(batch)) == [(("f", 0), [line.encode() for line in lines])]


def test_the_places_and_items_pass_1_makes_by_position_have_their_fields_in_that_order() -> None:
    """Pass 1 makes each item's place and item from their fields in order, not through their
    classes' constructors (too slow for every item): a field added or moved would shift the
    others without a word."""
    from whatsapp_pricing import spark as on_spark
    from whatsapp_pricing.reconcile.ordering import Place

    assert Place._fields == ("order", "clock", "account_clock", "account_clocks")
    assert on_spark._Item._fields == ("place", "item", "group", "tokens")


def test_parsing_gives_the_same_rows_however_spark_cuts_the_lines_into_batches() -> None:
    """A partition's rows (items, asks, ends, links) do not depend on where Spark's batches
    cut its stretches: two files' lines, one spread over many batches, with customers in both,
    user ids, an unknown account, a line in the future, a line that is no JSON and a BOM."""
    import pyarrow

    from whatsapp_pricing import spark as on_spark
    from whatsapp_pricing.webhooks import UTF8_BOM

    at = datetime(2026, 11, 2, 10, 0, tzinfo=UTC).timestamp()
    rng = random.Random(5)
    now = at + 3 * 3600

    def line(number: int) -> str:
        account = rng.choice(["1", "2", "3"])  # 3 is no account of the options
        customer = f"25471100{rng.randrange(40):04d}"
        user = rng.choice(["", "", "KE.150257639465584" + str(number % 7)])
        later = now + 7200 if number % 97 == 0 else at + number * 30
        return _template(account, f"wamid.{number % 150}", customer, later, user)

    files = {"file:/a.jsonl": [line(n) for n in range(700)],
             "file:/b.jsonl": [line(n) for n in range(700, 900)]}  # fmt: skip
    files["file:/a.jsonl"][3] = "{not json"
    files["file:/b.jsonl"][0] = (UTF8_BOM + files["file:/b.jsonl"][0].encode()).decode()
    whole = [(text, file) for file, lines in files.items() for text in lines]
    settings = {account: Account(time_zone="UTC") for account in ("1", "2")}
    options = ReconcileOptions(accounts=settings, now=now)

    def rows(size: int) -> list[tuple[Any, ...]]:
        parts = [whole[start : start + size] for start in range(0, len(whole), size)]
        batches = [
            pyarrow.RecordBatch.from_pydict(
                {"value": [text for text, _ in part], "file": [file for _, file in part]}
            ).append_column("block", pyarrow.array([0] * len(part), pyarrow.int64()))
            for part in parts
        ]
        parsed = pyarrow.Table.from_batches(on_spark._parsing(options, 3, 4)(iter(batches)))
        columns = parsed.to_pydict().values()
        return [(role, key, file, block, frozenset(on_spark._decode_links(blob)))
                if role == on_spark.Role.LINKS else (role, key, file, block, blob)
                for role, key, file, block, blob in zip(*columns, strict=True)]  # fmt: skip

    one = rows(len(whole))
    ends = [on_spark._decode_end(row[4]) for row in one if row[0] == on_spark.Role.END]
    assert [end.lines for end in ends] == [700, 200]
    assert all(role != on_spark.Role.LINKS or links for role, *_, links in one)
    for size in (1, 13, 699, 701):
        assert rows(size) == one


def test_parsing_notes_each_line_with_token_like_words() -> None:
    """The lines parsing reads, each without a byte order mark, counted, and those noted whose
    words may look like a token (as they are, or with a JSON escape) are the ones the whole
    pattern finds, wherever the two forms fall in a line."""
    from whatsapp_pricing import spark as on_spark
    from whatsapp_pricing.webhooks import UTF8_BOM

    whole = re.compile(rb"c9[0-9]{17}|\\u00(?:3[0-9]|63)")
    words = [b"c9" + b"1" * 17, b"c9" + b"1" * 16, b"\\u0039", b"\\u0063", b"\\u0041", b"c",
             b"9", b"\\u00", b'{"a": 1}', b"c8" + b"2" * 17, UTF8_BOM]  # fmt: skip
    rng = random.Random(3)
    lines = [b" ".join(rng.choices(words, k=rng.randrange(5))) for _ in range(2000)]
    lines[0] = UTF8_BOM + lines[0]
    read = on_spark._Lines(iter([lines[:700], [], lines[700:]]))
    assert list(read) == [line.removeprefix(UTF8_BOM) for line in lines]
    assert read.count == len(lines)
    found = {number for number, line in enumerate(lines, start=1) if whole.search(line)}
    assert read.tokened == found
    assert 100 < len(found) < len(lines) - 100


def test_the_free_tier_ends_at_exactly_1000_in_the_accounts_month(
    spark: Any, tmp_path: Path
) -> None:
    """1,001 customers' service conversations from 09:55 UTC on 2024-09-30, which is already
    October in Kiritimati (UTC+14): the 1,001st is charged, and the first September one free."""
    start = datetime(2024, 9, 30, 9, 55, tzinfo=UTC).timestamp()
    lines = _service_conversation("+255700000000", start - 3600)  # 23:55 on 30 September there
    for number in range(1, 1002):
        lines += _service_conversation(f"+2557{number:08d}", start + 600 + number * 60)
    log = tmp_path / "month.jsonl"
    log.write_text("\n".join(lines) + "\n")
    now = time.time()
    single = single_process([log], 24 * 3600, now)
    assert on_spark(spark, [log], 24 * 3600, now, run_again=0) == single
    details = {message: detail for message, _, detail, *_ in single[0]}
    free = "free as number {:,} of the account's 1,000 free service conversations for {}"
    assert free.format(1, "September 2024") in details["wamid.+255700000000"]
    assert free.format(1, "October 2024") in details["wamid.+255700000001"]
    assert free.format(1000, "October 2024") in details["wamid.+255700001000"]
    assert "free as number" not in details["wamid.+255700001001"]


def test_the_volume_tier_starts_at_message_100001(spark: Any, tmp_path: Path) -> None:
    """100,001 utility templates to four Tanzanian customers in October 2026: Rest of Africa's
    next tier (5 % off) starts at the 100,001st, whichever customer it goes to."""
    start = datetime(2026, 10, 1, tzinfo=UTC).timestamp()
    pricing = {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "utility"}
    lines = []
    for number in range(100_001):
        customer = f"25571234567{number % 4}"
        status = {
            "id": f"wamid.{number + 1}",
            "status": "delivered",
            "timestamp": str(int(start) + 20 * number),
            "recipient_id": customer,
            "pricing": pricing,
        }
        lines.append(_for_account("1", {"statuses": [status]}))
    log = tmp_path / "volume.jsonl"
    log.write_text("\n".join(lines) + "\n")
    now = time.time()
    single = single_process([log], 24 * 3600, now)
    assert on_spark(spark, [log], 24 * 3600, now, items_per_task=20_000, run_again=0) == single
    details = {message: detail for message, _, detail, *_ in single[0]}
    assert "message 100,000 of October 2026" in details["wamid.100000"]
    assert "first volume tier" in details["wamid.100000"]
    assert "message 100,001 of October 2026" in details["wamid.100001"]
    assert "5% below the utility list rate" in details["wamid.100001"]


def test_a_message_id_sent_again_a_month_later_runs_its_customer_again(
    spark: Any, tmp_path: Path
) -> None:
    """A finding is repriced by its account and message id, so a bucket with two findings of
    one id (sent again after the first was forgotten, 30 days on) cannot tell them apart: that
    customer runs again, and the 40 others, whose utility templates of October and November
    2026 all take other positions than their buckets gave them, are repriced."""
    log = _two_months_of_utility(tmp_path)
    now = time.time()
    single = single_process([log], 24 * 3600, now)
    assert on_spark(spark, [log], 24 * 3600, now, run_again=1) == single
    again = [detail for message, _, detail, *_ in single[0] if message == "wamid.again"]
    assert len(again) == 2
    assert any("message 40 of October 2026" in detail for detail in again)
    assert any("message 40 of November 2026" in detail for detail in again)


def _two_months_of_utility(folder: Path) -> Path:
    """Account 1's utility templates to 40 customers in October and November 2026, and one
    message id sent again to a 41st customer a month on, whose customer runs again."""
    start = datetime(2026, 10, 1, tzinfo=UTC).timestamp()
    pricing = {"billable": True, "pricing_model": "PMP", "type": "regular", "category": "utility"}
    sent = [(f"wamid.{month}.{number}", f"2557123{number:05d}", start + month * 32 * 86400
             + number * 3600) for month in (0, 1) for number in range(40)]  # fmt: skip
    sent += [("wamid.again", "255712399999", start + 38.5 * 3600),
             ("wamid.again", "255712399999", start + 32 * 86400 + 38.5 * 3600)]  # fmt: skip
    lines = [
        _for_account("1", {"statuses": [{"id": message, "status": "delivered",
                                         "timestamp": str(int(at)), "recipient_id": customer,
                                         "pricing": pricing}]})
        for message, customer, at in sorted(sent, key=lambda each: each[2])
    ]  # fmt: skip
    log = folder / "months.jsonl"
    log.write_text("\n".join(lines) + "\n")
    return log


PANDAS_WATCHED = """import os, sys
if "whatsapp_pricing.spark_daemon" in getattr(sys, "orig_argv", ()):
    open(os.path.join(os.path.dirname(__file__), "watched"), "a").close()
    class Watch:
        def find_spec(self, name, path=None, target=None):
            if name == "pandas":
                with open(os.path.join(os.path.dirname(__file__), "pandas"), "a") as file:
                    file.write(f"{os.getpid()}\\n")
    sys.meta_path.insert(0, Watch())
"""
"""A ``sitecustomize`` that notes, in a file ``pandas`` beside it, each time the daemon of a local
run's Python workers, or a worker it forked, imports pandas (the driver does: pyspark requires
it there). It only notes: pyarrow, denied pandas, would go on without it. The daemon leaves a
file ``watched`` too, so that a run whose workers were not watched cannot pass for one that
imported nothing."""


def test_a_local_runs_python_workers_never_import_pandas(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """pyarrow imports pandas (about 0.3 s of each worker's CPU) to turn a Python number into a
    scalar, or a column into NumPy's array or back; the tasks do none of these. A local run over
    logs that use every pass (user ids and their links, the clocks told, counts ranked, messages
    repriced, a customer run again) finds what one process finds, and no worker of it imports
    pandas."""
    logs = [str(_two_months_of_utility(tmp_path)), str(FIXTURES / "december-2026.jsonl"),
            str(FIXTURES / "real" / "meta-shapes.jsonl")]  # fmt: skip
    (tmp_path / "sitecustomize.py").write_text(PANDAS_WATCHED)
    arguments = ["reconcile", *logs, "--time-zone", "UTC"]
    status = main([*arguments, "--csv", str(tmp_path / "one.csv")])
    capsys.readouterr()
    command = Path(sys.executable).with_name("whatsapp-pricing")
    path = os.pathsep.join(filter(None, [str(tmp_path), os.environ.get("PYTHONPATH")]))
    ran = subprocess.run(
        [str(command), *arguments, "--spark", "local[1]", "--csv", str(tmp_path / "spark.csv")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path},
        check=False,
    )
    assert ran.returncode == status, ran.stderr[-3000:]
    one, on_spark = (sorted((tmp_path / name).read_text().splitlines())
                     for name in ("one.csv", "spark.csv"))  # fmt: skip
    assert on_spark == one
    assert any("wamid.again" in row for row in one)
    assert (tmp_path / "watched").exists(), "the workers were not watched"
    assert not (tmp_path / "pandas").exists(), "a worker imported pandas"


def test_the_unconfirmed_free_service_messages_are_counted_per_number_and_local_month(
    spark: Any, tmp_path: Path
) -> None:
    """With the unconfirmed allowance on, for account 2 (Kiritimati, UTC+14), in buckets of 8
    lines' bytes: 1,001 answers from business number 111 in its November, one in its October (still
    31 October in UTC) and one from number 222. Meta calls them all free; the engine agrees with
    the first 1,000 of each number and month, so only the 1,001st of November disagrees."""
    accounts = {**ACCOUNTS, "2": Account(time_zone=ACCOUNTS["2"].time_zone,
                                         unconfirmed_free_service_messages=True)}  # fmt: skip
    november = datetime(2026, 10, 31, 10, 0, tzinfo=UTC).timestamp()  # midnight in Kiritimati
    lines = _free_service_answer("111", 0, november - 300)
    for number in range(1, 1002):
        lines += _free_service_answer("111", number, november + 60 * number)
    lines += _free_service_answer("222", 1002, november + 60 * 1002)
    log = tmp_path / "month.jsonl"
    log.write_text("\n".join(lines) + "\n")
    now = time.time()
    single = single_process([log], 24 * 3600, now, accounts)
    assert on_spark(spark, [log], 24 * 3600, now, accounts=accounts) == single
    details = {message: (outcome, detail) for message, outcome, detail, *_ in single[0]}
    disagreeing = [message for message, (outcome, _) in details.items() if outcome != "agrees"]
    assert disagreeing == ["wamid.111.1001"]
    free = "Free as service message {:,} of the 1,000 per business number for {}"
    assert free.format(1, "October 2026") in details["wamid.111.0"][1]
    assert free.format(1, "November 2026") in details["wamid.111.1"][1]
    assert free.format(1000, "November 2026") in details["wamid.111.1000"][1]
    assert free.format(1, "November 2026") in details["wamid.222.1002"][1]


def _free_service_answer(business: str, number: int, at: float) -> list[str]:
    """A Tanzanian customer writes to account 2's number ``business``, which answers free-form
    a minute later; Meta's status calls the answer free customer service."""
    customer = f"2557{number:08d}"
    metadata = {"display_phone_number": business, "phone_number_id": business}
    message = {"from": customer, "id": f"in{business}.{number}", "timestamp": str(int(at))}
    pricing = {"billable": False, "pricing_model": "PMP", "type": "free_customer_service",
               "category": "service"}  # fmt: skip
    status = {"id": f"wamid.{business}.{number}", "status": "delivered", "pricing": pricing,
              "timestamp": str(int(at) + 60), "recipient_id": customer}  # fmt: skip
    return [
        _for_account("2", {"metadata": metadata, "messages": [message]}),
        _for_account("2", {"metadata": metadata, "statuses": [status]}),
    ]


@pytest.mark.parametrize("files", [1, 2])
def test_a_link_another_account_learns_later_names_only_what_is_decided_after_it(
    spark: Any, tmp_path: Path, files: int
) -> None:
    """Account 1 sends a marketing template to a customer known by number; a line of another
    customer of account 1 moves its clock a window past it, which settles it, before an
    account-2 line links the number to a user id (the contact book is shared by the accounts);
    a second template, settled after the link, has the user id. Spark's bucket of the customer
    holds neither of account 1's other lines, and must name both findings as the whole run
    does (one line a bucket's bytes: the customers fall in different buckets). In two files,
    account 1's clock at the link is the first file's: told from the stretches before the
    link's, not from its own."""
    at = datetime(2026, 11, 2, 10, 0, tzinfo=UTC).timestamp()
    number, user_id, other = "254711000001", "KE.1502576394655843", "254712000002"
    lines = [
        _template("1", "wamid.first", number, at),
        _template("1", "wamid.other", other, at + 5400),  # 1.5 h on: a window past the first
        _linking_line("2", number, user_id, at + 5700),
        _template("1", "wamid.second", number, at + 6000),
        _template("1", "wamid.later", other, at + 9000),
    ]
    cut = 2 if files == 2 else len(lines)
    logs = [tmp_path / "linked-1.jsonl", tmp_path / "linked-2.jsonl"][:files]
    for log, part in zip(logs, [lines[:cut], lines[cut:]], strict=False):
        log.write_text("\n".join(part) + "\n")
    _same_user_ids(spark, logs, 3600, {"wamid.first": "", "wamid.second": user_id})


def test_a_link_another_account_makes_names_what_is_decided_after_it_though_later_lines_pass_it(
    spark: Any, tmp_path: Path
) -> None:
    """Account 1's template to a customer known by number is not yet a window old when an
    account-2 line links the number to a user id; account 1's later lines move its clock past
    the template only after the link. The whole run decides the template after the link, with
    the user id; so must Spark's bucket of the customer, told account 1's clock at the link, not
    the latest of its stretch."""
    at = datetime(2026, 11, 2, 10, 0, tzinfo=UTC).timestamp()
    number, user_id, other = "254711000001", "KE.1502576394655843", "254712000002"
    lines = [
        _template("1", "wamid.first", number, at),
        _template("1", "wamid.other", other, at + 1800),  # half a window on
        _linking_line("2", number, user_id, at + 2000),
        _template("1", "wamid.later", other, at + 9000),
    ]
    log = tmp_path / "linked.jsonl"
    log.write_text("\n".join(lines) + "\n")
    _same_user_ids(spark, [log], 3600, {"wamid.first": user_id})


def test_many_accounts_sharing_customers_with_user_ids_give_the_same_answer(
    spark: Any, tmp_path: Path
) -> None:
    """Forty accounts, each customer's lines in up to three of them, half the lines with the
    customer's user id, some out of time order, read from two files into many buckets: each
    line that may link names is told the clocks of the other accounts of its customer, which
    the whole run's other accounts have reached there (wrong or missing ones rename findings)."""
    rng = random.Random(7)
    start = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    accounts = {str(100 + number): Account(time_zone="UTC") for number in range(40)}
    ids = list(accounts)
    lines = []
    for line in range(2000):
        customer = rng.randrange(150)
        account = ids[(customer + rng.randrange(3)) % len(ids)]
        user_id = f"KE.{1502576394655843 + customer}" if rng.random() < 0.5 else ""
        at = start + 40 * line + rng.randrange(-600, 600)
        lines.append(_template(account, f"wamid.{line}", f"25471{customer:07d}", at, user_id))
    halves = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    halves[0].write_text("\n".join(lines[:1000]) + "\n")
    halves[1].write_text("\n".join(lines[1000:]) + "\n")
    now = time.time()
    single = single_process(halves, 3600, now, accounts)
    assert on_spark(spark, halves, 3600, now, items_per_task=50, accounts=accounts) == single


@pytest.mark.parametrize("account", ["1", "2"])
def test_a_link_let_go_of_later_names_what_was_decided_before_it(
    spark: Any, tmp_path: Path, account: str
) -> None:
    """A customer's line links the number to a user id, and account 1's template to the number
    is settled (another customer's line moves account 1's clock a window past it) with that id.
    Six days on, the contact book lets go of the link; only then does the customer's bucket
    have a line, of account 1 or 2: the whole log had long settled the template, and so must
    its bucket, before the link goes."""
    at = datetime(2026, 11, 2, 10, 0, tzinfo=UTC).timestamp()
    number, user_id, other = "254711000001", "KE.1502576394655843", "254712000002"
    lines = [
        _linking_line("1", number, user_id, at),
        _template("1", "wamid.first", number, at + 300),
        _template("1", "wamid.other", other, at + 5400),
        _template("1", "wamid.days", other, at + 6 * 86400),
        _template(account, "wamid.second", number, at + 6 * 86400 + 60),
    ]
    log = tmp_path / "let-go.jsonl"
    log.write_text("\n".join(lines) + "\n")
    _same_user_ids(spark, [log], 3600, {"wamid.first": user_id, "wamid.second": ""})


def test_a_link_let_go_of_at_the_hour_after_the_first_it_may_be_names_what_was_decided_before_it(
    spark: Any, tmp_path: Path
) -> None:
    """With a reorder window of 15 minutes the contact book keeps a link 96.5 hours: a customer
    last seen at 10:46 is let go of four days on at the line that enters 12:00, not the one that
    enters 11:00 (whose hour, less the keep, is 10:30). The customer's bucket must settle
    account 1 there, as the whole log has, before the link goes (the other customer's lines,
    which move account 1's clock, are in another bucket)."""
    from whatsapp_pricing.spark import BYTES_PER_LINE, _hash

    at = datetime(2026, 11, 2, 10, 45, tzinfo=UTC).timestamp()
    number, user_id, other = "254711000001", "KE.1502576394655843", "254713000003"
    days = 4 * 86400
    lines = [
        _linking_line("1", number, user_id, at),
        _template("1", "wamid.first", number, at + 60),
        _template("1", "wamid.other", other, at + 1200),  # a window past the first
        _template("1", "wamid.eleven", other, at + days + 1500),  # 11:10, four days on
        _template("1", "wamid.noon", other, at + days + 5100),  # 12:10: the link goes
        _template("1", "wamid.second", number, at + days + 5160),
    ]
    log = tmp_path / "let-go.jsonl"
    log.write_text("\n".join(lines) + "\n")
    buckets = log.stat().st_size // BYTES_PER_LINE
    assert _hash(f"+{number}", buckets) != _hash(f"+{other}", buckets)
    _same_user_ids(spark, [log], 900, {"wamid.first": user_id, "wamid.second": ""})


def test_only_a_line_that_may_link_names_anew_asks_other_accounts_clocks() -> None:
    """Of a customer's lines with one number and user id, the chunk's first asks the other
    accounts' clocks (it may link them), a repeat does not, nor a line with the number alone; a
    repeat asks again once another line gave the user id to another number, or once the
    contact book may have let the link go."""
    from whatsapp_pricing import spark as on_spark
    from whatsapp_pricing.reconcile.account import links_kept

    at = datetime(2026, 11, 2, 10, 0, tzinfo=UTC).timestamp()
    number, user_id, other = "254711000001", "KE.1502576394655843", "254712000002"
    options = ReconcileOptions(account=Account(time_zone="UTC"), now=time.time())
    kept = links_kept(options.window)
    named = [(number, user_id, 0), (number, user_id, 60), (number, "", 120), (other, user_id, 180),
             (number, user_id, 240), (number, user_id, 300 + kept)]  # fmt: skip
    lines = [_template("1", f"wamid.{line}", customer, at + after, user).encode()
             for line, (customer, user, after) in enumerate(named, start=1)]  # fmt: skip
    rows = [row for batch in on_spark._parsed(iter([lines]), options, set(), on_spark._Dealer(1))
            for row in batch]  # fmt: skip
    asks = [on_spark._decode_asks(blob) for role, _, blob in rows if role == on_spark.Role.ASKS]
    told = {order // on_spark.ITEMS_PER_LINE for ask in asks for order, _, _ in ask.linking}
    assert told == {1, 4, 5, 6}


@pytest.mark.parametrize("user_id", ["", "KE.1502576394655843"])
def test_only_a_log_with_lines_that_may_link_names_gives_its_tasks_the_hours(user_id: str) -> None:
    """Every task is given the lines where the log's clock enters a new hour, for the contact
    book to let go of links there: a log with no line that may link names (no user id, no
    parent id) gives the book none to let go of, nor the tasks any hour."""
    from whatsapp_pricing import spark as on_spark

    at = datetime(2026, 11, 2, 10, 0, tzinfo=UTC).timestamp()
    options = ReconcileOptions(account=Account(time_zone="UTC"), now=time.time())
    lines = [_template(str(account), f"wamid.{hour}.{account}", "254711000001",
                       at + hour * 3600, user_id).encode()
             for hour in range(3) for account in range(1, 3)]  # fmt: skip
    rows = [row for batch in on_spark._parsed(iter([lines]), options, set(), on_spark._Dealer(1))
            for row in batch]  # fmt: skip
    [end] = [on_spark._decode_end(blob) for role, _, blob in rows if role == on_spark.Role.END]
    hours = on_spark._hours({("f", 0): end}, _one_stretch())
    assert len(hours) == (3 if user_id else 0)


def _hour_lines(accounts: int) -> bytes:
    """The lines where the clock of a month of a log enters a new hour (pickled, as Spark ships
    them), with a user id on every line, spread over ``accounts`` accounts (round robin)."""
    from whatsapp_pricing import spark as on_spark

    ids = [str(102290129340398 + index) for index in range(accounts)]
    start = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    lines = [_template(ids[line % accounts], f"wamid.{line}", f"25471{line % 400:07d}",
                       start + 600 * line, f"KE.{1502576394655843 + line % 400}").encode()
             for line in range(30 * 24 * 6)]  # fmt: skip
    settings = {account: Account(time_zone="UTC") for account in ids}
    options = ReconcileOptions(accounts=settings, now=time.time())
    parsed = on_spark._parsed(iter([lines]), options, set(), on_spark._Dealer(1))
    rows = [row for batch in parsed for row in batch]
    [end] = [on_spark._decode_end(blob) for role, _, blob in rows if role == on_spark.Role.END]
    hours = on_spark._hours({("f", 0): end}, _one_stretch())
    assert len(hours) == 30 * 24
    return pickle.dumps(hours)


def test_the_hours_every_task_is_given_do_not_grow_with_the_accounts_of_the_log() -> None:
    """Each task is given every line where the log's clock enters a new hour: its place and
    time, not every account's clock (found by a review: about 26 bytes an account an hour of
    the log, 19 MB in every task for a month of 1,000 accounts). The clocks settled there are
    asked, as a link's are, only for the groups whose links the contact book may let go of."""
    assert len(_hour_lines(1000)) == len(_hour_lines(1))


def test_the_lines_that_may_let_go_of_a_link_are_those_the_contact_book_lets_it_go_at() -> None:
    """A customer last seen at any time of an hour is let go of at one of the lines the stage
    asks the clocks at for that hour: with a keep of whole hours, the first line whose hour is
    past the hour plus the keep; with a keep of part of an hour (a window of 15 minutes), that
    line or the next, by the minute of the hour it was seen."""
    from whatsapp_pricing import spark as on_spark
    from whatsapp_pricing.engine import HOUR
    from whatsapp_pricing.identities import ContactBook
    from whatsapp_pricing.reconcile.account import links_kept

    rng = random.Random(3)
    start = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    for case in range(400):
        keep = links_kept(rng.choice([900, 1800, 2700, 3600, 4000]))
        times = sorted(rng.sample(range(int(start), int(start + 300 * HOUR)), 200))
        lines, reached = [], -math.inf
        for order, at in enumerate(times):
            if at >= reached:
                lines.append(on_spark._HourLine(order, at, ("f", 0), order))
                reached = at // HOUR * HOUR + HOUR
        seen = rng.choice(times[:50])
        book = ContactBook(keep)
        book.named("254711000001", "KE.1502576394655843", "", seen)
        let_go = [line for line in lines if line.at > seen and book.lets_go_at(line.at)]
        asked = on_spark._Releases(lines, keep).after([int(seen // HOUR)])
        assert let_go[0] in asked, case


def _one_stretch() -> Mapping[tuple[str, int], Any]:
    """The places of a log of one stretch, file "f"."""
    from whatsapp_pricing import spark as on_spark

    return {("f", 0): (0, on_spark._Latest())}


def _told_in_process(
    rows: list[tuple[int, int, bytes]], roots: Mapping[str, str], buckets: int, window: float
) -> Any:
    """The clocks a stretch's parsed ``rows`` (file "f", the log's first) tell its buckets, at
    items that may link names and where the contact book may let go of links: the Spark stage,
    run here (an Arrow table of ``DEALT``)."""
    import pyarrow
    import pyarrow.compute

    from whatsapp_pricing import spark as on_spark
    from whatsapp_pricing.reconcile.account import links_kept

    def stretch(*roles: int) -> Any:
        picked = [(role, blob) for role, _, blob in rows if role in roles]
        return pyarrow.table({"role": [role for role, _ in picked], "file": ["f"] * len(picked),
                              "block": [0] * len(picked),
                              "blob": pyarrow.array([blob for _, blob in picked],
                                                    pyarrow.binary())})  # fmt: skip

    [end] = [on_spark._decode_end(blob) for role, _, blob in rows if role == on_spark.Role.END]
    hours = on_spark._hours({("f", 0): end}, _one_stretch())
    asking = on_spark._asking(_one_stretch(), on_spark._Releases(hours, links_kept(window)))
    regrouping = on_spark._regrouping(roots, buckets)
    asks = stretch(on_spark.Role.ASKS).select(["file", "block", "blob"])
    regrouped = pyarrow.Table.from_batches(
        list(regrouping(asks.to_batches())), on_spark._table([], on_spark.ASKED).schema
    )
    asked = [asking(regrouped.filter(pyarrow.compute.equal(regrouped["bucket"], each)))
             for each in sorted(set(regrouped["bucket"].to_pylist()))]  # fmt: skip
    asked_all = pyarrow.concat_tables([on_spark._table([], on_spark.ASKED), *asked])
    known = stretch(on_spark.Role.RISES, on_spark.Role.END)
    return on_spark._told(asked_all, known, _one_stretch())


@pytest.mark.parametrize("files", [1, 2])
def test_the_statuses_of_one_message_are_one_customers_whatever_names_they_give(
    spark: Any, tmp_path: Path, files: int
) -> None:
    """A template's first statuses name the customer by number alone, its last by user id
    alone (as once the customer takes a username), and no line gives both: only the message
    joins the two names, in buckets (and files) of their own, as one process joins them."""
    at = datetime(2026, 11, 2, 10, 0, tzinfo=UTC).timestamp()
    number, user_id, other = "254711000001", "KE.1502576394655843", "254712000002"
    read = {"id": "wamid.1", "status": "read", "timestamp": str(int(at + 7200)),
            "recipient_user_id": user_id}  # fmt: skip
    lines = [
        _template("1", "wamid.1", number, at),
        _template("1", "wamid.2", other, at + 60),
        _template("1", "wamid.3", other, at + 3600),
        _for_account("1", {"statuses": [read]}),
        _template("1", "wamid.4", other, at + 3 * 86400),
    ]
    logs = [tmp_path / f"{index}.jsonl" for index in range(files)]
    cut = 3 if files == 2 else len(lines)
    for log, part in zip(logs, (lines[:cut], lines[cut:]), strict=False):
        log.write_text("\n".join(part) + "\n")
    now = time.time()
    single = single_process(logs, 3600, now)
    assert on_spark(spark, logs, 3600, now, items_per_task=1) == single


def _parsed_item_bytes(accounts: int, lines: int = 4000) -> int:
    """The bytes of a bucket's items (and the clocks its items that may link names are told)
    of a month's lines, each with a user id, spread over ``accounts`` accounts (round robin),
    before they are compressed."""
    from whatsapp_pricing import spark as on_spark

    rng = random.Random(1)
    ids = [str(102290129340398 + index) for index in range(accounts)]
    start = datetime(2026, 11, 1, tzinfo=UTC).timestamp()
    log = []
    for line in range(lines):
        customer = rng.randrange(lines // 10)
        number, user_id = f"25471{customer:07d}", f"KE.{1502576394655843 + customer}"
        notification = _template(ids[line % accounts], f"wamid.{line}", number, start + 60 * line,
                                 user_id)  # fmt: skip
        log.append(notification.encode())
    settings = {account: Account(time_zone="UTC") for account in ids}
    options = ReconcileOptions(accounts=settings, now=time.time())
    linked: set[tuple[str, str]] = set()
    rows = [row for batch in on_spark._parsed(iter([log]), options, linked, on_spark._Dealer(1))
            for row in batch]  # fmt: skip
    told = _told_in_process(rows, _roots_of(linked), 1, options.window)
    assert told.num_rows == (accounts > 1)
    items = sum(len(on_spark._unpacked(blob)) for role, _, blob in rows
                if role == on_spark.Role.NAMED)  # fmt: skip
    return items + sum(len(on_spark._unpacked(blob)) for blob in told["blob"].to_pylist())


def _roots_of(linked: set[tuple[str, str]]) -> dict[str, str]:
    """The groups of names the (link, name) pairs of parsing join."""
    from whatsapp_pricing import spark as on_spark

    names: dict[str, set[str]] = {}
    for link, name in linked:
        names.setdefault(link, set()).add(name)
    return on_spark._roots(sorted(each) for each in names.values() if len(each) > 1)


def test_a_buckets_items_do_not_grow_with_the_accounts_of_the_log() -> None:
    """A provider's log names hundreds of accounts, and from 2026 most lines a user id: what a
    bucket holds follows its customers, not the accounts of the whole log (found by a review,
    when a line that may link names carried every account's clock: it asks only those of the
    other accounts of its customer's group)."""
    one, thousand = _parsed_item_bytes(1), _parsed_item_bytes(1000)
    assert thousand < 2 * one, (one, thousand)


def _template(account: str, message: str, number: str, at: float, user_id: str = "") -> str:
    """A marketing template of ``account`` to ``number`` (and ``user_id``), delivered at ``at``."""
    pricing = {"billable": True, "pricing_model": "PMP", "type": "regular",
               "category": "marketing"}  # fmt: skip
    status = {"id": message, "status": "delivered", "timestamp": str(int(at)),
              "recipient_id": number, "pricing": pricing}  # fmt: skip
    if user_id:
        status["recipient_user_id"] = user_id
    return _for_account(account, {"statuses": [status]})


def test_without_pyspark_spark_says_how_to_get_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import whatsapp_pricing

    # As if pyspark were not installed, even after other tests imported the module.
    monkeypatch.setitem(sys.modules, "whatsapp_pricing.spark", None)
    monkeypatch.delattr(whatsapp_pricing, "spark", raising=False)
    log = str(FIXTURES / "december-2026.jsonl")
    status = main(["reconcile", log, "--time-zone", "UTC", "--spark", "local[2]"])
    error = capsys.readouterr().err
    assert status == 2
    assert error.count("\n") == 1
    assert "pip install 'whatsapp-pricing[spark]'" in error


LAUNCHER = spark_classes.LAUNCHER
"""The launcher the Spark page gives spark-submit (as docs/spark.md writes it)."""


def test_the_page_gives_the_tested_launcher() -> None:
    page = (Path(__file__).parents[1] / "docs" / "spark.md").read_text(encoding="utf-8")
    assert LAUNCHER in page


def test_spark_submit_runs_the_command_with_the_master_it_gives(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As on a cluster: spark-submit starts the command line (the page's two-line launcher)
    with its own master, here local[1], and ``--spark submitted`` takes that master; the same
    findings, summary and status as one process."""
    launcher = tmp_path / "reconcile.py"
    launcher.write_text(LAUNCHER)
    log = str(FIXTURES / "december-2026.jsonl")
    arguments = ["reconcile", log, "--accounts", str(FIXTURES / "accounts.csv")]
    status = main([*arguments, "--json", str(tmp_path / "one.json")])
    summary = capsys.readouterr().out
    submit = Path(sys.executable).with_name("spark-submit")
    command = [str(submit), "--master", "local[1]", str(launcher), *arguments]
    submitted = subprocess.run(
        [*command, "--spark", "submitted", "--json", str(tmp_path / "spark.json")],
        capture_output=True,
        text=True,
        env={**os.environ, "PYSPARK_PYTHON": sys.executable},
        check=False,
    )
    assert (submitted.returncode, submitted.stdout) == (status, summary)
    one, on_spark = (
        json.loads((tmp_path / name).read_text()) for name in ("one.json", "spark.json")
    )
    assert sorted(map(json.dumps, one["findings"])) == sorted(map(json.dumps, on_spark["findings"]))
    assert len(one["findings"]) == 4
    assert status == 0


def test_analytics_on_spark_give_the_same_comparison_for_many_accounts(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--analytics`` on Spark: the comparison runs on the driver over Spark's findings, and
    says for a provider's accounts what the single process says."""
    from tests.test_bill import DAY_OF_TRAFFIC, meta_figures, response

    lines = []
    for account in ("1", "2"):
        for line in webhook_log(DAY_OF_TRAFFIC):
            notification = json.loads(line)
            notification["entry"][0]["id"] = account
            value = notification["entry"][0]["changes"][0]["value"]
            item = (value.get("messages") or value.get("statuses"))[0]
            item["id"] = f"{account}.{item['id']}"
            lines.append(json.dumps(notification))
    log = tmp_path / "logs"
    log.mkdir()
    (log / "a.jsonl").write_text("\n".join(lines) + "\n")
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("waba_id,time_zone\n1,UTC\n2,Asia/Kolkata\n")
    files = []
    for account in ("1", "2"):
        points = meta_figures(DAY_OF_TRAFFIC)
        if account == "2":
            points[0]["volume"] += 1  # Meta counted a message account 2's log does not hold
        path = tmp_path / f"analytics-{account}.json"
        path.write_text(json.dumps({**response(points), "id": account}))
        files += ["--analytics", str(path)]
    arguments = ["reconcile", str(log), "--accounts", str(accounts), *files]
    runs = []
    for extra in ([], ["--spark", "local[2]"]):
        status = main([*arguments, *extra, "--json", str(tmp_path / "out.json")])
        summary = capsys.readouterr().out
        rows = json.loads((tmp_path / "out.json").read_text())["analytics"]
        runs.append((status, summary, rows))
    assert runs[0] == runs[1]
    status, summary, rows = runs[0]
    assert status == 1
    assert "for account 1" in summary
    assert "for account 2" in summary
    assert [row["account"] for row in rows if row["status"] != "agrees"] == ["2"]


def test_the_class_archive_is_named_only_where_there_is_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "classes.jsa"
    monkeypatch.setenv(spark_classes.SWITCH, str(archive))
    assert spark_classes.java_options() == ""  # missing: the JVM's own start, as before
    archive.write_bytes(b"any bytes")
    assert spark_classes.java_options().split() == [
        f"-XX:SharedArchiveFile={archive}",
        spark_classes.QUIET,
    ]
    monkeypatch.setenv(spark_classes.SWITCH, "off")
    assert spark_classes.java_options() == ""


def _reconcile_in_a_new_jvm(environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """The command line with ``--spark local[1]`` in a process of its own (the tests' own
    session has its JVM started already), with ``environment`` added."""
    command = [str(Path(sys.executable).with_name("whatsapp-pricing")), "reconcile"]
    command += [str(FIXTURES / "december-2026.jsonl"), "--time-zone", "UTC"]
    return subprocess.run(
        [*command, "--spark", "local[1]"],
        capture_output=True,
        text=True,
        env={**os.environ, **environment},
        check=False,
    )


@pytest.mark.parametrize("kind", ["another class path", "not an archive"])
def test_an_archive_that_does_not_fit_runs_as_without_and_says_nothing(
    spark: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    """A stale archive (made by another Java, for other jars or another class path) or a
    broken one: the JVM starts without it, the findings and the output are the same, and the
    JVM's notice about the archive is not shown."""
    archive = tmp_path / "classes.jsa"
    if kind == "another class path":
        # A real archive, with classes of one of Spark's jars, but for a JVM whose class path
        # was that jar alone (its launcher, run without arguments, says how to use it).
        import pyspark

        jar = next(Path(pyspark.__file__).parent.glob("jars/spark-launcher_*.jar"))
        made = ["java", f"-XX:ArchiveClassesAtExit={archive}", "-cp", str(jar)]
        subprocess.run([*made, "org.apache.spark.launcher.Main"], capture_output=True)
        assert archive.stat().st_size > 0
    else:
        archive.write_bytes(random.Random(1).randbytes(100_000))
    log = str(FIXTURES / "december-2026.jsonl")
    status = main(["reconcile", log, "--time-zone", "UTC"])
    summary = capsys.readouterr().out
    ran = _reconcile_in_a_new_jvm({spark_classes.SWITCH: str(archive)})
    assert (ran.returncode, ran.stdout) == (status, summary)
    assert "archive" not in ran.stderr.lower()
    assert "[cds" not in ran.stderr


def test_the_built_class_archive_is_used(spark: Any, tmp_path: Path) -> None:
    """Where make install built the archive, Spark's driver loads its classes from it."""
    if not spark_classes.ARCHIVE.is_file():
        message = f"no class archive at {spark_classes.ARCHIVE}: make install builds it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    loaded = tmp_path / "loaded.txt"
    # SPARK_SUBMIT_OPTS: options the driver's JVM takes besides the session's own.
    ran = _reconcile_in_a_new_jvm({"SPARK_SUBMIT_OPTS": f"-Xlog:class+load=info:file={loaded}"})
    assert ran.returncode == 0, ran.stderr[-2000:]
    sources = {
        line.split(" source: ")[0].split()[-1]: line.split(" source: ")[1]
        for line in loaded.read_text().splitlines()
        if " source: " in line
    }
    assert sources["org.apache.spark.SparkContext"] == "shared objects file (top)"
    from_archive = sum(source == "shared objects file (top)" for source in sources.values())
    assert from_archive > 5_000  # of some 20,000 classes a run loads


def test_items_and_findings_come_back_from_their_bytes_as_they_were(spark: Any) -> None:
    """The Spark run moves each item, and each finding, as msgspec bytes the JVM does not look
    into: every kind of item of the fixture logs (Meta's real payload shapes among them), and
    every finding and skipped line they give, decodes to an equal value of the same type."""
    from whatsapp_pricing import spark as on_spark
    from whatsapp_pricing.webhooks import CategoryChange, Inbound, StatusUpdate

    paths = [FIXTURES / "december-2026.jsonl", *sorted((FIXTURES / "real").glob("*.jsonl"))]
    items = [item for path in paths for item in read_log(path.read_bytes())]
    change = '{"object": "whatsapp_business_account", "entry": [{"id": "1", "time": 1764547200, '
    change += '"changes": [{"field": "template_category_update", "value": {"message_template_id":'
    change += ' 7, "message_template_name": "t", "message_template_language": "en", '
    change += '"previous_category": "UTILITY", "new_category": "MARKETING"}}]}]}'
    items += read_log(change.encode())
    assert {type(item) for item in items} == {Inbound, StatusUpdate, CategoryChange, Skipped}
    for item in items:
        kind = on_spark._KIND[type(item)]
        decoded = on_spark._decoded(kind, on_spark._encode(item))
        assert (type(decoded), decoded) == (type(item), item)
    reconciler = Accounts(ReconcileOptions(account=Account(time_zone="UTC"), now=time.time()))
    results = [("g", order, each) for order, each in enumerate(reconciler.read(items))]
    assert any(isinstance(each, Finding) for *_, each in results)
    assert any(isinstance(each, Skipped) for *_, each in results)
    unsettled = on_spark._unsettled(on_spark._decode_settled(_settled_blob(results)))
    made = [(group, order, on_spark._made(result)) for group, order, result in unsettled]
    assert [(*result, type(result[2])) for result in made] == [
        (*result, type(result[2])) for result in results
    ]


def test_a_large_local_log_gets_a_heap_sized_for_it(tmp_path: Path) -> None:
    """Logs of more than :data:`LARGE_LOG` bytes here, together (a gzip one's counted
    :data:`GZIP_COUNTS` times, paths or ``file:`` URIs), give a local run's JVM the large young
    generation; smaller ones, and logs elsewhere (a URI of other storage), do not."""
    from whatsapp_pricing import spark as on_spark

    small, large = tmp_path / "small.jsonl", tmp_path / "large.jsonl"
    small.write_bytes(b"{}\n")
    with large.open("wb") as file:
        file.truncate(on_spark.LARGE_LOG // 2 + 1)  # sparse: no disk written
    packed = tmp_path / "month.jsonl.gz"
    with packed.open("wb") as file:
        file.write(GZIP_MAGIC)
        file.truncate(on_spark.LARGE_LOG // on_spark.GZIP_COUNTS + 1)
    assert on_spark.LARGE_LOG_JVM not in on_spark._local_java([str(small), str(large)])
    assert on_spark.LARGE_LOG_JVM in on_spark._local_java([str(large), str(large)])
    assert on_spark.LARGE_LOG_JVM in on_spark._local_java([f"file://{large}", f"file:{large}"])
    assert on_spark.LARGE_LOG_JVM in on_spark._local_java([str(packed)])
    assert on_spark.LARGE_LOG_JVM not in on_spark._local_java(["hdfs://logs/month"])
    assert on_spark._local_java([]).startswith(on_spark.LOCAL_JVM)


def test_a_finding_crosses_with_every_field_it_has() -> None:
    """The row a finding crosses to the driver as has a place for each of the finding's
    fields, and each comes back in its own place through the bytes: a field added to
    :class:`Finding` and not to the row, or two fields swapped, would be lost on Spark."""
    from whatsapp_pricing import spark as on_spark

    names = [field.name for field in dataclasses.fields(Finding)]
    assert sorted(on_spark._FindingRow.__struct_fields__) == sorted(names)
    finding = Finding("m1", "agrees", "why", {"billable": True}, {"charge": "0.01"}, "f", "R1")
    finding.customer, finding.user_id, finding.account = "+1555", "US.1", "waba"
    finding.business_number, finding.currency, finding.errors = "phone", "EUR", (131026, 7)
    finding.delivered_at, finding.sent_at = 1.5, 0.5
    assert len({repr(getattr(finding, name)) for name in names}) == len(names)  # all distinct
    blob = _settled_blob([("g", 3, finding)])
    [(group, order, row)] = list(on_spark._unsettled(on_spark._decode_settled(blob)))
    assert (group, order, on_spark._made(row)) == ("g", 3, finding)


def test_every_kind_of_item_is_moved_to_its_line_in_the_whole_log(spark: Any) -> None:
    """A stretch numbers its lines from 1; each kind of item, named tuple or msgspec struct,
    moves to its line in the whole log with nothing else changed."""
    from whatsapp_pricing.webhooks import renumbered

    items = [*read_log((FIXTURES / "december-2026.jsonl").read_bytes()), Skipped(3, "why", False)]
    for item in items:
        moved = renumbered(item, item.line + 1_000)
        assert type(moved) is type(item)
        assert moved.line == item.line + 1_000
        assert renumbered(moved, item.line) == item


def test_adaptive_execution_is_chosen_by_the_log_and_gives_the_same_findings(
    spark: Any, tmp_path: Path
) -> None:
    """A log of one bucket on two cores has one shuffle partition, its bucket: adaptive
    execution, with nothing to merge, is off; the same log dealt into many buckets has more
    partitions than cores (two lines a bucket), and it is on. Both find what the single process
    finds."""
    from whatsapp_pricing.spark import ADAPTIVE_SETTING

    log = tmp_path / "log.jsonl"
    log.write_bytes((FIXTURES / "december-2026.jsonl").read_bytes())
    now = time.time()
    single = single_process([log], 24 * 3600, now)
    assert on_spark(spark, [log], 24 * 3600, now, items_per_task=10**6) == single
    assert spark.conf.get(ADAPTIVE_SETTING) == "false"
    assert on_spark(spark, [log], 24 * 3600, now, items_per_task=2) == single  # 5 buckets, 800 B
    assert spark.conf.get(ADAPTIVE_SETTING) == "true"


def test_a_log_of_fewer_buckets_than_cores_runs_no_task_for_nothing(
    spark: Any, tmp_path: Path
) -> None:
    """A log of one bucket on two cores is one task in every stage: a second shuffle partition
    would hold nothing or next to nothing (no bucket in the passes), and its task would still
    start a Python worker. The partitions a run starts from are the session's (two), not what
    a run before it left in the session's settings."""
    from whatsapp_pricing.spark import SHUFFLE_PARTITIONS, _started_partitions

    log = tmp_path / "log.jsonl"
    log.write_bytes((FIXTURES / "december-2026.jsonl").read_bytes())
    now = time.time()
    context = spark.sparkContext
    assert context.defaultParallelism == 2
    spark.conf.set(SHUFFLE_PARTITIONS, "7")  # as a run of seven buckets leaves it
    assert _started_partitions(spark) == 2
    context.setJobGroup("one bucket", "a log of one bucket on two cores")
    try:
        outcome = on_spark(spark, [log], 24 * 3600, now, items_per_task=10**6)
    finally:
        context.setLocalProperty("spark.jobGroup.id", None)
    assert outcome == single_process([log], 24 * 3600, now)
    tracker = context.statusTracker()
    stages = [tracker.getStageInfo(stage) for job in tracker.getJobIdsForGroup("one bucket")
              for stage in tracker.getJobInfo(job).stageIds]  # fmt: skip
    tasks = [stage.numTasks for stage in stages if stage is not None]
    assert len(tasks) >= 4  # reading, the links, pass 1, pass 2 at least
    assert tasks == [1] * len(tasks)


def test_local_workers_import_pyspark_from_its_package_not_its_zip(spark: Any) -> None:
    """A local run's Python workers (started by the project's daemon) import the installed
    pyspark package, whose code Python compiled once, not the zipped copy Spark puts first on
    their path, which Python compiles again in every worker."""
    import pyspark

    from whatsapp_pricing.spark_daemon import _zipped_copy

    files = spark.sparkContext.parallelize([0], 1).map(lambda _: pyspark.__file__).collect()
    assert files == [pyspark.__file__]
    assert ".zip" not in files[0]
    package = Path(pyspark.__file__).parent
    assert _zipped_copy(str(package / "python" / "lib" / "pyspark.zip"))
    assert not _zipped_copy(str(package.parent / "other.zip"))
    assert not _zipped_copy(str(package))


@pytest.mark.parametrize("buckets", [1, 2, 5, 9])
def test_parsing_deals_each_item_once_to_the_bucket_of_its_customers_group(
    buckets: int,
) -> None:
    """Parsing deals an item to its name's bucket; a name that links join to a group whose name
    hashes to another bucket (the fixture's user ids, joined to the customer's number) is dealt
    there again, and left out where it was parsed: each named item reaches one bucket, its
    group's, as the group's; an item that may link names is told the clocks of the other
    accounts of its group, there."""
    import pyarrow

    from whatsapp_pricing import spark as on_spark
    from whatsapp_pricing.markets import e164
    from whatsapp_pricing.webhooks import Inbound, StatusUpdate

    options = ReconcileOptions(account=Account(time_zone="UTC"), now=time.time())
    lines = (FIXTURES / "december-2026.jsonl").read_bytes().splitlines()
    linked: set[tuple[str, str]] = set()
    dealer = on_spark._Dealer(buckets)
    rows = [row for batch in on_spark._parsed(iter([lines]), options, linked, dealer)
            for row in batch]  # fmt: skip
    roots = _roots_of(linked)
    assert roots, "the fixture's lines join names"
    bucket_of = functools.partial(on_spark._hash, buckets=buckets)
    moved = frozenset(name for name, group in roots.items() if bucket_of(name) != bucket_of(group))
    parts = [(key, blob) for role, key, blob in rows if role == on_spark.Role.NAMED]
    again = pyarrow.RecordBatch.from_pydict(
        {"file": ["f"] * len(parts), "block": [0] * len(parts), "blob": [b for _, b in parts]}
    )
    dealt = [row for batch in on_spark._dealt([again], roots, on_spark._Dealer(buckets), moved)
             for row in zip(*(column.to_pylist() for column in batch), strict=True)]  # fmt: skip
    clocks = _told_in_process(rows, roots, buckets, options.window)
    places = _one_stretch()
    reached: list[tuple[int, int]] = []
    told: dict[int, set[str]] = {}
    accounts: dict[str, set[str]] = {}
    for bucket in range(buckets):
        blobs = [blob for key, blob in parts if key == bucket]
        blobs += [blob for _, key, _, _, blob in dealt if key == bucket]
        table = on_spark._table([(on_spark.Role.NAMED, bucket, "f", 0, blob) for blob in blobs],
                                on_spark.DEALT)  # fmt: skip
        theirs = clocks.filter(pyarrow.compute.equal(clocks["bucket"], bucket))
        table = pyarrow.concat_tables([table, theirs])
        told_clocks = on_spark._told_clocks(table, places)
        for each in on_spark._items(table, places, told_clocks, roots, moved):
            name = e164(each.item.customer)
            assert each.group == roots.get(name, name)
            assert on_spark._hash(each.group, buckets) == bucket
            reached.append((each.place.order, bucket))
            accounts.setdefault(each.group, set()).add(each.item.account)
            if each.place.account_clocks is not None:
                told[each.place.order] = set(each.place.account_clocks)
    named = [
        item for item in read_log(b"\n".join(lines)) if isinstance(item, Inbound | StatusUpdate)
    ]
    assert len(reached) == len({order for order, _ in reached}) == len(named)
    assert (buckets > 1) == bool(moved)
    # Dealt again or not, an item that may link names is told the clocks of its group's other
    # accounts (the fixture's two accounts share a customer).
    linking = {order: (roots.get(name, name), account) for role, _, blob in rows
               if role == on_spark.Role.ASKS
               for order, name, account in on_spark._decode_asks(blob).linking}  # fmt: skip
    asking = {order: accounts[group] - {account} for order, (group, account) in linking.items()
              if accounts[group] - {account}}  # fmt: skip
    assert asking
    assert all(told.get(order, set()) >= others for order, others in asking.items())
    # Any other item told clocks is at a line where the contact book may let go of links (the
    # clocks of the groups whose links may go there, which settling to is harmless).
    [end] = [on_spark._decode_end(blob) for role, _, blob in rows if role == on_spark.Role.END]
    hours = {line.order for line in on_spark._hours({("f", 0): end}, places)}
    assert set(told) <= set(asking) | hours


def test_pass_1_lets_go_of_each_item_once_the_reconciler_is_done_with_it() -> None:
    """A bucket's items are freed one by one as the reconciler goes, not all at the bucket's end
    (which cost pass 1 2 to 5%): the run takes the list it is given, and when a line gives a
    result at once (one in the future, skipped), the items before it and itself are no longer
    held, and those after it still are."""
    from whatsapp_pricing import spark as on_spark
    from whatsapp_pricing.engine import Tally
    from whatsapp_pricing.reconcile.ordering import Place
    from whatsapp_pricing.webhooks import read_lines

    now = 1_780_000_100
    times = [now - 60, now - 50, now + 10**6, now - 40, now - 30, now - 20]
    lines = [_template("111", f"wamid.{line}", "15551234567", at).encode()
             for line, at in enumerate(times)]  # fmt: skip
    items = [on_spark._Item(Place(item.line * on_spark.ITEMS_PER_LINE), item, "+15551234567", False)
             for item in read_lines(lines)]  # fmt: skip
    never_run = [items.pop()]
    held = list(items)  # each item here read as the one never run is: from a list
    options = ReconcileOptions(account=Account(time_zone="UTC"), now=now)
    results = on_spark._run(items, [], options, (), lambda account: Tally())
    _, _, first = next(results)
    assert isinstance(first, Skipped)
    assert first.line == 3
    assert items == []
    alone = sys.getrefcount(never_run[0])
    counts = [sys.getrefcount(held[index]) for index in range(len(held))]
    assert counts == [alone] * 3 + [alone + 1] * 2, counts
