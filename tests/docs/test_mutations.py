"""A change to a key rule breaks an example on the page that states it.

Each mutation runs the docs examples alone (no unit test) against a deliberately wrong engine;
at least one example on the page that states the rule must fail, or that page would not be
proof of the rule it states.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.conftest import DOCS, ROOT
from tests.plugins.rule_mutations import MUTATIONS


def run_docs_examples(mutation: str | None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    arguments = [sys.executable, "-m", "pytest", str(DOCS), "-q", "-p", "no:cacheprovider"]
    if mutation is not None:
        environment["WHATSAPP_PRICING_MUTATION"] = mutation
        arguments += ["-p", "tests.plugins.rule_mutations"]
    return subprocess.run(
        arguments, cwd=ROOT, env=environment, capture_output=True, text=True, check=False
    )


@pytest.mark.parametrize("mutation", MUTATIONS)
def test_the_page_that_states_the_rule_catches_its_mutation(mutation: str) -> None:
    result = run_docs_examples(mutation)
    assert result.returncode == 1, result.stdout[-2000:]
    _, page = MUTATIONS[mutation]
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED ")]
    assert any(line.startswith(f"FAILED docs/{page}::") for line in failed), failed
