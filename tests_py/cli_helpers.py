"""Shared helpers of the CLI and Dask tests: run `python -m asiofetch`, read its rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ENV = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "120"}


def run_cli(*args: str | Path, stdin: bytes | None = None, timeout: float = 90) -> Any:
    """Runs the command line in a child process; returns the CompletedProcess (text)."""
    proc = subprocess.run(
        [sys.executable, "-m", "asiofetch", *map(str, args)],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        env=ENV,
    )
    proc.stdout_text = proc.stdout.decode("utf-8", "replace")  # type: ignore[attr-defined]
    proc.stderr_text = proc.stderr.decode("utf-8", "replace")  # type: ignore[attr-defined]
    return proc


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Every row; fails on a line that is not a complete JSON object."""
    rows = []
    data = path.read_bytes()
    assert data == b"" or data.endswith(b"\n"), "the last line is incomplete"
    for n, line in enumerate(data.splitlines(), 1):
        try:
            rows.append(json.loads(line))
        except ValueError as e:  # pragma: no cover - the assertion's message
            raise AssertionError(f"line {n} is not JSON: {line[:200]!r}") from e
    return rows


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path
