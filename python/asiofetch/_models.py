"""Plain value types shared by the layers above: what was sent, what a batch takes and gives.

Sits right above `_errors` and imports nothing else of the package at run time, so the
response, batch and session modules can all use these without importing each other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from multidict import CIMultiDictProxy
from yarl import URL

from . import _core

if TYPE_CHECKING:
    from ._response import ClientResponse

__all__ = (
    "Completed",
    "HttpVersion",
    "HttpVersion10",
    "HttpVersion11",
    "Progress",
    "RequestInfo",
    "RequestLike",
    "RequestSpec",
)


class HttpVersion(NamedTuple):
    major: int
    minor: int


HttpVersion10 = HttpVersion(1, 0)
HttpVersion11 = HttpVersion(1, 1)


class RequestInfo(NamedTuple):
    """What was sent: aiohttp's RequestInfo(url, method, headers, real_url)."""

    url: URL
    method: str
    headers: CIMultiDictProxy[str]
    real_url: URL


class RequestSpec:
    """One request of a batch when a bare URL is not enough."""

    __slots__ = ("data", "fallback", "headers", "json", "key", "method", "params", "url")

    def __init__(
        self,
        method: str,
        url: str | URL,
        *,
        params: Any = None,
        headers: Any = None,
        data: Any = None,
        json: Any = None,
        key: Any = None,
        fallback: Any = None,
    ) -> None:
        self.method: str = _core.normalize_method(method)
        self.url = url
        self.params = params
        self.headers = headers
        self.data = data
        self.json = json
        self.key = key
        self.fallback = fallback

    def __repr__(self) -> str:
        return f"RequestSpec({self.method!r}, {str(self.url)!r})"


RequestLike = str | URL | RequestSpec


class Progress(NamedTuple):
    """Counts of a running batch: finished (failed included), failed, submitted so far."""

    done: int
    failed: int
    total: int


class Completed:
    """One result of `as_completed`: which request it answers and how it ended."""

    __slots__ = ("exception", "index", "key", "response")

    def __init__(
        self,
        index: int,
        key: Any,
        response: ClientResponse | None,
        exception: BaseException | None,
    ) -> None:
        self.index = index  # position in the input
        self.key = key  # the RequestSpec's key, else the URL
        self.response = response
        self.exception = exception

    @property
    def ok(self) -> bool:
        return self.exception is None

    def result(self) -> ClientResponse:
        """The response, or the request's exception raised."""
        if self.exception is not None:
            raise self.exception
        assert self.response is not None
        return self.response

    def __repr__(self) -> str:
        outcome = self.response if self.exception is None else repr(self.exception)
        return f"<Completed #{self.index} {self.key!r}: {outcome}>"
