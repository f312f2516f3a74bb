"""The docs example runner fails when an example's output or behaviour is not what the page says."""

from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures"

pytest_plugins = ["pytester"]


@pytest.fixture
def run_page(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    """Runs one fixture page in a separate pytest with only the docs example plugin loaded."""
    monkeypatch.setenv("PYTHONPATH", str(ROOT))

    def run(name: str) -> pytest.RunResult:
        page = pytester.path / name
        page.write_text((FIXTURES / name).read_text(encoding="utf-8"), encoding="utf-8")
        return pytester.runpytest_subprocess(
            "-p", "tests.plugins.docs_examples", "-p", "no:cacheprovider", "--markdown-docs", page
        )

    return run


def test_matching_output_passes(run_page) -> None:
    result = run_page("right_output.md")
    result.assert_outcomes(passed=2)


def test_wrong_output_fails_and_shows_the_difference(run_page) -> None:
    result = run_page("wrong_output.md")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*-3", "*+2"])


def test_unwritten_output_fails(run_page) -> None:
    result = run_page("silent_output.md")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*+surprise"])


def test_exception_fails_without_a_second_run(run_page) -> None:
    result = run_page("raises_once.md")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*TypeError: first run fails*"])
