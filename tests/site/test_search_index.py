"""The search index gets the other spellings of its words, and its previews lose their code."""

from __future__ import annotations

import json
from pathlib import Path

from whatsapp_pricing.site.search_index import findable, other_spellings


def test_a_grouped_figure_is_also_found_without_its_separators() -> None:
    assert other_spellings("the first 1,000 service conversations and 25,000,000 messages") == [
        "1000",
        "25000000",
    ]


def test_an_abbreviation_and_its_meaning_find_each_other() -> None:
    assert other_spellings('webhooks say "PMP" here') == ["per-message pricing"]
    assert other_spellings("Per-message pricing since 2025") == ["PMP"]
    assert other_spellings("PMP, or per-message pricing") == []
    assert other_spellings("a PMPX code or the word wabash") == []


def test_code_leaves_the_preview_but_the_words_around_it_stay() -> None:
    entry = {
        "location": "faq/x/#y",
        "title": "Question",
        "text": "<p>Before 1,000</p> <pre><code>import x\n#&gt; 1</code></pre> <p>after</p>",
    }
    found = findable(entry)
    assert found["text"] == "<p>Before 1,000</p>   <p>after</p>"
    assert found["keywords"] == "1000"
    assert "keywords" not in findable({**entry, "text": "<p>plain</p>"})


def test_the_built_index_searches_the_keywords_and_shows_no_code(built_site: Path) -> None:
    index = json.loads((built_site / "search" / "search_index.json").read_text())
    assert (
        index["config"]["fields"]["keywords"]["boost"] > index["config"]["fields"]["text"]["boost"]
    )
    assert not [entry for entry in index["docs"] if "<pre" in entry["text"]]
    free_tier = next(entry for entry in index["docs"] if entry["location"].endswith("#free-tier"))
    assert "1000" in free_tier["keywords"].split()


def test_the_words_readers_type_find_the_sites_words_one_way() -> None:
    assert other_spellings("Is the checkmark green or blue?") == ["tick"]
    assert other_spellings("What are volume tiers?") == ["discount", "discounts"]
    assert other_spellings("the green tick") == []


def test_a_titles_other_spellings_weigh_like_the_title() -> None:
    entry = {"location": "faq/x/#y", "title": "Is the checkmark green?", "text": "<p>x</p>"}
    assert findable(entry)["title_words"] == "tick"


def test_readers_words_come_from_the_title_not_the_text() -> None:
    entry = {"location": "faq/x/#y", "title": "Question", "text": "<p>what it costs</p>"}
    assert "keywords" not in findable(entry)
    assert findable({**entry, "title": "What does it cost?"})["title_words"] == "price"


def test_readers_start_what_the_site_opens_but_not_what_stays_open() -> None:
    assert "start" in other_spellings("How do I open a WhatsApp Business conversation?")
    assert "start" not in other_spellings("Can several conversations be open with one customer?")
    assert "start" not in other_spellings("How long does a conversation stay open?")


def test_readers_reply_to_what_the_site_answers_but_not_to_the_sites_answer() -> None:
    assert "replied" in other_spellings("What happens if I answer an ad after 24 hours?")
    assert "replied" not in other_spellings("What the answer says")
