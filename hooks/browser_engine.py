"""MkDocs hook (``hooks:`` in ``mkdocs.yml``): serves the in-browser engine's files, from
:mod:`whatsapp_pricing.site.browser_engine`. MkDocs loads hooks by path; the code lives in the
package so that it is type-checked and tested like the rest."""

from whatsapp_pricing.site.browser_engine import on_post_build

__all__ = ["on_post_build"]
