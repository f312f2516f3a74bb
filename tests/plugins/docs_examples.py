"""A pytest plugin that makes the site's code examples prove what they claim.

pytest-markdown-docs only proves that an example runs. This plugin also checks what it prints
against the ``#>`` lines written under the ``print`` call, as pydantic's documentation does, so
an example whose output changes fails instead of silently showing stale numbers. It relies on
the private runner API of pytest-markdown-docs, which is why that package is pinned exactly.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pytest_markdown_docs._runners import DefaultRunner, register_runner
from pytest_markdown_docs.definitions import FenceTestDefinition

EXPECTED_LINE = re.compile(r"^\s*#>(?: (?P<text>.*))?$")
FENCE_OPENING = re.compile(
    r"^(?P<indent>[ \t]*)(?P<marker>`{3,}|~{3,})\s*\{?\.?(?P<lang>python3?|py)\b(?P<options>[^`]*)$"
)
OPT_OUT_REASON = re.compile(r'reason="(?P<reason>[^"]+)"')


class ExampleRaised(Exception):
    """An example raised an exception it did not expect.

    Wrapping matters: pytest-markdown-docs 0.9.2 calls a runner a second time when the first call
    raises ``TypeError``, so an example that fails only on its first run would pass.
    """


class OutputMismatch(AssertionError):
    """What an example printed differs from its ``#>`` lines."""


def expected_output(source: str) -> list[str]:
    """The ``#>`` lines of an example, in order, as the lines it should print."""
    lines = []
    for line in source.splitlines():
        match = EXPECTED_LINE.match(line)
        if match:
            lines.append((match["text"] or "").rstrip())
    return lines


@register_runner(default=True)
class CheckedOutputRunner(DefaultRunner):
    """Runs an example with its standard output captured, then compares it with ``#>`` lines."""

    def runtest(
        self, test: FenceTestDefinition, args: dict[str, Any], *, asyncio_runner: Any = None
    ) -> None:
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                super().runtest(test, args, asyncio_runner=asyncio_runner)
        except AssertionError:
            raise
        except Exception as error:
            raise ExampleRaised(f"{type(error).__name__}: {error}") from error
        actual = [line.rstrip() for line in printed.getvalue().splitlines()]
        expected = expected_output(test.source)
        if actual != expected:
            diff = difflib.unified_diff(
                expected, actual, "written under the example (#>)", "printed", lineterm=""
            )
            raise OutputMismatch("\n".join(diff))

    def repr_failure(
        self,
        test: FenceTestDefinition,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        error = excinfo.value
        if isinstance(error, ExampleRaised) and error.__cause__ is not None:
            excinfo = pytest.ExceptionInfo.from_exception(error.__cause__)
        report: str = super().repr_failure(test, excinfo, style)
        if isinstance(error, OutputMismatch):
            report += f"\nThe example's output differs from its #> lines:\n{error}\n"
        return report


@dataclass(frozen=True)
class PythonFence:
    """A Python code fence found in a Markdown file by plain text scanning."""

    path: Path
    line: int
    indented: bool
    opted_out: bool
    reason: str | None


def find_python_fences(path: Path) -> Iterator[PythonFence]:
    """Every Python fence in a Markdown file, including ones a Markdown parser would not see."""
    closing: str | None = None
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if closing is not None:
            if line.strip() == closing:
                closing = None
            continue
        match = FENCE_OPENING.match(line)
        if match is None:
            bare = re.match(r"^[ \t]*(`{3,}|~{3,})", line)
            closing = bare.group(1) if bare else None
            continue
        closing = match["marker"]
        options = match["options"]
        reason = OPT_OUT_REASON.search(options)
        yield PythonFence(
            path=path,
            line=number,
            indented=bool(match["indent"]),
            opted_out="notest" in options.split(),
            reason=reason["reason"] if reason else None,
        )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """List the docs examples that do not run, so nobody forgets they exist."""
    docs = Path(terminalreporter.config.rootpath, "docs")
    opted_out = [
        fence
        for page in sorted(docs.rglob("*.md"))
        for fence in find_python_fences(page)
        if fence.opted_out
    ]
    if opted_out:
        terminalreporter.section("docs examples that do not run")
        for fence in opted_out:
            where = fence.path.relative_to(terminalreporter.config.rootpath)
            terminalreporter.line(f"{where}:{fence.line}: {fence.reason or 'NO REASON GIVEN'}")
