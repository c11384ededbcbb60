"""pytest plugin for `make test-wheels`: the suite must exercise the installed wheel, so the
session stops at once if `asiofetch` resolves anywhere but this interpreter's site-packages."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import pytest


def pytest_sessionstart(session: pytest.Session) -> None:
    import asiofetch
    from asiofetch import _core

    site = Path(sysconfig.get_paths()["purelib"]).resolve()
    where = Path(asiofetch.__file__).resolve()
    if site not in where.parents:
        pytest.exit(f"asiofetch imported from {where}, not from the wheel in {site}", returncode=3)
    print(f"\ninstalled wheel under test: {where.parent}\n{_core.curl_version()}")
