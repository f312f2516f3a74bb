"""Serves the rules to the reader's browser: Pyodide, the pinned wheels and this package.

The MkDocs hook ``hooks/browser_engine.py`` runs this at the end of each build; it needs no
MkDocs itself (the hook turns what is missing into MkDocs' error). It puts into
``assets/engine/`` the Pyodide runtime that ``make install`` took from the npm registry
(``web/package-lock.json``), the wheels it took from PyPI for Pyodide's platform
(``web/requirements.lock``), this package zipped from the source tree, and a manifest naming
them that the page's script reads. Nothing comes from anywhere else, and a reader's browser
fetches none of it until they press a Run button.

The reader waits for every byte, so only what the engine runs is served: the modules that
``in_browser`` imports (found by reading their imports, not by a list kept by hand), the wheels
of the distributions those need, and of phonenumbers its parsing data without the place names,
carriers and time zones it also ships (four fifths of its wheel). The manifest says how many
bytes the first Run downloads, so the page can say it before the reader presses Run.
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

PACKAGE = Path(__file__).resolve().parents[1]
"""The package's sources, also when the compiled build runs (its tree links to them)."""
WEB = PACKAGE.parents[1] / "web"
RUNTIME = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip")
"""The runtime's own files; ``pyodide-lock.json`` is written anew (see :func:`package_lock`)."""
ENTRY = "whatsapp_pricing.in_browser"
"""The module the page's script calls; everything served is what it needs."""
ALSO_NEEDED = {"tzdata": "zoneinfo reads time zones from it: a browser has no zoneinfo files"}
"""Distributions imported by name only at run time, so reading the imports cannot find them."""
UNUSED_DATA = ("phonenumbers/geodata/", "phonenumbers/carrierdata/", "phonenumbers/tzdata/")
"""Data of phonenumbers' geocoder, carrier and time zone lookups, which the rules never call."""
FOLDER = "assets/engine"
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
        _copy(runtime / name, engine / name)
    for wheel in wheels:
        target = engine / wheel.name
        if wheel.name.startswith("phonenumbers-"):
            _write(target, slim_wheel(wheel.read_bytes()))
        else:
            _copy(wheel, target)
    package = package_zip()
    package_name = f"whatsapp_pricing-{hashlib.sha256(package).hexdigest()[:12]}.zip"
    (engine / package_name).write_bytes(package)
    (engine / "pyodide-lock.json").write_text(package_lock(runtime / "pyodide-lock.json"))
    served = [*RUNTIME, *(wheel.name for wheel in wheels), package_name]
    manifest = {
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
    return _zipped(
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
    return _zipped(
        (name, _record(content, names) if name.endswith(".dist-info/RECORD") else content)
        for name, content in kept
    )


def _record(record: bytes, kept: set[str]) -> bytes:
    lines = record.decode().splitlines()
    return "".join(f"{line}\n" for line in lines if line.split(",")[0] in kept).encode()


def _zipped(entries: Iterable[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            entry = zipfile.ZipInfo(name, date_time=(2022, 2, 1, 0, 0, 0))
            archive.writestr(entry, content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def package_lock(shipped: Path) -> str:
    """Pyodide's lock file with no packages: the runtime then never looks for one elsewhere,
    and every wheel it loads is one of ours, by address."""
    lock = json.loads(shipped.read_text(encoding="utf-8"))
    return json.dumps({**lock, "packages": {}})


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
