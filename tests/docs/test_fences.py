"""The fence census: every Python example under docs/ is run, or says why not."""

from pathlib import Path

import pytest
from pytest_markdown_docs.plugin import extract_fence_tests

from tests.conftest import DOCS
from tests.plugins.docs_examples import find_python_fences

FENCES = [fence for page in sorted(DOCS.rglob("*.md")) for fence in find_python_fences(page)]


def where(fence) -> str:
    return f"{fence.path.relative_to(DOCS)}:{fence.line}"


def test_no_python_fence_is_indented() -> None:
    """Indented fences (inside ``???`` or ``===``) are silently not collected."""
    assert [where(fence) for fence in FENCES if fence.indented] == []


def test_every_opt_out_gives_a_reason() -> None:
    assert [where(fence) for fence in FENCES if fence.opted_out and not fence.reason] == []


@pytest.mark.parametrize("page", sorted(DOCS.rglob("*.md")), ids=lambda p: str(p.relative_to(DOCS)))
def test_collected_examples_are_exactly_the_fences(page: Path, pytestconfig: pytest.Config) -> None:
    """What pytest-markdown-docs collects matches what a plain scan of the text finds."""
    parser = pytestconfig.hook.pytest_markdown_docs_markdown_it()
    collected = [
        test.start_line for test in extract_fence_tests(parser, page.read_text("utf-8"), 0, page)
    ]
    expected = [fence.line for fence in FENCES if fence.path == page and not fence.opted_out]
    assert collected == expected
