"""MkDocs hook (``hooks:`` in ``mkdocs.yml``): serves the rate files of
:mod:`whatsapp_pricing.site.rate_files`. MkDocs loads hooks by path; the code lives in the
package so that it is type-checked and tested with the fences that link to the files."""

from whatsapp_pricing.site.rate_files import on_files, on_page_content

__all__ = ["on_files", "on_page_content"]
