"""Helpers for the CSV data files shipped in ``data/``, which open with ``#`` comment lines."""


def without_comments(text: str) -> str:
    """The text without its ``#`` lines, which hold each file's source and notes."""
    return "".join(line for line in text.splitlines(keepends=True) if not line.startswith("#"))
