"""Browser tests drive the system's Chromium through Playwright; they never download a browser."""

from __future__ import annotations

import os
from typing import Any

import pytest

from tests.browser.chromium import HOW_TO_GET_ONE, LAUNCH_ARGUMENTS, find_chromium


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    executable = find_chromium()
    if executable is None:
        if os.environ.get("CI") == "true":
            pytest.fail(HOW_TO_GET_ONE)
        pytest.skip(HOW_TO_GET_ONE)
    return {**browser_type_launch_args, "executable_path": executable, "args": LAUNCH_ARGUMENTS}
