"""The `asiofetch` command line: fetch (the bulk job), demo, serve and get."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence

from .commands import cmd_demo, cmd_fetch, cmd_get, cmd_serve

__all__ = ("build_parser", "main")


def _int_at_least(lowest: int) -> Callable[[str], int]:
    """An argparse type: an integer >= `lowest`, with argparse's own error style."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < lowest:
            raise argparse.ArgumentTypeError(f"must be >= {lowest}, got {value}")
        return value

    return parse


_positive_int = _int_at_least(1)
_nonneg_int = _int_at_least(0)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name or any(c in name for c in " \t\r\n") or any(c in value for c in "\r\n"):
        raise argparse.ArgumentTypeError(f"expected 'Name: value', got {text!r}")
    return name, value.strip()


def _add_job_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("requests")
    g.add_argument(
        "-c",
        "--concurrency",
        type=_positive_int,
        default=100,
        help="requests in flight (default 100)",
    )
    g.add_argument(
        "--per-host",
        type=_nonneg_int,
        default=0,
        help="connections per host, 0 = no limit beyond --concurrency",
    )
    g.add_argument(
        "--rate-limit",
        type=_positive_float,
        metavar="PER_SECOND",
        help="request starts per second (retries included)",
    )
    g.add_argument(
        "--retries",
        type=_nonneg_int,
        default=0,
        help="retries after the first attempt (connect errors, timeouts, 429/5xx)",
    )
    g.add_argument(
        "--backoff",
        type=_positive_float,
        default=0.2,
        help="seconds before the first retry, doubled each time (default 0.2)",
    )
    g.add_argument("--connect-timeout", type=_positive_float, default=10.0, help="seconds")
    g.add_argument(
        "--timeout",
        type=_positive_float,
        default=30.0,
        help="seconds per request, total (default 30)",
    )
    g.add_argument("--http2", action="store_true", help="HTTP/2 (ALPN over TLS, h2c otherwise)")
    g.add_argument(
        "-H",
        "--header",
        type=_header,
        action="append",
        default=[],
        metavar="'NAME: VALUE'",
        help="extra request header (repeatable)",
    )
    g.add_argument("--proxy", help="proxy URL for every request")
    g.add_argument(
        "--max-redirects",
        type=_positive_int,
        default=None,
        metavar="N",
        help="the N-th redirect of a chain is a TooManyRedirects error, as aiohttp counts"
        " (default 10)",
    )
    g.add_argument(
        "--no-redirects",
        action="store_true",
        help="do not follow redirects: the 3xx response is the row",
    )
    g.add_argument(
        "--fail-fast",
        action="store_true",
        help="stop at the first transport error or status >= 400 (exit 1)",
    )
    o = p.add_argument_group("output")
    o.add_argument(
        "--body-inline-max",
        type=_nonneg_int,
        default=65536,
        metavar="BYTES",
        help="bodies up to this size go in the row (default 65536)",
    )
    o.add_argument("--bodies-dir", help="write larger bodies here (path in the row)")
    o.add_argument(
        "--fields",
        metavar="A,B,...",
        help="the output's columns (default: all; key is always kept)",
    )
    o.add_argument(
        "--format",
        choices=("auto", "jsonl", "parquet"),
        default="auto",
        help="output format (auto: by the output's extension)",
    )
    o.add_argument(
        "--progress",
        choices=("auto", "bar", "lines", "none"),
        default="auto",
        help="auto: a bar on a TTY, plain lines otherwise",
    )
    o.add_argument(
        "--progress-interval",
        type=_positive_float,
        default=5.0,
        metavar="SECONDS",
        help="seconds between plain progress lines (default 5)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="asiofetch", description="asiofetch: fetch many URLs fast on a native engine."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    fetch = sub.add_parser(
        "fetch",
        help="fetch every URL of an input, one output row each",
        description="Fetch every request of INPUT; one output row each.",
    )
    fetch.add_argument("input", help="file or '-' (stdin): URL lines, JSONL rows, or CSV")
    fetch.add_argument(
        "-o",
        "--output",
        required=True,
        help="JSONL or Parquet file ('-' for stdout); a directory with --dask",
    )
    fetch.add_argument("--csv-column", help="read INPUT as CSV; URLs in this column (name/index)")
    fetch.add_argument(
        "--resume", action="store_true", help="skip keys the output already holds and append"
    )
    fetch.add_argument("--overwrite", action="store_true", help="replace an existing output")
    fetch.add_argument("--dask", metavar="SCHEDULER", help="run on a distributed cluster")
    fetch.add_argument(
        "--partition-size",
        type=_positive_int,
        default=10_000,
        help="URLs per Dask partition (default 10000)",
    )
    _add_job_options(fetch)
    fetch.set_defaults(func=cmd_fetch, parser=fetch)

    demo = sub.add_parser("demo", help="the main job against a built-in local server")
    demo.add_argument("-n", "--requests", type=_positive_int, default=50_000)
    demo.add_argument("-o", "--output", help="output file (default: a temporary file)")
    _add_job_options(demo)
    demo.set_defaults(func=cmd_demo, parser=demo)

    serve = sub.add_parser("serve", help="the built-in local HTTP/1.1 server (for tests, demos)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=_nonneg_int, default=0)
    serve.set_defaults(func=cmd_serve, parser=serve)

    get = sub.add_parser("get", help="fetch one URL and print status, headers and body")
    get.add_argument("url")
    get.add_argument("--no-headers", action="store_true")
    get.set_defaults(func=cmd_get, parser=get)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # args.parser: the subcommand's, for its errors
    try:
        return int(args.func(args))
    except BrokenPipeError:  # `asiofetch fetch ... -o - | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
