"""aiohttp runner: ClientSession + TCPConnector(limit=N); HTTP/1.1 only (no HTTP/2 support)."""

from __future__ import annotations

import asyncio
import ssl

from bench.clients._common import Adapter, Result, Unsupported, run, skip

try:
    import aiohttp
except ImportError as exc:
    skip(exc)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class AiohttpAdapter(Adapter):
    async def open(self) -> None:
        if self.http2:
            raise Unsupported("aiohttp has no HTTP/2")
        tls = {"ssl": ssl.create_default_context(cafile=self.ca_file)} if self.ca_file else {}
        conn = aiohttp.TCPConnector(limit=self.limit, limit_per_host=0, ttl_dns_cache=300, **tls)
        self.s = aiohttp.ClientSession(connector=conn, auto_decompress=False)

    async def close(self) -> None:
        await self.s.close()

    async def _once(self, url: str) -> tuple[int, int]:
        async with self.s.get(url) as r:
            if self.stream:
                n = 0
                async for chunk in r.content.iter_chunked(self.chunk):
                    n += len(chunk)
                return r.status, n
            return r.status, len(await r.read())

    async def fetch(self, url: str) -> Result:
        if not self.retry:
            status, n = await self._once(url)
            return status, n, 1
        # The retry loop users write around aiohttp (tenacity-style, inline): exponential
        # backoff on retryable statuses and on connection errors, last outcome returned.
        attempts, backoff = int(self.retry["attempts"]), float(self.retry["backoff"])
        for attempt in range(1, attempts + 1):
            try:
                status, n = await self._once(url)
            except (aiohttp.ClientError, asyncio.TimeoutError):
                if attempt == attempts:
                    raise
            else:
                if status not in RETRY_STATUSES or attempt == attempts:
                    return status, n, attempt
            await asyncio.sleep(backoff * 2 ** (attempt - 1))
        raise AssertionError("unreachable")


if __name__ == "__main__":
    run(AiohttpAdapter, {"aiohttp": aiohttp.__version__})
