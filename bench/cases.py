"""The benchmark cases (issue 5) and the clients, as data: what each run asks of a runner.

A `Run` is one row of the results: a case at one setting (e.g. case 1 at concurrency 100).
Its `spec` is handed to every client's runner as JSON, after the harness fills in URLs.
Sizes have a full and a quick (CI) value; quick numbers mean nothing, they keep the
harness from rotting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# client name -> (runner module in bench/clients, extra spec)
CLIENTS: dict[str, tuple[str, dict[str, Any]]] = {
    "asiofetch": ("asiofetch", {"mode": "get"}),
    "asiofetch-uvloop": ("asiofetch", {"mode": "get", "loop": "uvloop"}),
    "asiofetch-batch": ("asiofetch", {"mode": "batch"}),
    "asiofetch-batch-uvloop": ("asiofetch", {"mode": "batch", "loop": "uvloop"}),
    "aiohttp": ("aiohttp", {}),
    "aiohttp-uvloop": ("aiohttp", {"loop": "uvloop"}),
    "httpx": ("httpx", {}),
    "curl_cffi": ("curl_cffi", {}),
    "pyreqwest": ("pyreqwest", {}),
    "wreq": ("wreq", {}),
}
ASIOFETCH = [c for c in CLIENTS if c.startswith("asiofetch")]
ASIOFETCH_GET = ["asiofetch", "asiofetch-uvloop"]
ASIOFETCH_BATCH = ["asiofetch-batch", "asiofetch-batch-uvloop"]
PEERS = [c for c in CLIENTS if not c.startswith("asiofetch")]
QUICK_CLIENTS = ["asiofetch", "asiofetch-batch", "aiohttp"]
RETRY = {"attempts": 5, "backoff": 0.01}
DELAY_S = 0.05


@dataclass
class Run:
    case: str  # "1".."6"
    run_id: str  # unique, e.g. "1-c100"
    label: str
    spec: dict[str, Any]  # URLs are given as ("nginx"|"nginx-h2"|"fixture", path)
    metric: str = (
        "rps"  # primary figure: rps | mbps | overhead | rss_peak_kb | rss_growth | success
    )
    clients: list[str] = field(default_factory=lambda: list(CLIENTS))
    ceiling: dict[str, Any] | None = None  # {"tool": "wrk"|"h2load", ...}
    max_rounds: int = 0  # 0 = as many as asked
    setting: float = 0  # x-axis value for charts (concurrency, in-flight)


def flaky_url(fl: dict[str, Any], i: int) -> str:
    """Request i of the flaky case. Deterministic 5 % resets and 10 % 503s: each failing URL
    has its own key and fails exactly once, so one retry fixes it and every client sees the
    same faults. The fixture counts attempts per key (/counter), which is how the harness
    sees retries a client makes internally (aiohttp silently re-sends an idempotent request
    once when a pooled connection dies)."""
    base, key = fl["base"], f"{fl['prefix']}-{i}"
    if i % int(fl["reset_every"]) == 0:
        return f"{base}/flaky?key={key}&fail=1&mode=reset"
    fail_every = int(fl["fail_every"])
    if i % fail_every == fail_every // 2:
        return f"{base}/flaky?key={key}&fail=1&status=503&mode=status"
    return f"{base}{fl['ok_path']}"


def flaky_keys(fl: dict[str, Any], n: int) -> list[str]:
    return [f"{fl['prefix']}-{i}" for i in range(n) if "key=" in flaky_url(fl, i)]


def build(quick: bool, scale: float = 1.0) -> list[Run]:
    """All runs; `scale` multiplies request counts (not concurrency or in-flight levels)."""

    def q(full: int, small: int) -> int:
        return small if quick else full

    def sized(n: int, floor: int) -> int:
        return max(floor, round(n * scale))

    runs: list[Run] = []
    for c in (1, 10, 100, 1000):
        n = sized(q({1: 10_000, 10: 20_000, 100: 50_000, 1000: 50_000}[c], 300), 2 * c)
        runs.append(
            Run(
                "1",
                f"1-c{c}",
                f"100 B keep-alive HTTP/1.1, concurrency {c}",
                {
                    "url": ("nginx", "/100b"),
                    "n": n,
                    "warmup": q(max(1000, 2 * c), max(50, c)),
                    "concurrency": c,
                    "expect_bytes": 100,
                },
                ceiling={"tool": "wrk", "connections": c, "path": "/100b", "body": 100},
                setting=c,
            )
        )
    for body in ("read", "stream"):
        runs.append(
            Run(
                "2",
                f"2-1mib-{body}",
                f"1 MiB body, concurrency 10, {body}"
                + (" in 64 KiB chunks" if body == "stream" else " whole"),
                {
                    "url": ("nginx", "/1m"),
                    "n": sized(q(2000, 40), 20),
                    "warmup": q(100, 10),
                    "concurrency": 10,
                    "expect_bytes": 1 << 20,
                    "body": body,
                    "chunk": 65536,
                },
                metric="mbps",
                ceiling={"tool": "wrk", "connections": 10, "path": "/1m", "body": 1 << 20},
            )
        )
    runs.append(
        Run(
            "3",
            "3-h2c",
            "h2c 1 KiB, one connection, 100 streams",
            {
                "url": ("nginx-h2", "/1k"),
                "n": sized(q(50_000, 500), 200),
                "warmup": q(1000, 100),
                "concurrency": 100,
                "http2": True,
                "expect_bytes": 1024,
            },
            ceiling={
                "tool": "h2load",
                "connections": 1,
                "streams": 100,
                "path": "/1k",
                "body": 1024,
            },
        )
    )
    for c in q(1000, 100), q(10_000, 1000):
        n = sized(q(10_000, 1000), c)
        runs.append(
            Run(
                "4",
                f"4-delay-c{c}",
                f"50 ms delay, {n} requests at concurrency {c}",
                {
                    "url": ("fixture", "/delay/50"),
                    "n": n,
                    "warmup": c,
                    "concurrency": c,
                    "ideal_s": -(-n // c) * DELAY_S,
                },
                metric="overhead",
                setting=c,
            )
        )
    hold = q(2000, 500)
    for level in (100, 1000, 10_000) if not quick else (100, 1000):
        runs.append(
            Run(
                "5",
                f"5-inflight-{level}",
                f"RSS with {level} requests in flight",
                {
                    "kind": "inflight",
                    "url": ("fixture", f"/delay/{hold}"),
                    "n": level,
                    "concurrency": level,
                    "warmup": 10,
                    "warmup_url": ("fixture", "/bytes/100"),
                },
                metric="rss_peak_kb",
                setting=level,
                max_rounds=1 if quick else 0,
            )
        )

    # Case 7: HTTPS, TLS 1.3. Keep-alive HTTP/1.1 with either certificate type, HTTP/2 over
    # ALPN, and a new connection per request (the server closes after each response, so every
    # client reconnects; nginx logs whether each handshake resumed a session).
    def tls_run(
        run_id: str, label: str, listener: str, body: int, n: int, warmup: int, conc: int
    ) -> Run:
        h2 = listener == "tls-h2"
        path = "/1k" if body == 1024 else "/100b"
        ceiling: dict[str, Any] = {
            "tool": "h2load" if h2 else "wrk",
            "listener": listener,
            "connections": 1 if h2 else conc,
            "path": path,
            "body": body,
        }
        if h2:
            ceiling["streams"] = conc
        spec: dict[str, Any] = {
            "url": (f"nginx-{listener}", path),
            "ca_file": ("nginx-ca", ""),
            "n": n,
            "warmup": warmup,
            "concurrency": conc,
            "expect_bytes": body,
            **({"http2": True} if h2 else {}),
        }
        return Run("7", run_id, label, spec, ceiling=ceiling)

    big, new_conn = sized(q(30_000, 300), 200), sized(q(3000, 60), 40)
    runs += [
        tls_run("7-tls-c100", "HTTPS/1.1 keep-alive, ECDSA P-256, 100 B, concurrency 100",
                "tls", 100, big, q(1000, 100), 100),
        tls_run("7-tls-rsa-c100", "HTTPS/1.1 keep-alive, RSA-2048, 100 B, concurrency 100",
                "tls-rsa", 100, big, q(1000, 100), 100),
        tls_run("7-tls-h2", "HTTP/2 over TLS (ALPN), 1 KiB, 100 requests in flight",
                "tls-h2", 1024, big, q(1000, 100), 100),
        tls_run("7-tls-new-c20", "HTTPS, a new TLS connection per request, 100 B, concurrency 20",
                "tls-new", 100, new_conn, q(100, 20), 20),
    ]  # fmt: skip
    soak_n = sized(q(1_000_000, 5000), 2000)
    runs.append(
        Run(
            "5",
            "5-soak",
            f"RSS before/after {soak_n:,} requests in one process",
            {
                "kind": "soak",
                "url": ("nginx", "/100b"),
                "n": soak_n,
                "soak_chunk": q(10_000, 1000),
                "concurrency": 100,
                "warmup": 1000,
                "expect_bytes": 100,
            },
            metric="rss_growth",
            clients=[*ASIOFETCH_GET[:1], *ASIOFETCH_BATCH[:1], "aiohttp"],
            max_rounds=1,
        )
    )
    runs.append(
        Run(
            "6",
            "6-flaky",
            "flaky server (10 % 503, 5 % reset), retry up to 5 attempts",
            {
                "kind": "load",
                "url": ("fixture", "/bytes/100"),
                "n": sized(q(10_000, 500), 200),
                "concurrency": 100,
                "warmup": 100,
                "retry": RETRY,
                "flaky": {
                    "base": ("fixture", ""),
                    "reset_every": 20,
                    "fail_every": 10,
                    "ok_path": "/bytes/100",
                },
            },
            metric="success",
            clients=["asiofetch", "asiofetch-batch", "aiohttp"],
        )
    )
    return runs
