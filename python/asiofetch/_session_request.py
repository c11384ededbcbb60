"""One request of a session: arguments -> prepared request -> native submit -> ClientResponse.

`SessionRequests._request_once` is the full path (per-request options, bodies, middlewares,
tracing); `_RequestContextManager` is what the verbs return, with the hot path for a plain
`await session.get(url)` (one native submit, one future). Both read the state declared by
`_session_state.SessionState`; `_session.ClientSession` builds on them.
"""

from __future__ import annotations

import asyncio
import collections.abc
from collections.abc import Generator, Mapping, Sequence
from types import TracebackType
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from . import _core
from ._body import BasicAuth, close_payload, prepare_body
from ._chunked import chunk_body
from ._compress import compress_body
from ._connector import check_server_hostname, tls_settings
from ._errors import ClientError, ClientResponseError, SessionClosedError
from ._flow import fallback_list
from ._headers import merge_headers
from ._middlewares import ClientMiddlewareType, ClientRequest, check_middlewares, run_middlewares
from ._prepare import (
    EMPTY_AUTHORITY,
    body_headers,
    fill_request_info,
    netrc_auth,
    request_headers,
    store_cookies,
)
from ._resolve import await_resolving, with_resolve_hook
from ._response import ClientResponse
from ._session_state import SENTINEL as _SENTINEL
from ._session_state import SessionState, check_raise_for_status
from ._timeout import to_timeout
from ._tracing import RequestTrace
from ._upload import (
    Upload,
    check_replay,
    inline_under_mock,
    raise_upload_failure,
    start_upload,
)
from ._upload_tracker import UploadTracker, check_tracker

__all__ = ("SessionRequests", "_RequestContextManager")

_get_running_loop = asyncio.events._get_running_loop
_CancelledError = asyncio.CancelledError


class SessionRequests(SessionState):
    """Sends one request of the session (all on the loop thread that awaits it)."""

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
            check_raise_for_status(raise_for_status)

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
        self, session: SessionRequests, method: str, url: Any, kwargs: Mapping[str, Any]
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
