"""wreq runner: Client(pool_max_size=N); h2c via http2_only=True (prior knowledge on http://).

Streaming: wreq's Streamer yields whatever chunks hyper produces (no chunk size knob).
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from bench.clients._common import Adapter, Result, Unsupported, run, skip

try:
    import wreq
except ImportError as exc:
    skip(exc)


class WreqAdapter(Adapter):
    async def open(self) -> None:
        if self.retry:
            raise Unsupported("retry case is asiofetch vs aiohttp only")
        proto = {"http2_only": True} if self.http2 else {"http1_only": True}
        self.c = wreq.Client(
            pool_max_size=self.limit,
            pool_max_idle_per_host=self.limit,
            gzip=False,
            brotli=False,
            deflate=False,
            zstd=False,
            **({"tls_verify": Path(self.ca_file)} if self.ca_file else {}),
            **proto,
        )

    async def close(self) -> None:
        self.c.close()

    async def fetch(self, url: str) -> Result:
        async with self.c.get(url) as r:
            status = r.status.as_int()
            if self.stream:
                n = 0
                async with r.stream() as s:
                    async for chunk in s:
                        if isinstance(chunk, memoryview):
                            n += chunk.nbytes
                return status, n, 1
            return status, (await r.bytes()).nbytes, 1


if __name__ == "__main__":
    run(WreqAdapter, {"wreq": version("wreq")})
