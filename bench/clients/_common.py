"""Shared driver for the client runners: one JSON spec in (argv[1]), one JSON result out (stdout).

Each runner (`bench/clients/<name>.py`) only adapts one library to `Adapter`; everything that
must be identical across clients -- the concurrency scheme, warm-up, response checks, timing,
CPU and RSS accounting -- lives here so no client gets a different yardstick.

Exit codes: 0 measured (see "ok"), 3 skipped (library not installed), 4 failed (setup error).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import os
import resource
import sys
import time
import traceback
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from importlib.metadata import version
from typing import Any, NoReturn

from bench.cases import flaky_url

Spec = dict[str, Any]
# (status, body bytes, attempts) for one request; attempts is 1 unless the client retried.
Result = tuple[int, int, int]
# A native batch's item: (status, body bytes) read inside the measured window, as a user
# reads them, and a handle the adapter turns into (attempts, latency in seconds) after the
# window (`Adapter.batch_details`; latency negative when the library does not expose it).
BatchItem = tuple[int, int, Any]
# What a driver keeps per request inside the window: the result (or its exception), the
# latency (per-request: timed around the call; batch: -1.0, the handle gives it later), the
# check's verdict, and the batch handle (None per request).
Record = tuple[Result | BaseException, float, bool, Any]

EXIT_SKIPPED = 3
EXIT_FAILED = 4
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


class Unsupported(Exception):
    """The library cannot do what the case asks (e.g. no HTTP/2): reported as n/a."""


class Adapter:
    """One library, one session. Subclasses override what they support."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.limit = int(spec["concurrency"])
        self.http2 = bool(spec.get("http2", False))
        self.stream = spec.get("body", "read") == "stream"
        self.chunk = int(spec.get("chunk", 65536))
        self.retry: dict[str, Any] | None = spec.get("retry")
        # The private CA of the HTTPS cases: each runner trusts it through its library's own
        # option (verification stays on, as users run it).
        self.ca_file: str | None = spec.get("ca_file")

    async def open(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError

    async def fetch(self, url: str) -> Result:
        """GET url, read (or stream) the whole body; retry only when self.retry is set."""
        raise NotImplementedError

    async def batch(self, urls: Sequence[str]) -> list[BatchItem | BaseException]:
        raise Unsupported("no native batch")

    def batch_details(self, handle: Any) -> tuple[int, float]:
        """(attempts, latency s) of a batch item, asked after the measured window."""
        return 1, -1.0


def emit(result: dict[str, Any], code: int = 0) -> NoReturn:
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    os._exit(code)  # skip interpreter teardown: some engines keep threads alive


def skip(exc: BaseException) -> NoReturn:
    emit({"status": "skipped", "error": f"{type(exc).__name__}: {exc}"}, EXIT_SKIPPED)


def rss_kb() -> int:
    """Current resident set size (not the peak) from /proc/self/statm."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE_KB


def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def percentile(sorted_vals: Sequence[float], q: float) -> float:
    if not sorted_vals:
        return float("nan")
    k = min(len(sorted_vals) - 1, max(0, round(q * (len(sorted_vals) - 1))))
    return sorted_vals[k]


class Tally:
    """Counts and checks every response; records per-request latency."""

    def __init__(self, spec: Spec, keep_latency: bool = True) -> None:
        self.expect_status = int(spec.get("expect_status", 200))
        eb = spec.get("expect_bytes")
        self.expect_bytes: int | None = None if eb is None else int(eb)
        self.good = 0
        self.bad = 0
        self.bytes = 0
        self.attempts = 0
        self.errors: Counter[str] = Counter()
        self.samples: list[str] = []
        self.lat = array("d") if keep_latency else None

    def check(self, status: int, nbytes: int) -> bool:
        """The check a user makes on each response (run inside the measured window)."""
        return status == self.expect_status and (
            self.expect_bytes is None or nbytes == self.expect_bytes
        )

    def add_records(self, records: Sequence[Record], adapter: Adapter) -> None:
        """Bookkeeping after the window: latency of batch items, counts, failure kinds."""
        for res, latency, ok, handle in records:
            if handle is not None and not isinstance(res, BaseException):
                attempts, latency = adapter.batch_details(handle)
                res = (res[0], res[1], attempts)
            self.add(res, latency, ok)

    def add(self, res: Result | BaseException, latency: float, ok: bool | None = None) -> None:
        if isinstance(res, BaseException):
            self._fail(f"{type(res).__name__}: {res}"[:300], type(res).__name__)
            return
        status, nbytes, attempts = res
        self.attempts += attempts
        self.bytes += nbytes
        if ok is None:
            ok = self.check(status, nbytes)
        if ok:
            self.good += 1
            if self.lat is not None and latency >= 0:
                self.lat.append(latency)
        elif status != self.expect_status:
            self._fail(f"status {status}", f"status_{status}")
        elif self.expect_bytes is not None and nbytes != self.expect_bytes:
            self._fail(f"{nbytes} bytes, expected {self.expect_bytes}", "short_body")

    def _fail(self, msg: str, kind: str) -> None:
        self.bad += 1
        self.errors[kind] += 1
        if len(self.samples) < 5:
            self.samples.append(msg)

    def summary(self) -> dict[str, Any]:
        n = self.good + self.bad
        out: dict[str, Any] = {
            "n": n,
            "good": self.good,
            "bad": self.bad,
            "errors": dict(self.errors),
            "error_samples": self.samples,
            "body_bytes": self.bytes,
            "attempts": self.attempts,
            "extra_attempts": max(0, self.attempts - n) if self.attempts else None,
        }
        if self.lat is not None and len(self.lat):
            s = sorted(self.lat)
            out["lat_p50_ms"] = percentile(s, 0.50) * 1e3
            out["lat_p99_ms"] = percentile(s, 0.99) * 1e3
        return out


async def drive(
    adapter: Adapter, urls: Callable[[int], str], n: int, conc: int, tally: Tally, batch: bool
) -> list[Record]:
    """n requests with at most `conc` in flight; returns one Record per request for
    `Tally.add_records`, which the caller runs after the measured window.

    Per-request mode: `conc` coroutines gathered with asyncio.gather, each awaiting one
    request at a time (identical for every client). Batch mode: one native call over the
    whole list; the library enforces `conc`. Either way every response's status and body
    length are read and checked here, inside the window, as a user would; the harness's
    own bookkeeping (a batch item's attempts and latency, the tally) is left to the caller,
    so it is charged to neither path's window."""
    check = tally.check
    if batch:
        items = await adapter.batch([urls(i) for i in range(n)])
        return [
            (it, -1.0, False, None)
            if isinstance(it, BaseException)
            else ((it[0], it[1], 1), -1.0, check(it[0], it[1]), it[2])
            for it in items
        ]
    records: list[Record] = []
    append = records.append
    next_i = 0
    perf = time.perf_counter

    async def worker() -> None:
        nonlocal next_i
        while next_i < n:
            i = next_i
            next_i += 1
            t0 = perf()
            try:
                res: Result = await adapter.fetch(urls(i))
            except Exception as exc:
                append((exc, -1.0, False, None))
                continue
            append((res, perf() - t0, check(res[0], res[1]), None))

    await asyncio.gather(*(worker() for _ in range(min(conc, n))))
    return records


def _url_fn(spec: Spec) -> Callable[[int], str]:
    fl = spec.get("flaky")
    if fl:
        return lambda i: flaky_url(fl, i)
    url = str(spec["url"])
    return lambda _i: url


def _shifted(urls: Callable[[int], str], offset: int) -> Callable[[int], str]:
    return lambda i: urls(offset + i)


class Meter:
    """CPU (all threads, RUSAGE_SELF) and wall time over the measured window only."""

    def __enter__(self) -> Meter:
        self.r0 = resource.getrusage(resource.RUSAGE_SELF)
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.t0
        r1 = resource.getrusage(resource.RUSAGE_SELF)
        self.user = r1.ru_utime - self.r0.ru_utime
        self.sys = r1.ru_stime - self.r0.ru_stime


async def _sampler(samples: list[tuple[float, int]], stop: asyncio.Event, every: float) -> None:
    t0 = time.perf_counter()
    while not stop.is_set():
        samples.append((time.perf_counter() - t0, rss_kb()))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


async def _measure(spec: Spec, adapter: Adapter) -> dict[str, Any]:
    kind = spec.get("kind", "load")
    batch = spec.get("mode", "get") == "batch"
    conc = int(spec["concurrency"])
    n = int(spec["n"])
    out: dict[str, Any] = {}
    warm_url = str(spec.get("warmup_url") or spec.get("url"))
    warm = Tally({**spec, "url": warm_url}, keep_latency=False)
    if int(spec.get("warmup", 0)) > 0:
        warm_n = int(spec["warmup"])
        warm_records = await drive(adapter, lambda _i: warm_url, warm_n, conc, warm, batch)
        warm.add_records(warm_records, adapter)
        out["warmup_bad"] = warm.bad
    gc.collect()
    urls = _url_fn(spec)

    if kind == "inflight":
        # n slow requests all in flight at once; RSS sampled while they wait on the server.
        base = rss_kb()
        samples: list[tuple[float, int]] = []
        stop = asyncio.Event()
        tally = Tally(spec, keep_latency=False)
        sampler = asyncio.ensure_future(_sampler(samples, stop, float(spec.get("every", 0.02))))
        with Meter() as m:
            records = await drive(adapter, urls, n, n, tally, batch)
        stop.set()
        tally.add_records(records, adapter)
        await sampler
        peak = max((s[1] for s in samples), default=base)
        out.update(
            rss_base_kb=base,
            rss_peak_kb=peak,
            rss_delta_kb=peak - base,
            rss_samples=samples[:: max(1, len(samples) // 200)],
        )
    elif kind == "soak":
        # n requests in chunks; current RSS after each chunk (a leak shows as a slope).
        chunk = int(spec.get("soak_chunk", 10000))
        tally = Tally(spec, keep_latency=False)
        series: list[tuple[int, int]] = [(0, rss_kb())]
        with Meter() as m:
            done = 0
            while done < n:
                k = min(chunk, n - done)
                # Tallied per chunk inside the window (records of a million requests
                # would grow the RSS this case measures), the same for both paths.
                chunk_records = await drive(adapter, _shifted(urls, done), k, conc, tally, batch)
                tally.add_records(chunk_records, adapter)
                del chunk_records
                done += k
                series.append((done, rss_kb()))
        first = series[1][1] if len(series) > 1 else series[0][1]
        out.update(
            rss_after_first_kb=first,
            rss_end_kb=series[-1][1],
            rss_growth=(series[-1][1] - first) / first if first else None,
            rss_series=series,
        )
    else:
        tally = Tally(spec, keep_latency=True)
        with Meter() as m:
            records = await drive(adapter, urls, n, conc, tally, batch)
        tally.add_records(records, adapter)
        del records

    out.update(tally.summary())
    done_n = max(1, out["n"])
    out.update(
        wall_s=m.wall,
        rps=out["good"] / m.wall if m.wall > 0 else None,
        mbps=out["body_bytes"] / m.wall / 1e6 if m.wall > 0 else None,
        cpu_user_s=m.user,
        cpu_sys_s=m.sys,
        cpu_per_1k=(m.user + m.sys) * 1000.0 / done_n,
        # Share of the client core busy over the window (all threads; 1.0 = never idle).
        cpu_util=(m.user + m.sys) / m.wall if m.wall > 0 else None,
        maxrss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        rss_end_now_kb=rss_kb(),
    )
    return out


async def _main(spec: Spec, make: Callable[[Spec], Adapter]) -> dict[str, Any]:
    adapter = make(spec)
    try:
        await adapter.open()
    except Unsupported as exc:
        return {"status": "n/a", "error": str(exc)}
    try:
        res = await _measure(spec, adapter)
    except Unsupported as exc:
        return {"status": "n/a", "error": str(exc)}
    finally:
        await adapter.close()
    res["status"] = "ok" if res["bad"] == 0 else "errors"
    return res


def run(make: Callable[[Spec], Adapter], versions: dict[str, str]) -> NoReturn:
    """Entry point of every runner: parse the spec, pick the loop, measure, print JSON."""
    spec: Spec = json.loads(sys.argv[1])
    _raise_nofile()
    versions = dict(versions, python=sys.version.split()[0])
    use_uvloop = spec.get("loop") == "uvloop"
    if use_uvloop:
        try:
            import uvloop
        except ImportError as exc:
            skip(exc)
        versions["uvloop"] = version("uvloop")
    try:
        coro = _main(spec, make)
        res = uvloop.run(coro) if use_uvloop else asyncio.run(coro)
    except Exception as exc:
        emit(
            {
                "status": "failed",
                "error": f"{type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc()[-2000:],
                "versions": versions,
            },
            EXIT_FAILED,
        )
    res["versions"] = versions
    res["pid_affinity"] = sorted(os.sched_getaffinity(0))
    emit(res)
