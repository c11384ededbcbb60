"""A/B of the libcurl under asiofetch: run once with a venv holding the wheel (bundled static
libcurl + OpenSSL) and once with the development venv (Debian's libcurl), same fixture
servers. Prints, per case, requests/s and the process CPU time per request (user+sys, which
the shared machine's load disturbs less than wall time). Not a test: figures only.

    python tests_wheel/ab_libcurl.py --rounds 3 [--server nginx|fixture]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import ssl
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests_py"))
import asiofetch
from asiofetch import _core
from servers import Nginx, make_test_certs


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def run_case(url: str, n: int, concurrency: int, **session_kw: Any) -> tuple[float, float]:
    connector = session_kw.pop("connector", None)
    async with asiofetch.ClientSession(connector=connector, **session_kw) as s:
        sem = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with sem:
                r = await s.get(url)
                await r.read()
                assert r.status == 200

        await asyncio.gather(*(one() for _ in range(min(n // 10, 200))))  # warm-up
        c0, t0 = cpu(), time.perf_counter()
        await asyncio.gather(*(one() for _ in range(n)))
        return n / (time.perf_counter() - t0), (cpu() - c0) / n * 1e6


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        certs = make_test_certs(Path(tmp))
        os.environ["SSL_CERT_FILE"] = str(certs.ca_cert)  # before the first request
        nginx = Nginx(certs).start()
        try:
            ctx = ssl.create_default_context(cafile=str(certs.ca_cert))
            cases = {
                "http-c100": (f"{nginx.http_url}/small.txt", 20_000, 100, {}),
                "https-keepalive-c10": (f"{nginx.https_url}/small.txt", 10_000, 10, {}),
                "https-newconn-c10": (
                    f"{nginx.https_url}/small.txt",
                    2_000,
                    10,
                    {"connector": asiofetch.TCPConnector(force_close=True, ssl=ctx)},
                ),
            }
            out: dict[str, Any] = {"curl": _core.curl_version(), "file": asiofetch.__file__}
            for name, (url, n, c, kw) in cases.items():
                rounds = []
                for _ in range(args.rounds):
                    if "connector" in kw:
                        kw = {"connector": asiofetch.TCPConnector(force_close=True, ssl=ctx)}
                    rounds.append(await run_case(url, n, c, **kw))
                rps = sorted(r[0] for r in rounds)[len(rounds) // 2]
                us = sorted(r[1] for r in rounds)[len(rounds) // 2]
                out[name] = {"req_per_s": round(rps), "cpu_us_per_req": round(us, 1)}
        finally:
            nginx.stop()
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    asyncio.run(main())
