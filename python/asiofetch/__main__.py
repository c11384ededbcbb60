"""Command line: `python -m asiofetch demo` (local load demo) and `python -m asiofetch get URL`."""

from __future__ import annotations

import argparse
import asyncio
import os
import selectors
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from ._connector import TCPConnector
from ._errors import ClientError
from ._session import ClientSession
from ._timeout import ClientTimeout

_FIXTURE_NAME = "asiofetch-fixture-server"


def _find_fixture() -> Path | None:
    """The fixture server binary: $ASIOFETCH_FIXTURE_SERVER, the repo's build tree, or PATH."""
    env = os.environ.get("ASIOFETCH_FIXTURE_SERVER")
    candidates = [Path(env)] if env else []
    here = Path(__file__).resolve()
    for root in (Path.cwd(), *here.parents):
        candidates.append(root / "build" / "cpp" / "tests_cpp" / "fixture" / _FIXTURE_NAME)
    for d in os.environ.get("PATH", "").split(os.pathsep):
        if d:
            candidates.append(Path(d) / _FIXTURE_NAME)
    for c in candidates:
        if c.is_file() and os.access(c, os.X_OK):
            return c
    return None


def _start_fixture(binary: Path) -> tuple[subprocess.Popen[bytes], int]:
    """Start the server and read its 'READY http=<port> ...' line."""
    proc = subprocess.Popen([str(binary)], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    assert proc.stdout is not None
    buf = b""
    deadline = time.monotonic() + 10
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            chunk = os.read(proc.stdout.fileno(), 4096) if left > 0 and sel.select(left) else b""
            if not chunk:
                proc.kill()
                proc.wait()
                raise RuntimeError("fixture server did not start")
            buf += chunk
    line = buf.split(b"\n", 1)[0].decode()
    fields = dict(item.split("=", 1) for item in line.split()[1:])
    return proc, int(fields["http"])


def _show(label: str, done: int, errors: int, n: int, started: float) -> None:
    rate = done / max(time.perf_counter() - started, 1e-9)
    print(f"\r{label}: {done}/{n} requests  {errors} errors  {rate:,.0f} req/s", end="", flush=True)


async def _demo(base: str, n: int, concurrency: int) -> int:
    """Fetch n URLs twice: per request from asyncio tasks, then as one native batch."""
    urls = [f"{base}/bytes/{256 + (i % 8) * 128}" for i in range(n)]
    connector = TCPConnector(limit=concurrency)
    failures = 0
    async with ClientSession(timeout=ClientTimeout(total=30), connector=connector) as session:
        # 1. The aiohttp way: tasks each awaiting session.get().
        done = errors = 0
        started = time.perf_counter()
        queue = iter(urls)

        async def worker() -> None:
            nonlocal done, errors
            for url in queue:
                try:
                    resp = await session.get(url)
                    if resp.status != 200 or len(await resp.read()) != int(url.rsplit("/", 1)[1]):
                        errors += 1
                except (ClientError, asyncio.TimeoutError):
                    errors += 1
                done += 1
                if done % 100 == 0 or done == n:
                    _show("per request", done, errors, n, started)

        await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, n)))))
        per_request = time.perf_counter() - started
        print()
        failures += errors

        # 2. The native way: one await; the engine runs the batch, progress comes in notes.
        started = time.perf_counter()
        results = await session.gather(
            urls,
            concurrency=concurrency,
            return_exceptions=True,
            progress=lambda p: _show("native batch", p.done, p.failed, p.total, started),
        )
        batch = time.perf_counter() - started
        print()
        for url, r in zip(urls, results, strict=True):
            ok = not isinstance(r, BaseException) and r.status == 200
            if not ok or len(await r.read()) != int(url.rsplit("/", 1)[1]):
                failures += 1

    print(f"requests:   {2 * n} ({n} per request, {n} in one native batch)")
    print(f"errors:     {failures}")
    print(f"per request: {per_request:.3f} s, {n / per_request:,.0f} requests/s")
    print(f"native batch: {batch:.3f} s, {n / batch:,.0f} requests/s")
    return 1 if failures else 0


def cmd_demo(args: argparse.Namespace) -> int:
    binary = _find_fixture()
    if binary is None:
        print(
            f"{_FIXTURE_NAME} not found. Build it with `make test` in the repository "
            "(or set ASIOFETCH_FIXTURE_SERVER to its path).",
            file=sys.stderr,
        )
        return 2
    proc, port = _start_fixture(binary)
    try:
        print(
            f"fixture server on http://127.0.0.1:{port}; {args.requests} requests, "
            f"concurrency {args.concurrency}"
        )
        return asyncio.run(_demo(f"http://127.0.0.1:{port}", args.requests, args.concurrency))
    finally:
        proc.terminate()
        proc.wait()


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="asiofetch", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="fetch many URLs from a local fixture server")
    demo.add_argument("--requests", "-n", type=int, default=5000)
    demo.add_argument("--concurrency", "-c", type=int, default=100)
    demo.set_defaults(func=cmd_demo)
    get = sub.add_parser("get", help="fetch one URL and print status, headers and body")
    get.add_argument("url")
    get.add_argument("--no-headers", action="store_true")
    get.set_defaults(func=cmd_get)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
