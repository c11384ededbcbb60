"""What a mocked route saw: one attempt's request, as the engine sent it to the router."""

from __future__ import annotations

import json as _json
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy, MultiDictProxy
from yarl import URL

__all__ = ("MockRequest",)


class MockRequest:
    """One attempt's request: method, URL, headers and body as they would go on the wire.

    Headers are the ones asiofetch sends itself (the caller's, the session's defaults,
    cookies, auth); those libcurl adds on the wire (Host, Accept-Encoding) are not listed.
    `path_params` holds the values a route pattern's `{name}` parts (or a regex's named
    groups) matched.
    """

    __slots__ = ("body", "headers", "method", "path_params", "url")

    def __init__(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes,
        path_params: dict[str, str] | None = None,
    ) -> None:
        self.method = method
        self.url = URL(url, encoded=True)
        self.headers: CIMultiDictProxy[str] = CIMultiDictProxy(CIMultiDict(headers))
        self.body = body
        self.path_params: dict[str, str] = path_params or {}

    @property
    def content(self) -> bytes:
        """The body (an alias, as httpx/respx name it)."""
        return self.body

    @property
    def params(self) -> MultiDictProxy[str]:
        """The decoded query parameters."""
        return self.url.query

    def text(self, encoding: str = "utf-8") -> str:
        return self.body.decode(encoding)

    def json(self) -> Any:
        """The body parsed as JSON."""
        return _json.loads(self.body)

    def __repr__(self) -> str:
        return f"<MockRequest {self.method} {self.url}>"
