"""Where the system's Chromium is, and how to start it on this kind of machine."""

from __future__ import annotations

import os
import shutil

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
