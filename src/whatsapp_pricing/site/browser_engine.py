"""Serves the rules to the reader's browser: Pyodide, the pinned wheels and this package.

The MkDocs hook ``hooks/browser_engine.py`` runs this at the end of each build; it needs no
MkDocs itself (the hook turns what is missing into MkDocs' error). It puts into
``assets/engine/`` the Pyodide runtime that ``make install`` took from the npm registry
(``web/package-lock.json``), the wheels it took from PyPI for Pyodide's platform
(``web/requirements.lock``), this package zipped from the source tree, and a manifest naming
them that the page's script reads. Nothing comes from anywhere else, and a reader's browser
fetches none of it until they press a Run button.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import zipfile
from datetime import date
from pathlib import Path
from typing import Any

from whatsapp_pricing.estimate import MarketTraffic
from whatsapp_pricing.markets import OTHER, meta_markets
from whatsapp_pricing.providers import PROVIDER_PROFILES
from whatsapp_pricing.rate_cards import shipped_rate_book

PACKAGE = Path(__file__).parents[1]
WEB = PACKAGE.parents[1] / "web"
RUNTIME = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip")
"""The runtime's own files; ``pyodide-lock.json`` is written anew (see :func:`package_lock`)."""
LEFT_OUT = ("site", "__pycache__")
"""Parts of the package the browser never imports: the site extensions need MkDocs."""
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
    runtime, wheels = _RUNTIME_FOLDER, _wheels()
    for name in RUNTIME:
        _copy(runtime / name, engine / name)
    for wheel in wheels:
        _copy(wheel, engine / wheel.name)
    package = package_zip()
    package_name = f"whatsapp_pricing-{hashlib.sha256(package).hexdigest()[:12]}.zip"
    (engine / package_name).write_bytes(package)
    (engine / "pyodide-lock.json").write_text(package_lock(runtime / "pyodide-lock.json"))
    manifest = {"wheels": [wheel.name for wheel in wheels], "package": package_name, **choices()}
    (engine / "engine.json").write_text(json.dumps(manifest, indent=1))


def choices(today: date | None = None) -> dict[str, Any]:
    """What the estimator's form offers: today's markets (the engine checks the month asked
    for), the currencies of the shipped rate cards, the counts its table asks for (the
    vocabulary's estimated categories, then the customers who write first) and the example
    provider profiles."""
    listed = meta_markets().markets(today or date.today())
    currencies = {card.currency for card in shipped_rate_book().cards}
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
        "columns": [
            {"name": name, "heading": heading, "words": row[name].description or heading}
            for name, heading in headings.items()
        ],
        "providers": [profile.model_dump(mode="json") for profile in PROVIDER_PROFILES],
    }


def package_zip() -> bytes:
    """This package's modules and data, the same bytes for the same sources (dates fixed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(PACKAGE.rglob("*")):
            inside = path.relative_to(PACKAGE.parent)
            if path.is_file() and not set(inside.parts) & set(LEFT_OUT):
                entry = zipfile.ZipInfo(inside.as_posix(), date_time=(2022, 2, 1, 0, 0, 0))
                archive.writestr(entry, path.read_bytes(), zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def package_lock(shipped: Path) -> str:
    """Pyodide's lock file with no packages: the runtime then never looks for one elsewhere,
    and every wheel it loads is one of ours, by address."""
    lock = json.loads(shipped.read_text(encoding="utf-8"))
    return json.dumps({**lock, "packages": {}})


def _wheels() -> list[Path]:
    return sorted((WEB / "wheels").glob("*.whl"))


def _copy(source: Path, target: Path) -> None:
    """Copies unless the same file is already there, so ``mkdocs serve`` rebuilds stay quick."""
    same = target.exists() and target.stat().st_size == source.stat().st_size
    if not same or target.stat().st_mtime < source.stat().st_mtime:
        shutil.copy2(source, target)
