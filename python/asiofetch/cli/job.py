"""The bulk-fetch job: a lazy reader into a native streaming batch, rows out, progress, summary.

Memory stays flat: the reader is a generator, the batch keeps at most 2 x concurrency
requests between reading and handing over, rows leave in batches and latencies go to a
bounded histogram. Outcomes arrive a chunk at a time, and the JSONL rows of responses
are encoded natively per chunk (`_core.RowEncoder`): per-row Python is what kept the job
at 59 % of the bare batch's throughput. SIGINT and SIGTERM cancel the job task; the rows
already finished are written whole before it returns (exit 130 or 143), so `--resume`
continues from them.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from .. import (
    ClientSession,
    ClientTimeout,
    Completed,
    DummyCookieJar,
    RateLimit,
    Retry,
    TCPConnector,
    _core,
)
from .inputs import InputCounts, Item
from .outputs import BodyPolicy, JsonlWriter, Writer, make_row
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
    follow_redirects: bool = True
    max_redirects: int = 10  # aiohttp's default and counting: the 10th redirect is an error
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
        result.stopped_by = await fetch_rows(cfg, items_gen(), meta.pop, writer, bodies, stats)
    finally:
        ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await ticker


def _method(item: Item) -> str:
    req = item.request
    return "GET" if isinstance(req, str) else req.method


async def fetch_rows(
    cfg: JobConfig,
    requests: Iterable[Any],
    take_item: Callable[[int], Item],
    writer: Writer,
    bodies: BodyPolicy,
    stats: Stats,
    flush_rows: int = FLUSH_ROWS,
) -> str | None:
    """Fetches `requests` on a session of its own and writes one row per outcome.

    `take_item(position)` is the Item of the request at that input position. Outcomes come a
    chunk at a time (whatever finished since the last one); JSONL rows of responses are built
    natively in one call per chunk (RowEncoder: the bytes orjson gives make_row's dict), the
    rest (errors, redirected responses, bodies for --bodies-dir, Parquet) by make_row.
    Returns the key --fail-fast stopped at, None when every request got its row.
    """
    headers = cfg.fields is None or "headers" in cfg.fields
    fail_fast = cfg.fail_fast
    async with make_session(cfg) as session:
        stream = session._completed_chunks(
            requests,
            concurrency=cfg.concurrency,
            allow_redirects=cfg.follow_redirects,
            max_redirects=cfg.max_redirects,
        )
        jsonl = writer if isinstance(writer, JsonlWriter) else None
        encoder = jsonl.row_encoder(bodies) if jsonl is not None and stream.raw_is_final else None
        raw_type = _core.RawResponse
        try:
            async for chunk in stream:
                stream.release(len(chunk))
                items = [take_item(e[0]) for e in chunk]
                if encoder is not None:
                    encoded = encoder.encode(
                        [
                            (it.key, it.line, _method(it), it.url, e[2])
                            if type(e[2]) is raw_type
                            else None
                            for it, e in zip(items, chunk, strict=True)
                        ]
                    )
                else:
                    encoded = [None] * len(chunk)
                native = 0
                for it, (pos, key, value, sent), data in zip(items, chunk, encoded, strict=True):
                    if data is not None:
                        assert jsonl is not None
                        jsonl.add_encoded(data)
                        native += 1
                        failed = fail_fast and value.status >= 400
                    else:
                        out = stream.wrap(value, sent)
                        done = (
                            Completed(pos, key, None, out)
                            if isinstance(out, BaseException)
                            else Completed(pos, key, out, None)
                        )
                        body = b"" if done.response is None else await done.response.read()
                        row = make_row(it, done, body, bodies, headers)
                        writer.add(row)
                        stats.add(row)
                        failed = fail_fast and _failed(row)
                    if failed:
                        stats.rows += native
                        return it.key
                stats.rows += native
                if writer.pending >= flush_rows:
                    writer.flush()
        finally:
            await stream.aclose()  # stops the rest natively
            if encoder is not None:
                _, nbytes, by_class, latency = encoder.take_stats()
                stats.merge(0, nbytes, by_class, {}, latency)
    return None


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
