"""Mocked answers: what a route sends back, built once into the engine's native form.

A `MockResponse` becomes a `_core.MockAnswer` when it is registered, so the engine plays it
with no Python per request. An exception becomes a native error of the kind the engine would
report for the real failure (so retry policies treat it as they would the real one); the
instance itself is what the caller sees raised.
"""

from __future__ import annotations

import asyncio
import itertools
import json as _json
import threading
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from .. import _core, _native_errors
from .._errors import (
    ClientConnectionError,
    ClientConnectorCertificateError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ClientError,
    ClientPayloadError,
    ClientProxyConnectionError,
    ClientSSLError,
    ConnectionTimeoutError,
    InvalidURL,
    InvalidUrlClientError,
    PoolTimeoutError,
    ServerDisconnectedError,
    ServerTimeoutError,
    SocketTimeoutError,
    TooManyRedirects,
)

__all__ = (
    "Answer",
    "ExceptionSpec",
    "MockResponse",
    "UnmatchedRequestError",
    "exception_answer",
    "to_native",
)


class UnmatchedRequestError(ClientConnectionError):
    """No route of the active MockRouter matches a request (the message lists the routes).

    A ClientConnectionError, as aioresponses raises for an unmatched request; the engine
    reports it as a non-retryable failure, so retry policies do not repeat it."""


ExceptionSpec = BaseException | type[BaseException]

# Most specific first: the first isinstance/issubclass hit decides the native kind.
_KINDS: tuple[tuple[type[BaseException], int], ...] = (
    (ClientConnectorDNSError, _core.E_DNS),
    (ClientConnectorCertificateError, _core.E_TLS_CERTIFICATE),
    (ClientSSLError, _core.E_TLS),
    (ClientProxyConnectionError, _core.E_PROXY),
    (ClientConnectorError, _core.E_CONNECT),
    (ConnectionTimeoutError, _core.E_CONNECT_TIMEOUT),
    (PoolTimeoutError, _core.E_POOL_TIMEOUT),
    (ServerTimeoutError, _core.E_READ_TIMEOUT),
    (ServerDisconnectedError, _core.E_SERVER_DISCONNECTED),
    (ClientPayloadError, _core.E_PAYLOAD_INCOMPLETE),
    (TooManyRedirects, _core.E_TOO_MANY_REDIRECTS),
    (InvalidURL, _core.E_INVALID_URL),
    (ClientConnectionError, _core.E_CONNECT),
    (asyncio.TimeoutError, _core.E_TOTAL_TIMEOUT),
    (TimeoutError, _core.E_TOTAL_TIMEOUT),
)

# The class asiofetch raises for each native kind (_native_errors' factories).
_BUILT: dict[int, type[BaseException]] = {
    _core.E_DNS: ClientConnectorDNSError,
    _core.E_TLS_CERTIFICATE: ClientConnectorCertificateError,
    _core.E_TLS: ClientConnectorSSLError,
    _core.E_PROXY: ClientProxyConnectionError,
    _core.E_CONNECT: ClientConnectorError,
    _core.E_CONNECT_TIMEOUT: ConnectionTimeoutError,
    _core.E_POOL_TIMEOUT: PoolTimeoutError,
    _core.E_READ_TIMEOUT: SocketTimeoutError,
    _core.E_SERVER_DISCONNECTED: ServerDisconnectedError,
    _core.E_PAYLOAD_INCOMPLETE: ClientPayloadError,
    _core.E_TOO_MANY_REDIRECTS: TooManyRedirects,
    _core.E_INVALID_URL: InvalidUrlClientError,
    _core.E_TOTAL_TIMEOUT: asyncio.TimeoutError,
    _core.E_OTHER: ClientError,
}

_TOKEN_PREFIX = "asiofetch.testing#"
_UNMATCHED_PREFIX = "asiofetch.testing: no mocked route matches"  # mock_transport.cpp
_tokens = itertools.count(1)
_raised: dict[int, BaseException] = {}
_raised_lock = threading.Lock()


def _kind_of(exc_type: type[BaseException]) -> int:
    for cls, kind in _KINDS:
        if issubclass(exc_type, cls):
            return kind
    return _core.E_OTHER


def _lookup(e: _native_errors.NativeError) -> BaseException | None:
    """The exception instance a mocked answer named, for the error the engine reports."""
    msg: str = e.message
    if msg.startswith(_UNMATCHED_PREFIX):
        return UnmatchedRequestError(msg)
    if not msg.startswith(_TOKEN_PREFIX):
        return None
    token, _, _ = msg[len(_TOKEN_PREFIX) :].partition(":")
    with _raised_lock:
        return _raised.get(int(token)) if token.isdigit() else None


_native_errors.mock_exception = _lookup


def _error_fields(exc: ExceptionSpec) -> tuple[int, str]:
    """(native kind, message) for a mocked exception."""
    if isinstance(exc, type):
        if not issubclass(exc, BaseException):
            raise TypeError(f"exception must be an exception class or instance, got {exc!r}")
        # A class the engine's own instance for its kind satisfies (ClientConnectorError and
        # friends need constructor arguments a test rarely has): the engine builds it. Any
        # other class (a user's subclass, ValueError) is instantiated here, without arguments.
        kind = _kind_of(exc)
        built = _BUILT.get(kind)
        if built is not None and issubclass(built, exc):
            return kind, f"mocked {exc.__name__}"
        cls = exc
        try:
            exc = cls()
        except Exception as e:
            raise TypeError(
                f"cannot make {cls.__name__}() without arguments ({e}): give an instance"
            ) from e
    if not isinstance(exc, BaseException):
        raise TypeError(f"exception must be an exception class or instance, got {exc!r}")
    token = next(_tokens)
    with _raised_lock:
        _raised[token] = exc
    return _kind_of(type(exc)), f"{_TOKEN_PREFIX}{token}: {exc!r}"


def _headers_list(
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
) -> list[tuple[str, str]]:
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    out: list[tuple[str, str]] = []
    for k, v in items:
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(f"mocked headers must be str pairs, got {k!r}: {v!r}")
        out.append((k, v))
    return out


def _has(headers: list[tuple[str, str]], name: str) -> bool:
    return any(k.lower() == name for k, _ in headers)


class MockResponse:
    """A scripted HTTP answer.

    Give at most one of `json`, `text`, `body` and `chunks`. `chunks` streams the body as the
    listed pieces, each either bytes or a `(delay_seconds, bytes)` pair (the delay runs on
    the engine's timers, so read and total timeouts apply to it). `delay` holds the head back.
    `body_error` ends the body with that exception (a payload error: the head and the chunks
    arrive first). `MockResponse.redirect(url)` answers with a redirect the session follows.
    """

    __slots__ = ("_native", "body", "chunks", "delay", "error", "headers", "reason", "status")

    def __init__(
        self,
        status: int = 200,
        *,
        json: Any = None,
        text: str | None = None,
        body: bytes | str | None = None,
        chunks: Iterable[bytes | tuple[float, bytes]] | None = None,
        headers: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
        content_type: str | None = None,
        reason: str | None = None,
        delay: float = 0,
        body_error: ExceptionSpec | None = None,
    ) -> None:
        if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 999:
            raise ValueError(f"status must be an int in 100..999, got {status!r}")
        given = [x for x in (json, text, body, chunks) if x is not None]
        if len(given) > 1:
            raise TypeError("give at most one of json=, text=, body= and chunks=")
        hdrs = _headers_list(headers)
        ctype = content_type
        pieces: list[tuple[float, bytes]] = []
        if json is not None:
            pieces = [(0.0, _json.dumps(json).encode())]
            ctype = ctype or "application/json"
        elif text is not None:
            if not isinstance(text, str):
                raise TypeError(f"text must be str, got {type(text).__name__}")
            pieces = [(0.0, text.encode())]
            ctype = ctype or "text/plain; charset=utf-8"
        elif body is not None:
            if isinstance(body, str):
                body = body.encode()
            if not isinstance(body, (bytes, bytearray, memoryview)):
                raise TypeError(f"body must be bytes or str, got {type(body).__name__}")
            pieces = [(0.0, bytes(body))]
        elif chunks is not None:
            for c in chunks:
                d, data = c if isinstance(c, tuple) else (0.0, c)
                if not isinstance(data, (bytes, bytearray)):
                    raise TypeError(f"chunks must be bytes or (delay, bytes), got {c!r}")
                if isinstance(d, bool) or not isinstance(d, (int, float)) or not d >= 0:
                    raise ValueError(f"a chunk delay must be a number of seconds >= 0, got {d!r}")
                pieces.append((float(d), bytes(data)))
        if ctype is not None and not _has(hdrs, "content-type"):
            hdrs.append(("Content-Type", ctype))
        # A streamed answer has no length up front (Transfer-Encoding: chunked on the wire).
        if (
            chunks is None
            and not _has(hdrs, "content-length")
            and not _has(hdrs, "transfer-encoding")
        ):
            hdrs.append(("Content-Length", str(sum(len(p) for _, p in pieces))))
        if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not delay >= 0:
            raise ValueError(f"delay must be a number of seconds >= 0, got {delay!r}")
        self.status = status
        self.reason = reason if reason is not None else _phrase(status)
        self.headers = hdrs
        self.chunks = pieces
        self.body = b"".join(p for _, p in pieces)
        self.delay = float(delay)
        self.error = body_error
        kind, message = _error_fields(body_error) if body_error is not None else (0, "")
        self._native = _core.MockAnswer(
            status, self.reason, hdrs, self.delay, pieces, kind, message, body_error is not None
        )

    @classmethod
    def redirect(cls, location: str, status: int = 302, **kwargs: Any) -> MockResponse:
        """A redirect to `location` (301, 302, 303, 307 or 308)."""
        if status not in (301, 302, 303, 307, 308):
            raise ValueError(f"a redirect status is one of 301, 302, 303, 307, 308; got {status!r}")
        headers = _headers_list(kwargs.pop("headers", None))
        headers.append(("Location", location))
        return cls(status, headers=headers, **kwargs)

    def __repr__(self) -> str:
        return f"<MockResponse {self.status} {self.reason} body={len(self.body)} bytes>"


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def exception_answer(exc: ExceptionSpec, delay: float = 0) -> _core.MockAnswer:
    """A native answer that fails the attempt with `exc` (before any response byte)."""
    kind, message = _error_fields(exc)
    if isinstance(delay, bool) or not isinstance(delay, (int, float)) or not delay >= 0:
        raise ValueError(f"delay must be a number of seconds >= 0, got {delay!r}")
    return _core.MockAnswer(200, "", [], float(delay), [], kind, message, False)


# What a route may answer with: a response, a bare status, or an exception to raise.
Answer = MockResponse | int | BaseException | type[BaseException]


def to_native(answer: Answer) -> _core.MockAnswer:
    """The engine's form of one answer."""
    if isinstance(answer, MockResponse):
        return answer._native
    if isinstance(answer, bool):
        raise TypeError("an answer is a MockResponse, a status int or an exception, not a bool")
    if isinstance(answer, int):
        return MockResponse(answer)._native
    if isinstance(answer, BaseException) or (
        isinstance(answer, type) and issubclass(answer, BaseException)
    ):
        return exception_answer(answer)
    raise TypeError(f"an answer is a MockResponse, a status int or an exception, got {answer!r}")
