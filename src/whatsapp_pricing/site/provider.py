"""Writes the solution provider's name wherever a page says ``{{ provider or "..." }}``.

The site may speak for a WhatsApp Business Solution Provider, whose name is one setting
(``extra.provider`` in ``mkdocs.yml``, from ``PROVIDER_NAME``), or for nobody in particular. So
every sentence naming the provider carries the words to use when no name is set, chosen to read
well in that sentence, and a page can never show a stand-in such as "Your Solution Provider".
A Markdown extension (not a MkDocs hook) keeps this working on Zensical too.
"""

from __future__ import annotations

import re
from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor

from whatsapp_pricing.errors import PricingError

PLACEHOLDER = re.compile(r'\{\{ provider(?: or "(?P<unnamed>[^"]*)")? \}\}')


class UnnamedProvider(PricingError):
    """A page names the provider without saying what to write when no name is set."""


class _ProviderName(Preprocessor):
    def __init__(self, md: Markdown, name: str) -> None:
        super().__init__(md)
        self.name = name

    def run(self, lines: list[str]) -> list[str]:
        return [PLACEHOLDER.sub(self._fill, line) for line in lines]

    def _fill(self, placeholder: re.Match[str]) -> str:
        if self.name:
            return self.name
        if placeholder["unnamed"] is None:
            raise UnnamedProvider(
                f"{placeholder[0]} needs the words for a site with no provider named: "
                f'{{{{ provider or "we" }}}}'
            )
        return placeholder["unnamed"]


class ProviderExtension(Extension):
    """``provider``: the name for ``{{ provider or "..." }}``; empty or None when unnamed."""

    def __init__(self, **kwargs: Any) -> None:
        self.config = {"name": ["", "the solution provider's name; empty when unnamed"]}
        super().__init__(**kwargs)

    def extendMarkdown(self, md: Markdown) -> None:
        name = (self.getConfig("name") or "").strip()
        md.preprocessors.register(_ProviderName(md, name), "provider", 40)


def makeExtension(**kwargs: Any) -> ProviderExtension:
    return ProviderExtension(**kwargs)
