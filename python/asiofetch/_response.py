"""ClientResponse: aiohttp's response API over a native RawResponse, everything parsed lazily."""

from __future__ import annotations

import asyncio
import json as _json
from collections.abc import Callable, Generator
from http.cookies import SimpleCookie
from types import TracebackType
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy, MultiDictProxy
from yarl import URL

from ._cookiejar import parse_set_cookies
from ._errors import ClientConnectionError, ClientResponseError, ContentTypeError
from ._headers import parse_content_type, proxy_of, raw_of
from ._models import HttpVersion, RequestInfo
from ._response_head import VERSIONS as _VERSIONS
from ._response_head import Hop as _Hop
from ._response_head import content_type_matches, encoding_of, parse_links, set_cookie_sources
from ._response_head import normalized_url as _normalized_url
from ._stream import StreamReader, is_native
from ._upload_tracker import response_output_size, response_upload_complete

__all__ = ("ClientResponse", "set_cookie_headers")


class _Noop:
    """What release() returns: awaitable (aiohttp allows `await resp.release()`), and harmless
    when not awaited (no 'coroutine was never awaited' warning)."""

    __slots__ = ()

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield  # pragma: no cover - makes this a generator


_NOOP = _Noop()


class ClientResponse:
    """A response, returned as soon as its head is complete (aiohttp's model).

    A body that arrived with the head (the common small response) is held whole; a longer one
    keeps arriving into the engine's bounded buffer and is read through `resp.content` or
    collected by `read()`/`text()`/`json()`. Batches (`gather`, `as_completed`) hold whole
    bodies.
    """

    __slots__ = (
        "__weakref__",
        "_body",
        "_closed",
        "_content",
        "_cookies",
        "_headers",
        "_history",
        "_hpairs",
        "_in_context",
        "_raw",
        "_released",
        "_req_headers",
        "_upload",
        "_upload_fut",
        "_url",
        "status",
    )

    # Set only for a streamed request body (the session's _send): the deprecated
    # output_size / upload_complete read them with getattr, so an unset slot costs nothing.
    _upload: Any
    _upload_fut: Any

    def __init__(
        self,
        raw: Any,
        req_headers: Any = None,
        stream: bool = False,
    ) -> None:
        self._raw = raw
        self.status: int = raw.status
        # The headers we sent: a CIMultiDict, a list of pairs (the session's defaults) or None.
        self._req_headers = req_headers
        self._body: bytes | None = None
        self._headers: CIMultiDictProxy[str] | None = None
        # The native header list, when the session already converted it (Set-Cookie scan).
        self._hpairs: list[tuple[str, str]] | None = None
        self._url: URL | None = None
        self._history: tuple[ClientResponse, ...] | None = None
        self._cookies: SimpleCookie | None = None
        self._released = False  # release()/close() was called
        self._closed = False  # the body was read to its end
        self._in_context = False
        # A streamed body: the reader exists from the start so that dropping the response
        # unread aborts the transfer (StreamReader.__del__). `stream` is kept for callers
        # that pass it; the engine decides (raw.stream is None when the body came whole).
        self._content: StreamReader | None = None
        native = raw.stream
        if native is not None:
            self._content = StreamReader(None, native)

    # ---- status line -------------------------------------------------------------------

    @property
    def reason(self) -> str:
        return self._raw.reason  # type: ignore[no-any-return]

    @property
    def ok(self) -> bool:
        """True when status < 400 (not a check for 200)."""
        return self.status < 400

    @property
    def method(self) -> str:
        return self._raw.method  # type: ignore[no-any-return]

    @property
    def version(self) -> HttpVersion:
        v: str = self._raw.http_version
        return _VERSIONS.get(v) or HttpVersion(*(int(p) for p in (v + ".0").split(".")[:2]))

    @property
    def url(self) -> URL:
        url = self._url
        if url is None:
            url = self._url = _normalized_url(self._raw.url)
        return url

    @property
    def real_url(self) -> URL:
        return self.url

    @property
    def host(self) -> str:
        return self.url.host or ""

    # ---- headers -----------------------------------------------------------------------

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        headers = self._headers
        if headers is None:
            headers = self._headers = proxy_of(self._header_pairs())
        return headers

    def _header_pairs(self) -> list[tuple[str, str]]:
        pairs = self._hpairs
        if pairs is None:
            pairs = self._hpairs = self._raw.headers
        return pairs

    @property
    def raw_headers(self) -> tuple[tuple[bytes, bytes], ...]:
        return raw_of(self._header_pairs())

    @property
    def content_type(self) -> str:
        raw = self.headers.get("Content-Type")
        if raw is None:
            return "application/octet-stream"  # RFC 2616's default, as aiohttp reports
        return parse_content_type(raw)[0]

    @property
    def charset(self) -> str | None:
        raw = self.headers.get("Content-Type")
        if raw is None:
            return None
        return parse_content_type(raw)[1].get("charset")

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("Content-Length")
        return None if value is None else int(value)

    @property
    def links(self) -> MultiDictProxy[MultiDictProxy[str | URL]]:
        """The Link headers (RFC 8288) keyed by rel (or URL), as aiohttp parses them."""
        return parse_links(self.headers.getall("Link", ()), self.url)

    @property
    def cookies(self) -> SimpleCookie:
        cookies = self._cookies
        if cookies is None:
            cookies = self._cookies = parse_set_cookies(self.headers.getall("Set-Cookie", ()))
        return cookies

    @property
    def request_info(self) -> RequestInfo:
        sent = self._req_headers
        if isinstance(sent, CIMultiDictProxy):
            headers = sent
        elif sent:
            headers = CIMultiDictProxy(CIMultiDict(sent))
        else:
            headers = CIMultiDictProxy(CIMultiDict())
        url = self.url
        return RequestInfo(url, self._raw.method, headers, url)

    @property
    def history(self) -> tuple[ClientResponse, ...]:
        """The redirect responses that led here, oldest first."""
        history = self._history
        if history is None:
            raw = self._raw
            hops = raw.history
            if hops:
                version = raw.http_version
                sent = self._req_headers
                history = tuple(ClientResponse(_Hop(h, version), sent) for h in hops)
            else:
                history = ()
            self._history = history
        return history

    # ---- asiofetch extras -----------------------------------------------------------------

    @property
    def timings(self) -> dict[str, float]:
        """Seconds: dns, connect, tls, first_byte, total (of the final attempt), queued.

        A streamed response (``async with session.get(...)``) is handed over at its head:
        ``total`` reads 0 until its body has ended.
        """
        return self._raw.timings  # type: ignore[no-any-return]

    @property
    def attempts(self) -> int:
        """How many attempts the engine made (1 without retries)."""
        return self._raw.attempts  # type: ignore[no-any-return]

    @property
    def hedge(self) -> int:
        """Which copy of a hedged request answered: 0 the original, n the n-th extra copy."""
        return self._raw.hedge  # type: ignore[no-any-return]

    @property
    def output_size(self) -> int:
        """Deprecated (aiohttp 3.14.4): use UploadTracker. Request body bytes sent."""
        return response_output_size(self)

    @property
    def upload_complete(self) -> asyncio.Future[None]:
        """Deprecated (aiohttp 3.14.4): use UploadTracker. Set once the body was sent."""
        return response_upload_complete(self)

    # ---- body ----------------------------------------------------------------------------

    @property
    def content(self) -> StreamReader:
        content = self._content
        if content is None:
            content = self._content = StreamReader(self._body_bytes(), None, None, self._raw)
            if self._released:
                content.set_exception(ClientConnectionError("Connection closed"))
        return content

    def _body_bytes(self) -> bytes:
        body = self._body
        if body is None:
            body = self._body = self._raw.body
        return body

    @property
    def _streaming(self) -> bool:
        content = self._content
        return content is not None and is_native(content)

    async def read(self) -> bytes:
        """The whole body (decoded when auto_decompress). Errors of the body (a cut
        connection, bad compressed data, a read timeout) are raised here, as by aiohttp."""
        # Released (release(), close(), the end of `async with`, raise_for_status() outside
        # one), the body is gone, read or not, as with aiohttp (whose release() fails the
        # reader): "Connection closed".
        if self._released:
            raise ClientConnectionError("Connection closed")
        if not self._streaming:
            # The body came whole with the head (it may be here already through .content).
            self._closed = True  # aiohttp: closed once the body is read
            return self._body_bytes()
        body = self._body
        if body is not None:
            return body
        try:
            body = self._body = await self.content.read()
        except BaseException:
            self.close()
            raise
        self._closed = True
        return body

    def get_encoding(self) -> str:
        return encoding_of(self.headers.get("Content-Type", ""))

    async def text(self, encoding: str | None = None, errors: str = "strict") -> str:
        body = await self.read()
        if encoding is None:
            encoding = self.get_encoding()
        return body.decode(encoding, errors)

    async def json(
        self,
        *,
        encoding: str | None = None,
        loads: Callable[[str], Any] = _json.loads,
        content_type: str | None = "application/json",
    ) -> Any:
        """The body parsed as JSON; None for an empty body; ContentTypeError on mismatch."""
        body = await self.read()
        if content_type:
            ctype = self.headers.get("Content-Type", "").lower()
            if not content_type_matches(ctype, content_type):
                raise ContentTypeError(
                    self.request_info,
                    self.history,
                    status=self.status,
                    message=f"Attempt to decode JSON with unexpected mimetype: {ctype}",
                    headers=self.headers,
                )
        stripped = body.strip()
        if not stripped:
            return None
        if encoding is None:
            encoding = self.get_encoding()
        return loads(stripped.decode(encoding))

    # ---- lifetime ------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        # aiohttp releases the connection once the body is complete; a response without a
        # body (204, 304, HEAD) is closed from the start.
        return self._released or self._closed or (not self._streaming and not self._body_bytes())

    @property
    def connection(self) -> None:
        """aiohttp exposes the pooled connection; the engine owns connections, so None."""
        return None

    def release(self) -> Any:
        """Done with the response: a streamed body still downloading is aborted."""
        if not self._released:
            self._released = True
            content = self._content
            if content is not None:
                if is_native(content):
                    content.abort()
                elif content.exception() is None:
                    content.set_exception(ClientConnectionError("Connection closed"))
        return _NOOP

    def close(self) -> None:
        self.release()

    async def wait_for_close(self) -> None:
        self.release()

    def raise_for_status(self) -> None:
        if self.status >= 400:
            if not self._in_context:
                self.release()
            raise ClientResponseError(
                self.request_info,
                self.history,
                status=self.status,
                message=self.reason,
                headers=self.headers,
            )

    async def __aenter__(self) -> ClientResponse:
        self._in_context = True
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self._in_context = False
        self.release()

    def __repr__(self) -> str:
        reason = self.reason.encode("ascii", "backslashreplace").decode("ascii") or "None"
        return f"<ClientResponse({self.url}) [{self.status} {reason}]>\n{self.headers}\n"


def set_cookie_headers(resp: ClientResponse) -> list[tuple[list[str], URL]]:
    """The Set-Cookie values of every response of the chain, each with the URL that sent it
    (the cookie jar's input). Asks the native side first, so a response without cookies never
    has its headers converted."""
    raw = resp._raw
    if not raw.sets_cookies:
        return []
    return set_cookie_sources(raw.history, raw.url, resp._header_pairs())
