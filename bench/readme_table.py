"""The README's performance table, made from committed benchmark runs (never typed by hand).

    python -m bench.readme_table bench/results/<older> bench/results/<newer> ...

Each run id (`1-c100`, `7-tls-h2`, ...) takes its figures from the last directory given that
measured it, so list older runs first. Cells are the medians of that run's rounds; the last
column names the run and its load average at the start, because figures from different runs
(and loads) are not comparable: read ratios within a row. Rows: each run's primary metric,
then CPU-s per 1,000 requests for request-rate runs, then the TLS resumption rate where the
run recorded it. A/B builds (`client@label`) are left out: their ratios are in each run's
`results.md`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.report import format_metric

# Columns: (header, client, its uvloop variant or None). A column no row fills is dropped.
COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("wrk / h2load", "ceiling", None),
    ("wreq", "wreq", None),
    ("pyreqwest", "pyreqwest", None),
    ("**asiofetch** per request (uvloop)", "asiofetch", "asiofetch-uvloop"),
    ("**asiofetch** batch (uvloop)", "asiofetch-batch", "asiofetch-batch-uvloop"),
    ("aiohttp (uvloop)", "aiohttp", "aiohttp-uvloop"),
    ("httpx", "httpx", None),
    ("curl_cffi", "curl_cffi", None),
)
CEILINGS = ("wrk", "h2load")
METRIC_NAMES = {
    "rps": "req/s",
    "mbps": "MB/s",
    "overhead": "wall / ideal",
    "rss_peak_kb": "peak RSS, MiB",
    "rss_growth": "RSS growth",
    "success": "success",
}


def load_runs(dirs: list[Path]) -> dict[str, tuple[dict[str, Any], dict[str, Any], str]]:
    """run id -> (its run spec, its summary, "dir (load x)"), the last directory winning."""
    out: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {}
    for d in dirs:
        data = json.loads((d / "results.json").read_text())
        load = data["meta"].get("loadavg_start", [None])[0]
        source = f"`{d.name}` (load {load})" if load is not None else f"`{d.name}`"
        for run in data["runs"]:
            summary = data["summary"].get(run["run_id"])
            if summary:
                out[run["run_id"]] = (run, summary, source)
    return out


def _cell(summary: dict[str, Any], client: str, uvloop: str | None, metric: str) -> str:
    if client == "ceiling":
        names: tuple[str, ...] = CEILINGS
        found = [summary[c] for c in names if c in summary and summary[c].get(metric) is not None]
        return format_metric(metric, found[0][metric]) if found else ""
    main = summary.get(client, {})
    text = format_metric(metric, main.get(metric))
    if text and main.get("status", "ok") != "ok":
        text += ", with errors"  # the run's results.md has them
    if text and client.startswith("asiofetch"):
        text = f"**{text}**"
    if uvloop is not None and summary.get(uvloop, {}).get(metric) is not None:
        text += f" ({format_metric(metric, summary[uvloop][metric])})"
    return text


def rows(runs: dict[str, tuple[dict[str, Any], dict[str, Any], str]]) -> list[list[str]]:
    out: list[list[str]] = []
    for run_id in sorted(runs, key=_run_order):
        run, summary, source = runs[run_id]
        metrics = [run["metric"]]
        if run["metric"] in ("rps", "mbps"):
            metrics.append("cpu_per_1k")
        if any(v.get("tls_resumed") is not None for v in summary.values()):
            metrics.append("tls_resumed")
        for metric in metrics:
            name = METRIC_NAMES.get(metric, metric)
            if metric == "cpu_per_1k":
                name = "CPU-s per 1,000 requests"
            if metric == "tls_resumed":
                name = "TLS sessions resumed"
            cells = [
                _cell(summary, c, u, metric) if metric != "tls_resumed" else _pct(summary, c, u)
                for _, c, u in COLUMNS
            ]
            out.append([f"{run_id}: {run['label']}, {name}", *cells, source])
    return out


def _pct(summary: dict[str, Any], client: str, uvloop: str | None) -> str:
    value = summary.get(client, {}).get("tls_resumed")
    return "" if value is None else f"{value * 100:.1f} %"


def _run_order(run_id: str) -> tuple[int, str]:
    head = run_id.split("-", 1)[0]
    return (int(head) if head.isdigit() else 99, run_id)


def markdown(table: list[list[str]]) -> str:
    keep = [i for i in range(len(COLUMNS)) if any(row[1 + i] for row in table)]
    header = ["case", *(COLUMNS[i][0] for i in keep), "run"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in table:
        cells = [row[0], *(row[1 + i] for i in keep), row[-1]]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dirs", nargs="+", type=Path, help="result directories, oldest first")
    args = p.parse_args(argv)
    print(markdown(rows(load_runs(args.dirs))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
