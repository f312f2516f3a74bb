"""Where the system's Chromium is, and how to start it on this kind of machine."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Page, Route

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
LAUNCH_ARGUMENTS = [
    "--no-sandbox",
    "--disable-gpu",
    # Without these, Chromium phones home at start-up, and this machine refuses the calls.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOW_TO_GET_ONE = (
    "No Chromium found for the browser tests. Install the system's (on Debian or Ubuntu: "
    "`sudo apt-get install chromium`) or point CHROMIUM_PATH at one."
)


def find_chromium() -> str | None:
    """The system's Chromium: CHROMIUM_PATH if set, else the first known name on the PATH."""
    configured = os.environ.get("CHROMIUM_PATH")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return next(filter(None, map(shutil.which, CHROMIUM_NAMES)), None)


@contextmanager
def only_the_site(target: Page | BrowserContext, site_server: str) -> Iterator[None]:
    """Lets ``target`` reach the site and nothing else; on leaving, fails if it asked for
    anything elsewhere (the site must work offline, with no third party)."""
    asked_elsewhere: list[str] = []
    local = urlsplit(site_server).netloc

    def route(request_route: Route) -> None:
        if urlsplit(request_route.request.url).netloc == local:
            request_route.continue_()
        else:
            asked_elsewhere.append(request_route.request.url)
            request_route.abort()

    target.route("**/*", route)
    yield
    assert asked_elsewhere == []
