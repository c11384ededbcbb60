"""Issue 5's targets, evaluated as ratios of medians measured in the same run.

"asiofetch" on either side means the best of its variants (default loop and uvloop) for
that path; a peer likewise counts with its best variant. A target whose inputs are
missing (client skipped or failed, case filtered out) is "n/a", never "met".
"""

from __future__ import annotations

from typing import Any

from bench.cases import ASIOFETCH, ASIOFETCH_BATCH, ASIOFETCH_GET, PEERS

H2_PEERS = ["httpx", "curl_cffi", "pyreqwest", "wreq"]


def _best(
    summary: dict[str, Any], run_id: str, clients: list[str], metric: str, lowest: bool = False
) -> tuple[str, float] | None:
    rows = summary.get(run_id, {})
    vals = [
        (c, float(rows[c][metric]))
        for c in clients
        if c in rows and rows[c].get(metric) is not None and rows[c]["status"] == "ok"
    ]
    if not vals:
        return None
    return (min if lowest else max)(vals, key=lambda cv: cv[1])


def _ratio(
    target: str,
    a: tuple[str, float] | None,
    b: tuple[str, float] | None,
    need: float,
    unit: str = "x",
) -> dict[str, Any]:
    if a is None or b is None or b[1] == 0:
        return {"target": target, "measured": "missing data", "status": "n/a"}
    r = a[1] / b[1]
    shown = f"{r * 100:.0f} %" if unit == "%" else f"{r:.2f}x"
    return {
        "target": target,
        "ratio": r,
        "status": "met" if r >= need else "not met",
        "measured": f"{shown} ({a[0]} {a[1]:,.0f} / {b[0]} {b[1]:,.0f})",
    }


def _https_targets(s: dict[str, Any]) -> list[dict[str, Any]]:
    """Issue 15's HTTPS targets (case 7)."""
    out = [
        _ratio(
            f"{run_id}: >= 1.25x fastest peer",
            _best(s, run_id, ASIOFETCH, "rps"),
            _best(s, run_id, H2_PEERS if "h2" in run_id else PEERS, "rps"),
            1.25,
        )
        for run_id in ("7-tls-c100", "7-tls-rsa-c100", "7-tls-h2")
    ]
    rows = s.get("7-tls-new-c20", {})
    t = "7-tls-new-c20: >= 95 % of reconnects resume their TLS session"
    mine = _best(s, "7-tls-new-c20", ASIOFETCH, "tls_resumed")
    if mine is None:
        out.append({"target": t, "measured": "missing data", "status": "n/a"})
    else:
        peers = ", ".join(
            f"{c} {rows[c]['tls_resumed'] * 100:.0f} %"
            for c in PEERS
            if rows.get(c, {}).get("tls_resumed") is not None
        )
        out.append(
            {
                "target": t,
                "status": "met" if mine[1] >= 0.95 else "not met",
                "measured": f"{mine[0]} {mine[1] * 100:.0f} %"
                + (f" (peers: {peers})" if peers else ""),
            }
        )
    return out


def evaluate(summary: dict[str, Any], meta: dict[str, Any]) -> list[dict[str, Any]]:
    s = summary
    out = [
        _ratio(
            "case 1 c100: per-request >= 1.25x fastest peer",
            _best(s, "1-c100", ASIOFETCH_GET, "rps"),
            _best(s, "1-c100", PEERS, "rps"),
            1.25,
        ),
        _ratio(
            "case 1 c100: per-request >= 4x aiohttp",
            _best(s, "1-c100", ASIOFETCH_GET, "rps"),
            _best(s, "1-c100", ["aiohttp", "aiohttp-uvloop"], "rps"),
            4.0,
        ),
        _ratio(
            "case 1 c100: native batch >= 60 % of wrk",
            _best(s, "1-c100", ASIOFETCH_BATCH, "rps"),
            _best(s, "1-c100", ["wrk"], "rps"),
            0.60,
            "%",
        ),
        _ratio(
            "case 2: >= 80 % of wrk MB/s (read whole)",
            _best(s, "2-1mib-read", ASIOFETCH, "mbps"),
            _best(s, "2-1mib-read", ["wrk"], "mbps"),
            0.80,
            "%",
        ),
        _ratio(
            "case 3: >= 1.25x fastest HTTP/2 peer",
            _best(s, "3-h2c", ASIOFETCH, "rps"),
            _best(s, "3-h2c", H2_PEERS, "rps"),
            1.25,
        ),
        _ratio(
            "case 3: >= 50 % of h2load",
            _best(s, "3-h2c", ASIOFETCH, "rps"),
            _best(s, "3-h2c", ["h2load"], "rps"),
            0.50,
            "%",
        ),
    ]
    # Case 4: overhead (wall / ideal) <= 1.10 at concurrency 1,000.
    c4 = "4-delay-c1000" if meta["mode"] == "full" else None  # quick runs c100 / c1000
    best = _best(s, c4, ASIOFETCH, "overhead", lowest=True) if c4 else None
    t4 = "case 4: overhead <= 1.10 at concurrency 1,000"
    if best is None:
        out.append({"target": t4, "measured": "missing data", "status": "n/a"})
    else:
        stub = "stub" in str(meta.get("fixture", ""))
        out.append(
            {
                "target": t4,
                "measured": f"{best[1]:.3f} ({best[0]})"
                + (" against the Python stub fixture" if stub else ""),
                "status": "n/a (stub server)"
                if stub
                else ("met" if best[1] <= 1.10 else "not met"),
            }
        )
    # Case 5: RSS at 10,000 in flight <= half of aiohttp's; soak growth within 10 %.
    inflight = _best(s, "5-inflight-10000", ASIOFETCH, "rss_peak_kb", lowest=True)
    aio = _best(s, "5-inflight-10000", ["aiohttp", "aiohttp-uvloop"], "rss_peak_kb", lowest=True)
    t5 = "case 5: RSS at 10,000 in flight <= 50 % of aiohttp's"
    if inflight and aio:
        r = inflight[1] / aio[1]
        out.append(
            {
                "target": t5,
                "ratio": r,
                "status": "met" if r <= 0.5 else "not met",
                "measured": f"{r * 100:.0f} % ({inflight[0]} {inflight[1] / 1024:.0f} MiB"
                f" / {aio[0]} {aio[1] / 1024:.0f} MiB)",
            }
        )
    else:
        out.append({"target": t5, "measured": "missing data", "status": "n/a"})
    soak = s.get("5-soak", {})
    t5b = "case 5: RSS after 1,000,000 requests within 10 % of after 10,000"
    growth = [
        (c, soak[c]["rss_growth"])
        for c in ASIOFETCH
        if c in soak and soak[c].get("rss_growth") is not None
    ]
    if growth and meta["mode"] == "full":
        worst = max(growth, key=lambda cv: cv[1])
        out.append(
            {
                "target": t5b,
                "status": "met" if worst[1] <= 0.10 else "not met",
                "measured": f"{worst[1] * 100:+.1f} % (worst: {worst[0]})",
            }
        )
    else:
        out.append(
            {
                "target": t5b,
                "status": "n/a",
                "measured": "quick mode (too few requests)" if growth else "missing data",
            }
        )
    out += _https_targets(s)
    # Lowest CPU-seconds per 1,000 requests of all clients in cases 1-3 and 7.
    cpu_runs = ("1-c1", "1-c10", "1-c100", "1-c1000", "2-1mib-read", "2-1mib-stream", "3-h2c")
    for run_id in (*cpu_runs, "7-tls-c100", "7-tls-rsa-c100", "7-tls-h2", "7-tls-new-c20"):
        if run_id not in s:
            continue
        mine = _best(s, run_id, ASIOFETCH, "cpu_per_1k", lowest=True)
        peer = _best(s, run_id, PEERS, "cpu_per_1k", lowest=True)
        t = f"{run_id}: lowest CPU-s per 1k requests"
        if mine is None or peer is None:
            out.append({"target": t, "measured": "missing data", "status": "n/a"})
        else:
            out.append(
                {
                    "target": t,
                    "status": "met" if mine[1] <= peer[1] else "not met",
                    "measured": f"{mine[0]} {mine[1]:.3f} vs {peer[0]} {peer[1]:.3f}",
                }
            )
    return out
