"""The subcommands: argument checks that need more than argparse, then the job."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .. import ClientError, ClientSession
from .inputs import InputCounts, Item, count_lines, read_items
from .job import JobConfig, run_job
from .outputs import COLUMNS, BodyPolicy, JsonlWriter, ParquetWriter, Writer, scan_jsonl
from .server import LocalServer, run_server

_MAX_BAD_REPORTED = 20


def job_config(args: argparse.Namespace) -> JobConfig:
    if args.no_redirects and args.max_redirects is not None:
        # Which one was meant cannot be told; silently ignoring one is worse than refusing.
        args.parser.error("--no-redirects and --max-redirects exclude each other")
    if args.proxy is not None and not args.proxy.startswith(("http://", "https://", "socks")):
        args.parser.error(f"--proxy must be an http(s):// or socks URL, got {args.proxy!r}")
    if args.per_host > args.concurrency:
        args.parser.error("--per-host cannot exceed --concurrency")
    fields = None
    if args.fields is not None:
        names = [f.strip() for f in args.fields.split(",") if f.strip()]
        unknown = [f for f in names if f not in COLUMNS]
        if unknown or not names:
            args.parser.error(f"--fields: unknown column(s) {unknown}; choose from {COLUMNS}")
        fields = tuple(dict.fromkeys(["key", *names]))  # resume needs the key
    return JobConfig(
        concurrency=args.concurrency,
        per_host=args.per_host,
        rate_limit=args.rate_limit,
        retries=args.retries,
        backoff=args.backoff,
        connect_timeout=args.connect_timeout,
        timeout=args.timeout,
        http2=args.http2,
        headers=list(args.header),
        proxy=args.proxy,
        follow_redirects=not args.no_redirects,
        max_redirects=10 if args.max_redirects is None else args.max_redirects,
        fail_fast=args.fail_fast,
        body_inline_max=args.body_inline_max,
        fields=fields,
    )


def _output_format(args: argparse.Namespace) -> str:
    fmt: str = args.format
    if fmt == "auto":
        fmt = "parquet" if str(args.output).endswith((".parquet", ".pq")) else "jsonl"
    if fmt == "parquet":
        if importlib.util.find_spec("pyarrow") is None:
            args.parser.error("--format parquet needs pyarrow (pip install 'asiofetch[parquet]')")
        if args.output == "-":
            args.parser.error("Parquet output needs a file, not stdout")
    return fmt


def _bodies(args: argparse.Namespace) -> BodyPolicy:
    return BodyPolicy(args.body_inline_max, Path(args.bodies_dir) if args.bodies_dir else None)


def _on_bad(counts: InputCounts) -> Any:
    def report(lineno: int, why: str) -> None:
        if counts.bad <= _MAX_BAD_REPORTED:
            print(f"asiofetch: input line {lineno}: {why} (skipped)", file=sys.stderr, flush=True)
        elif counts.bad == _MAX_BAD_REPORTED + 1:
            print("asiofetch: more bad input lines; the summary counts them", file=sys.stderr)

    return report


def cmd_fetch(args: argparse.Namespace) -> int:
    parser: argparse.ArgumentParser = args.parser
    cfg = job_config(args)
    fmt = _output_format(args)
    if args.input != "-" and not os.path.isfile(args.input):
        parser.error(f"input {args.input!r} is not a file")
    if args.dask:
        from .dask_cmd import run_dask

        return run_dask(args, cfg, fmt)
    if args.resume and args.overwrite:
        parser.error("--resume and --overwrite exclude each other")
    exists = args.output != "-" and os.path.exists(args.output) and os.path.getsize(args.output)
    if exists and not (args.resume or args.overwrite):
        parser.error(f"{args.output} exists: pass --resume to continue it or --overwrite")
    if args.resume and (fmt != "jsonl" or args.output == "-"):
        parser.error("--resume needs a JSONL output file")

    done_keys: set[str] = set()
    if args.resume and exists:
        try:
            rows, truncated = scan_jsonl(args.output, done_keys.add)
        except ValueError as e:
            parser.error(f"--resume: {e}")
        cut = " (a partial last line was cut off)" if truncated else ""
        print(f"asiofetch: resuming: {rows:,} rows already in {args.output}{cut}", file=sys.stderr)

    counts = InputCounts()
    total = None
    if args.input != "-":
        lines = count_lines(args.input)
        total = None if lines is None else max(0, lines - (args.csv_column is not None))
    # stdin as text with our decoding rules (fd 0 stays open); bytes that are not UTF-8
    # survive as surrogates and make a bad-URL report rather than a crash.
    source: Any = sys.stdin.fileno() if args.input == "-" else args.input
    writer: Writer = (
        ParquetWriter(args.output, cfg.fields)
        if fmt == "parquet"
        else JsonlWriter(args.output, args.resume, cfg.fields)
    )
    with open(
        source, encoding="utf-8", errors="surrogateescape", newline="", closefd=args.input != "-"
    ) as stream:
        items = read_items(
            stream,
            csv_column=args.csv_column,
            skip=done_keys.__contains__,
            counts=counts,
            on_bad=_on_bad(counts),
        )
        result = run_job(
            items,
            cfg,
            writer,
            _bodies(args),
            counts,
            total=total,
            progress_mode=args.progress,
            progress_interval=args.progress_interval,
            output_name=args.output,
        )
    code = result.exit_code
    if code == 0 and counts.bad:
        code = 1  # the job ran, but some input was not fetched: scripts must notice
    return code


def demo_items(base: str, n: int) -> Iterator[Item]:
    """Unique URLs (the query keeps keys apart) with a mix of outcomes for the summary."""
    for i in range(n):
        r = i % 1000
        if r == 999:
            path = "/close"  # a disconnect without a response
        elif r % 100 == 97:
            path = "/status/404"
        elif r % 100 == 98:
            path = "/status/503"
        else:
            path = f"/bytes/{256 + (i % 8) * 128}"
        url = f"{base}{path}?i={i}"
        yield Item(i + 1, url, url, url)


def cmd_demo(args: argparse.Namespace) -> int:
    cfg = job_config(args)
    output = args.output or os.path.join(
        tempfile.gettempdir(), f"asiofetch-demo-{os.getpid()}.jsonl"
    )
    with LocalServer() as server:
        print(
            f"asiofetch demo: {args.requests:,} URLs from the built-in server {server.url}, "
            f"concurrency {cfg.concurrency}\nrows -> {output}",
            file=sys.stderr,
            flush=True,
        )
        counts = InputCounts(read=args.requests)
        result = run_job(
            demo_items(server.url, args.requests),
            cfg,
            JsonlWriter(output, False, cfg.fields),
            _bodies(args),
            counts,
            total=args.requests,
            progress_mode=args.progress,
            progress_interval=args.progress_interval,
            output_name=output,
        )
    if result.exit_code:
        return result.exit_code
    expected = args.requests
    if result.stats.rows != expected:
        print(f"asiofetch demo: {result.stats.rows} rows, expected {expected}", file=sys.stderr)
        return 1
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    return run_server(args.host, args.port)


async def _get(url: str, show_headers: bool) -> int:
    async with ClientSession() as session:
        resp = await session.get(url)
        print(f"HTTP/{resp.version.major}.{resp.version.minor} {resp.status} {resp.reason}")
        if show_headers:
            for k, v in resp.headers.items():
                print(f"{k}: {v}")
        print()
        sys.stdout.flush()
        sys.stdout.buffer.write(await resp.read())
        sys.stdout.buffer.flush()
        return 0 if resp.ok else 1


def cmd_get(args: argparse.Namespace) -> int:
    try:
        return asyncio.run(_get(args.url, not args.no_headers))
    except (ClientError, asyncio.TimeoutError) as e:
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
