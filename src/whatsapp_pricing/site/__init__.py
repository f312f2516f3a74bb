"""Markdown extensions for the documentation site (usable by MkDocs and by Zensical).

They draw pictures, tables and lists from the engine and the data files at build time, so that
nothing on a page can disagree with the rules. None of them reads files of the reader's.
"""

from __future__ import annotations

from pymdownx.superfences import SuperFencesException  # type: ignore[import-untyped]

from whatsapp_pricing.errors import PricingError


class FenceError(PricingError, SuperFencesException):  # type: ignore[misc]
    """A fence on a page that cannot be drawn; superfences lets this one stop the build."""
