"""Where the memory of N in-flight requests goes (issue 15): one client, N requests, one snapshot.

Runs one client in this process against the fixture server's /delay/MS with N requests in
flight at once (the same shape as case 5: N coroutines each awaiting one get, or one native
batch), waits until they are all out, then prints a JSON breakdown: RSS (anon/file),
glibc's heap in use (mallinfo2), kernel socket memory (/proc/net/sockstat), and with
--tracemalloc the Python allocations by file:line. Run it under heaptrack with
ASIOFETCH_MIMALLOC=0 to see libcurl's blocks too (mimalloc is invisible to heaptrack).

    python -m bench.mem_probe --client asiofetch --n 10000 [--tracemalloc] [--fixture PATH]

Not a benchmark (no pinning, one sample): figures for the notes of a case-5 run.
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import gc
import json
import os
import resource
import sys
import time
import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

from bench.servers import Fixture


def _status() -> dict[str, int]:
    out: dict[str, int] = {}
    with open("/proc/self/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "RssFile", "VmData"):
                out[k + "_kb"] = int(v.split()[0])
    return out


class _Mallinfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena",
            "ordblks",
            "smblks",
            "hblks",
            "hblkhd",
            "usmblks",
            "fsmblks",
            "uordblks",
            "fordblks",
            "keepcost",
        )
    ]


def _mallinfo() -> dict[str, int]:
    libc = ctypes.CDLL(None)
    fn = libc.mallinfo2
    fn.restype = _Mallinfo2
    m = fn()
    # uordblks: bytes in use in the main arena + others; hblkhd: bytes in mmap'd blocks.
    return {"malloc_in_use_kb": (m.uordblks + m.hblkhd) // 1024, "malloc_arena_kb": m.arena // 1024}


def _sockstat() -> dict[str, int]:
    with open("/proc/net/sockstat") as f:
        for line in f:
            if line.startswith("TCP:"):
                parts = line.split()
                d = dict(zip(parts[1::2], parts[2::2], strict=False))
                return {"tcp_inuse": int(d["inuse"]), "tcp_mem_pages": int(d["mem"])}
    return {}


def _snapshot() -> dict[str, int]:
    return {**_status(), **_mallinfo(), **_sockstat()}


async def _run(args: argparse.Namespace, fixture: Fixture) -> dict[str, Any]:
    url = fixture.url(f"/delay/{args.hold}")
    warm = fixture.url("/bytes/100")
    n = args.n
    result: dict[str, Any] = {"client": args.client, "n": n}
    if args.client.startswith("asiofetch"):
        import asiofetch

        session: Any = asiofetch.Session(connector=asiofetch.TCPConnector(limit=n))
        await session.__aenter__()

        async def get(u: str) -> int:
            r = await session.get(u)
            return len(await r.read())

        async def batch(us: list[str]) -> Any:
            return await session.gather(us, concurrency=n, return_exceptions=True)
    else:
        import aiohttp

        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=n))

        async def get(u: str) -> int:
            async with session.get(u) as r:
                return len(await r.read())

        batch = None  # type: ignore[assignment]
    for _ in range(10):
        await get(warm)
    gc.collect()
    if args.tracemalloc:
        tracemalloc.start(args.frames)
    base = _snapshot()
    before_objs = Counter(type(o).__name__ for o in gc.get_objects())
    t0 = time.monotonic()

    async def launch() -> Any:
        if args.client.endswith("-batch"):
            return await batch([url] * n)
        return await asyncio.gather(*(get(url) for _ in range(n)))

    work = asyncio.create_task(launch())
    # All out once the server holds them: wait most of the hold, then look.
    await asyncio.sleep(args.hold / 1000 * 0.6)
    peak = _snapshot()
    after_objs = Counter(type(o).__name__ for o in gc.get_objects())
    result["snapshot_at_s"] = round(time.monotonic() - t0, 3)
    if args.tracemalloc:
        snap = tracemalloc.take_snapshot()
        traced, _ = tracemalloc.get_traced_memory()
        result["tracemalloc_kb"] = traced // 1024
        stats = snap.statistics("lineno")
        result["tracemalloc_top"] = [
            {
                "where": f"{Path(s.traceback[0].filename).name}:{s.traceback[0].lineno}",
                "kb": s.size // 1024,
                "count": s.count,
            }
            for s in stats[: args.top]
        ]
        tracemalloc.stop()
    grown = {k: after_objs[k] - before_objs.get(k, 0) for k in after_objs}
    result["gc_objects_grown"] = dict(
        sorted(((k, v) for k, v in grown.items() if v >= n // 2), key=lambda kv: -kv[1])
    )
    await work
    result["base"] = base
    result["peak"] = peak
    result["per_request_bytes"] = {
        k: round((peak[k] - base[k]) * 1024 / n)
        for k in ("VmRSS_kb", "RssAnon_kb", "malloc_in_use_kb")
    }
    result["tcp_mem_pages_delta"] = peak.get("tcp_mem_pages", 0) - base.get("tcp_mem_pages", 0)
    if args.client.startswith("asiofetch"):
        await session.__aexit__(None, None, None)
    else:
        await session.close()
    return result


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument(
        "--client", default="asiofetch", choices=["asiofetch", "asiofetch-batch", "aiohttp"]
    )
    p.add_argument("--n", type=int, default=10_000)
    p.add_argument("--hold", type=int, default=4000, help="server delay, ms")
    p.add_argument("--tracemalloc", action="store_true")
    p.add_argument("--frames", type=int, default=1)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--fixture", type=Path, default=None)
    args = p.parse_args()
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    fixture = Fixture(args.fixture)
    fixture.start()
    try:
        out = asyncio.run(_run(args, fixture))
    finally:
        fixture.stop()
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")
    os._exit(0)


if __name__ == "__main__":
    main()
