"""asiofetch runner: per-request (`await session.get`) or native batch (`session.gather`).

spec["mode"] == "batch" selects `session.gather(urls, concurrency=N)` (or, for bodies of 64 KiB
and more, `session.as_completed`, the flat-memory form the README recommends for big bodies:
gather keeps every body until the batch ends, 2 GiB for case 2); otherwise the shared
per-request driver gathers N coroutines that each `await session.get(url)` then `r.read()`.
`await session.get(url)` buffers the body natively; `async with session.get(url)` streams it
through `resp.content` (case 2 stream). The session is typed Any on purpose: the API is
growing (gather, Retry) and a missing piece must surface as a "failed" row, not a crash.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from bench.clients._common import Adapter, BatchItem, Result, run, skip

try:
    import asiofetch
except ImportError as exc:
    skip(exc)


def _attempts(r: Any) -> int:
    return int(getattr(r, "attempts", 1) or 1)


def _latency(r: Any) -> float:
    t = getattr(r, "timings", None)
    if isinstance(t, dict) and "total" in t:
        return float(t["total"])
    return -1.0


LARGE_BODY = 64 * 1024


class AsiofetchAdapter(Adapter):
    async def open(self) -> None:
        api: Any = asiofetch
        tls = {"ssl": api.SSLOptions(cafile=self.ca_file)} if self.ca_file else {}
        conn = api.TCPConnector(limit=self.limit, **tls)
        self.s: Any = api.Session(connector=conn, http2=self.http2)
        await self.s.__aenter__()
        self.kw: dict[str, Any] = {}
        if self.retry:
            self.kw["retry"] = api.Retry(
                attempts=int(self.retry["attempts"]), backoff=float(self.retry["backoff"])
            )

    async def close(self) -> None:
        await self.s.__aexit__(None, None, None)

    async def fetch(self, url: str) -> Result:
        if self.stream:
            async with self.s.get(url, **self.kw) as r:
                n = 0
                async for chunk in r.content.iter_chunked(self.chunk):
                    n += len(chunk)
                return int(r.status), n, _attempts(r)
        r = await self.s.get(url, **self.kw)
        return int(r.status), len(await r.read()), _attempts(r)

    async def batch(self, urls: Sequence[str]) -> list[BatchItem | BaseException]:
        if int(self.spec.get("expect_bytes", 0)) >= LARGE_BODY:
            return await self._streamed_batch(urls)
        rs = await self.s.gather(
            list(urls), concurrency=self.limit, return_exceptions=True, **self.kw
        )
        # Status and whole body of each, as a user reads them; the response itself is the
        # handle batch_details() reads attempts and timings from after the window.
        return [
            r if isinstance(r, BaseException) else (int(r.status), len(await r.read()), r)
            for r in rs
        ]

    def batch_details(self, handle: Any) -> tuple[int, float]:
        if isinstance(handle, tuple):  # the streamed form keeps them, not the response
            return int(handle[0]), float(handle[1])
        return _attempts(handle), _latency(handle)

    async def _streamed_batch(self, urls: Sequence[str]) -> list[BatchItem | BaseException]:
        # Responses are not kept (1 MiB bodies, case 2): attempts and latency are read here,
        # between completions, where the per-request driver times its requests too.
        out: list[BatchItem | BaseException] = [RuntimeError("no result")] * len(urls)
        async for c in self.s.as_completed(list(urls), concurrency=self.limit, **self.kw):
            if c.exception is not None:
                out[c.index] = c.exception
            else:
                r = c.response
                n = len(await r.read())
                out[c.index] = (int(r.status), n, (_attempts(r), _latency(r)))
        return out


def _versions() -> dict[str, str]:
    v = {"asiofetch": str(getattr(asiofetch, "__version__", "?"))}
    with contextlib.suppress(Exception):  # the native module may not expose it yet
        v["libcurl"] = str(asiofetch._core.curl_version())
    return v


if __name__ == "__main__":
    run(AsiofetchAdapter, _versions())
