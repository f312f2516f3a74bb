"""The site's build hooks: what needs MkDocs is in ``hooks/``, the package imports without it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
WITHOUT_MKDOCS = """
import importlib, pkgutil, sys
sys.modules["mkdocs"] = None  # any import of mkdocs or a submodule now fails
import whatsapp_pricing.site as site
for module in pkgutil.iter_modules(site.__path__, "whatsapp_pricing.site."):
    importlib.import_module(module.name)
print("imported")
"""


def test_the_site_modules_import_without_mkdocs() -> None:
    run = subprocess.run(
        [sys.executable, "-c", WITHOUT_MKDOCS], capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "imported"


def test_every_registered_hook_is_in_the_hooks_folder() -> None:
    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    block = re.search(r"^hooks:\n((?:  - .*\n)+)", text, re.MULTILINE)
    assert block is not None
    hooks = [line.removeprefix("  - ").strip() for line in block.group(1).splitlines()]
    assert hooks
    assert all(hook.startswith("hooks/") and (ROOT / hook).is_file() for hook in hooks)
