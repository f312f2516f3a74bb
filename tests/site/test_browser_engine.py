"""The in-browser engine's files: pinned as the command line's, complete, and reproducible."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import zipfile
from io import BytesIO
from pathlib import Path

import pytest

from whatsapp_pricing.site import bytecode
from whatsapp_pricing.site.browser_engine import (
    FOLDER,
    PACKAGE_NAME,
    UNUSED_DATA,
    WEB,
    needed_wheels,
    package_lock,
    package_zip,
    slim_wheel,
)
from whatsapp_pricing.site.bytecode import cache_tag, compile_sources, started_modules

ROOT = Path(__file__).parents[2]


def lock_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("web_lock", WEB / "lock.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_browser_gets_the_versions_the_command_line_runs() -> None:
    lock = lock_script()
    browser = lock.pinned_versions((WEB / "requirements.lock").read_text())
    command_line = lock.pinned_versions((ROOT / "requirements.lock").read_text())
    assert sorted(browser) == sorted(lock.PACKAGES)
    assert {name: command_line[name] for name in browser} == browser


def test_the_wheels_are_for_the_platform_of_the_pinned_pyodide() -> None:
    info = json.loads((WEB / "node_modules/pyodide/pyodide-lock.json").read_text())["info"]
    makefile = (ROOT / "Makefile").read_text()
    major, minor = info["python"].split(".")[:2]
    assert f"--platform pyemscripten_{info['abi_version']}_wasm32" in makefile
    assert f"--python-version {major}.{minor} " in makefile
    assert f"--abi cp{major}{minor} " in makefile


def test_the_package_zip_is_the_same_for_the_same_sources_and_leaves_out_the_site() -> None:
    first = package_zip()
    assert first == package_zip()
    names = zipfile.ZipFile(BytesIO(first)).namelist()
    assert "whatsapp_pricing/in_browser.py" in names
    assert "whatsapp_pricing/why_charged.py" in names
    assert "whatsapp_pricing/data/markets.csv" in names
    assert not [name for name in names if "/site/" in name or "__pycache__" in name]
    # What the browser never imports stays out: the command line, Spark, the reconciler.
    for module in ("cli", "spark", "reconcile", "throughput"):
        assert f"whatsapp_pricing/{module}.py" not in names


def test_pyodide_is_told_only_of_the_files_the_site_serves(built_site: Path) -> None:
    engine = built_site / FOLDER
    shipped = WEB / "node_modules/pyodide/pyodide-lock.json"
    manifest = json.loads((engine / "engine.json").read_text())
    served = [engine / name for name in manifest["wheels"]]
    lock = json.loads(package_lock(shipped, served, engine / manifest["package"]))
    assert lock == json.loads((engine / "pyodide-lock.json").read_text())
    # A new build that changes any served file changes the manifest the service worker checks.
    written = (engine / "pyodide-lock.json").read_bytes()
    assert manifest["lock_sha256"] == hashlib.sha256(written).hexdigest()
    assert lock["info"] == json.loads(shipped.read_text())["info"]
    packages = lock["packages"]
    # Each by its file beside the lock file, with that file's hash: nothing from elsewhere.
    assert sorted(entry["file_name"] for entry in packages.values()) == sorted(
        [*manifest["wheels"], manifest["package"]]
    )
    for entry in packages.values():
        assert "/" not in entry["file_name"]
        digest = hashlib.sha256((engine / entry["file_name"]).read_bytes()).hexdigest()
        assert entry["sha256"] == digest
        assert set(entry["depends"]) <= set(packages)
    # The one package the worker asks for brings every wheel; pydantic brings its core.
    assert set(packages[PACKAGE_NAME]["depends"]) == set(packages) - {PACKAGE_NAME}
    assert packages[PACKAGE_NAME]["imports"] == ["whatsapp_pricing"]
    assert "pydantic-core" in packages["pydantic"]["depends"]
    assert packages["typing-extensions"]["imports"] == ["typing_extensions"]


def test_the_built_site_serves_every_file_the_manifest_names(built_site: Path) -> None:
    engine = built_site / FOLDER
    manifest = json.loads((engine / "engine.json").read_text())
    wanted = [*manifest["wheels"], manifest["package"], "pyodide.mjs", "pyodide.asm.wasm"]
    assert [name for name in wanted if not (engine / name).is_file()] == []
    assert "India" in manifest["markets"]
    assert manifest["currencies"][0] == "USD"
    assert re.fullmatch(r"whatsapp_pricing-[0-9a-f]{12}\.zip", manifest["package"])


def test_only_the_wheels_the_engine_imports_are_served() -> None:
    wheels = sorted((WEB / "wheels").glob("*.whl"))
    served = {wheel.name.split("-")[0] for wheel in needed_wheels(wheels)}
    assert {"pydantic", "pydantic_core", "msgspec", "phonenumbers", "tzdata"} <= served
    assert {"typing_extensions", "annotated_types", "typing_inspection"} <= served
    assert not served & {"dnspython", "email_validator", "idna"}


def test_phonenumbers_is_served_without_the_lookups_the_rules_never_make() -> None:
    wheel = next((WEB / "wheels").glob("phonenumbers-*.whl")).read_bytes()
    slim = slim_wheel(wheel)
    assert slim == slim_wheel(wheel)
    names = zipfile.ZipFile(BytesIO(slim)).namelist()
    assert not [name for name in names if name.startswith(UNUSED_DATA)]
    assert "phonenumbers/phonenumberutil.py" in names
    assert [name for name in names if name.startswith("phonenumbers/data/region_")]
    assert len(slim) < len(wheel) / 3


def test_the_manifest_says_what_the_first_run_downloads(built_site: Path) -> None:
    engine = built_site / FOLDER
    manifest = json.loads((engine / "engine.json").read_text())
    assert manifest["package"] in manifest["files"]
    assert set(manifest["wheels"]) <= set(manifest["files"])
    assert manifest["download_bytes"] == sum(
        (engine / name).stat().st_size for name in manifest["files"]
    )


def served_archive(built_site: Path, prefix: str) -> zipfile.ZipFile:
    engine = built_site / FOLDER
    return zipfile.ZipFile(next(engine.glob(f"{prefix}*")))


def unchecked_hash_pyc(content: bytes) -> bool:
    """PEP 552's flags: bit 0 set (hash-based), bit 1 clear (never checked against source)."""
    return int.from_bytes(content[4:8], "little") == 0b01


def test_the_wheels_serve_what_the_engine_imports_as_bytecode_and_the_rest_as_source(
    built_site: Path,
) -> None:
    pydantic = served_archive(built_site, "pydantic-")
    names = set(pydantic.namelist())
    # Imported by the engine: compiled, in place of its source.
    assert "pydantic/main.pyc" in names
    assert "pydantic/main.py" not in names
    assert unchecked_hash_pyc(pydantic.read("pydantic/main.pyc"))
    # Never imported by the engine: kept as source, and still there.
    assert "pydantic/mypy.py" in names
    assert "pydantic/mypy.pyc" not in names
    phonenumbers = set(served_archive(built_site, "phonenumbers-").namelist())
    assert "phonenumbers/phonenumberutil.pyc" in phonenumbers
    assert "phonenumbers/data/region_ZW.py" in phonenumbers


def test_the_package_keeps_its_source_beside_its_bytecode(built_site: Path) -> None:
    package = served_archive(built_site, "whatsapp_pricing-")
    names = set(package.namelist())
    modules = [name for name in names if name.endswith(".py")]
    assert "whatsapp_pricing/in_browser.py" in modules
    for module in modules:
        folder, _, leaf = module.rpartition("/")
        cached = f"{folder}/__pycache__/{leaf[:-3]}.{cache_tag()}.pyc"
        assert cached in names, module
        assert unchecked_hash_pyc(package.read(cached))


def test_a_module_compiled_before_is_taken_from_the_cache_without_node(
    monkeypatch: pytest.MonkeyPatch, built_site: Path
) -> None:
    # The build compiled in_browser.py; asking again must not start the runtime.
    source = (ROOT / "src/whatsapp_pricing/in_browser.py").read_bytes()
    package = served_archive(built_site, "whatsapp_pricing-")
    served = package.read(f"whatsapp_pricing/__pycache__/in_browser.{cache_tag()}.pyc")

    def no_node(sources: object) -> dict[str, object]:
        raise AssertionError(f"compiled again: {sources}")

    monkeypatch.setattr(bytecode, "_run_compiler", no_node)
    assert compile_sources({"whatsapp_pricing/in_browser.py": source}) == {
        "whatsapp_pricing/in_browser.py": served
    }


def test_the_standard_library_serves_what_the_runtime_and_engine_import_as_bytecode(
    built_site: Path,
) -> None:
    stdlib = served_archive(built_site, "python_stdlib.zip")
    names = set(stdlib.namelist())
    started = started_modules()
    # The runtime's own start (its import hook, asyncio) and the engine's (decimal, zoneinfo).
    assert {"_pyodide/_importhook.py", "asyncio/__init__.py"} <= started
    for module in ("_pyodide/_importhook.py", "asyncio/__init__.py", "zoneinfo/__init__.py"):
        assert module[:-3] + ".pyc" in names, module
        assert module not in names, module
        assert unchecked_hash_pyc(stdlib.read(module[:-3] + ".pyc"))
    # What neither imports stays as Pyodide ships it.
    assert "unittest/__init__.py" in names
    assert "unittest/__init__.pyc" not in names
