"""ClientSession: aiohttp's client session API over one native SessionCore and the loop mailbox.

The top layer. Import order of the package, each module importing only those before it:
_errors -> _models -> _native_errors -> _bridge -> _stream -> _response -> _flow ->
_connector -> _prepare (request preparation) -> _options (native Options) -> _batch -> _session
-> _fetch / _request; the leaves (_core, _headers, _body, _cookiejar, _timeout, _tracing,
_version) come first, _middlewares right after _body. `scripts/check_imports.py` (run by
`make lint`) fails on any cycle. Responses and flow objects sit right above the bridge, below
request preparation, because a streamed body and `Semaphore.acquire()` wait on the loop's
mailbox, and preparation stores cookies from responses. Exceptions refer to responses in
annotations only (`TYPE_CHECKING`).

Over 400 lines because aiohttp's constructor, properties and request signatures are long
(about 200 lines of them), and the verbs' awaitable (`_RequestContextManager`, the hot path)
reads the session's per-loop mailbox cache directly, so it stays beside the session; the
preparation logic is in the modules above.
"""

from __future__ import annotations

import asyncio
import collections.abc
import contextlib
import json as _json
import sys
import traceback
import urllib.request
import warnings
import weakref
from collections.abc import (
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Callable,
    Generator,
    Iterable,
    Sequence,
)
from types import TracebackType
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy, istr
from yarl import URL

from . import _batch, _core
from ._batch import BatchTarget
from ._batch_stream import CompletedStream
from ._body import BasicAuth, close_payload, prepare_body
from ._bridge import LoopMailbox, mailbox_for
from ._chunked import chunk_body
from ._compress import compress_body
from ._connector import (
    TCPConnector,
    check_server_hostname,
    close_now,
    native_pool,
    tls_settings,
)
from ._cookiejar import CookieJar
from ._errors import ClientError, ClientResponseError, InvalidUrlClientError, SessionClosedError
from ._flow import Flow, Hedge, RateLimit, Retry, Semaphore, check_flow, fallback_list
from ._headers import merge_headers
from ._middlewares import ClientMiddlewareType, ClientRequest, check_middlewares, run_middlewares
from ._models import Completed, Progress, RequestLike
from ._options import (
    BATCH_MAX_BODY_SIZE,
    HeadLimits,
    OptionsCache,
    batch_options,
    body_bounds,
    body_cap,
)
from ._prepare import (
    EMPTY_AUTHORITY,
    RequestDefaults,
    body_headers,
    check_auth,
    fill_request_info,
    load_netrc,
    netrc_auth,
    request_headers,
    store_cookies,
)
from ._resolve import ResolverHook, await_resolving, with_resolve_hook
from ._response import ClientResponse
from ._timeout import DEFAULT_TIMEOUT, ClientTimeout, to_timeout
from ._tracing import RequestTrace, check_trace_configs
from ._upload import (
    Upload,
    check_replay,
    inline_under_mock,
    raise_upload_failure,
    start_upload,
)
from ._upload_tracker import UploadTracker, check_tracker

__all__ = ("ClientSession", "Session", "close_session_now", "unowned_session")

_get_running_loop = asyncio.events._get_running_loop
_CancelledError = asyncio.CancelledError
_SENTINEL: Any = object()


def _no_loop() -> None:
    """Stands in for a dead weak reference before a session has seen a loop."""
    return None


_NO_LOOP: Any = _no_loop


class ClientSession:
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

    def _update_fast(self) -> None:
        # The hot path applies when nothing per request needs Python-side URL work.
        self._fast = (
            not self._closed
            and self._base_url is None
            and not self._env_proxies
            and isinstance(self._raise_for_status, bool)
            and self._netrc is None
            and not self._middlewares
            and not self._trace_configs
            and self._resolve_hook is None
        )

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

    def _close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._fast = False
        connector = self._connector
        if connector is not None and self._connector_owner:
            close_now(connector)
        self._connector = None
        self._mb_loop, self._mb = _NO_LOOP, None

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

    def __del__(self, _warnings: Any = warnings) -> None:
        # __init__ may never have run (an unknown keyword argument fails before it starts).
        if getattr(self, "_closed", True):
            return
        if not self._quiet:
            _warnings.warn(f"Unclosed client session {self!r}", ResourceWarning, source=self)
            loop = self._mb_loop()
            if loop is not None and not loop.is_closed():
                context: dict[str, Any] = {
                    "client_session": self,
                    "message": "Unclosed client session",
                }
                if self._source_traceback is not None:
                    context["source_traceback"] = self._source_traceback
                loop.call_exception_handler(context)
        with contextlib.suppress(Exception):  # interpreter teardown
            self._close()

    # ---- verbs ----------------------------------------------------------------------------

    def request(self, method: str, url: str | URL, **kwargs: Any) -> _RequestContextManager:
        """Perform a request: await it, or use it with `async with` (released on exit)."""
        return _RequestContextManager(self, method, url, kwargs)

    def get(self, url: str | URL, **kwargs: Any) -> _RequestContextManager:
        return _RequestContextManager(self, "GET", url, kwargs)

    def options(self, url: str | URL, **kwargs: Any) -> _RequestContextManager:
        return _RequestContextManager(self, "OPTIONS", url, kwargs)

    def head(self, url: str | URL, **kwargs: Any) -> _RequestContextManager:
        # aiohttp: HEAD does not follow redirects unless asked.
        kwargs.setdefault("allow_redirects", False)
        return _RequestContextManager(self, "HEAD", url, kwargs)

    def post(self, url: str | URL, **kwargs: Any) -> _RequestContextManager:
        return _RequestContextManager(self, "POST", url, kwargs)

    def put(self, url: str | URL, **kwargs: Any) -> _RequestContextManager:
        return _RequestContextManager(self, "PUT", url, kwargs)

    def patch(self, url: str | URL, **kwargs: Any) -> _RequestContextManager:
        return _RequestContextManager(self, "PATCH", url, kwargs)

    def delete(self, url: str | URL, **kwargs: Any) -> _RequestContextManager:
        return _RequestContextManager(self, "DELETE", url, kwargs)

    # ---- internals ------------------------------------------------------------------------

    def _bind_loop(self, loop: asyncio.AbstractEventLoop) -> LoopMailbox:
        mb = mailbox_for(loop)
        self._mb_loop = weakref.ref(loop)
        self._mb = mb
        return mb

    def _request_flow(self, retry: Any, semaphore: Any, rate_limit: Any, hedge: Any) -> Flow:
        """The session's Retry/Semaphore/RateLimit/Hedge, overridden per request (None removes)."""
        if (
            retry is _SENTINEL
            and semaphore is _SENTINEL
            and rate_limit is _SENTINEL
            and hedge is _SENTINEL
        ):
            return self._flow
        r, sem, rl, h = self._flow
        return check_flow(
            r if retry is _SENTINEL else retry,
            sem if semaphore is _SENTINEL else semaphore,
            rl if rate_limit is _SENTINEL else rate_limit,
            h if hedge is _SENTINEL else hedge,
        )

    def _request_bounds(self, max_body: Any, max_decompressed: Any, read_bufsize: Any) -> Any:
        """The session's body bounds, overridden per request (None removes a bound)."""
        if max_body is _SENTINEL and max_decompressed is _SENTINEL and read_bufsize is None:
            return self._body_bounds
        mb, md, mark = self._body_bounds
        bounds = body_bounds(
            mb if max_body is _SENTINEL else max_body,
            md if max_decompressed is _SENTINEL else max_decompressed,
            read_bufsize,
        )
        return bounds if read_bufsize is not None else (bounds[0], bounds[1], mark)

    # ---- native batches ---------------------------------------------------------------------

    async def gather(
        self,
        requests: Iterable[RequestLike],
        *,
        return_exceptions: bool = False,
        concurrency: int | None = None,
        deadline: float | None = None,
        retry: Any = _SENTINEL,
        semaphore: Any = _SENTINEL,
        rate_limit: Any = _SENTINEL,
        hedge: Any = _SENTINEL,
        timeout: Any = _SENTINEL,
        progress: Callable[[Progress], object] | None = None,
        allow_redirects: bool = True,
        max_redirects: int = _core.MAX_REDIRECTS,
        max_body_size: Any = _SENTINEL,
    ) -> list[Any]:
        """Fetch every request in one native batch; responses in input order (see _batch).

        `allow_redirects` and `max_redirects` apply to every request of the batch, as they do
        to one request (aiohttp's counting: the max_redirects-th redirect is TooManyRedirects).
        `max_body_size` caps each body the batch holds (bytes, decoded; None: no cap; default
        the session's batch_max_body_size, 16 MiB): a larger one fails with ClientPayloadError.
        """
        target = self._batch_target(
            retry,
            semaphore,
            rate_limit,
            hedge,
            timeout,
            allow_redirects,
            max_redirects,
            max_body_size,
        )
        return await _batch.gather(
            target,
            requests,
            return_exceptions=return_exceptions,
            concurrency=concurrency,
            deadline=deadline,
            progress=progress,
        )

    def as_completed(
        self,
        requests: Iterable[RequestLike] | AsyncIterable[RequestLike],
        *,
        concurrency: int = 100,
        buffer: int | None = None,
        deadline: float | None = None,
        retry: Any = _SENTINEL,
        semaphore: Any = _SENTINEL,
        rate_limit: Any = _SENTINEL,
        hedge: Any = _SENTINEL,
        timeout: Any = _SENTINEL,
        allow_redirects: bool = True,
        max_redirects: int = _core.MAX_REDIRECTS,
        max_body_size: Any = _SENTINEL,
    ) -> AsyncIterator[Completed]:
        """Results as they finish, consuming `requests` lazily (see _batch); redirects and
        max_body_size as for gather()."""
        target = self._batch_target(
            retry,
            semaphore,
            rate_limit,
            hedge,
            timeout,
            allow_redirects,
            max_redirects,
            max_body_size,
        )
        return _batch.as_completed(
            target, requests, concurrency=concurrency, buffer=buffer, deadline=deadline
        )

    def _completed_chunks(
        self,
        requests: Iterable[RequestLike],
        *,
        concurrency: int,
        allow_redirects: bool = True,
        max_redirects: int = _core.MAX_REDIRECTS,
    ) -> CompletedStream:
        """as_completed's outcomes raw, a chunk at a time (the bulk-fetch job's path; see
        _batch_stream). Call it on the running loop."""
        target = self._batch_target(
            _SENTINEL, _SENTINEL, _SENTINEL, _SENTINEL, _SENTINEL, allow_redirects, max_redirects
        )
        return _batch.completed_chunks(target, requests, concurrency)

    def _head_limits(self, line: Any, field: Any, headers: Any) -> HeadLimits | None:
        """A request's own limits over the session's (aiohttp: None keeps the session's)."""
        if line is None and field is None and headers is None:
            return None
        own = self._opts.head_limits
        return (
            own[0] if line is None else line,
            own[1] if field is None else field,
            own[2] if headers is None else headers,
        )

    def _batch_target(
        self,
        retry: Any,
        semaphore: Any,
        rate_limit: Any,
        hedge: Any,
        timeout: Any,
        allow_redirects: bool = True,
        max_redirects: int = _core.MAX_REDIRECTS,
        max_body_size: Any = _SENTINEL,
    ) -> BatchTarget:
        """What a batch gets from this session (checked here, at the call)."""
        if self._closed:
            raise SessionClosedError("Session is closed")
        if self._resolve_hook is not None:
            raise ValueError(
                "gather()/as_completed() run no Python per request: a TCPConnector with a "
                "custom resolver cannot run native batches"
            )
        if self._middlewares or self._trace_configs:
            # A native batch runs no Python per request: neither could run.
            raise ValueError(
                "gather()/as_completed() run no Python per request: a session with "
                "middlewares= or trace_configs= cannot run native batches"
            )
        flow = self._request_flow(retry, semaphore, rate_limit, hedge)
        real_timeout = self._timeout if timeout is _SENTINEL else to_timeout(timeout)
        assert self._connector is not None
        # The bindings check allow_redirects and max_redirects (as for one request), here, at
        # the call: a wrong value never reaches the first iteration.
        options = self._opts.get(
            real_timeout,
            allow_redirects,
            max_redirects,
            self._connector.tls,
            self._proxy,
            False,
            self._auto_decompress,
            flow,
            body=self._body_bounds,
        )
        cap = (
            self._batch_body_cap
            if max_body_size is _SENTINEL
            else body_cap("max_body_size", max_body_size)
        )
        options = batch_options(options, cap)
        return BatchTarget(
            core=self._core,
            options=options,
            defaults=self._defaults,
            raise_for_status=self._raise_for_status is True,
        )

    @staticmethod
    def _proxy_str(proxy: Any, proxy_auth: BasicAuth | None) -> str:
        if proxy is None:
            return ""
        if not isinstance(proxy, (str, URL)):
            raise TypeError(f"proxy must be str or yarl.URL, got {type(proxy).__name__}")
        try:
            url = URL(proxy) if isinstance(proxy, str) else proxy
        except ValueError:  # "Invalid IPv6 URL" from yarl: aiohttp's InvalidURL
            raise InvalidUrlClientError(proxy) from None
        if not url.absolute or not url.host:
            raise InvalidUrlClientError(proxy)
        if proxy_auth is not None:
            url = url.with_user(proxy_auth.login).with_password(proxy_auth.password)
        return str(url)

    def _env_proxy_for(self, url: URL) -> str:
        env = self._env_proxies
        host = url.host or ""
        if urllib.request.proxy_bypass_environment(host, env):  # type: ignore[attr-defined]
            return ""
        return env.get(url.scheme, "")

    async def _request(
        self, method: str, str_or_url: Any, stream: bool, **kwargs: Any
    ) -> ClientResponse:
        tracker = kwargs.get("upload_tracker")
        if tracker is not None:
            check_tracker(tracker)
        try:
            return await self._request_once(method, str_or_url, stream, **kwargs)
        except BaseException:
            # aiohttp closes a payload object the request could not complete with (its
            # *_closes_payload tests: TooManyRedirects, a bad redirect URL...).
            await close_payload(kwargs.get("data"))
            raise
        finally:
            if tracker is not None:
                tracker._finalize()

    async def _request_once(
        self,
        method: str,
        str_or_url: Any,
        stream: bool,
        *,
        params: Any = None,
        data: Any = None,
        json: Any = None,
        cookies: Any = None,
        headers: Any = None,
        skip_auto_headers: Any = None,
        auth: BasicAuth | None = None,
        allow_redirects: bool = True,
        max_redirects: int = _core.MAX_REDIRECTS,
        raise_for_status: Any = None,
        proxy: str | URL | None = None,
        proxy_auth: BasicAuth | None = None,
        timeout: Any = _SENTINEL,
        ssl: Any = True,
        verify_ssl: bool | None = None,
        ssl_context: Any = None,
        auto_decompress: bool | None = None,
        compress: Any = None,
        chunked: Any = None,
        expect100: bool = False,
        read_until_eof: bool = True,
        fingerprint: Any = None,
        server_hostname: Any = None,
        proxy_headers: Any = None,
        trace_request_ctx: Any = None,
        read_bufsize: Any = None,
        max_body_size: Any = _SENTINEL,
        max_decompressed_size: Any = _SENTINEL,
        max_line_size: Any = None,
        max_field_size: Any = None,
        max_headers: Any = None,
        retry: Any = _SENTINEL,
        semaphore: Any = _SENTINEL,
        rate_limit: Any = _SENTINEL,
        hedge: Any = _SENTINEL,
        fallback: Any = None,
        middlewares: Sequence[ClientMiddlewareType] | None = None,
        upload_tracker: UploadTracker | None = None,
    ) -> ClientResponse:
        if self._closed:
            raise SessionClosedError("Session is closed")
        # method, allow_redirects and max_redirects are checked by the bindings (one place).
        method = _core.normalize_method(method)
        if raise_for_status is not None:
            _check_raise_for_status(raise_for_status)

        check_server_hostname(server_hostname)
        d = self._defaults
        url_str, url = d.build_url(str_or_url, params)
        if auth is not None and (url or URL(url_str)).user:
            raise ValueError("Cannot combine AUTH argument with credentials encoded in URL")
        prepared = await prepare_body(data, json, d.json_serialize)
        if auth is None and self._netrc is not None and d.auth is None:
            auth = netrc_auth(self._netrc, (url or URL(url_str)).host, d, headers)
        hdrs = request_headers(d, headers, skip_auto_headers, prepared.content_type, auth)
        if upload_tracker is not None:
            upload_tracker._size = len(prepared.data or b"")  # before compression
        prepared = chunk_body(compress_body(prepared, compress, hdrs), chunked, hdrs)
        if prepared.stream is not None:
            check_replay(
                prepared.stream,
                method,
                self._flow[0] if retry is _SENTINEL else retry,
                retry is not _SENTINEL,
                self._flow[3] if hedge is _SENTINEL else hedge,
                hedge is not _SENTINEL,
                bool(fallback),
            )
            prepared = await inline_under_mock(prepared)
        upload = None
        body: Any = prepared.data
        if prepared.headers or prepared.stream is not None:
            body, upload = start_upload(prepared, hdrs)
        body = body_headers(hdrs, body, expect100)
        if cookies or d.cookie_jar:
            d.add_cookie_header(hdrs, url or URL(url_str), cookies)
        trace = None
        if self._trace_configs:
            trace = RequestTrace(
                self,
                self._trace_configs,
                trace_request_ctx,
                method,
                url or URL(url_str),
                merge_headers(d.headers, headers),
            )
            if trace.wants_response_chunks():
                stream = False  # the body goes to the callbacks whole (see _tracing)
            if upload is not None and trace.wants_chunks_sent():
                upload.on_chunk = trace.chunk_sender()  # one event per streamed chunk

        # Options.
        real_timeout = self._timeout if timeout is _SENTINEL else to_timeout(timeout)
        if ssl_context is not None:
            ssl = ssl_context
        elif verify_ssl is False:
            ssl = False
        assert self._connector is not None
        tls = (
            self._connector.tls
            if ssl is True and fingerprint is None
            else tls_settings(ssl, fingerprint)
        )
        if proxy is None and proxy_auth is None:
            proxy_s = self._proxy
            if not proxy_s and self._env_proxies:
                proxy_s = self._env_proxy_for(url or URL(url_str))
        else:
            proxy_s = self._proxy_str(
                proxy if proxy is not None else self._default_proxy,
                proxy_auth or self._default_proxy_auth,
            )
        opts = self._opts.get(
            real_timeout,
            allow_redirects,
            max_redirects,
            tls,
            proxy_s,
            stream,
            self._auto_decompress if auto_decompress is None else bool(auto_decompress),
            self._request_flow(retry, semaphore, rate_limit, hedge),
            self._head_limits(max_line_size, max_field_size, max_headers),
            self._request_bounds(max_body_size, max_decompressed_size, read_bufsize),
        )
        fallbacks = fallback_list(fallback)
        if self._resolve_hook is not None:
            flow = self._request_flow(retry, semaphore, rate_limit, hedge)
            opts = with_resolve_hook(opts, fallbacks, flow[3])
        rfs = self._raise_for_status if raise_for_status is None else raise_for_status
        mws = self._middlewares if middlewares is None else check_middlewares(middlewares)
        if not mws and trace is None:
            resp = await self._send(
                method, url_str, hdrs, body, opts, fallbacks, stream, upload, upload_tracker
            )
            await _check_status(resp, rfs)
            return resp

        async def send(req: ClientRequest) -> ClientResponse:
            m = _core.normalize_method(req.method)
            u = str(req.url)
            up = upload if req._body is body else None
            if up is not None and up.task is not None:
                # A middleware sending again: the stream was consumed by the first send.
                raise ClientError("Cannot send a streamed request body twice (it is one-shot)")
            return await self._send(
                m, u, req.headers, req._body, opts, fallbacks, stream, up, upload_tracker
            )

        req = ClientRequest(method, url or URL(url_str), hdrs, body, self, d.json_serialize)
        if trace is None:
            resp = await run_middlewares(mws, req, send)
            await _check_status(resp, rfs)
            return resp
        await trace.start()
        try:
            resp = await (run_middlewares(mws, req, send) if mws else send(req))
            await trace.sent(resp, req.headers, req._body)
            await _check_status(resp, rfs)
        except BaseException as e:
            await trace.exception(e)
            raise
        await trace.end(resp)
        return resp

    async def _send(
        self,
        method: str,
        url_str: str,
        hdrs: CIMultiDict[str],
        body: Any,
        opts: _core.Options,
        fallbacks: Any,
        stream: bool,
        upload: Upload | None = None,
        tracker: UploadTracker | None = None,
    ) -> ClientResponse:
        """One native request (redirects and retries included) and its response."""
        loop = asyncio.get_running_loop()
        mb = self._mb if loop is self._mb_loop() else self._bind_loop(loop)
        assert mb is not None
        header_list = list(hdrs.items())
        fut: asyncio.Future[Any] = loop.create_future()
        rid = self._core.submit(mb.native, method, url_str, header_list, body, opts, fallbacks)
        mb.futures[rid] = fut
        if upload is not None:
            upload.start()
        if tracker is not None:
            tracker._attempt(upload)
        hook = self._resolve_hook
        try:
            if hook is None:
                raw = await fut
            else:
                raw = await await_resolving(hook, self._core, mb.futures, rid, fut, opts)
        except _CancelledError:
            mb.futures.pop(rid, None)
            self._core.cancel(rid)
            if upload is not None:
                upload.cancel()
            raise
        except ClientResponseError as e:
            fill_request_info(e, method, url_str, hdrs)
            raise
        except ClientError as e:
            if upload is not None:
                raise_upload_failure(upload, e)
            raise

        resp = ClientResponse(raw, CIMultiDictProxy(hdrs), stream)
        if upload is not None:
            resp._upload = upload  # the deprecated output_size / upload_complete read it
        if tracker is not None:
            tracker._answered(raw, method, upload)
        store_cookies(self._defaults, resp)
        return resp


async def _check_status(resp: ClientResponse, rfs: Any) -> None:
    """aiohttp's raise_for_status: True raises on >= 400, a callable is awaited with resp."""
    if rfs is True:
        resp.raise_for_status()
    elif rfs is not False and rfs is not None:
        await rfs(resp)


class _RequestContextManager:
    """What the verbs return: awaitable (the response at its head, the fast path) and an
    async context manager (the same response, released on exit)."""

    __slots__ = ("_gen", "_kwargs", "_method", "_resp", "_session", "_url")

    def __init__(
        self, session: ClientSession, method: str, url: Any, kwargs: dict[str, Any]
    ) -> None:
        self._session = session
        self._method = method
        self._url = url
        self._kwargs = kwargs
        self._resp: ClientResponse | None = None
        self._gen: Generator[Any, None, ClientResponse] | None = None

    # The coroutine protocol (like aiohttp's manager): asyncio.create_task(), TaskGroup and
    # gather() take the object directly, without wrapping it in another coroutine.
    def send(self, value: Any) -> Any:
        gen = self._gen
        if gen is None:
            gen = self._gen = self.__await__()
        return gen.send(value)

    def throw(self, *args: Any) -> Any:
        gen = self._gen
        if gen is None:
            gen = self._gen = self.__await__()
        return gen.throw(*args)

    def close(self) -> None:
        if self._gen is not None:
            self._gen.close()

    def __await__(self) -> Generator[Any, None, ClientResponse]:
        s = self._session
        url = self._url
        if (
            self._kwargs
            or not s._fast
            or type(url) is not str
            or s._defaults.cookie_jar
            or url.startswith(EMPTY_AUTHORITY)
        ):
            return (yield from s._request(self._method, url, True, **self._kwargs).__await__())
        # Hot path: one native submit, one future, no URL parsing in Python.
        loop = _get_running_loop()
        if loop is None:
            raise RuntimeError("no running event loop")
        mb = s._mb if loop is s._mb_loop() else s._bind_loop(loop)
        assert mb is not None
        method = self._method
        fut = loop.create_future()
        core = s._core
        rid = core.submit(
            mb.native, method, url, s._defaults.default_header_list, None, s._opts_buffered
        )
        mb.futures[rid] = fut
        try:
            raw = yield from fut
        except _CancelledError:
            mb.futures.pop(rid, None)
            core.cancel(rid)
            raise
        except ClientResponseError as e:
            method = _core.normalize_method(method)
            fill_request_info(e, method, url, s._defaults.default_header_proxy)
            raise
        resp = ClientResponse(raw, s._defaults.default_header_proxy)
        store_cookies(s._defaults, resp)
        if s._raise_for_status and resp.status >= 400:
            resp.raise_for_status()
        return resp

    async def __aenter__(self) -> ClientResponse:
        self._resp = await self._session._request(self._method, self._url, True, **self._kwargs)
        # As aiohttp: the response is in its context (raise_for_status leaves it unreleased,
        # so the body stays readable until the block ends).
        return await self._resp.__aenter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._resp is not None:
            self._resp.release()


collections.abc.Coroutine.register(_RequestContextManager)


def _check_raise_for_status(value: Any) -> None:
    # None: no check, as in aiohttp (a request's None means "the session's").
    if value is not None and not isinstance(value, bool) and not callable(value):
        raise TypeError("raise_for_status must be a bool, None or an async callable")


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
