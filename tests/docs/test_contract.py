"""What support staff and readers rely on: lasting anchors, dates, sources, the provider's name."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from tests.conftest import DOCS, ROOT, page_url_path
from whatsapp_pricing import Rule
from whatsapp_pricing.site.rule_codes import expand

PAGES = sorted(DOCS.rglob("*.md"))
FAQ_PAGES = sorted((DOCS / "faq").glob("*.md"))
REGISTRY = Path(__file__).with_name("published_anchors.txt")
HEADING = re.compile(r"^(#{1,6}) (.*?)\s*$", re.M)
EXPLICIT_ID = re.compile(r"\{ *#([\w-]+) *\}$")
SEED = ROOT.parent / "shared" / "seed" / "000_78a3e1945157b3c5.txt"

# Each question of the original FAQ, and where this site answers it.
SEED_QUESTIONS = {
    "How do I open a WhatsApp Business conversation?": (
        "faq/opening-conversations.md#how-a-conversation-opens"
    ),
    "How does WhatsApp's conversation-based pricing work?": (
        "faq/pricing.md#conversation-based-pricing"
    ),
    "How will customers know that it\u2019s my business talking to them via WhatsApp?": (
        "faq/account-types.md#how-customers-know-its-you"
    ),
    "What business conversation categories are available in WhatsApp?": (
        "faq/categories.md#four-categories"
    ),
    (
        "What is the difference between the WhatsApp Business Platform"
        " and the WhatsApp Business app?"
    ): "faq/platform-vs-app.md#platform-or-app",
    "What is the difference between the WhatsApp Cloud-Hosted API and the On-Premises API?": (
        "faq/cloud-vs-on-premises.md#comparison"
    ),
}


def front_matter(page: Path) -> dict[str, object]:
    text = page.read_text("utf-8")
    if not text.startswith("---\n"):
        return {}
    return dict(yaml.safe_load(text.split("---\n", 2)[1]))


def page_source(page: Path) -> str:
    """The page's Markdown as the site builds it, with the rule-code lists written in."""
    return "\n".join(expand(page.read_text("utf-8").splitlines()))


def anchors_in_source(page: Path) -> list[str]:
    return [
        match[1]
        for _, title in HEADING.findall(page_source(page))
        if (match := EXPLICIT_ID.search(title))
    ]


def published() -> list[tuple[str, str]]:
    lines = REGISTRY.read_text("utf-8").splitlines()
    return [tuple(line.split("#", 1)) for line in lines if line and not line.startswith("#")]


def redirects() -> dict[str, str]:
    config = yaml.load((ROOT / "mkdocs.yml").read_text("utf-8"), Loader=yaml.BaseLoader)
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "redirects" in plugin:
            return dict(plugin["redirects"].get("redirect_maps") or {})
    return {}


@pytest.mark.parametrize("source", PAGES, ids=lambda source: str(source.relative_to(DOCS)))
def test_every_heading_has_an_explicit_unique_anchor(source: Path) -> None:
    headings = [title for level, title in HEADING.findall(page_source(source)) if level != "#" * 7]
    missing = [title for title in headings if not EXPLICIT_ID.search(title)]
    assert missing == [], "give these headings a permanent { #anchor }"
    ids = anchors_in_source(source)
    assert len(ids) == len(set(ids))


def test_every_anchor_is_registered() -> None:
    registered = set(published())
    new = [
        f"{page.relative_to(DOCS).as_posix()}#{anchor}"
        for page in PAGES
        for anchor in anchors_in_source(page)
        if (page.relative_to(DOCS).as_posix(), anchor) not in registered
    ]
    assert new == [], f"add these to {REGISTRY.name}"


def test_no_published_anchor_disappears(built_site: Path) -> None:
    moved = redirects()
    lost = []
    for page, anchor in published():
        target = moved.get(page, page)
        html = built_site / page_url_path(DOCS / target).lstrip("/") / "index.html"
        if not html.is_file() or f'id="{anchor}"' not in html.read_text("utf-8"):
            lost.append(f"{page}#{anchor}")
    assert lost == []


@pytest.mark.parametrize("source", PAGES, ids=lambda source: str(source.relative_to(DOCS)))
def test_every_page_says_when_it_was_last_reviewed(source: Path) -> None:
    reviewed = front_matter(source).get("last_reviewed")
    assert isinstance(reviewed, date), "front matter needs last_reviewed: YYYY-MM-DD"
    assert reviewed <= date.today()


def test_the_review_date_is_shown(built_site: Path) -> None:
    html = (built_site / "faq" / "pricing" / "index.html").read_text("utf-8")
    assert re.search(r'Last reviewed <time datetime="\d{4}-\d\d-\d\d">', html)


@pytest.mark.parametrize("source", FAQ_PAGES, ids=lambda source: source.name)
def test_every_faq_page_ends_with_its_sources(source: Path) -> None:
    text = source.read_text("utf-8")
    last_section = text.rsplit("\n## ", 1)[-1]
    assert last_section.startswith("Sources { #sources }")
    assert "https://developers.facebook.com/" in last_section


@pytest.mark.parametrize("source", FAQ_PAGES, ids=lambda source: source.name)
def test_every_answer_says_which_period_it_describes(source: Path) -> None:
    sections = source.read_text("utf-8").split("\n## ")[1:]
    undated = [
        section.splitlines()[0]
        for section in sections
        if not section.startswith("Sources") and "*Period:" not in section
    ]
    assert undated == []


def test_with_no_provider_named_no_page_shows_a_stand_in(built_site: Path) -> None:
    pages = {html: html.read_text("utf-8") for html in built_site.rglob("*.html")}
    stand_ins = re.compile(r"\{\{ *provider|your solution provider|\bby\s*\.", re.I)
    assert [html for html, text in pages.items() if stand_ins.search(text)] == []
    assert "the publisher of this site is one." in pages[built_site / "glossary" / "index.html"]
    reviewed = pages[built_site / "faq" / "pricing" / "index.html"]
    assert re.search(r"Last reviewed <time [^>]+>[\d-]+</time>\.", reviewed)
    assert not any("Clickatell" in page.read_text("utf-8") for page in PAGES)


@pytest.mark.skipif(not SEED.is_file(), reason="the shared seed FAQ is not beside this checkout")
def test_every_question_of_the_original_faq_is_answered() -> None:
    seed = SEED.read_text("utf-8")
    questions = [line for line in seed.splitlines() if line.endswith("?") and line[0].isupper()]
    assert set(questions) <= set(SEED_QUESTIONS), "map every seed question to its answer"
    registered = {f"{page}#{anchor}" for page, anchor in published()}
    assert set(SEED_QUESTIONS.values()) <= registered


def test_every_rule_code_has_its_entry_on_the_rules_page() -> None:
    anchors = set(anchors_in_source(DOCS / "rules.md"))
    assert {rule.anchor for rule in Rule} <= anchors
