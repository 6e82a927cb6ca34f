"""The package as pip installs it from a clean clone (not editable) holds every module."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_python_package_of_the_project_is_installed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("bot", "storage", "handlers", "locales")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert found - listed == set()
