"""The reconcile summary shown on the Webhook log page is what the command prints today."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT
from tests.helpers import FIXTURES
from whatsapp_pricing.cli import main


def shown_summary() -> list[str]:
    page = (ROOT / "docs" / "webhook-log.md").read_text(encoding="utf-8")
    block = re.search(r"```console\n\$ whatsapp-pricing reconcile [^\n]*\n(.*?)```", page, re.S)
    assert block, "the page's reconcile example is gone"
    return block.group(1).splitlines()


def test_the_pages_summary_is_the_commands(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Two of the December log's messages: Amani's and Lucía's service replies, with their
    # customers' messages (lines 1, 2 and 4 to 7 of the fixture).
    lines = (FIXTURES / "december-2026.jsonl").read_text(encoding="utf-8").splitlines()
    log = tmp_path / "webhooks.jsonl"
    log.write_text("\n".join(lines[:2] + lines[3:7]) + "\n", encoding="utf-8")
    arguments = ["reconcile", str(log), "--time-zone", "Africa/Nairobi"]
    assert main([*arguments, "--csv", str(tmp_path / "findings.csv")]) == 0
    assert capsys.readouterr().out.splitlines() == shown_summary()
