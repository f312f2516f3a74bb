"""A worked example shows what it prints as text, and keeps its code, folded."""

from __future__ import annotations

import markdown

EXAMPLE = """
```python
print("Under conversation-based pricing, a long reason")
#> Under conversation-based pricing, a long reason
```

```python
x = 1
```
"""


def test_an_example_with_output_shows_the_output_then_its_code_folded() -> None:
    html = markdown.markdown(
        EXAMPLE,
        extensions=["pymdownx.highlight", "pymdownx.superfences", "whatsapp_pricing.site.proofs"],
    )
    output, code = html.split('<details class="proof">')
    assert "<samp>Under conversation-based pricing, a long reason</samp>" in output
    assert "<summary>" in code
    assert "print</span>" in code
    assert html.count("<details") == 1, "a block that prints nothing stays as it is"
