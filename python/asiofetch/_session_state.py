"""A session's settings and state, and how one call's arguments override them.

`SessionState` declares what `ClientSession.__init__` sets (each attribute with its meaning)
and derives per-call settings from it: the loop's mailbox, flow control, body bounds, head
limits, the proxy, and the options of a native batch; closing and the unclosed-session
warning are here too. It submits nothing: `_session_request` builds on it to send one
request, `_session` to expose aiohttp's API.
"""

from __future__ import annotations

import asyncio
import contextlib
import netrc
import urllib.request
import warnings
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

from yarl import URL

from ._body import BasicAuth
from ._bridge import LoopMailbox, mailbox_for
from ._connector import TCPConnector, close_now
from ._core import Options, SessionCore
from ._errors import InvalidUrlClientError
from ._flow import Flow, check_flow
from ._options import BodyBounds, HeadLimits, OptionsCache, body_bounds
from ._prepare import RequestDefaults
from ._resolve import ResolverHook
from ._response import ClientResponse
from ._timeout import ClientTimeout

__all__ = ("NO_LOOP", "SENTINEL", "SessionState", "check_raise_for_status")

_SENTINEL: Any = object()
SENTINEL = _SENTINEL  # "not given": a per-call argument that keeps the session's setting


def _no_loop() -> None:
    """Stands in for a dead weak reference before a session has seen a loop."""
    return None


_NO_LOOP: Any = _no_loop
NO_LOOP = _NO_LOOP


def check_raise_for_status(value: Any) -> None:
    # None: no check, as in aiohttp (a request's None means "the session's").
    if value is not None and not isinstance(value, bool) and not callable(value):
        raise TypeError("raise_for_status must be a bool, None or an async callable")


class SessionState:
    """The state of a ClientSession (set by its constructor) and the per-call overrides.

    All attributes belong to the loop thread that uses the session; none is shared with the
    engine (the native side sees only `_core` and the options built here).
    """

    # The first five are set first by the constructor, so that __del__ finds them even when
    # validation fails.
    _closed: bool
    _fast: bool  # the verbs' hot path applies (see _update_fast)
    _connector: TCPConnector | None  # None once closed or detached
    _connector_owner: bool  # closing the session closes the connector
    _resolve_hook: ResolverHook | None  # the connector's custom resolver (None: libcurl's)
    _quiet: bool  # no unclosed-session warning (fetch()'s shared session)
    _base_url: URL | None
    _timeout: ClientTimeout
    _middlewares: tuple[Any, ...]
    _trace_configs: tuple[Any, ...]
    _core: SessionCore  # the connector's native pool
    _raise_for_status: bool | Callable[[ClientResponse], Awaitable[None]]
    _auto_decompress: bool
    _default_proxy: str | URL | None
    _default_proxy_auth: BasicAuth | None
    _defaults: RequestDefaults  # headers, cookies, auth... added to each request
    _opts: OptionsCache  # native Options by what varies per request
    _body_bounds: BodyBounds
    _batch_body_cap: int | None  # each native-batch body's cap (None: none; see _options)
    _flow: Flow  # the session's Retry, Semaphore, RateLimit, Hedge
    _env_proxies: dict[str, str]  # trust_env's proxies ({} without trust_env)
    _netrc: netrc.netrc | None  # trust_env's .netrc, read once
    _proxy: str  # the session's proxy URL ("" for none)
    _opts_buffered: Options  # the hot path's options (session defaults)
    # (loop, mailbox) of the last request: one identity test instead of a dict lookup. The
    # loop is held weakly (see ClientSession.__init__).
    _mb_loop: weakref.ref[asyncio.AbstractEventLoop]
    _mb: LoopMailbox | None
    _source_traceback: Any  # where the session was made (loop debug mode), for __del__

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
