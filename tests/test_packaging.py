"""Every data file the package reads is declared as package data, so that an install
from a wheel (not only an editable one) carries it."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_data_file_in_the_packages_is_declared() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    declared = config["tool"]["setuptools"]["package-data"]
    for package, patterns in declared.items():
        folder = ROOT / package
        data = [
            path.relative_to(folder).as_posix()
            for path in folder.rglob("*")
            if path.is_file()
            and path.suffix not in (".py", ".pyc")
            and "__pycache__" not in path.parts
        ]
        missing = [name for name in data if not any(fnmatch.fnmatch(name, p) for p in patterns)]
        assert not missing, f"{package}: not in package-data: {missing}"
