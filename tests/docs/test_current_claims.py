"""Claims that were true once and are not today: where a page makes one, it says what changed."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import ROOT
from whatsapp_pricing import shipped_rate_book
from whatsapp_pricing.failures import KNOWN

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


def glossary_entry(anchor: str) -> str:
    page = (ROOT / "docs" / "glossary.md").read_text(encoding="utf-8")
    entry = re.search(rf"\{{ #{anchor} \}}\n(.*?)\n## ", page, re.S)
    assert entry, f"the glossary has no entry #{anchor}"
    return " ".join(entry.group(1).split())


def test_glossary_says_service_messages_are_charged_today() -> None:
    """The Pricing FAQ's answer since 2026-10-01; a reader of the glossary alone must see it."""
    entry = glossary_entry("service-message")
    assert "since 2026-10-01" in entry
    assert "faq/pricing.md#service-messages-charged" in entry


def test_glossary_conversation_names_the_free_entry_points_72_hours() -> None:
    assert "72 hours" in glossary_entry("conversation")


def test_error_meanings_that_say_only_templates_name_direct_send() -> None:
    """Reconcile and Why was I charged? print these meanings beside Meta's error codes."""
    stale = [
        error.code
        for error in KNOWN.values()
        if ONLY_TEMPLATES.search(error.meaning) and "Direct Send" not in error.meaning
    ]
    assert stale == []


def test_the_marketing_messages_api_answer_names_max_price() -> None:
    """Since 2026-10-01 a max price can replace the rate card's price on the MM API: the answer
    that says its messages cost the marketing rate must say so, and cite Meta's page."""
    page = (ROOT / "docs" / "faq" / "pricing.md").read_text(encoding="utf-8")
    answer = page.split("{ #marketing-messages-and-groups }")[1].split("\n## ")[0]
    assert "**max price**" in answer
    assert "2026-10-01" in answer
    assert "whatsapp/marketing-messages/pricing" in answer


def test_the_home_pages_recent_changes_name_every_2026_change_of_how_messages_are_sent() -> None:
    """The home page's "what changed recently" note is where a reader in December 2026 looks
    first: the history's Direct Send and max price rows must be in it too."""
    page = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    note = page.split("/// note | What changed recently")[1].split("\n///")[0]
    for change in ("Direct Send", "max price"):
        assert change in note


def test_the_free_entry_point_answer_dates_its_72_hours_as_the_history_does() -> None:
    """The history and the engine (period cbp-2023-03) start the 72 hours on 2023-03-01."""
    page = (ROOT / "docs" / "faq" / "opening-conversations.md").read_text(encoding="utf-8")
    answer = page.split("{ #free-entry-point }")[1]
    period = answer[answer.index("*Period:") : answer.index(".*", answer.index("*Period:"))]
    assert "72-hour rule applies from 2023-03-01" in " ".join(period.split())


def faq_answer(page: str, anchor: str) -> str:
    text = (ROOT / "docs" / "faq" / page).read_text(encoding="utf-8")
    return " ".join(text.split(f"{{ #{anchor} }}")[1].split("\n## ")[0].split())


def test_the_window_answer_says_a_call_opens_it_too() -> None:
    """Since 2024-10-01 a customer's call (or their accepting the business's call) opens the
    window as a message does (periods.CALLS_OPEN_WINDOW): "only a message opens it" is wrong."""
    answer = faq_answer("opening-conversations.md", "is-the-window-open")
    assert "2024-10-01" in answer
    assert "call" in answer
    assert "sending-and-calling.md#calls" in answer
    assert "nothing else opens it" not in answer


def test_the_billing_currency_example_is_not_called_provisional_when_a_card_covers_it() -> None:
    """The INR example prices a day the INR card of 2026-10-01 covers: the engine adds no
    provisional note, so the answer must not call the figure provisional."""
    day = date(2026, 11, 2)
    provisional = shipped_rate_book().provisional_from("INR")
    assert provisional is None or day < provisional[0]
    assert "provisional" not in faq_answer("platform-vs-app.md", "billing-currency")


def test_is_the_api_free_names_the_utility_templates_once_free_in_the_window() -> None:
    answer = faq_answer("platform-vs-app.md", "is-it-free")
    assert "pricing.md#utility-in-service-window" in answer
    assert "2025-07-01 to 2026-09-30" in answer
