"""Search that finds answers: the words readers type, and previews without code.

A MkDocs hook (registered by ``hooks/search_index.py``), run after Material's search plugin has
written ``search/search_index.json``.
Readers type what Meta's webhooks and invoices say (``PMP``, ``CBP``) or a figure without its
separator (``1000``); the site writes "per-message pricing" and "1,000". Each section gets those
other spellings as ``keywords``, a field the search indexes but never shows, and loses its code
blocks from ``text``, which is what a result's preview shows (the examples stay on the page).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

SAME_THING = (
    ("PMP", "per-message pricing"),
    ("CBP", "conversation-based pricing"),
    ("NBP", "notification-based pricing"),
    ("FEP", "free entry point"),
    ("CSW", "customer service window"),
    ("BSUID", "business-scoped user id"),
    ("WABA", "WhatsApp Business Account"),
)
"""Abbreviations Meta uses (``pricing_model`` in webhooks, its developer pages) and the words
the site writes for them: a section with either is found by both."""
KEYWORDS_BOOST = 50.0
"""A twentieth of a title's weight (1000), far above the text's (1): a section that names the
thing is found, and one whose title names it (a glossary entry) still comes first."""
GROUPED_NUMBER = re.compile(r"\b\d{1,3}(?:,\d{3})+\b")
CODE_BLOCK = re.compile(r"<pre\b.*?</pre>", re.DOTALL)


def on_post_build(config: Any, **_: Any) -> None:
    index_file = Path(config["site_dir"]) / "search" / "search_index.json"
    if not index_file.is_file():
        return
    index = json.loads(index_file.read_text(encoding="utf-8"))
    index["config"]["fields"]["keywords"] = {"boost": KEYWORDS_BOOST}
    index["docs"] = [findable(entry) for entry in index["docs"]]
    index_file.write_text(json.dumps(index, separators=(",", ":")), encoding="utf-8")


def findable(entry: dict[str, Any]) -> dict[str, Any]:
    """A search entry without code in its preview, and with the other spellings of its words."""
    text = CODE_BLOCK.sub(" ", entry["text"])
    words = other_spellings(f"{entry['title']} {text}")
    return {**entry, "text": text, **({"keywords": " ".join(words)} if words else {})}


def other_spellings(text: str) -> list[str]:
    """``1000`` for ``1,000``, and each abbreviation or its meaning for the other."""
    found = [number.replace(",", "") for number in GROUPED_NUMBER.findall(text)]
    lowered = text.casefold()
    for short, long in SAME_THING:
        has_short = re.search(rf"\b{short}\b", text) is not None
        if has_short and long.casefold() not in lowered:
            found.append(long)
        elif not has_short and long.casefold() in lowered:
            found.append(short)
    return list(dict.fromkeys(found))
