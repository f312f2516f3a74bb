"""Writes the solution provider's name wherever a page says ``{{ provider }}``.

The site speaks for a WhatsApp Business Solution Provider whose name is one setting in
``mkdocs.yml``; a Markdown extension (not a MkDocs hook) keeps that working on Zensical too.
"""

from __future__ import annotations

from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

PLACEHOLDER = "{{ provider }}"


class _ProviderName(Preprocessor):
    def __init__(self, md: Markdown, name: str) -> None:
        super().__init__(md)
        self.name = name

    def run(self, lines: list[str]) -> list[str]:
        return [line.replace(PLACEHOLDER, self.name) for line in lines]


class ProviderExtension(Extension):
    """``provider``: the name that replaces ``{{ provider }}`` in every page."""

    def __init__(self, **kwargs: Any) -> None:
        self.config = {"name": ["Your Solution Provider", "the solution provider's name"]}
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(_ProviderName(md, self.getConfig("name")), "provider", 40)


def makeExtension(**kwargs: Any) -> ProviderExtension:
    return ProviderExtension(**kwargs)
