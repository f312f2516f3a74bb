"""Checks every docs example's printed output (see tests/plugins/docs_examples.py)."""

pytest_plugins = ["tests.plugins.docs_examples"]

# Pages written to fail on purpose: the self-tests run them in a separate pytest.
collect_ignore_glob = ["tests/fixtures/*"]
