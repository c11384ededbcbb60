"""`asiofetch fetch INPUT -o OUTDIR --dask SCHEDULER`: the job on a distributed cluster.

The input is read here, lazily, and cut into partitions in input order, so the same input
gives the same partitions: running the command again on the same OUTDIR fetches only the
partitions that are not there yet: that is its resume, with or without --resume.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import sys
from typing import Any

from .inputs import InputCounts, count_lines, read_items
from .job import JobConfig
from .progress import Progress, summary


def run_dask(args: argparse.Namespace, cfg: JobConfig, fmt: str) -> int:
    parser: argparse.ArgumentParser = args.parser
    if importlib.util.find_spec("distributed") is None:
        parser.error("--dask needs dask.distributed (pip install 'asiofetch[dask]')")
    if args.output == "-" or (os.path.exists(args.output) and not os.path.isdir(args.output)):
        parser.error("with --dask, --output is a directory (one file per partition)")
    if args.fail_fast:
        parser.error("--fail-fast is not supported with --dask (partitions run independently)")
    if args.overwrite:
        parser.error("--overwrite with --dask: remove the directory (finished parts are kept)")
    if args.bodies_dir:
        parser.error("--bodies-dir is not supported with --dask yet (bodies go inline)")
    if args.input == "-":
        parser.error("with --dask, INPUT must be a file (its partitions are numbered by line)")
    from ..dask import PartitionResult, fetch

    distributed: Any = importlib.import_module("distributed")
    counts = InputCounts()
    lines = count_lines(args.input)
    total = None if lines is None else max(0, lines - (args.csv_column is not None))
    progress = Progress(sys.stderr, total, args.progress, args.progress_interval)
    done_rows = 0

    def on_bad(lineno: int, why: str) -> None:
        if counts.bad <= 20:
            print(f"asiofetch: input line {lineno}: {why} (skipped)", file=sys.stderr)

    def on_partition(p: PartitionResult) -> None:
        nonlocal done_rows
        done_rows += p.rows
        progress.update(done_rows + counts.bad + counts.blank, 0, done_rows, force=True)

    with (
        open(args.input, encoding="utf-8", errors="surrogateescape", newline="") as stream,
        distributed.Client(args.dask) as client,
    ):
        items = read_items(
            stream, csv_column=args.csv_column, skip=lambda _k: False, counts=counts, on_bad=on_bad
        )
        try:
            report = fetch(
                items,
                args.output,
                client=client,
                config=cfg,
                partition_size=args.partition_size,
                fmt=fmt,
                on_partition=on_partition,
            )
        finally:
            progress.close()
    stats = report.stats()
    reused = sum(p.rows for p in report.partitions if p.reused)
    summary(
        stats,
        skipped=reused,
        bad=counts.bad,
        output=args.output,
        interrupted=False,
        stopped_by=None,
    )
    return 1 if counts.bad else 0
