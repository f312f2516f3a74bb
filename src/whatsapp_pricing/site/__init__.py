"""Markdown extensions for the documentation site (usable by MkDocs and by Zensical)."""
