"""The site builds strictly, and what it renders is what the Markdown meant."""

import re
from pathlib import Path

import pytest

from tests.conftest import DOCS, page_url_path

PAGES = sorted(DOCS.rglob("*.md"))


def test_every_page_is_built(built_site: Path) -> None:
    missing = [
        str(page.relative_to(DOCS))
        for page in PAGES
        if not (built_site / page_url_path(page).lstrip("/") / "index.html").is_file()
    ]
    assert missing == []


@pytest.mark.parametrize("source", PAGES, ids=lambda source: str(source.relative_to(DOCS)))
def test_no_fence_rendered_as_text(built_site: Path, source: Path) -> None:
    """A fence header Material does not understand becomes a paragraph, and strict stays quiet."""
    html = (built_site / page_url_path(source).lstrip("/") / "index.html").read_text("utf-8")
    assert re.findall(r"<p>[^<]*(?:```|~~~)", html) == []


def test_no_third_party_assets(built_site: Path) -> None:
    """Nothing a page loads by itself comes from another host: no web fonts, no CDN scripts."""
    loaded = re.compile(
        r"""<(?:script|img|iframe|source)\b[^>]*\bsrc=["']?(?:https?:)?//[^>]*>"""
        r"""|<link\b(?![^>]*\brel=["']?(?:canonical|alternate))[^>]*\bhref=["']?(?:https?:)?//[^>]*>"""
    )
    offenders = [
        f"{html.relative_to(built_site)}: {tag}"
        for html in built_site.rglob("*.html")
        for tag in loaded.findall(html.read_text("utf-8"))
    ]
    assert offenders == []
