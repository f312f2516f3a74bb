"""Writes ``web/requirements.lock``: the wheels the site's in-browser engine loads.

They are built for Pyodide's platform, at the versions ``requirements.lock`` pins for the same
packages, so a reader's browser prices with the same pydantic, msgspec and phonenumbers as the
command line. ``make lock`` runs it with the platform options the Makefile names once; ``make
install`` then downloads exactly these files, by hash.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
PACKAGES = (
    "annotated-types",
    "dnspython",
    "email-validator",
    "idna",
    "msgspec",
    "phonenumbers",
    "pydantic",
    "pydantic-core",
    "typing-extensions",
    "typing-inspection",
    "tzdata",
)
"""What ``whatsapp_pricing`` imports at run time, less ``rich`` (only the terminal needs it)."""


def pinned_versions(lock: str) -> dict[str, str]:
    """The ``name==version`` pins of a requirements lock file."""
    return dict(re.findall(r"^([a-z0-9][a-z0-9._-]*)==([^\s\\]+)", lock, flags=re.MULTILINE))


def main(platform_options: list[str]) -> None:
    pins = pinned_versions((HERE.parent / "requirements.lock").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--dest",
                folder,
                *platform_options,
                *(f"{name}=={pins[name]}" for name in PACKAGES),
            ],
            check=True,
        )
        hashes = {
            wheel.name.split("-")[0].lower().replace("_", "-"): hashlib.sha256(
                wheel.read_bytes()
            ).hexdigest()
            for wheel in Path(folder).glob("*.whl")
        }
    lines = ["# The in-browser engine's wheels, for Pyodide's platform; written by `make lock`."]
    for name in PACKAGES:
        lines.append(f"{name}=={pins[name]} \\\n    --hash=sha256:{hashes[name]}")
    (HERE / "requirements.lock").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
