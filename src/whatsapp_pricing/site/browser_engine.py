"""Serves the rules to the reader's browser: Pyodide, the pinned wheels and this package.

The MkDocs hook ``hooks/browser_engine.py`` runs this at the end of each build; it needs no
MkDocs itself (the hook turns what is missing into MkDocs' error). It puts into
``assets/engine/`` the Pyodide runtime that ``make install`` took from the npm registry
(``web/package-lock.json``), the wheels it took from PyPI for Pyodide's platform
(``web/requirements.lock``), this package zipped from the source tree, and a manifest naming
them that the page's script reads. Nothing comes from anywhere else, and a reader's browser
fetches it only on a page with an engine form (once that page is idle, or on the first Run if
the browser asks to save data). The modules the engine imports are served compiled
(:mod:`whatsapp_pricing.site.bytecode`).

The reader waits for every byte, so only what the engine runs is served: the modules that
``in_browser`` imports (found by reading their imports, not by a list kept by hand), the wheels
of the distributions those need, and of phonenumbers its parsing data without the place names,
carriers and time zones it also ships (four fifths of its wheel). The manifest says how many
bytes the engine downloads, so the page can say it before the reader presses Run.

Pyodide's lock file names exactly these files, with their hashes, and the package zip as a
package that depends on all of them: the page's worker then asks ``loadPyodide`` for that one
package, and Pyodide fetches and compiles every wheel while its interpreter starts, instead of
after it.
"""

from __future__ import annotations

import ast
import hashlib
import io
import json
import re
import shutil
import sys
import zipfile
from collections.abc import Iterable
from datetime import date
from functools import cache
from importlib.metadata import PackageNotFoundError, requires
from pathlib import Path
from typing import Any

import phonenumbers

from whatsapp_pricing.estimate import MarketTraffic
from whatsapp_pricing.markets import OTHER, meta_markets
from whatsapp_pricing.providers import PROVIDER_PROFILES
from whatsapp_pricing.rate_cards import shipped_rate_book
from whatsapp_pricing.site.bytecode import imported_modules, started_modules, with_bytecode, zipped

PACKAGE = Path(__file__).resolve().parents[1]
"""The package's sources, also when the compiled build runs (its tree links to them)."""
WEB = PACKAGE.parents[1] / "web"
RUNTIME = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip")
"""The runtime's own files; ``pyodide-lock.json`` is written anew (see :func:`package_lock`)."""
STDLIB = "python_stdlib.zip"
"""The standard library, which Pyodide ships as source: served with what the engine and the
runtime's start import compiled (:mod:`whatsapp_pricing.site.bytecode`)."""
ENTRY = "whatsapp_pricing.in_browser"
"""The module the page's script calls; everything served is what it needs."""
ALSO_NEEDED = {"tzdata": "zoneinfo reads time zones from it: a browser has no zoneinfo files"}
"""Distributions imported by name only at run time, so reading the imports cannot find them."""
UNUSED_DATA = ("phonenumbers/geodata/", "phonenumbers/carrierdata/", "phonenumbers/tzdata/")
"""Data of phonenumbers' geocoder, carrier and time zone lookups, which the rules never call."""
FOLDER = "assets/engine"
PACKAGE_FILE = "whatsapp_pricing.zip"
"""The package zip's name until its hash is known (the served name carries the hash)."""
_RUNTIME_FOLDER = WEB / "node_modules" / "pyodide"


def missing() -> str | None:
    """What the build lacks to serve the engine, if anything: ``make install`` fetches it."""
    if not (_RUNTIME_FOLDER / RUNTIME[0]).is_file() or not _wheels():
        return f"the in-browser engine's files are missing in {WEB}: run make install"
    return None


def write_engine(site_dir: Path) -> None:
    """Puts the engine's files into the built site at ``site_dir`` (see :func:`missing`)."""
    engine = site_dir / FOLDER
    engine.mkdir(parents=True, exist_ok=True)
    runtime, wheels = _RUNTIME_FOLDER, needed_wheels(_wheels())
    for name in RUNTIME:
        if name != STDLIB:
            _copy(runtime / name, engine / name)
    archives = {STDLIB: (runtime / STDLIB).read_bytes()}
    archives |= {wheel.name: wheel.read_bytes() for wheel in wheels}
    archives |= {
        name: slim_wheel(content)
        for name, content in archives.items()
        if name.startswith("phonenumbers-")
    }
    archives[PACKAGE_FILE] = package_zip()
    ours = {module_path(name).relative_to(PACKAGE.parent).as_posix() for name in package_modules()}
    compiled = started_modules() | imported_modules(ENTRY, archives[PACKAGE_FILE]) | ours
    served_archives = with_bytecode(archives, compiled, keep_source=[PACKAGE_FILE])
    package = served_archives.pop(PACKAGE_FILE)
    package_name = f"whatsapp_pricing-{hashlib.sha256(package).hexdigest()[:12]}.zip"
    (engine / package_name).write_bytes(package)
    for name, content in served_archives.items():
        _write(engine / name, content)
    served_wheels = [engine / wheel.name for wheel in wheels]
    lock = package_lock(runtime / "pyodide-lock.json", served_wheels, engine / package_name)
    (engine / "pyodide-lock.json").write_text(lock)
    served = [*RUNTIME, "pyodide-lock.json", *(wheel.name for wheel in wheels), package_name]
    manifest = {
        # Changes with any served byte: the service worker then forgets its copy (engine-sw.js).
        "lock_sha256": hashlib.sha256(lock.encode()).hexdigest(),
        "wheels": [wheel.name for wheel in wheels],
        "package": package_name,
        "files": served,
        "download_bytes": sum((engine / name).stat().st_size for name in served),
        **choices(),
    }
    (engine / "engine.json").write_text(json.dumps(manifest, indent=1))


def choices(today: date | None = None) -> dict[str, list[Any]]:
    """What the forms offer: today's markets (the engine checks the month asked for), the
    currencies of the shipped rate cards, the countries Meta's market table lists, each as its
    ISO code and "name (market)", with one country of Other for every unlisted one; and for the
    estimator the counts its table asks for (the vocabulary's estimated categories, then the
    customers who write first) and the example provider profiles."""
    day = today or date.today()
    table = meta_markets()
    listed = table.markets(day)
    currencies = {card.currency for card in shipped_rate_book().cards}
    members = table.members(day)
    unlisted = sorted(set(phonenumbers.SUPPORTED_REGIONS) - {member.iso2 for member in members})
    countries = [[member.iso2, f"{member.country} ({member.market})"] for member in members]
    row = MarketTraffic.model_fields
    categories = [category.name for category in MarketTraffic.vocabulary.estimated]
    headings = {
        **{name: name.replace("_", " ").capitalize() for name in categories},
        "customers_writing_first": "Customers who write first",
        "via_ads": "… through an ad",
    }
    return {
        "markets": listed if OTHER in listed else [*listed, OTHER],
        "currencies": sorted(currencies, key=lambda currency: (currency != "USD", currency)),
        "countries": [*countries, [unlisted[0], f"Any country not listed ({OTHER})"]],
        "columns": [
            {"name": name, "heading": heading, "words": row[name].description or heading}
            for name, heading in headings.items()
        ],
        "providers": [profile.model_dump(mode="json") for profile in PROVIDER_PROFILES],
    }


def package_zip() -> bytes:
    """The modules the engine imports and the package's data, the same bytes for the same
    sources (dates fixed)."""
    modules = {module_path(name) for name in package_modules()}
    data = [path for path in sorted((PACKAGE / "data").rglob("*")) if path.is_file()]
    return zipped(
        (path.relative_to(PACKAGE.parent).as_posix(), path.read_bytes())
        for path in [*sorted(modules), *data]
        if "__pycache__" not in path.parts
    )


def module_path(name: str) -> Path:
    """The source file of one of this package's modules."""
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


@cache
def package_modules() -> frozenset[str]:
    """This package's modules that :data:`ENTRY` imports, directly or through others (the
    package's ``__init__`` included, as Python runs it first)."""
    found: set[str] = set()
    waiting = [ENTRY, "whatsapp_pricing"]
    while waiting:
        name = waiting.pop()
        if name in found or not module_path(name).is_file():
            continue
        found.add(name)
        waiting += [other for other in _imports(name) if other.startswith("whatsapp_pricing")]
    return frozenset(found)


def _imports(module: str) -> list[str]:
    """Every module a module names in its imports (``from a import b`` names ``a`` and
    ``a.b``, as ``b`` may be a module)."""
    tree = ast.parse(module_path(module).read_text(encoding="utf-8"))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names += [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
    return names


def third_party_imports() -> set[str]:
    """The top-level names of everything outside the package and the standard library that
    the engine's modules import."""
    return {
        name.split(".")[0]
        for module in package_modules()
        for name in _imports(module)
        if not name.startswith("whatsapp_pricing")
        and name.split(".")[0] not in sys.stdlib_module_names
    }


def needed_wheels(wheels: Iterable[Path]) -> list[Path]:
    """The wheels of the distributions the engine imports, with what those require in turn."""
    by_name = {_distribution(wheel.name): wheel for wheel in wheels}
    wanted = [_normal(name) for name in [*third_party_imports(), *ALSO_NEEDED]]
    needed: set[str] = set()
    while wanted:
        name = wanted.pop()
        if name in needed or name not in by_name:
            continue
        needed.add(name)
        wanted += _requirements(name)
    return [by_name[name] for name in sorted(needed)]


def _requirements(distribution: str) -> list[str]:
    """The distributions one requires unconditionally (no extra, no environment marker)."""
    try:
        declared = requires(distribution) or []
    except PackageNotFoundError:
        return []
    return [_normal(re.split(r"[\s<>=!~\[;(]", line)[0]) for line in declared if ";" not in line]


def _distribution(wheel_name: str) -> str:
    return _normal(wheel_name.split("-")[0])


def _normal(name: str) -> str:
    """A distribution's or module's name as wheels spell it: ``typing-extensions`` is
    ``typing_extensions``."""
    return re.sub(r"[-_.]+", "_", name).lower()


def slim_wheel(wheel: bytes) -> bytes:
    """phonenumbers' wheel without the data of lookups the rules never make (its RECORD
    rewritten to match), the same bytes for the same wheel."""
    with zipfile.ZipFile(io.BytesIO(wheel)) as source:
        kept = [
            (info.filename, source.read(info))
            for info in source.infolist()
            if not info.filename.startswith(UNUSED_DATA)
        ]
    names = {name for name, _ in kept}
    return zipped(
        (name, _record(content, names) if name.endswith(".dist-info/RECORD") else content)
        for name, content in kept
    )


def _record(record: bytes, kept: set[str]) -> bytes:
    lines = record.decode().splitlines()
    return "".join(f"{line}\n" for line in lines if line.split(",")[0] in kept).encode()


PACKAGE_NAME = "whatsapp-pricing"
"""The package zip's name in Pyodide's lock file: the one package the page's worker asks for."""


def package_lock(shipped: Path, wheels: list[Path], package: Path) -> str:
    """Pyodide's lock file naming only the files the site serves (by file name, beside the
    lock file, never an address elsewhere), with their hashes: the served wheels, each with the
    served wheels it requires, and the package zip, which depends on every one of them."""
    lock = json.loads(shipped.read_text(encoding="utf-8"))
    names = {_distribution(wheel.name): wheel for wheel in wheels}
    packages = {
        _lock_name(name): _lock_entry(
            wheel, [other for other in _requirements(name) if other in names]
        )
        for name, wheel in names.items()
    }
    packages[PACKAGE_NAME] = {
        **_lock_entry(package, list(names)),
        "name": PACKAGE_NAME,
        "version": "0",
        "imports": ["whatsapp_pricing"],
    }
    return json.dumps({**lock, "packages": packages}, indent=1)


def _lock_entry(served: Path, depends: list[str]) -> dict[str, Any]:
    """One package of Pyodide's lock file: a file beside it, what it installs, what it needs."""
    with zipfile.ZipFile(served) as archive:
        tops = {name.split("/")[0].partition(".")[0] for name in archive.namelist()}
    return {
        "name": _distribution(served.name),
        "version": served.name.split("-")[1],
        "file_name": served.name,
        "install_dir": "site",
        "sha256": hashlib.sha256(served.read_bytes()).hexdigest(),
        "package_type": "package",
        "imports": sorted(top for top in tops if top.isidentifier()),
        "depends": sorted(_lock_name(name) for name in depends),
        "unvendored_tests": False,
    }


def _lock_name(distribution: str) -> str:
    """A distribution's name as Pyodide's lock file keys it: ``typing-extensions``."""
    return _normal(distribution).replace("_", "-")


def _wheels() -> list[Path]:
    return sorted((WEB / "wheels").glob("*.whl"))


def _write(target: Path, content: bytes) -> None:
    """Writes unless the same bytes are already there."""
    if not target.exists() or target.read_bytes() != content:
        target.write_bytes(content)


def _copy(source: Path, target: Path) -> None:
    """Copies unless the same file is already there, so ``mkdocs serve`` rebuilds stay quick."""
    same = target.exists() and target.stat().st_size == source.stat().st_size
    if not same or target.stat().st_mtime < source.stat().st_mtime:
        shutil.copy2(source, target)
