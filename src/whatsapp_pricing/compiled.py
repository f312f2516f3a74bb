"""The compiled build: the typed core of the reconciler compiled to C with mypyc, beside the pure
Python that stays the reference.

``make install`` builds it where a C compiler and Python's headers are (:func:`can_build`;
``python -m whatsapp_pricing.compiled``),
into a tree of its own (:data:`TREE`): every file of the package linked, and an extension module
beside each of :data:`MODULES`. Nothing changes for whoever does not ask for it; with
``WHATSAPP_PRICING_COMPILED=1`` a Python of the project's environment puts that tree first on
its path (a ``.pth`` file the build installs), so the same code runs, compiled where it can be.
The browser's engine is always the pure one (its wheel is built from the sources).

mypyc compiles only code whose types hold: a module that uses an attribute its annotations do
not promise fails to build, so the pure code stays what the compiled one was made from.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

MODULES = (
    "whatsapp_pricing.engine",
    "whatsapp_pricing.identities",
    "whatsapp_pricing.markets",
    "whatsapp_pricing.webhooks",
    "whatsapp_pricing.reconcile.account",
    "whatsapp_pricing.reconcile.accounts",
    "whatsapp_pricing.reconcile.findings",
    "whatsapp_pricing.reconcile.message",
    "whatsapp_pricing.reconcile.ordering",
    "whatsapp_pricing.reconcile.policy",
)
"""The modules a line of a webhook log passes through, from reading it to its finding."""
SWITCH = "WHATSAPP_PRICING_COMPILED"
"""Set to ``1``, the environment variable that runs the compiled build."""
SOURCES = Path(__file__).resolve().parent
"""The package's sources (this module is linked into the compiled tree, and resolves there)."""
TREE = Path(sys.prefix) / "compiled"
"""Where the build goes: inside the environment it was built for and with."""
DIGEST = "SOURCES.sha256"
"""The file of the tree that names the sources it was compiled from."""
PTH = "whatsapp_pricing_compiled.pth"


def can_build() -> bool:
    """Whether this Python can build the compiled core: a C compiler, and Python's headers."""
    headers = Path(sysconfig.get_paths()["include"], "Python.h")
    return shutil.which("cc") is not None and headers.is_file()


def running() -> list[str]:
    """Which of :data:`MODULES` this process runs compiled (imported to tell)."""
    found = []
    for name in MODULES:
        module = __import__(name, fromlist=["_"])
        if any(str(module.__file__).endswith(suffix) for suffix in EXTENSION_SUFFIXES):
            found.append(name)
    return found


def source_digest(sources: Path = SOURCES) -> str:
    """A digest of the sources of :data:`MODULES`: the build is stale once it changes."""
    digest = hashlib.sha256()
    for name in MODULES:
        path = _source_of(name, sources)
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def built_digest(tree: Path = TREE) -> str | None:
    """The digest of the sources the tree was built from; ``None`` if there is no build."""
    path = tree / DIGEST
    return path.read_text(encoding="utf-8").strip() if path.exists() else None


def _source_of(name: str, sources: Path) -> Path:
    return sources.joinpath(*name.split(".")[1:]).with_suffix(".py")


def build(tree: Path = TREE, sources: Path = SOURCES) -> None:
    """Compiles :data:`MODULES` into ``tree``, beside links to every other file of the package,
    and installs the ``.pth`` file that lets :data:`SWITCH` choose it."""
    shutil.rmtree(tree, ignore_errors=True)
    package = tree / "whatsapp_pricing"
    for folder, _, files in os.walk(sources):
        if "__pycache__" in folder:
            continue
        target = package / Path(folder).relative_to(sources)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            (target / name).symlink_to(Path(folder, name).resolve())
    paths = [str(_source_of(name, Path("whatsapp_pricing"))) for name in MODULES]
    # mypyc writes each extension module beside its source, and its runtime at the top.
    subprocess.run([sys.executable, "-m", "mypyc", *paths], cwd=tree, check=True)
    shutil.rmtree(tree / "build")
    (tree / DIGEST).write_text(source_digest(sources) + "\n", encoding="utf-8")
    site_packages = Path(sysconfig.get_paths()["purelib"])
    chosen = f"os.environ.get({SWITCH!r}) == '1' and sys.path.insert(0, {str(tree)!r})"
    (site_packages / PTH).write_text(f"import os, sys; {chosen}\n", encoding="utf-8")


if __name__ == "__main__":
    # The Makefile asks before the environment exists, with the system's Python: this module
    # needs nothing but the standard library.
    if sys.argv[1:] == ["--can-build"]:
        print("yes" if can_build() else "")
    else:
        build()
