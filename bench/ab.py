"""A/B runs: the same asiofetch clients on another build, side by side in one run.

`--ab base=/path/to/other/venv/bin/python` adds `asiofetch@base` (and the batch/uvloop
variants that were chosen) running under that interpreter, so under that interpreter's
asiofetch build. Jobs of a round are shuffled together, so the two builds alternate on the
same machine state; each round gives a ratio current / other per (case, client), and the
report shows their median and spread. That is how a change is checked against "within 3 %"
on a shared, noisy machine: ratios measured side by side, never figures from two runs.
"""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

from bench import cases


def parse(specs: list[str]) -> dict[str, str]:
    """LABEL=PYTHON pairs -> {label: python}; the interpreter must exist."""
    out: dict[str, str] = {}
    for spec in specs:
        label, sep, python = spec.partition("=")
        if not sep or not label or "@" in label or not python:
            raise SystemExit(f"--ab takes LABEL=PYTHON, got {spec!r}")
        if not Path(python).is_file():
            raise SystemExit(f"--ab {label}: no interpreter at {python}")
        out[label] = python
    return out


def register(variants: dict[str, str]) -> None:
    """Adds CLIENT@LABEL for every asiofetch client, run by that label's interpreter."""
    for label, python in variants.items():
        for name in cases.ASIOFETCH:
            module, extra = cases.CLIENTS[name]
            cases.CLIENTS[f"{name}@{label}"] = (module, {**extra, "python": python})


def variants_of(client: str, labels: list[str]) -> list[str]:
    return [f"{client}@{label}" for label in labels if f"{client}@{label}" in cases.CLIENTS]


def _per_round(records: list[dict[str, Any]]) -> dict[tuple[str, str, int], dict[str, Any]]:
    return {
        (r["run_id"], r["client"], r["round"]): r["result"]
        for r in records
        if r["status"] in ("ok", "errors")
    }


def table(records: list[dict[str, Any]], labels: list[str]) -> list[dict[str, Any]]:
    """Per (run, client, label): median and spread of the per-round ratios current / label
    for requests per second (or MB/s), CPU per request and, for case 5, the peak RSS and its
    growth over the process's RSS before the requests (what the requests in flight hold)."""
    by = _per_round(records)
    rows: list[dict[str, Any]] = []
    keys = sorted({(run, client) for run, client, _ in by if "@" not in client})
    rounds = sorted({rnd for _, _, rnd in by})
    for run_id, client in keys:
        for label in labels:
            other = f"{client}@{label}"
            ratios: dict[str, list[float]] = {
                "rps": [],
                "mbps": [],
                "cpu_per_1k": [],
                "rss_peak_kb": [],
                "rss_delta_kb": [],
            }
            for rnd in rounds:
                a, b = by.get((run_id, client, rnd)), by.get((run_id, other, rnd))
                if not a or not b:
                    continue
                for m, vals in ratios.items():
                    if a.get(m) and b.get(m):
                        vals.append(float(a[m]) / float(b[m]))
            if not any(ratios.values()):
                continue
            row: dict[str, Any] = {"run_id": run_id, "client": client, "label": label}
            for m, vals in ratios.items():
                if vals:
                    row[m] = {"median": statistics.median(vals), "min": min(vals), "max": max(vals),
                              "rounds": len(vals)}  # fmt: skip
            rows.append(row)
    return rows


def markdown(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []

    def cell(r: dict[str, Any], m: str) -> str:
        v = r.get(m)
        if not v:
            return ""
        return f"{v['median']:.3f} [{v['min']:.3f}-{v['max']:.3f}] ({v['rounds']})"

    lines = [
        "",
        "## A/B: this build / the other build, per-round ratios",
        "",
        "Median [min-max] (rounds) of current / other, measured in the same rounds. req/s and "
        "MB/s above 1, CPU per request and RSS below 1 favour the current build. RSS: case 5's "
        "peak, and its growth over the RSS before the requests were sent.",
        "",
        "| case | client | vs | req/s | MB/s | CPU per request | peak RSS | RSS growth |",
        "|---|---|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['run_id']} | {r['client']} | {r['label']} | {cell(r, 'rps')} | {cell(r, 'mbps')} "
        f"| {cell(r, 'cpu_per_1k')} | {cell(r, 'rss_peak_kb')} | {cell(r, 'rss_delta_kb')} |"
        for r in rows
    ]
    return lines
