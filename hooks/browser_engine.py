"""MkDocs hook (``hooks:`` in ``mkdocs.yml``): serves the in-browser engine's files, which
:mod:`whatsapp_pricing.site.browser_engine` writes. MkDocs loads hooks by path; all that needs
MkDocs is here, the rest lives in the package so that it is type-checked and tested like the
rest, and imports without MkDocs."""

from pathlib import Path
from typing import Any

from mkdocs.exceptions import PluginError

from whatsapp_pricing.site.browser_engine import missing, write_engine


def on_post_build(config: Any, **_: Any) -> None:
    problem = missing()
    if problem is not None:
        raise PluginError(problem)
    write_engine(Path(config["site_dir"]))
