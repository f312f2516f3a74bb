"""Every page loads cleanly in a real browser and asks nothing of any other host."""

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request

from tests.conftest import DOCS, page_url_path

PAGES = sorted(DOCS.rglob("*.md"))


@pytest.mark.parametrize("source", PAGES, ids=lambda page: str(page.relative_to(DOCS)))
def test_page_loads_without_errors_or_outside_requests(
    page: Page, site_server: str, source: Path
) -> None:
    errors: list[str] = []
    outside: list[str] = []
    local = urlsplit(site_server).netloc

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    def on_request(request: Request) -> None:
        address = urlsplit(request.url)
        if address.scheme in {"http", "https"} and address.netloc != local:
            outside.append(request.url)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", on_request)
    response = page.goto(site_server + page_url_path(source), wait_until="networkidle")

    assert response is not None
    assert response.status == 200
    assert errors == []
    assert outside == []
