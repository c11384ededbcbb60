"""Hardware ceilings: wrk (HTTP/1.1) and h2load (h2c) against the same nginx, same pinning.

Both run pinned to the client core with one thread, after a short unrecorded warm-up.
MB/s is body bytes (requests/s x body size), the same yardstick the Python clients use.
"""

from __future__ import annotations

import re
import resource
import shutil
import subprocess
from typing import Any

from bench import pinning

_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def version(tool: str) -> str:
    if not shutil.which(tool):
        return "missing"
    flag = "--version" if tool == "h2load" else "-v"
    out = subprocess.run([tool, flag], capture_output=True, text=True)
    return ((out.stdout or out.stderr).strip().splitlines() or ["?"])[0]


def _run(cmd: list[str], timeout: float) -> tuple[str, float]:
    """Run pinned; returns stdout and the child's CPU seconds (user + sys)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        pinning.client_prefix() + cmd, capture_output=True, text=True, timeout=timeout, check=True
    )
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return out.stdout, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def wrk(url: str, connections: int, seconds: float, body: int, warmup: float) -> dict[str, Any]:
    head = ["wrk", "-t1", f"-c{connections}"]
    if warmup > 0:
        _run([*head, f"-d{max(1, round(warmup))}s", url], warmup + 30)
    text, cpu = _run([*head, f"-d{max(1, round(seconds))}s", "--latency", url], seconds + 30)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", text).group(1))  # type: ignore[union-attr]
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", text, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    sock = re.search(r"Socket errors: (.*)", text)
    bad = int(non2xx.group(1)) if non2xx else 0
    return {
        "status": "ok" if bad == 0 and not sock else "errors",
        "n": total,
        "good": total - bad,
        "bad": bad,
        "errors": {"socket": sock.group(1)} if sock else {},
        "rps": rps,
        "mbps": rps * body / 1e6,
        "lat_p50_ms": _ms(lat.get("50", "")),
        "lat_p99_ms": _ms(lat.get("99", "")),
        "cpu_per_1k": cpu * 1000.0 / max(1, total),
        "raw": text[-1500:],
    }


def h2load(
    url: str, connections: int, streams: int, seconds: float, body: int, warmup: float
) -> dict[str, Any]:
    cmd = [
        "h2load",
        "-t1",
        f"-c{connections}",
        f"-m{streams}",
        f"-D{max(1, round(seconds))}",
        *([f"--warm-up-time={max(1, round(warmup))}"] if warmup > 0 else []),
        url,
    ]
    text, cpu = _run(cmd, seconds + 30)
    fin = re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", text)
    req = re.search(
        r"requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed", text
    )
    if not fin or not req:
        return {"status": "failed", "error": "unparsed h2load output", "raw": text[-1500:]}
    rps, done, ok = float(fin.group(1)), int(req.group(2)), int(req.group(3))
    return {
        "status": "ok" if ok == done and done > 0 else "errors",
        "n": done,
        "good": ok,
        "bad": done - ok,
        "errors": {},
        "rps": rps,
        "mbps": rps * body / 1e6,
        "cpu_per_1k": cpu * 1000.0 / max(1, done),
        "raw": text[-1500:],
    }
