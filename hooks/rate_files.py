"""MkDocs hook (``hooks:`` in ``mkdocs.yml``): serves the rate files of
:mod:`whatsapp_pricing.site.rate_files`. MkDocs loads hooks by path; all that needs MkDocs is
here, the rest lives in the package so that it is type-checked and tested with the fences that
link to the files, and imports without MkDocs."""

import json
from datetime import date

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page
from mkdocs.utils import get_relative_url

from whatsapp_pricing.markets import meta_markets
from whatsapp_pricing.rate_cards import shipped_rate_book
from whatsapp_pricing.site.rate_files import (
    FOLDER,
    SITE_ROOT,
    TODAY_FILE,
    shipped_card_files,
    today_rates,
)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Adds the CSV of every shipped card and today's JSON to the site."""
    for path in shipped_card_files().values():
        files.append(File.generated(config, f"{FOLDER}/{path.name}", content=path.read_bytes()))
    rates = today_rates(shipped_rate_book(), meta_markets(), date.today())
    files.append(
        File.generated(
            config, f"{FOLDER}/{TODAY_FILE}", content=json.dumps(rates, separators=(",", ":"))
        )
    )
    return files


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Makes the fences' site addresses relative to the page, as MkDocs does for links."""
    return html.replace(SITE_ROOT, get_relative_url(".", page.url).rstrip("/") + "/")
