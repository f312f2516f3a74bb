"""Fixtures shared by the docs and browser tests: one strict build of the site per test run."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"


def page_url_path(page: Path) -> str:
    """The address MkDocs gives a page, with directory URLs: docs/a/b.md is served at /a/b/."""
    relative = page.relative_to(DOCS).with_suffix("")
    if relative.name == "index":
        relative = relative.parent
    return "/" if relative == Path(".") else f"/{relative.as_posix()}/"


# What a deploy sets (see README); the plain build must not depend on the machine's settings.
DEPLOY_SETTINGS = ("SITE_URL", "PROVIDER_NAME")


def build_site(site: Path, **settings: str) -> Path:
    """The site built into site as CI builds it: ``mkdocs build --strict``, no ``-q`` or ``-v``."""
    environment = {k: v for k, v in os.environ.items() if k not in DEPLOY_SETTINGS}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**environment, **settings, "NO_MKDOCS_2_WARNING": "1"},
    )
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{result.stderr}{result.stdout}")
    return site


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as built with none of the deploy settings."""
    return build_site(tmp_path_factory.mktemp("site"))


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def site_server(built_site: Path) -> Iterator[str]:
    """The built site served on a free local port; yields its base address."""
    handler = functools.partial(_QuietHandler, directory=str(built_site))
    with ThreadingHTTPServer(("127.0.0.1", 0), handler) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        yield f"http://127.0.0.1:{server.server_address[1]}"
        server.shutdown()
