"""MkDocs hook (``hooks:`` in ``mkdocs.yml``): writes the JSON and Atom feeds of
:mod:`whatsapp_pricing.site.feeds`. MkDocs loads hooks by path; the code lives in the package so
that it is type-checked and tested."""

from whatsapp_pricing.site.feeds import on_files

__all__ = ["on_files"]
