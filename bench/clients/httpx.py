"""httpx runner: AsyncClient with Limits(max_connections=N); h2c via http1=False (needs h2)."""

from __future__ import annotations

import ssl

from bench.clients._common import Adapter, Result, Unsupported, run, skip

try:
    import httpx
except ImportError as exc:
    skip(exc)


class HttpxAdapter(Adapter):
    async def open(self) -> None:
        if self.retry:
            raise Unsupported("retry case is asiofetch vs aiohttp only")
        limits = httpx.Limits(max_connections=self.limit, max_keepalive_connections=self.limit)
        try:
            # http1=False + http2=True on http:// is HTTP/2 with prior knowledge (h2c).
            verify = ssl.create_default_context(cafile=self.ca_file) if self.ca_file else True
            self.c = httpx.AsyncClient(
                limits=limits,
                http1=not self.http2,
                http2=self.http2,
                timeout=60.0,
                verify=verify,
            )
        except ImportError as exc:  # http2=True without the h2 package
            raise Unsupported(f"httpx HTTP/2: {exc}") from exc

    async def close(self) -> None:
        await self.c.aclose()

    async def fetch(self, url: str) -> Result:
        if self.stream:
            async with self.c.stream("GET", url) as r:
                n = 0
                async for chunk in r.aiter_raw(self.chunk):
                    n += len(chunk)
                return r.status_code, n, 1
        r = await self.c.get(url)
        return r.status_code, len(r.content), 1


if __name__ == "__main__":
    run(HttpxAdapter, {"httpx": httpx.__version__})
