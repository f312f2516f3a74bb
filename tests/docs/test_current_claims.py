"""Claims that were true once and are not today: where a page makes one, it says what changed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

PAGES = sorted((ROOT / "docs").rglob("*.md"))
ONLY_TEMPLATES = re.compile(
    r"only\s+templates|templates\s+are\s+the\s+only|only\s+a\s+template\s+can", re.IGNORECASE
)


def paragraphs(page: str) -> list[str]:
    return [" ".join(block.split()) for block in re.split(r"\n\s*\n", page)]


@pytest.mark.parametrize("path", PAGES, ids=lambda path: str(path.relative_to(ROOT / "docs")))
def test_only_templates_outside_the_window_names_direct_send(path: Path) -> None:
    """Since 2026-07-31 Direct Send sends utility messages outside the window without a
    pre-approved template (Meta's Direct Send API reference): "only templates" alone is stale."""
    stale = [
        paragraph
        for paragraph in paragraphs(path.read_text(encoding="utf-8"))
        if ONLY_TEMPLATES.search(paragraph)
        and "outside" in paragraph
        and "Direct Send" not in paragraph
        and "2025-" not in paragraph  # a paragraph about an earlier period may say it
    ]
    assert stale == []
