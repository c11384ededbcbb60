"""pyreqwest runner: ClientBuilder().max_connections(N); h2c via http2_prior_knowledge()."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from bench.clients._common import Adapter, Result, Unsupported, run, skip

try:
    from pyreqwest.client import ClientBuilder
except ImportError as exc:
    skip(exc)


class PyreqwestAdapter(Adapter):
    async def open(self) -> None:
        if self.retry:
            raise Unsupported("retry case is asiofetch vs aiohttp only")
        # max_connections bounds requests in flight (pyreqwest's pool limit); no decompression.
        b = ClientBuilder().max_connections(self.limit).gzip(False).brotli(False)
        b = b.zstd(False).deflate(False)
        b = b.http2_prior_knowledge() if self.http2 else b.http1_only()
        if self.ca_file:
            b = b.add_root_certificate_pem(Path(self.ca_file).read_bytes())
        self.c = b.build()

    async def close(self) -> None:
        await self.c.close()

    async def fetch(self, url: str) -> Result:
        if self.stream:
            async with self.c.get(url).build_streamed() as r:
                reader = r.body_reader
                n = 0
                while chunk := await reader.read(self.chunk):
                    n += len(chunk)
                return r.status, n, 1
        r = await self.c.get(url).build().send()
        return r.status, len(await r.bytes()), 1


if __name__ == "__main__":
    run(PyreqwestAdapter, {"pyreqwest": version("pyreqwest")})
