"""The provider's name where it is set, and words that read well where it is not."""

from __future__ import annotations

import markdown
import pytest

from whatsapp_pricing.site.provider import ProviderExtension, UnnamedProvider

SENTENCES = (
    '{{ provider or "We" }} can submit it for you.\n\n'
    'Ask a solution provider such as {{ provider or "us" }}.'
)


def render(text: str, name: str | None) -> str:
    return markdown.markdown(text, extensions=[ProviderExtension(name=name)])


def test_a_set_name_goes_wherever_a_page_names_the_provider() -> None:
    html = render(SENTENCES, "Acme Messaging")
    assert html == (
        "<p>Acme Messaging can submit it for you.</p>\n"
        "<p>Ask a solution provider such as Acme Messaging.</p>"
    )


@pytest.mark.parametrize("unset", [None, "", "  "])
def test_with_no_name_each_sentence_uses_its_own_words(unset: str | None) -> None:
    html = render(SENTENCES, unset)
    assert html == "<p>We can submit it for you.</p>\n<p>Ask a solution provider such as us.</p>"


def test_a_bare_placeholder_reads_as_the_name() -> None:
    assert render("Ask {{ provider }}.", "Acme") == "<p>Ask Acme.</p>"


def test_a_bare_placeholder_with_no_name_stops_the_build() -> None:
    with pytest.raises(UnnamedProvider, match='provider or "we"'):
        render("Ask {{ provider }}.", None)
