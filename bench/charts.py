"""PNG charts (matplotlib, Agg): per-case bars, requests/s vs concurrency, RSS vs in-flight."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.report import UNITS

CEILINGS = ("wrk", "h2load")


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _color(client: str) -> str:
    if client in CEILINGS:
        return "0.6"
    return "tab:red" if client.startswith("asiofetch") else "tab:blue"


def per_case(runs: list[dict[str, Any]], summary: dict[str, Any], out: Path) -> str | None:
    shown = [
        r for r in runs if r["metric"] in ("rps", "mbps", "overhead") and summary.get(r["run_id"])
    ]
    if not shown:
        return None
    plt = _plt()
    cols = 2
    rows = (len(shown) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(13, 3.2 * rows), squeeze=False)
    for ax, run in zip(axes.flat, shown, strict=False):
        m = run["metric"]
        data = [(c, s) for c, s in summary[run["run_id"]].items() if s.get(m) is not None]
        data.sort(key=lambda cs: cs[1][m])
        names = [c for c, _ in data]
        vals = [s[m] for _, s in data]
        lo = [s[m] - s.get("spread", [s[m], s[m]])[0] for _, s in data]
        hi = [s.get("spread", [s[m], s[m]])[1] - s[m] for _, s in data]
        ax.barh(names, vals, xerr=[lo, hi], color=[_color(c) for c in names])
        ax.set_title(f"{run['run_id']}: {run['label']}", fontsize=9)
        ax.set_xlabel(UNITS.get(m, m) + (" (lower is better)" if m == "overhead" else ""))
        ax.tick_params(labelsize=8)
    for ax in list(axes.flat)[len(shown) :]:
        ax.axis("off")
    fig.tight_layout()
    fig.savefig(out / "per_case.png", dpi=110)
    plt.close(fig)
    return "per_case.png"


def _lines(
    runs: list[dict[str, Any]],
    summary: dict[str, Any],
    out: Path,
    prefix: str,
    metric: str,
    scale: float,
    ylabel: str,
    xlabel: str,
    name: str,
) -> str | None:
    pts: dict[str, list[tuple[float, float]]] = {}
    for run in runs:
        if not run["run_id"].startswith(prefix):
            continue
        for client, s in summary.get(run["run_id"], {}).items():
            if s.get(metric) is not None:
                pts.setdefault(client, []).append((run["setting"], s[metric] * scale))
    if not pts:
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(8, 5))
    for client, xy in sorted(pts.items()):
        xy.sort()
        style = "--" if client in CEILINGS else ("-" if client.startswith("asiofetch") else ":")
        ax.plot([x for x, _ in xy], [y for _, y in xy], style, marker="o", label=client)
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / name, dpi=110)
    plt.close(fig)
    return name


def render(runs: list[dict[str, Any]], summary: dict[str, Any], out: Path) -> list[str]:
    made = [
        per_case(runs, summary, out),
        _lines(
            runs,
            summary,
            out,
            "1-c",
            "rps",
            1.0,
            "requests/s",
            "concurrency (case 1, 100 B keep-alive)",
            "rps_vs_concurrency.png",
        ),
        _lines(
            runs,
            summary,
            out,
            "5-inflight-",
            "rss_peak_kb",
            1 / 1024,
            "peak RSS (MiB)",
            "requests in flight (case 5)",
            "rss_vs_inflight.png",
        ),
    ]
    return [m for m in made if m]
