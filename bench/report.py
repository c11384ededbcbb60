"""Rounds -> medians with spread, and the markdown report (bench/results/latest.md)."""

from __future__ import annotations

import statistics
from typing import Any

METRICS = (
    "rps",
    "mbps",
    "lat_p50_ms",
    "lat_p99_ms",
    "cpu_per_1k",
    "maxrss_kb",
    "rss_peak_kb",
    "rss_delta_kb",
    "rss_after_first_kb",
    "rss_end_kb",
    "rss_growth",
    "overhead",
    "success",
    "extra_attempts",
    "server_extra_attempts",
    "wall_s",
    "conns",
    "tls_resumed",
)
UNITS = {
    "rps": "req/s",
    "mbps": "MB/s",
    "overhead": "x ideal",
    "rss_peak_kb": "MiB peak RSS",
    "rss_growth": "RSS growth",
    "success": "success",
}


def derive(run: dict[str, Any], res: dict[str, Any]) -> None:
    """Figures computed from a runner's raw result (in place)."""
    ideal = run["spec"].get("ideal_s")
    if ideal and res.get("wall_s"):
        res["overhead"] = res["wall_s"] / ideal
    if res.get("n"):
        res["success"] = res["good"] / res["n"]


def summarize(records: list[dict[str, Any]], metric_of: dict[str, str]) -> dict[str, Any]:
    """{run_id: {client: {status, rounds, <metric>: median, spread: [min, max], error}}}."""
    groups: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for rec in records:
        groups.setdefault(rec["run_id"], {}).setdefault(rec["client"], []).append(rec)
    out: dict[str, Any] = {}
    for run_id, by_client in groups.items():
        primary = metric_of[run_id]
        out[run_id] = {}
        for client, recs in by_client.items():
            measured = [r["result"] for r in recs if r["status"] in ("ok", "errors")]
            s: dict[str, Any] = {"rounds": len(measured)}
            if not measured:
                s["status"] = recs[-1]["status"]
                s["error"] = recs[-1].get("error", "")
            else:
                s["status"] = "ok" if all(r["status"] == "ok" for r in recs) else "errors"
                bad = [r for r in recs if r["status"] != "ok"]
                if bad:
                    res = bad[-1].get("result") or {}
                    s["error"] = bad[-1].get("error") or "; ".join(res.get("error_samples", []))
                for m in METRICS:
                    vals = [float(r[m]) for r in measured if r.get(m) is not None]
                    if vals:
                        s[m] = statistics.median(vals)
                        if m == primary:
                            s["spread"] = [min(vals), max(vals)]
            out[run_id][client] = s
    return out


def format_metric(m: str, v: float | None) -> str:
    """One figure as the reports print it ("" for none): KiB for *_kb, percentages for
    rss_growth and success, thousands separators from 100 up, else 3 significant digits."""
    if v is None:
        return ""
    if m.endswith("_kb"):
        return f"{v / 1024:.1f}"
    if m in ("rss_growth",):
        return f"{v * 100:+.1f} %"
    if m == "success":
        return f"{v * 100:.2f} %"
    if m == "overhead":
        return f"{v:.3f}"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:.3g}"


def _primary(m: str, s: dict[str, Any]) -> str:
    if m not in s:
        return ""
    text = format_metric(m, s[m])
    sp = s.get("spread")
    if sp and s["rounds"] > 1:
        text += f" [{format_metric(m, sp[0])}-{format_metric(m, sp[1])}]"
    return text


def markdown(
    meta: dict[str, Any],
    runs: list[dict[str, Any]],
    summary: dict[str, Any],
    targets: list[dict[str, Any]],
    charts: list[str],
) -> str:
    lines = [
        "# asiofetch benchmark results",
        "",
        f"Run {meta['timestamp']} ({meta['mode']} mode, {meta['rounds']} round(s), median "
        f"[min-max] shown; seed {meta['seed']}). Raw per-round data: `{meta['results_json']}`.",
        "",
        "## Targets (ratios from this run)",
        "",
        *(
            ["Quick mode: tiny counts, one round; these verdicts mean nothing.", ""]
            if meta["mode"] == "quick"
            else []
        ),
        *(
            [
                f"**Machine was not idle** (load average at start {meta['loadavg_start']}, end "
                f"{meta['loadavg_end']}): other processes competed for both cores.",
                "",
            ]
            if max(meta["loadavg_start"][0], meta["loadavg_end"][0]) > 0.5
            else []
        ),
        "| target | measured | status |",
        "|---|---|---|",
    ]
    lines += [f"| {t['target']} | {t['measured']} | {t['status']} |" for t in targets]
    for run in runs:
        rows = summary.get(run["run_id"])
        if not rows:
            continue
        m = run["metric"]
        tls_col = any(r.get("tls_resumed") is not None for r in rows.values())
        lines += [
            "",
            f"## Case {run['case']}: {run['label']} (`{run['run_id']}`)",
            "",
            f"| client | {UNITS.get(m, m)} | MB/s | p50 ms | p99 ms | CPU-s/1k req "
            "| peak RSS MiB | conns | extra attempts | status |"
            + (" TLS resumed |" if tls_col else ""),
            "|---|---|---|---|---|---|---|---|---|---|" + ("---|" if tls_col else ""),
        ]
        for client, s in sorted(rows.items(), key=lambda kv: -float(kv[1].get("rps", 0) or 0)):
            status = s["status"]
            if s.get("error"):
                status += ": " + str(s["error"]).replace("|", "/").replace("\n", " ")[:120]
            mb = format_metric("mbps", s.get("mbps")) if m != "mbps" else ""
            extra = s.get("server_extra_attempts", s.get("extra_attempts"))
            cells = [
                client,
                _primary(m, s),
                mb,
                format_metric("p", s.get("lat_p50_ms")),
                format_metric("p", s.get("lat_p99_ms")),
                format_metric("c", s.get("cpu_per_1k")),
                format_metric("maxrss_kb", s.get("maxrss_kb")),
                format_metric("n", s.get("conns")),
                format_metric("n", extra),
                status,
            ]
            if tls_col:
                cells.append(format_metric("success", s.get("tls_resumed")))
            lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "## Machine", ""]
    lines += [f"- {k}: {v}" for k, v in meta["machine"].items()]
    lines += [f"- pinning: {meta['pinning']}", f"- fixture server: {meta['fixture']}"]
    lines += ["", "## Versions", ""]
    lines += [f"- {k}: {v}" for k, v in sorted(meta["tools"].items())]
    for client, v in sorted(meta["versions"].items()):
        lines.append(f"- {client}: " + ", ".join(f"{k} {x}" for k, x in sorted(v.items())))
    if charts:
        lines += ["", "## Charts", ""] + [f"![{c}]({c})" for c in charts]
    lines.append("")
    return "\n".join(lines)
