"""bench.readme_table: the README's performance table is made from committed results.json
files, the last run given winning per run id, every row naming its run.

The harness lives in the repository, not in the wheel, so the command runs from the
repository's root as the README says (`python -m bench.readme_table <dirs>`); the test-wheels
pass runs it the same way."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _write(tmp: Path, name: str, load: float, summary: dict[str, dict[str, object]]) -> Path:
    d = tmp / name
    d.mkdir()
    run = {"run_id": "1-c100", "label": "100 B, concurrency 100", "metric": "rps"}
    data = {"meta": {"loadavg_start": [load, 0, 0]}, "runs": [run], "summary": {"1-c100": summary}}
    (d / "results.json").write_text(json.dumps(data))
    return d


def _table(*dirs: Path) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.readme_table", *map(str, dirs)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.splitlines()


def test_the_last_run_given_wins_and_is_named(tmp_path: Path) -> None:
    old = _write(tmp_path, "old", 9.0, {"asiofetch": {"rps": 1000.0, "cpu_per_1k": 0.5}})
    new = _write(
        tmp_path,
        "new",
        1.5,
        {
            "asiofetch": {"rps": 20000.0, "cpu_per_1k": 0.05},
            "asiofetch-uvloop": {"rps": 21000.0},
            "asiofetch@base": {"rps": 1.0},  # an A/B build: left out
            "wreq": {"rps": 16000.0, "cpu_per_1k": 0.06},
            "wrk": {"rps": 60000.0, "cpu_per_1k": 0.01},
        },
    )
    lines = _table(old, new)
    assert lines[0] == ("| case | wrk / h2load | wreq | **asiofetch** per request (uvloop) | run |")
    assert lines[2] == (
        "| 1-c100: 100 B, concurrency 100, req/s | 60,000 | 16,000 | **20,000** (21,000) "
        "| `new` (load 1.5) |"
    )
    assert lines[3].startswith("| 1-c100: 100 B, concurrency 100, CPU-s per 1,000 requests")
    assert "**0.05**" in lines[3]
    assert len(lines) == 4


def test_a_committed_run_renders() -> None:
    run = ROOT / "bench" / "results" / "20261201-043830"
    data = json.loads((run / "results.json").read_text())
    resumed = data["summary"]["7-tls-new-c20"]["asiofetch"]["tls_resumed"]
    row = next(line for line in _table(run) if "TLS sessions resumed" in line)
    assert f"{resumed * 100:.1f} %" in row
    assert row.endswith("`20261201-043830` (load 13.54) |")
