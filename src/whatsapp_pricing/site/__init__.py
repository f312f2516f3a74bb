"""Markdown extensions for the documentation site (usable by MkDocs and by Zensical).

They draw pictures, tables and lists from the engine and the data files at build time, so that
nothing on a page can disagree with the rules. None of them reads files of the reader's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor
from pymdownx.superfences import SuperFencesException  # type: ignore[import-untyped]

from whatsapp_pricing.errors import PricingError


class FenceError(PricingError, SuperFencesException):  # type: ignore[misc]
    """A fence on a page that cannot be drawn; superfences lets this one stop the build."""


class _Expanding(Preprocessor):
    def __init__(self, md: Markdown, expand: Callable[[list[str]], list[str]]) -> None:
        super().__init__(md)
        self._expand = expand

    def run(self, lines: list[str]) -> list[str]:
        return self._expand(lines)


class PlaceholderExtension(Extension):
    """An extension that expands a page's ``{{ ... }}`` lines with ``expand`` before anything
    else reads them, so that what it writes is Markdown like the rest of the page."""

    def __init__(self, name: str, expand: Callable[[list[str]], list[str]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._name, self._expand = name, expand

    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(_Expanding(md, self._expand), self._name, 41)
