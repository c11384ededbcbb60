"""asiofetch.dask: one bulk fetch sharded over a `dask.distributed` cluster (extra `dask`).

The requests are cut into partitions (numbered in input order). Each partition is one task:
a worker fetches it on the native batch path with a session of its own and writes its rows to
`OUTPUT/part-NNNNNN.jsonl` (or `.parquet`) atomically: into a temporary file, fsync, rename,
fsync the directory. A partition file is therefore complete or absent. A task whose worker
dies is run again by the scheduler (`retries`); a retry that finds its partition already
written (the worker died after the rename, before reporting) returns its count without
fetching again. So the output directory holds every request exactly once, and running the
same job again on the same directory (`resume`) fetches only the missing partitions.

Limits: `concurrency` is per task. `per_host` and `rate_limit` are totals for the job and are
divided evenly across the cluster's worker threads (the tasks that can run at once), rounded
up for per_host; a cluster that grows during the job exceeds them by that much.
The output directory must be visible to every worker (a local disk for a LocalCluster, a
shared file system otherwise).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import itertools
import json
import math
import os
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import RequestSpec
from .cli.inputs import Item, check_url
from .cli.job import JobConfig, fetch_rows
from .cli.outputs import BodyPolicy, JsonlWriter, ParquetWriter, Writer
from .cli.progress import Stats

__all__ = ("FetchReport", "PartitionResult", "fetch", "fetch_partition")


@dataclass
class PartitionResult:
    part: int
    rows: int
    seconds: float
    by_class: dict[str, int] = field(default_factory=dict)
    by_error: dict[str, int] = field(default_factory=dict)
    latency: dict[int, int] = field(default_factory=dict)  # Stats' histogram buckets
    bytes: int = 0
    reused: bool = False  # the partition file was already there (a retry or a resumed job)


@dataclass
class FetchReport:
    output: str
    partitions: list[PartitionResult]

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.partitions)

    def stats(self) -> Stats:
        """The counts of what this run fetched (partitions found already written are not)."""
        s = Stats()
        for p in self.partitions:
            if p.reused:
                continue
            s.merge(p.rows, p.bytes, p.by_class, p.by_error, p.latency)
        return s


def _module(name: str) -> Any:
    """dask and distributed untyped: their names are Any here, checked by the tests."""
    return importlib.import_module(name)


def _part_name(part: int, fmt: str) -> str:
    return f"part-{part:06d}.{'parquet' if fmt == 'parquet' else 'jsonl'}"


def _count_rows(path: Path, fmt: str) -> int:
    if fmt == "parquet":
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        return int(pq.ParquetFile(path).metadata.num_rows)
    with open(path, "rb") as f:
        return sum(1 for _ in f)


def _as_item(r: Any, line: int) -> Item:
    if isinstance(r, Item):
        return r
    if isinstance(r, RequestSpec):
        url = check_url(str(r.url))
        return Item(line, url if r.key is None else str(r.key), url, r)
    url = check_url(str(r))
    return Item(line, url, url, url)


async def _fetch_into(items: list[Item], cfg: JobConfig, writer: Writer, stats: Stats) -> None:
    bodies = BodyPolicy(cfg.body_inline_max, None)
    await fetch_rows(
        cfg, [i.request for i in items], items.__getitem__, writer, bodies, stats, flush_rows=1000
    )


def fetch_partition(
    part: int, requests: Iterable[Any], output: str, cfg: dict[str, Any], fmt: str = "jsonl"
) -> PartitionResult:
    """Runs on a worker: fetch one partition and write its file atomically (see module doc)."""
    started = time.perf_counter()
    out = Path(output)
    final = out / _part_name(part, fmt)
    if final.exists():
        return PartitionResult(part, _count_rows(final, fmt), 0.0, reused=True)
    job = JobConfig(**cfg)
    items = [_as_item(r, n) for n, r in enumerate(requests, 1)]
    tmp = out / f".{final.name}.{uuid.uuid4().hex}.tmp"
    writer: Writer = (
        ParquetWriter(str(tmp), job.fields)
        if fmt == "parquet"
        else JsonlWriter(str(tmp), False, job.fields)
    )
    stats = Stats()
    try:
        try:
            asyncio.run(_fetch_into(items, job, writer, stats))
        finally:
            writer.close()  # JSONL: flush + fsync; Parquet: the footer
        if fmt == "parquet":
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
        os.replace(tmp, final)
        dir_fd = os.open(out, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # the rename itself survives a crash
        finally:
            os.close(dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    return PartitionResult(
        part,
        stats.rows,
        time.perf_counter() - started,
        dict(stats.by_class),
        dict(stats.by_error),
        dict(stats.histogram()),
        stats.bytes,
    )


def _chunks(requests: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(requests)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def split_limits(cfg: JobConfig, slots: int) -> JobConfig:
    """The job's per-host and rate limits as each of `slots` concurrent tasks gets them."""
    slots = max(1, slots)
    per_host = math.ceil(cfg.per_host / slots) if cfg.per_host else 0
    rate = cfg.rate_limit / slots if cfg.rate_limit else None
    return JobConfig(**{**asdict(cfg), "per_host": per_host, "rate_limit": rate})


def fetch(
    requests: Any,
    output: str | os.PathLike[str],
    *,
    client: Any,
    config: JobConfig | None = None,
    partition_size: int = 10_000,
    fmt: str = "jsonl",
    column: str | None = None,
    retries: int = 5,
    on_partition: Callable[[PartitionResult], None] | None = None,
) -> FetchReport:
    """Fetch `requests` on the cluster of `client` (a distributed.Client) into `output` (a dir).

    `requests`: an iterable of URLs / RequestSpec (read lazily, `partition_size` per task,
    at most two tasks per worker thread submitted ahead), a dask Bag of URLs (its partitions),
    or a dask DataFrame/Series (`column` names the URL column of a DataFrame).
    `retries`: how often the scheduler reruns a partition whose worker died or that raised.
    """
    as_completed = _module("distributed").as_completed
    if fmt not in ("jsonl", "parquet"):
        raise ValueError(f"fmt must be 'jsonl' or 'parquet', got {fmt!r}")
    if isinstance(partition_size, bool) or not isinstance(partition_size, int):
        raise TypeError("partition_size must be an int")
    if partition_size < 1:
        raise ValueError("partition_size must be >= 1")
    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    slots = sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values())
    if slots < 1:
        raise RuntimeError("the cluster has no workers")
    cfg = split_limits(config or JobConfig(), slots)
    cfg_dict = asdict(cfg)
    parts: list[PartitionResult] = []

    def done(result: PartitionResult) -> None:
        parts.append(result)
        if on_partition is not None:
            on_partition(result)

    delayed_parts = _dask_partitions(requests, column)
    if delayed_parts is not None:
        delayed = _module("dask").delayed
        tasks = [
            delayed(fetch_partition, pure=False)(i, p, str(out), cfg_dict, fmt)
            for i, p in enumerate(delayed_parts)
        ]
        futures = client.compute(tasks, retries=retries)
        for fut in as_completed(futures):
            done(fut.result())
    else:
        ahead = 2 * slots
        pending = as_completed()
        chunks = enumerate(_chunks(requests, partition_size))
        for i, chunk in itertools.islice(chunks, ahead):
            pending.add(
                client.submit(
                    fetch_partition, i, chunk, str(out), cfg_dict, fmt, retries=retries, pure=False
                )
            )
        for fut in pending:
            done(fut.result())
            fut.release()
            for i, chunk in itertools.islice(chunks, 1):
                pending.add(
                    client.submit(
                        fetch_partition,
                        i,
                        chunk,
                        str(out),
                        cfg_dict,
                        fmt,
                        retries=retries,
                        pure=False,
                    )
                )
    for stale in out.glob(".part-*.tmp"):  # attempts whose worker died mid-partition
        with contextlib.suppress(OSError):
            stale.unlink()
    parts.sort(key=lambda p: p.part)
    manifest = {"format": fmt, "partitions": [[p.part, p.rows] for p in parts]}
    (out / "_manifest.json").write_text(json.dumps(manifest) + "\n")
    return FetchReport(str(out), parts)


def _dask_partitions(requests: Any, column: str | None) -> list[Any] | None:
    """A dask collection's partitions as delayed lists of URLs, else None (a plain iterable)."""
    try:
        db = _module("dask.bag")
    except ImportError:
        return None
    if isinstance(requests, db.Bag):
        return list(requests.to_delayed())
    try:
        dd = _module("dask.dataframe")
    except ImportError:
        return None
    if isinstance(requests, dd.DataFrame):
        if column is None:
            raise ValueError("a DataFrame needs column= (the URL column)")
        requests = requests[column]
    if isinstance(requests, dd.Series):
        delayed = _module("dask").delayed
        return [delayed(list)(p) for p in requests.to_delayed()]
    return None
