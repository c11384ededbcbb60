"""Progress (a rich bar on a TTY, plain periodic lines otherwise) and the job's final summary."""

from __future__ import annotations

import math
import sys
import time
from collections import Counter
from typing import Any, TextIO

_LOG_STEP = math.log(1.01)  # 1 % wide latency buckets: bounded memory for any job size


class Stats:
    """Counts and a log-bucketed latency histogram (percentiles within 1 %)."""

    def __init__(self) -> None:
        self.started = time.perf_counter()
        self.rows = 0
        self.failed = 0  # transport errors
        self.bytes = 0
        self.by_class: Counter[str] = Counter()
        self.by_error: Counter[str] = Counter()
        self._lat: Counter[int] = Counter()
        self._lat_n = 0

    def add(self, row: dict[str, Any]) -> None:
        self.rows += 1
        self.bytes += row["bytes"] or 0
        if row["error_type"] is not None:
            self.failed += 1
            self.by_error[row["error_type"]] += 1
            self.by_class["error"] += 1
        else:
            self.by_class[f"{row['status'] // 100}xx"] += 1
        elapsed = row["elapsed"]
        if elapsed is not None and elapsed > 0:
            self._lat[int(math.log(elapsed * 1e6) / _LOG_STEP)] += 1
            self._lat_n += 1

    def histogram(self) -> Counter[int]:
        return self._lat

    def merge(
        self,
        rows: int,
        nbytes: int,
        by_class: dict[str, int],
        by_error: dict[str, int],
        latency: dict[int, int],
    ) -> None:
        """Adds another job's counts (a Dask partition's)."""
        self.rows += rows
        self.bytes += nbytes
        self.failed += sum(by_error.values())
        self.by_class.update(by_class)
        self.by_error.update(by_error)
        self._lat.update(latency)
        self._lat_n += sum(latency.values())

    def percentile(self, p: float) -> float | None:
        if not self._lat_n:
            return None
        rank = max(1, math.ceil(p / 100 * self._lat_n))
        seen = 0
        for bucket in sorted(self._lat):
            seen += self._lat[bucket]
            if seen >= rank:
                return math.exp((bucket + 0.5) * _LOG_STEP) / 1e6
        raise AssertionError("unreachable")


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f} ms"


def _size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


class Progress:
    """Shows done/total, rate, ETA and errors. `done` counts every input line dealt with."""

    def __init__(self, stream: TextIO, total: int | None, mode: str, interval: float) -> None:
        self.stream = stream
        self.total = total
        self.interval = interval
        self._last = 0.0
        self._started = time.perf_counter()
        self._bar: Any = None
        self._task: Any = None
        if mode == "auto":
            mode = "bar" if stream.isatty() else "lines"
        if mode == "bar":
            try:
                from rich.progress import (
                    BarColumn,
                    MofNCompleteColumn,
                    TaskProgressColumn,
                    TextColumn,
                    TimeElapsedColumn,
                    TimeRemainingColumn,
                )
                from rich.progress import Progress as RichProgress
            except ImportError:
                mode = "lines"  # the `cli` extra is not installed: plain lines still work
            else:
                from rich.console import Console

                self._bar = RichProgress(
                    TextColumn("[bold]fetch"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TaskProgressColumn(),
                    TextColumn("{task.fields[rate]:>9} req/s"),
                    TextColumn("errors {task.fields[errors]}"),
                    TimeElapsedColumn(),
                    TextColumn("eta"),
                    TimeRemainingColumn(),
                    console=Console(file=stream),
                    refresh_per_second=8,
                )
                self._task = self._bar.add_task("fetch", total=total, rate="-", errors=0)
                self._bar.start()
        self.mode = mode

    def update(self, done: int, errors: int, fetched: int, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last < (0.125 if self._bar else self.interval):
            return
        self._last = now
        elapsed = max(now - self._started, 1e-9)
        rate = fetched / elapsed
        if self._bar is not None:
            self._bar.update(self._task, completed=done, rate=f"{rate:,.0f}", errors=errors)
        elif self.mode == "lines":
            total = f"/{self.total:,}" if self.total is not None else ""
            pct = f" ({100 * done / self.total:.1f}%)" if self.total else ""
            eta = ""
            if self.total and rate > 0 and done < self.total:
                eta = f"  eta {(self.total - done) / rate:,.0f}s"
            print(
                f"asiofetch: {done:,}{total}{pct}  {rate:,.0f} req/s  errors {errors:,}"
                f"  elapsed {elapsed:,.1f}s{eta}",
                file=self.stream,
                flush=True,
            )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def summary(
    stats: Stats,
    *,
    skipped: int,
    bad: int,
    output: str,
    interrupted: bool,
    stopped_by: str | None,
    fatal: str | None = None,
    stream: TextIO = sys.stderr,
) -> None:
    elapsed = max(time.perf_counter() - stats.started, 1e-9)
    lines = []
    if interrupted:
        lines.append("interrupted: every row written is complete; --resume continues the job")
    if stopped_by:
        lines.append(f"stopped by --fail-fast at: {stopped_by}")
    if fatal:
        lines.append(f"stopped by an error: {fatal}; the rows written so far are complete")
    lines.append(
        f"fetched   {stats.rows:,} requests in {elapsed:,.2f} s"
        f"  ({stats.rows / elapsed:,.0f} requests/s), {_size(stats.bytes)} of bodies"
    )
    classes = "  ".join(f"{k} {v:,}" for k, v in sorted(stats.by_class.items())) or "-"
    lines.append(f"status    {classes}")
    errors = "  ".join(f"{k} {v:,}" for k, v in stats.by_error.most_common()) or "none"
    lines.append(f"errors    {errors}")
    lines.append(
        f"latency   p50 {_ms(stats.percentile(50))}  p95 {_ms(stats.percentile(95))}"
        f"  p99 {_ms(stats.percentile(99))}"
    )
    lines.append(f"input     {skipped:,} skipped (already in the output), {bad:,} bad lines")
    lines.append(f"output    {output}")
    print("\n".join(lines), file=stream, flush=True)
