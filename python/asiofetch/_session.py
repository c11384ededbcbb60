"""ClientSession: aiohttp's client session API over one native SessionCore and the loop mailbox.

The top layer. Import order of the package, each module importing only those before it:
_errors -> _models -> _native_errors -> _bridge -> _stream -> _response_head -> _response ->
_flow -> _connector -> _prepare (request preparation) -> _options (native Options) -> _batch
-> _session_state (settings, per-call overrides) -> _session_request (one request, the verbs'
awaitable) -> _session_batch (gather, as_completed) -> _session -> _fetch / _request; the
leaves (_core, _headers, _body, _cookiejar, _timeout, _tracing, _version) come first,
_middlewares right after _body.
`scripts/check_imports.py` (run by `make lint`) fails on any cycle. Responses and flow objects
sit right above the bridge, below request preparation, because a streamed body and
`Semaphore.acquire()` wait on the loop's mailbox, and preparation stores cookies from
responses. Exceptions refer to responses in annotations only (`TYPE_CHECKING`).

This module holds what aiohttp users see: the constructor, properties, lifetime and the
verbs. The class's state and per-call overrides are in `_session_state`, sending one request
in `_session_request`, the native batches in `_session_batch`.
"""

from __future__ import annotations

import asyncio
import json as _json
import sys
import traceback
import urllib.request
import weakref
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict, istr
from yarl import URL

from . import _core
from ._body import BasicAuth
from ._bridge import LoopMailbox
from ._connector import TCPConnector, native_pool
from ._cookiejar import CookieJar
from ._flow import Flow, Hedge, RateLimit, Retry, Semaphore, check_flow
from ._headers import merge_headers
from ._middlewares import ClientMiddlewareType, check_middlewares
from ._options import BATCH_MAX_BODY_SIZE, OptionsCache, body_bounds, body_cap
from ._prepare import RequestDefaults, check_auth, load_netrc
from ._resolve import ResolverHook
from ._response import ClientResponse
from ._session_batch import SessionBatches
from ._session_request import _RequestContextManager
from ._session_state import NO_LOOP as _NO_LOOP
from ._session_state import SENTINEL as _SENTINEL
from ._session_state import check_raise_for_status as _check_raise_for_status
from ._timeout import DEFAULT_TIMEOUT, ClientTimeout, to_timeout
from ._tracing import check_trace_configs

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._request_options import RequestOptions

__all__ = ("ClientSession", "Session", "close_session_now", "unowned_session")

_get_running_loop = asyncio.events._get_running_loop


class ClientSession(SessionBatches):
    """An HTTP client session: default headers, cookies, timeouts and a native connection pool.

    Drop-in for aiohttp.ClientSession. `await session.get(url)` and `async with
    session.get(url) as resp:` both return the response once its head is complete; the body
    streams through `resp.content` with backpressure (the engine pauses the transfer when
    `2 * read_bufsize` decoded bytes wait unread, 256 KiB by default), or came whole with the
    head when it was that quick. `max_body_size` / `max_decompressed_size` (bytes, None: no
    bound) fail a larger body with ClientPayloadError. Native batches (gather, as_completed)
    hold whole bodies, so each is capped at `batch_max_body_size` (16 MiB; None: no cap).
    """

    ATTRS = frozenset(
        {"_base_url", "_connector", "_cookie_jar", "_default_headers", "_timeout", "_closed"}
    )

    def __init__(
        self,
        base_url: str | URL | None = None,
        *,
        connector: TCPConnector | None = None,
        cookies: Any = None,
        headers: Any = None,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
        skip_auto_headers: Any = None,
        auth: BasicAuth | None = None,
        json_serialize: Callable[[Any], str | bytes] = _json.dumps,
        json_serialize_bytes: Callable[[Any], bytes] | None = None,
        cookie_jar: CookieJar | None = None,
        connector_owner: bool = True,
        raise_for_status: bool | Callable[[ClientResponse], Awaitable[None]] = False,
        timeout: ClientTimeout | float | None = _SENTINEL,
        auto_decompress: bool = True,
        trust_env: bool = False,
        http2: bool = False,
        retry: Retry | None = None,
        semaphore: Semaphore | None = None,
        rate_limit: RateLimit | None = None,
        hedge: Hedge | None = None,
        middlewares: Sequence[ClientMiddlewareType] = (),
        trace_configs: Sequence[Any] | None = None,  # TraceConfig (asiofetch's or aiohttp's)
        # Accepted for aiohttp compatibility; the engine has no equivalent knob.
        loop: Any = None,
        version: Any = None,
        requote_redirect_url: bool = True,
        read_bufsize: int | None = None,
        max_body_size: int | None = None,
        max_decompressed_size: int | None = None,
        batch_max_body_size: int | None = BATCH_MAX_BODY_SIZE,
        max_line_size: int = 8190,
        max_field_size: int = 8190,
        max_headers: int = 128,
        fallback_charset_resolver: Any = None,
    ) -> None:
        # First: __del__ must find these even if validation below fails.
        self._closed = True
        self._fast = False
        self._connector: TCPConnector | None = None
        self._resolve_hook: ResolverHook | None = None
        self._connector_owner = connector_owner
        self._quiet = False

        if base_url is None or isinstance(base_url, URL):
            self._base_url: URL | None = base_url
        elif isinstance(base_url, str):
            self._base_url = URL(base_url)
        else:
            raise TypeError(f"base_url must be str or yarl.URL, got {type(base_url).__name__}")
        if self._base_url is not None and not self._base_url.absolute:
            raise ValueError("base_url must be an absolute URL")
        if connector is None:
            connector = TCPConnector()
            self._connector_owner = True
        elif not isinstance(connector, TCPConnector):
            raise TypeError(f"connector must be a TCPConnector, got {type(connector).__name__}")
        if connector.closed:
            raise RuntimeError("Session and connector has to use same event loop")
        if timeout is _SENTINEL:
            self._timeout = DEFAULT_TIMEOUT
        else:
            self._timeout = to_timeout(timeout)
        _check_raise_for_status(raise_for_status)
        if not isinstance(http2, bool):
            raise TypeError(f"http2 must be a bool, got {type(http2).__name__}")
        check_auth(auth)
        self._middlewares = check_middlewares(middlewares)
        self._json_serialize = json_serialize
        self._json_serialize_bytes = json_serialize_bytes
        self._trace_configs = check_trace_configs(trace_configs)

        self._connector = connector
        self._resolve_hook = connector.resolve_hook  # None: libcurl resolves
        self._core: _core.SessionCore = native_pool(connector)
        jar: CookieJar = CookieJar() if cookie_jar is None else cookie_jar
        if cookies:
            jar.update_cookies(cookies)
        self._raise_for_status = raise_for_status
        self._auto_decompress = auto_decompress
        self._trust_env = trust_env
        self._http_version = _core.HTTP_2 if http2 else _core.HTTP_ANY
        self._default_proxy = proxy
        self._default_proxy_auth = proxy_auth
        self._defaults = RequestDefaults(
            base_url=self._base_url,
            headers=merge_headers(CIMultiDict(), headers),
            skip_auto_headers=frozenset(istr(h) for h in (skip_auto_headers or ())),
            cookie_jar=jar,
            # aiohttp 3.14: a bytes encoder, when given, is used instead of json_serialize.
            json_serialize=json_serialize if json_serialize_bytes is None else json_serialize_bytes,
            auth=auth,
        )
        self._opts = OptionsCache(
            self._http_version,
            (max_line_size, max_field_size, max_headers),
            # With base_url, aiohttp re-applies it only on the base URL's origin: not done.
            auth.encode() if auth is not None and self._base_url is None else "",
        )
        # Body bounds (None: none, aiohttp's behaviour; memory stays bounded by reading) and the
        # pause mark (read_bufsize None: the engine's 256 KiB of decoded bytes).
        self._body_bounds = body_bounds(max_body_size, max_decompressed_size, read_bufsize)
        # Native batches hold whole bodies: capped per body unless told (see _options).
        self._batch_body_cap = body_cap("batch_max_body_size", batch_max_body_size)
        self._flow: Flow = check_flow(retry, semaphore, rate_limit, hedge)
        self._env_proxies: dict[str, str] = urllib.request.getproxies() if trust_env else {}
        # aiohttp reads NETRC or ~/.netrc per request; read once here (a file edited during
        # the session's life is not seen).
        self._netrc = load_netrc() if trust_env else None
        self._proxy = self._proxy_str(proxy, proxy_auth)
        self._opts_buffered = self._opts.get(
            self._timeout,
            True,
            _core.MAX_REDIRECTS,
            connector.tls,
            self._proxy,
            True,
            auto_decompress,
            self._flow,
            body=self._body_bounds,
        )
        # (loop, mailbox) of the last request: one identity test instead of a dict lookup.
        # The loop the cached mailbox belongs to, held weakly: a session must not keep a loop
        # alive (fetch()'s per-loop default session is keyed weakly by its loop, and a strong
        # reference here kept every loop, its session and their fds for the process's life).
        self._mb_loop: weakref.ref[asyncio.AbstractEventLoop] = _NO_LOOP
        self._mb: LoopMailbox | None = None
        self._source_traceback = (
            traceback.extract_stack(sys._getframe(1)) if _loop_debug() else None
        )
        self._closed = False
        self._update_fast()

    # ---- properties -----------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def connector(self) -> TCPConnector | None:
        return self._connector

    @property
    def connector_owner(self) -> bool:
        return self._connector_owner

    @property
    def cookie_jar(self) -> CookieJar:
        return self._defaults.cookie_jar

    @property
    def headers(self) -> CIMultiDict[str]:
        return self._defaults.headers

    @property
    def skip_auto_headers(self) -> frozenset[str]:
        return self._defaults.skip_auto_headers

    @property
    def timeout(self) -> ClientTimeout:
        return self._timeout

    @property
    def auth(self) -> BasicAuth | None:
        return self._defaults.auth

    @property
    def json_serialize(self) -> Callable[[Any], str | bytes]:
        return self._json_serialize

    @property
    def json_serialize_bytes(self) -> Callable[[Any], bytes] | None:
        return self._json_serialize_bytes

    @property
    def raise_for_status(self) -> bool | Callable[[ClientResponse], Awaitable[None]]:
        return self._raise_for_status

    @property
    def auto_decompress(self) -> bool:
        return self._auto_decompress

    @property
    def trust_env(self) -> bool:
        return self._trust_env

    @property
    def middlewares(self) -> tuple[Any, ...]:
        return self._middlewares

    @property
    def trace_configs(self) -> list[Any]:
        return list(self._trace_configs)

    @property
    def http2(self) -> bool:
        return self._http_version == _core.HTTP_2

    # ---- lifetime -------------------------------------------------------------------------

    async def close(self) -> None:
        """Close the session; with its own connector, requests still running fail with
        SessionClosedError (aiohttp: ClientConnectionError)."""
        self._close()

    def detach(self) -> None:
        """Forget the connector without closing it."""
        self._closed = True
        self._fast = False
        self._connector = None

    async def __aenter__(self) -> ClientSession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        self._close()

    # ---- verbs ----------------------------------------------------------------------------

    def request(
        self, method: str, url: str | URL, **kwargs: Unpack[RequestOptions]
    ) -> _RequestContextManager:
        """Perform a request: await it, or use it with `async with` (released on exit)."""
        return _RequestContextManager(self, method, url, kwargs)

    def get(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> _RequestContextManager:
        return _RequestContextManager(self, "GET", url, kwargs)

    def options(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> _RequestContextManager:
        return _RequestContextManager(self, "OPTIONS", url, kwargs)

    def head(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> _RequestContextManager:
        # aiohttp: HEAD does not follow redirects unless asked.
        kwargs.setdefault("allow_redirects", False)
        return _RequestContextManager(self, "HEAD", url, kwargs)

    def post(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> _RequestContextManager:
        return _RequestContextManager(self, "POST", url, kwargs)

    def put(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> _RequestContextManager:
        return _RequestContextManager(self, "PUT", url, kwargs)

    def patch(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> _RequestContextManager:
        return _RequestContextManager(self, "PATCH", url, kwargs)

    def delete(self, url: str | URL, **kwargs: Unpack[RequestOptions]) -> _RequestContextManager:
        return _RequestContextManager(self, "DELETE", url, kwargs)


def _loop_debug() -> bool:
    loop = _get_running_loop()
    return loop is not None and loop.get_debug()


Session = ClientSession


def unowned_session() -> ClientSession:
    """A session only the library can close (fetch()'s shared one): no unclosed warning."""
    session = ClientSession()
    session._quiet = True
    return session


def close_session_now(session: ClientSession) -> None:
    """Close from synchronous code (a loop's finalizer, interpreter exit)."""
    session._close()
