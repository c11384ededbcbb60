"""curl_cffi runner: AsyncSession(max_clients=N); h2c via CurlHttpVersion.V2_PRIOR_KNOWLEDGE.

Streaming: curl_cffi ignores chunk_size (chunks are whatever libcurl hands over).
"""

from __future__ import annotations

import warnings
from importlib.metadata import version
from typing import Any

from bench.clients._common import Adapter, Result, Unsupported, run, skip

try:
    import curl_cffi
    from curl_cffi import CurlHttpVersion
    from curl_cffi.requests import AsyncSession
except ImportError as exc:
    skip(exc)

warnings.filterwarnings("ignore", message="chunk_size is ignored")


class CurlCffiAdapter(Adapter):
    async def open(self) -> None:
        if self.retry:
            raise Unsupported("retry case is asiofetch vs aiohttp only")
        ver = CurlHttpVersion.V2_PRIOR_KNOWLEDGE if self.http2 else CurlHttpVersion.V1_1
        self.s: AsyncSession[Any] = AsyncSession(
            max_clients=self.limit, http_version=ver, timeout=60, verify=self.ca_file or True
        )

    async def close(self) -> None:
        await self.s.close()

    async def fetch(self, url: str) -> Result:
        if self.stream:
            async with self.s.stream("GET", url) as r:
                n = 0
                async for chunk in r.aiter_content():
                    n += len(chunk)
                return r.status_code, n, 1
        r = await self.s.get(url)
        return r.status_code, len(r.content), 1


if __name__ == "__main__":
    libcurl = str(getattr(curl_cffi, "__curl_version__", "?"))
    run(CurlCffiAdapter, {"curl_cffi": version("curl_cffi"), "libcurl": libcurl})
