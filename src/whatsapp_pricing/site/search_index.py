"""Search that finds answers: the words readers type, and previews without code.

A MkDocs hook (registered by ``hooks/search_index.py``), run after Material's search plugin has
written ``search/search_index.json``.
Readers type what Meta's webhooks and invoices say (``PMP``, ``CBP``), a figure without its
separator (``1000``) or their own words ("tick", "rupees"); the site writes "per-message
pricing", "1,000", "checkmark" and "INR". Each section gets those other spellings as
``keywords``, a field the search indexes but never shows (those of its title as ``title_words``,
weighed like the title), and loses its code blocks from ``text``, which is what a result's
preview shows (the examples stay on the page).
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
READERS_WORDS = (
    ("checkmark", "tick"),
    ("authentication", "OTP one-time password"),
    ("international", "foreign abroad"),
    ("INR", "rupee rupees"),
    ("BRL", "reais"),
    ("USD", "dollar dollars"),
    ("volume tier", "discount discounts"),
    ("cost", "price"),
    # Verbs, told from other senses by the article after them: opening something, not being
    # open ("stay open" is not "start"); answering someone, not the site's answer.
    (r"opens? (?:a|an|the)", "start"),
    (r"answers? (?:a|an|the)", "reply replied"),
    ("end", "shut sunset"),
    ("Meta Business Agent", "AI bot"),
    ("charged", "billed pay"),
    ("service message", "reply replies"),
    ("customer service window", "24-hour window"),
    ("free entry point", "ad ads"),
    ("message from a customer", "incoming inbound"),
)
"""Words customers and support staff type for the site's words (one way: a section with the
site's word is found by the reader's, not the other way round). The site's side is a pattern,
matched whole, a plural too."""
KEYWORDS_BOOST = 50.0
"""A twentieth of a title's weight (1000), far above the text's (1): a section that names the
thing is found, and one whose title names it (a glossary entry) still comes first."""
GROUPED_NUMBER = re.compile(r"\b\d{1,3}(?:,\d{3})+\b")
CODE_BLOCK = re.compile(r"<pre\b.*?</pre>", re.DOTALL)
TITLE_BOOST = 1000.0
"""Material's weight of a title: the other spellings of a title's own words weigh as much."""


def on_post_build(config: Any, **_: Any) -> None:
    index_file = Path(config["site_dir"]) / "search" / "search_index.json"
    if not index_file.is_file():
        return
    index = json.loads(index_file.read_text(encoding="utf-8"))
    index["config"]["fields"]["keywords"] = {"boost": KEYWORDS_BOOST}
    index["config"]["fields"]["title_words"] = {"boost": TITLE_BOOST}
    index["docs"] = [findable(entry) for entry in index["docs"]]
    index_file.write_text(json.dumps(index, separators=(",", ":")), encoding="utf-8")


def findable(entry: dict[str, Any]) -> dict[str, Any]:
    """A search entry without code in its preview, and with the other spellings of its words.

    Readers' words come from the title only: nearly every section's text says "cost" or
    "charged", so readers' words taken from the text ("price", "pay") made every section match a
    question equally and drowned the one whose heading asks it."""
    text = CODE_BLOCK.sub(" ", entry["text"])
    words = other_spellings(f"{entry['title']} {text}", readers=False)
    title = other_spellings(entry["title"], abbreviations=False)
    return {
        **entry,
        "text": text,
        **({"keywords": " ".join(words)} if words else {}),
        **({"title_words": " ".join(title)} if title else {}),
    }


def other_spellings(text: str, *, abbreviations: bool = True, readers: bool = True) -> list[str]:
    """``1000`` for ``1,000``, each abbreviation or its meaning for the other, and the words
    readers type for the site's. A title's abbreviations are left to the keywords, so that the
    entry whose own title says ``PMP`` (the glossary's) still comes first for ``PMP``."""
    found = [number.replace(",", "") for number in GROUPED_NUMBER.findall(text)]
    lowered = text.casefold()
    for ours, theirs in READERS_WORDS if readers else ():
        if re.search(rf"\b(?:{ours.casefold()})s?\b", lowered):
            found += theirs.split()
    for short, long in SAME_THING if abbreviations else ():
        has_short = re.search(rf"\b{short}\b", text) is not None
        if has_short and long.casefold() not in lowered:
            found.append(long)
        elif not has_short and long.casefold() in lowered:
            found.append(short)
    return list(dict.fromkeys(found))
