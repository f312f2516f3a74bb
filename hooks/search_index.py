"""MkDocs hook (``hooks:`` in ``mkdocs.yml``): the search index's other spellings and code-free
previews, from :mod:`whatsapp_pricing.site.search_index`. MkDocs loads hooks by path; the code
lives in the package so that it is type-checked and tested like the rest."""

from whatsapp_pricing.site.search_index import on_post_build

__all__ = ["on_post_build"]
