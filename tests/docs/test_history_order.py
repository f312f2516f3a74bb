"""The change history's table reads newest first, one day after another, as readers scan it."""

from __future__ import annotations

import re

from tests.conftest import ROOT


def test_the_timeline_table_is_newest_first() -> None:
    page = (ROOT / "docs" / "history.md").read_text(encoding="utf-8")
    days = re.findall(r"^\| (\d{4}-\d{2}-\d{2}) \|", page, re.MULTILINE)
    assert len(days) > 10
    assert days == sorted(days, reverse=True)
