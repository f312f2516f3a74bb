"""MkDocs hook (``hooks:`` in ``mkdocs.yml``): writes the JSON and Atom feeds of
:mod:`whatsapp_pricing.site.feeds`. MkDocs loads hooks by path; all that needs MkDocs is here,
the rest lives in the package so that it is type-checked and tested, and imports without MkDocs."""

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

from whatsapp_pricing.site.feeds import FOLDER, documents


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Adds the feeds to the site's files, so that pages can link to them."""
    for name, content in documents(config.site_name, config.site_url or "").items():
        files.append(File.generated(config, f"{FOLDER}/{name}", content=content))
    return files
