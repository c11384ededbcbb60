"""The bulk-fetch job: a lazy reader into `session.as_completed`, rows out, progress, summary.

Memory stays flat: the reader is a generator, as_completed keeps at most 2 x concurrency
requests between reading and yielding, rows leave in batches and latencies go to a bounded
histogram. SIGINT and SIGTERM cancel the job task; the rows already finished are written
whole before it returns (exit 130 or 143), so `--resume` continues from them.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from .. import ClientSession, ClientTimeout, DummyCookieJar, RateLimit, Retry, TCPConnector
from .inputs import InputCounts, Item
from .outputs import BodyPolicy, Writer, make_row
from .progress import Progress, Stats, summary

FLUSH_ROWS = 256  # rows per write (small: RSS stays flat); also flushed every FLUSH_SECONDS
FLUSH_SECONDS = 0.5
EXIT_FAILED = 1
EXIT_SIGINT = 130
EXIT_SIGTERM = 143


@dataclass
class JobConfig:
    concurrency: int = 100
    per_host: int = 0
    rate_limit: float | None = None
    retries: int = 0
    backoff: float = 0.2
    connect_timeout: float | None = 10.0
    timeout: float | None = 30.0
    http2: bool = False
    headers: list[tuple[str, str]] = field(default_factory=list)
    proxy: str | None = None
    fail_fast: bool = False
    body_inline_max: int = 65536
    fields: tuple[str, ...] | None = None  # the output's columns (None: all)


def make_session(cfg: JobConfig) -> ClientSession:
    retry = Retry(attempts=cfg.retries + 1, backoff=cfg.backoff) if cfg.retries else None
    rate = RateLimit(cfg.rate_limit) if cfg.rate_limit else None
    return ClientSession(
        connector=TCPConnector(limit=cfg.concurrency, limit_per_host=cfg.per_host),
        timeout=ClientTimeout(total=cfg.timeout, connect=cfg.connect_timeout),
        headers=cfg.headers or None,
        proxy=cfg.proxy,
        http2=cfg.http2,
        retry=retry,
        rate_limit=rate,
        cookie_jar=DummyCookieJar(),  # a crawl's cookies would leak between unrelated rows
    )


@dataclass
class JobResult:
    stats: Stats
    interrupted: int = 0  # the signal that stopped the job, 0 if none
    stopped_by: str | None = None  # the key --fail-fast stopped at
    fatal: str | None = None  # an error that ended the whole batch (rows so far are kept)

    @property
    def exit_code(self) -> int:
        if self.interrupted == signal.SIGINT:
            return EXIT_SIGINT
        if self.interrupted:
            return EXIT_SIGTERM
        return EXIT_FAILED if self.stopped_by is not None or self.fatal is not None else 0


def _failed(row: dict[str, Any]) -> bool:
    return row["error_type"] is not None or (row["status"] or 0) >= 400


async def _run(
    items: Iterator[Item],
    cfg: JobConfig,
    writer: Writer,
    bodies: BodyPolicy,
    counts: InputCounts,
    progress: Progress,
    result: JobResult,
) -> None:
    stats = result.stats
    meta: dict[int, Item] = {}
    next_index = 0

    def items_gen() -> Iterator[Any]:
        nonlocal next_index
        for item in items:
            meta[next_index] = item
            next_index += 1
            yield item.request

    last_flush = time.monotonic()

    def done_count() -> int:
        return stats.rows + counts.skipped + counts.bad + counts.blank

    async def tick() -> None:
        # Progress and flushes also while nothing finishes (a slow host, a stalled input).
        nonlocal last_flush
        while True:
            await asyncio.sleep(0.125 if progress.mode == "bar" else min(progress.interval, 0.5))
            now = time.monotonic()
            if writer.pending and now - last_flush >= FLUSH_SECONDS:
                writer.flush()
                last_flush = now
            progress.update(done_count(), stats.failed, stats.rows)

    ticker = asyncio.get_running_loop().create_task(tick())
    try:
        await _consume(cfg, items_gen(), meta, writer, bodies, stats, result)
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker


async def _consume(
    cfg: JobConfig,
    requests: Iterator[Any],
    meta: dict[int, Item],
    writer: Writer,
    bodies: BodyPolicy,
    stats: Stats,
    result: JobResult,
) -> None:
    headers = cfg.fields is None or "headers" in cfg.fields
    async with make_session(cfg) as session:
        it = session.as_completed(requests, concurrency=cfg.concurrency)
        try:
            async for done in it:
                item = meta.pop(done.index)
                body = b"" if done.response is None else await done.response.read()
                row = make_row(item, done, body, bodies, headers)
                writer.add(row)
                stats.add(row)
                if cfg.fail_fast and _failed(row):
                    result.stopped_by = item.key
                    break
                if writer.pending >= FLUSH_ROWS:
                    writer.flush()
        finally:
            await it.aclose()  # type: ignore[attr-defined]  # stops the rest natively


def run_job(
    items: Iterator[Item],
    cfg: JobConfig,
    writer: Writer,
    bodies: BodyPolicy,
    counts: InputCounts,
    *,
    total: int | None,
    progress_mode: str,
    progress_interval: float,
    output_name: str,
    stderr: TextIO = sys.stderr,
) -> JobResult:
    result = JobResult(Stats())
    progress = Progress(stderr, total, progress_mode, progress_interval)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def stop(signum: int) -> None:
            if not result.interrupted:
                result.interrupted = signum
                task.cancel()

        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop, sig)
        try:
            await _run(items, cfg, writer, bodies, counts, progress, result)
        except asyncio.CancelledError:
            if not result.interrupted:
                raise
        except Exception as e:  # e.g. a URL the engine refuses ends the native batch
            result.fatal = f"{type(e).__name__}: {e}"
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.remove_signal_handler(sig)

    try:
        asyncio.run(main())
    finally:
        writer.close()  # the rows finished so far, whole, then fsync
        stats = result.stats
        progress.update(
            stats.rows + counts.skipped + counts.bad + counts.blank,
            stats.failed,
            stats.rows,
            force=True,
        )
        progress.close()
    summary(
        result.stats,
        skipped=counts.skipped,
        bad=counts.bad,
        output=output_name,
        interrupted=bool(result.interrupted),
        stopped_by=result.stopped_by,
        fatal=result.fatal,
        stream=stderr,
    )
    return result
