"""Benchmarks never leave servers behind, even when one fails to start."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.webhook_load import start, stop
from tests.conftest import ROOT


def processes_running(marker: str) -> list[int]:
    """Ids of live processes whose command line contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            state = (entry / "stat").read_text().split()[2]
        except OSError:
            continue
        if marker in command and state != "Z":
            found.append(int(entry.name))
    return found


def test_a_server_that_fails_to_start_is_not_left_behind() -> None:
    env = dict(os.environ) | {"PYTHONPATH": str(ROOT)}
    with pytest.raises(SystemExit, match="did not start"):
        start("bench.no_such_module_for_hygiene:app", env)
    assert processes_running("no_such_module_for_hygiene") == []


def test_stop_ends_the_master_and_its_workers() -> None:
    env = dict(os.environ) | {"PYTHONPATH": str(ROOT)}
    process, _url = start("bench.bare_app:app", env)
    assert len(processes_running("bench.bare_app:app")) >= 2  # master and workers
    stop(process)
    assert processes_running("bench.bare_app:app") == []
