"""Typing stubs for the native extension: the engine, the per-loop mailbox and the raw results.

The contract between the C++ engine (src/) and the Python package (python/asiofetch).
Every call here is cheap and never blocks on the network; the engine thread owns libcurl.
"""

import asyncio
from collections.abc import Callable
from typing import Any, Final

# Error kinds (src/asiofetch/error.hpp); the Python layer maps them to aiohttp's exceptions.
E_INVALID_URL: Final[int]
E_DNS: Final[int]
E_CONNECT: Final[int]
E_TLS: Final[int]
E_TLS_CERTIFICATE: Final[int]
E_CONNECT_TIMEOUT: Final[int]
E_READ_TIMEOUT: Final[int]
E_TOTAL_TIMEOUT: Final[int]
E_POOL_TIMEOUT: Final[int]
E_SERVER_DISCONNECTED: Final[int]
E_PAYLOAD_INCOMPLETE: Final[int]
E_TOO_MANY_REDIRECTS: Final[int]
E_CANCELLED: Final[int]
E_SESSION_CLOSED: Final[int]
E_OTHER: Final[int]
E_PROXY: Final[int]

# HTTP version preference for Options(http_version=...).
HTTP_ANY: Final[int]
HTTP_1_1: Final[int]
HTTP_2: Final[int]  # h2 via ALPN on https (1.1 if not offered); h2c prior knowledge on http
HTTP_2_PRIOR_KNOWLEDGE: Final[int]

class InvalidUrlError(ValueError):
    """Raised by SessionCore.submit for a URL libcurl cannot parse or a non-http(s) scheme."""

# make_error(kind, message, curl_code) -> exception instance to set on the future
ErrorFactory = Callable[[int, str, int], BaseException]

class Options:
    """Immutable per-request options, built once per session/timeout and reused.

    Durations are seconds; 0 means no limit.
    """

    def __init__(
        self,
        *,
        connect_timeout: float = 0.0,
        read_timeout: float = 0.0,
        total_timeout: float = 0.0,
        pool_timeout: float = 0.0,
        follow_redirects: bool = True,
        max_redirects: int = 10,
        verify_tls: bool = True,
        ca_file: str = "",
        client_cert: str = "",
        client_key: str = "",
        http_version: int = 0,
        auto_decompress: bool = True,
        proxy: str = "",
        stream: bool = False,
        stream_high_water: int = 262144,
        retry: RetryPolicy | None = None,
        semaphore: Semaphore | None = None,
        rate_limit: RateLimit | None = None,
        hedge_after: float = 0.0,
        hedge_max_extra: int = 0,
    ) -> None: ...
    connect_timeout: float  # read-only
    read_timeout: float
    total_timeout: float
    pool_timeout: float
    follow_redirects: bool
    max_redirects: int
    verify_tls: bool
    ca_file: str
    client_cert: str
    client_key: str
    http_version: int
    auto_decompress: bool
    proxy: str
    stream: bool
    stream_high_water: int
    has_retry: bool
    def replace(self, **changes: Any) -> Options: ...

class Mailbox:
    """One per event loop: the engine queues outcomes here and writes the wake-up fd once per
    empty -> non-empty transition; the loop's reader callback calls drain()."""

    def __init__(self, make_error: ErrorFactory) -> None: ...
    def fileno(self) -> int: ...
    def drain(
        self,
        futures: dict[int, asyncio.Future[Any]],
        listeners: dict[int, Callable[[int, int, Any], object]] | None = None,
    ) -> int:
        """Clear the wake-up fd, then complete every queued outcome in one pass.

        For each outcome: future = futures.pop(request_id, None); skipped when missing or done.
        Success: future.set_result(RawResponse) (or None for a wake-up or semaphore grant).
        Failure: future.set_exception(make_error(kind, message, curl_code)).
        A gather's outcome: set_result((list of RawResponse or exception, first_error | None)).
        Outcomes of ids with many (streamed batch items, progress notes, a stream's end) call
        listeners[id](kind, index, value): kind 0 item ok, 1 item failed (value: exception),
        2 progress (value: (done, failed, total)), 3 end (value: None or exception).
        Returns the number of outcomes drained."""
    def close(self) -> None: ...
    @property
    def closed(self) -> bool: ...

class SessionCore:
    """Native side of a session: its connection cache, DNS cache and slot limits."""

    def __init__(
        self,
        *,
        limit: int = 100,
        limit_per_host: int = 0,
        force_close: bool = False,
        keepalive_timeout: float = 15.0,
        dns_cache_ttl: float = 10.0,
    ) -> None: ...
    def submit(
        self,
        mailbox: Mailbox,
        method: str,
        url: str,
        headers: list[tuple[str, str]] | None,
        body: bytes | None,
        options: Options,
        fallback: list[str] | None = None,
    ) -> int:
        """Queue one request; returns its id (unique in the process). Its one outcome arrives in
        `mailbox` under that id. Raises InvalidUrlError for a bad URL, ValueError for CR/LF/NUL
        in a method or header, TypeError for wrong types, RuntimeError when closed."""
    def submit_batch(
        self,
        mailbox: Mailbox,
        items: list[
            str | tuple[str, str, list[tuple[str, str]] | None, bytes | None, Options | None]
        ],
        headers: list[tuple[str, str]] | None,
        options: Options,
        *,
        concurrency: int = 0,
        fail_fast: bool = False,
        deadline: float | None = None,
        progress_id: int = 0,
        progress_every: float = 0.1,
        streaming: bool = False,
    ) -> int:
        """Queue a native batch; returns its id. Items are URL strs (GET with `headers`) or
        (method, url, headers or None for `headers`, body, options or None) tuples, all
        validated here. Not streaming: one outcome with every result in input order.
        Streaming: one listener call per item, then an end note once fed input is closed."""
    def feed_batch(
        self,
        mailbox: Mailbox,
        id: int,
        items: list[Any],
        headers: list[tuple[str, str]] | None,
        options: Options,
        close: bool = False,
    ) -> None:
        """More input for a streaming batch; `close` says no more will come."""
    def cancel(self, request_id: int) -> None:
        """Abort the request or batch (queued or in flight) and free its slots; its outcome
        is dropped."""
    def close(self) -> None:
        """Fail every queued and in-flight request with E_SESSION_CLOSED and drop the pool."""
    @property
    def closed(self) -> bool: ...
    def stats(self) -> dict[str, int]:
        """{'in_flight': n, 'queued': n, 'completed': n} (a snapshot from the engine thread)."""

RETRY_CONNECT: Final[int]
RETRY_TIMEOUT: Final[int]
RETRY_DISCONNECT: Final[int]

class RetryPolicy:
    """Native retry policy (see asiofetch.Retry for the meaning of each field)."""

    def __init__(
        self,
        *,
        attempts: int,
        backoff: float,
        multiplier: float,
        max_backoff: float,
        jitter: float,
        statuses: set[int],
        errors: int,
        respect_retry_after: bool,
        methods: set[str],
        total_budget: float,
        seed: int | None,
    ) -> None: ...
    def delay(self, next_attempt: int, retry_after: float | None = None) -> float: ...

class Semaphore:
    """FIFO semaphore on the engine thread; grants arrive in a mailbox as wake-ups."""

    def __init__(self, permits: int) -> None: ...
    def acquire(self, mailbox: Mailbox) -> int:
        """Queue an acquire; returns the id whose outcome (None) means granted."""
    def release(self, id: int) -> None: ...
    def cancel(self, id: int) -> None:
        """Give up: dequeued if waiting, the permit returned if already granted."""
    @property
    def available(self) -> int: ...
    @property
    def permits(self) -> int: ...

class RateLimit:
    """Token bucket on the engine thread."""

    def __init__(self, *, rate: float, per: float, burst: float) -> None: ...

class Stream:
    """Body of a streamed response, filled by the engine with backpressure."""

    def read_nowait(self, n: int = -1) -> bytes | None:
        """Up to n bytes (all buffered when n < 0); b"" at end of body or after an error;
        None when nothing is buffered yet."""
    def wait(self, mailbox: Mailbox, request_id: int) -> None:
        """Ask for a wake-up: outcome `request_id` (result None) is queued in `mailbox` as soon as
        data, end of body or an error is available (at once if already so)."""
    def error(self) -> tuple[int, str, int] | None:
        """(kind, message, curl_code) when the body failed."""
    def abort(self) -> None:
        """Stop the transfer; later reads return b"" with no error."""
    @property
    def at_eof(self) -> bool: ...
    @property
    def buffered(self) -> int: ...

class RawResponse:
    status: int
    reason: str
    http_version: str  # "1.0", "1.1", "2"
    url: str
    method: str
    attempts: int
    hedge: int
    @property
    def headers(self) -> list[tuple[str, str]]: ...
    @property
    def body(self) -> bytes: ...
    @property
    def sets_cookies(self) -> bool:
        """Whether this response or a redirect hop before it sent Set-Cookie."""
    @property
    def history(self) -> list[tuple[int, str, str, str, list[tuple[str, str]]]]:
        """(status, reason, url, method, headers) for each redirect response, oldest first."""
    @property
    def timings(self) -> dict[str, float]:
        """dns, connect, tls, first_byte, total, queued (seconds)."""
    @property
    def stream(self) -> Stream | None: ...

def new_id() -> int:
    """A fresh id from the same counter as request ids (for Stream.wait wake-ups)."""

def engine_stats() -> dict[str, int]:
    """{'in_flight', 'queued', 'easy_handles', 'sockets', 'sessions'}: engine-wide counts."""

def curl_version() -> str: ...
def set_ca_fallback(path: str) -> bool:
    """certifi's bundle as the last CA source; False once the trust was already computed."""

def ca_trust() -> tuple[str, str, str]:
    """(CA file, CA dir, where each came from) used when no ssl= context is given."""

def shutdown() -> None:
    """Stop the engine thread (atexit); requests still in flight are cancelled."""

def after_fork_in_child() -> None:
    """Forget the parent's engine (its thread is not in the child); the next call starts anew."""
