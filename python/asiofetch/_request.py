"""Module-level request(): aiohttp's `async with asiofetch.request(method, url) as resp:`."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from ._connector import TCPConnector
from ._response import ClientResponse
from ._session import ClientSession

__all__ = ("request",)

_SESSION_KEYS = frozenset(
    {
        "cookies",
        "version",
        "json_serialize",
        "timeout",
        "loop",
        "raise_for_status",
        "auto_decompress",
        "trust_env",
        "read_bufsize",
        "max_body_size",
        "max_decompressed_size",
        "max_line_size",
        "max_field_size",
        "max_headers",
        "http2",
    }
)


class _SessionRequestContextManager:
    """Owns a throwaway session for one request; both are closed on exit."""

    __slots__ = ("_connector", "_kwargs", "_method", "_resp", "_session", "_session_kw", "_url")

    def __init__(self, method: str, url: Any, kwargs: dict[str, Any], connector: Any) -> None:
        self._session_kw = {k: kwargs.pop(k) for k in list(kwargs) if k in _SESSION_KEYS}
        self._connector = connector
        self._method = method
        self._url = url
        self._kwargs = kwargs
        self._resp: ClientResponse | None = None
        self._session: ClientSession | None = None

    async def __aenter__(self) -> ClientResponse:
        # The session is made here, not in __init__: an unused manager must not leave an
        # unclosed session behind.
        connector = self._connector if self._connector is not None else TCPConnector()
        session = self._session = ClientSession(connector=connector, **self._session_kw)
        try:
            # Entering the verb's manager streams the body, as `async with session.request()`.
            cm = session.request(self._method, self._url, **self._kwargs)
            self._resp = await cm.__aenter__()
        except BaseException:
            await session.close()
            raise
        return self._resp

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._resp is not None:
            self._resp.release()
        if self._session is not None:
            await self._session.close()


def request(
    method: str, url: Any, *, connector: TCPConnector | None = None, **kwargs: Any
) -> _SessionRequestContextManager:
    """aiohttp.request(): one request in its own session, used with `async with`."""
    return _SessionRequestContextManager(method, url, kwargs, connector)
