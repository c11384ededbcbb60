"""`asiofetch fetch` against the bare native batch, alternating, with the job's RSS sampled.

    python -m bench.fetch_job --urls 200000 --rounds 3

Both run as child processes over the same URL file on a local nginx (100-byte static file,
unique query per URL), concurrency 100: the batch reads the file lazily into
`session.as_completed` and drops each body; the job writes a JSONL row per URL (bodies
inline), and again with `--fields status,bytes,elapsed,error_type`. Wall time of each child,
and the full job's RSS every 0.25 s from /proc.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests_py"))

from servers import Nginx, make_test_certs

NATIVE = """
import asyncio, sys, asiofetch
async def main(path):
    n = 0
    async with asiofetch.ClientSession(connector=asiofetch.TCPConnector(limit=100)) as s:
        with open(path) as f:
            async for c in s.as_completed((line.strip() for line in f), concurrency=100):
                if c.response is not None:
                    await c.response.read()
                n += 1
    print(n)
asyncio.run(main(sys.argv[1]))
"""


def rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def run(cmd: list[str], sample: bool) -> tuple[float, float, list[tuple[float, int]]]:
    """(wall seconds, CPU seconds of the child, RSS samples)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples: list[tuple[float, int]] = []
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if sample and (r := rss_kib(proc.pid)) is not None:
            samples.append((time.perf_counter() - started, r))
        time.sleep(0.25)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:4]} exited {proc.returncode}")
    return elapsed, usage.ru_utime + usage.ru_stime, samples


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--urls", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        with Nginx(make_test_certs(d / "certs")) as nginx:
            inp = d / "urls.txt"
            with open(inp, "w") as f:
                for i in range(args.urls):
                    f.write(f"{nginx.http_url}/small.txt?i={i}\n")
            out = d / "out.jsonl"
            native_cmd = [sys.executable, "-c", NATIVE, str(inp)]
            job_cmd = [sys.executable, "-m", "asiofetch", "fetch", str(inp), "-o", str(out),
                       "--overwrite", "--progress", "none", "-c", "100"]  # fmt: skip
            print(f"load before: {os.getloadavg()}")
            slim_cmd = [*job_cmd, "--fields", "status,bytes,elapsed,error_type"]
            native, job, slim = [], [], []
            cpu: dict[str, list[float]] = {"native": [], "job": [], "slim": []}
            for r in range(args.rounds):
                t, c, _ = run(native_cmd, False)
                native.append(args.urls / t)
                cpu["native"].append(c / args.urls * 1e6)
                t, c, _ = run(slim_cmd, False)
                slim.append(args.urls / t)
                cpu["slim"].append(c / args.urls * 1e6)
                t, c, samples = run(job_cmd, True)
                job.append(args.urls / t)
                cpu["job"].append(c / args.urls * 1e6)
                rows = out.read_bytes().count(b"\n")
                assert rows == args.urls, rows
                warm = [kib for at, kib in samples if at >= 0.25 * t]
                print(
                    f"round {r + 1}: native {native[-1]:,.0f} req/s, job {job[-1]:,.0f} req/s,"
                    f" job --fields {slim[-1]:,.0f} req/s; client CPU per request:"
                    f" native {cpu['native'][-1]:.1f} us, job {cpu['job'][-1]:.1f} us,"
                    f" --fields {cpu['slim'][-1]:.1f} us;"
                    f" job RSS after warm-up (25% of {t:.1f} s): min {min(warm) / 1024:.1f} MiB"
                    f" max {max(warm) / 1024:.1f} MiB last {warm[-1] / 1024:.1f} MiB"
                    f" (+{100 * (max(warm) / min(warm) - 1):.1f}%);"
                    f" first sample {samples[0][1] / 1024:.1f} MiB"
                )
            print(f"load after: {os.getloadavg()}")
            mn, mj, ms = (statistics.median(x) for x in (native, job, slim))
            print(
                f"median: native {mn:,.0f} req/s, job {mj:,.0f} req/s ({100 * mj / mn:.1f}%),"
                f" job --fields {ms:,.0f} req/s ({100 * ms / mn:.1f}%); CPU us/request: "
                + ", ".join(f"{k} {statistics.median(v):.1f}" for k, v in cpu.items())
            )


if __name__ == "__main__":
    main()
