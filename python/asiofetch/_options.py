"""Native request options: a session's timeout, TLS, proxy, redirect and flow-control choice
turned into one shared `_core.Options`, built once per combination and reused.

Values are handed to the bindings as the caller gave them (seconds, ints, the flow objects):
the bindings check each of them and convert seconds to the engine's milliseconds, once.
"""

from __future__ import annotations

from typing import Any

from . import _core
from ._connector import TlsSettings
from ._flow import Flow, native_flow
from ._timeout import ClientTimeout, engine_timeouts

__all__ = (
    "BATCH_MAX_BODY_SIZE",
    "BodyBounds",
    "HeadLimits",
    "OptionsCache",
    "batch_options",
    "body_bounds",
    "body_cap",
)

# aiohttp's response-head limits: (max_line_size, max_field_size, max_headers). Checked by
# the bindings when the Options are built (a session's at construction).
HeadLimits = tuple[Any, Any, Any]

# (max_body_size, max_decompressed_size, stream high-water mark): None is "no bound" for the
# first two and the engine's mark for the third.
BodyBounds = tuple["int | None", "int | None", "int | None"]


def _size(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int or None, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return value


def body_bounds(max_body_size: Any, max_decompressed_size: Any, read_bufsize: Any) -> BodyBounds:
    """Checked bounds; read_bufsize becomes the pause mark at twice its value, as aiohttp's
    StreamReader pauses the transport at 2 * limit."""
    bufsize = _size("read_bufsize", read_bufsize)
    return (
        _size("max_body_size", max_body_size),
        _size("max_decompressed_size", max_decompressed_size),
        None if bufsize is None else 2 * bufsize,
    )


# A native batch (gather / as_completed) holds each body whole in memory until the caller
# takes it, so with no cap a server could exhaust memory through one batch (an endless or
# huge body, `concurrency` of them at once). 16 MiB: above nearly every page, API answer or
# document a batch is used for, and the same floor as the engine's decompression-bomb guard;
# the worst case stays concurrency x 16 MiB (1.6 GiB at as_completed's default 100) where it
# was unbounded. Bodies beyond it belong in `async with session.get()` (streamed, memory
# bounded by reading). Raised per batch with gather()/as_completed() max_body_size= and per
# session with ClientSession(batch_max_body_size=); None there removes the cap. The
# per-request path keeps aiohttp's behaviour (no cap; read() returns what comes).
BATCH_MAX_BODY_SIZE = 16 << 20


def body_cap(name: str, value: Any) -> int | None:
    """A checked batch body cap (bytes >= 1, or None: no cap); errors name `name`."""
    return _size(name, value)


def batch_options(options: _core.Options, cap: int | None) -> _core.Options:
    """`options` with the batch body cap `cap` (checked by body_cap)."""
    if cap == BATCH_MAX_BODY_SIZE:
        return options  # the engine's default: no new Options per batch
    return options.replace(batch_max_body_size=cap)


_CACHE_LIMIT = 256  # bounded: keys may include per-request values


class OptionsCache:
    """The native Options of one session, keyed by what varies per request."""

    __slots__ = ("_cache", "_head_limits", "_http_version", "_session_authorization")

    def __init__(
        self,
        http_version: int,
        head_limits: HeadLimits = (8190, 8190, 128),
        session_authorization: str = "",
    ) -> None:
        self._http_version = http_version
        self._head_limits = head_limits
        # A session's auth= as a header value: aiohttp applies it again on a redirect to
        # another origin, after the caller's credentials were dropped ("" for none).
        self._session_authorization = session_authorization
        self._cache: dict[tuple[Any, ...], _core.Options] = {}

    @property
    def head_limits(self) -> HeadLimits:
        return self._head_limits

    def get(
        self,
        timeout: ClientTimeout,
        follow: bool,
        max_redirects: int,
        tls: TlsSettings,
        proxy: str,
        stream: bool,
        auto_decompress: bool,
        flow: Flow,
        head_limits: HeadLimits | None = None,
        body: BodyBounds = (None, None, None),
    ) -> _core.Options:
        # The types are part of the key: 1 == True, and a cached True must not let
        # allow_redirects=1 past the bindings' check.
        limits = self._head_limits if head_limits is None else head_limits
        key = (
            timeout,
            follow,
            type(follow),
            max_redirects,
            type(max_redirects),
            tls,
            proxy,
            stream,
            auto_decompress,
            flow,
            limits,
            tuple(map(type, limits)),
            body,
        )
        opts = self._cache.get(key)
        if opts is None:
            connect, read, total, pool = engine_timeouts(timeout)
            opts = _core.Options(
                connect_timeout=connect,
                read_timeout=read,
                total_timeout=total,
                pool_timeout=pool,
                follow_redirects=follow,
                max_redirects=max_redirects,
                verify_tls=tls[0],
                ca_file=tls[1],
                client_cert=tls[2],
                client_key=tls[3],
                http_version=self._http_version,
                auto_decompress=auto_decompress,
                proxy=proxy,
                # Hedged copies need whole bodies to pick a winner (the engine hedges buffered
                # requests only); every other request returns at its head.
                stream=stream and flow[3] is None,
                max_body_size=body[0],
                max_decompressed_size=body[1],
                max_line_size=limits[0],
                max_field_size=limits[1],
                max_headers=limits[2],
                **native_flow(flow),
            )
            if body[2] is not None:
                opts = opts.replace(stream_high_water=body[2])
            if tls[4]:
                opts = opts.replace(fingerprint=tls[4])
            if self._session_authorization:
                opts = opts.replace(session_authorization=self._session_authorization)
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[key] = opts
        return opts
