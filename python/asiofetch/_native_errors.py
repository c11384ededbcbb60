"""Native failures -> aiohttp's exception instances (the layer above `_errors`).

The bindings hand over a `_core.NativeError` whose kind, sub-kind and URL are attributes, so
nothing here parses message text. Called by the mailbox on the loop thread for every failed
outcome, and by streams for a body that ends in an error.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable
from urllib.parse import urlsplit

from . import _core
from ._errors import (
    ClientConnectorCertificateError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ClientError,
    ClientPayloadError,
    ClientProxyConnectionError,
    ClientResponseError,
    ConnectionKey,
    ConnectionTimeoutError,
    InvalidUrlClientError,
    InvalidUrlRedirectClientError,
    NonHttpUrlRedirectClientError,
    PoolTimeoutError,
    ServerDisconnectedError,
    ServerFingerprintMismatch,
    SessionClosedError,
    SocketTimeoutError,
    TooManyRedirects,
)
from ._resolve import ResolveNeeded

__all__ = ("make_error",)

NativeError = _core.NativeError


def _conn_key(url: str) -> ConnectionKey:
    """aiohttp reports host/port/ssl of the connection that failed."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        is_ssl = parts.scheme == "https"
        port = parts.port or (443 if is_ssl else 80)
    except ValueError:
        host, port, is_ssl = url, None, False
    return ConnectionKey(host, port, is_ssl, True, None, None, None)


def _connector(cls: type[ClientConnectorError]) -> Callable[[NativeError], BaseException]:
    def build(e: NativeError) -> BaseException:
        return cls(_conn_key(e.url), OSError(None, e.message))

    return build


def _certificate(e: NativeError) -> BaseException:
    return ClientConnectorCertificateError(_conn_key(e.url), ssl.CertificateError(e.message))


def _invalid_url(e: NativeError) -> BaseException:
    # aiohttp: NonHttpUrlRedirectClientError(url), InvalidUrlRedirectClientError(url, why).
    if e.sub_kind == _core.SUB_REDIRECT_NON_HTTP:
        return NonHttpUrlRedirectClientError(e.url)
    if e.sub_kind == _core.SUB_REDIRECT_INVALID_URL:
        return InvalidUrlRedirectClientError(e.url, e.message)
    return InvalidUrlClientError(e.url or e.message, e.message if e.url else None)


def _too_many_redirects(e: NativeError) -> BaseException:
    # The session fills in request_info and turns the raw hops into ClientResponses (it
    # knows the request's headers; _response sits above this module).
    exc = TooManyRedirects(None, (), message=e.message)
    exc.native_hops = (e.http_version, e.history)
    return exc


def _bad_response(e: NativeError) -> BaseException:
    # aiohttp turns every parser failure (bad status line, duplicate or malformed
    # Content-Length, a line over max_line_size/max_field_size, too many headers) into
    # ClientResponseError 400 with the parser's reason; the session fills in request_info.
    return ClientResponseError(None, (), status=400, message=e.message)


def _fingerprint_mismatch(e: NativeError) -> BaseException:
    # detail: the expected digest (32 bytes), then the peer's (b"" when none could be read).
    key = _conn_key(e.url)
    return ServerFingerprintMismatch(e.detail[:32], e.detail[32:], key.host, key.port)


_FACTORIES: dict[int, Callable[[NativeError], BaseException]] = {
    _core.E_INVALID_URL: _invalid_url,
    _core.E_DNS: _connector(ClientConnectorDNSError),
    _core.E_CONNECT: _connector(ClientConnectorError),
    _core.E_TLS: _connector(ClientConnectorSSLError),
    _core.E_TLS_CERTIFICATE: _certificate,
    _core.E_CONNECT_TIMEOUT: lambda e: ConnectionTimeoutError(e.message),
    _core.E_READ_TIMEOUT: lambda e: SocketTimeoutError(e.message),
    # aiohttp raises a bare asyncio.TimeoutError for the `total` budget (not a ClientError):
    # `except ClientError` must not swallow it, so neither do we.
    _core.E_TOTAL_TIMEOUT: lambda e: asyncio.TimeoutError(e.message),
    _core.E_POOL_TIMEOUT: lambda e: PoolTimeoutError(e.message),
    _core.E_SERVER_DISCONNECTED: lambda e: ServerDisconnectedError(e.message),
    _core.E_PAYLOAD_INCOMPLETE: lambda e: ClientPayloadError(e.message),
    _core.E_TOO_MANY_REDIRECTS: _too_many_redirects,
    _core.E_CANCELLED: lambda e: asyncio.CancelledError(e.message),
    _core.E_SESSION_CLOSED: lambda e: SessionClosedError(e.message),
    _core.E_PROXY: _connector(ClientProxyConnectionError),
    _core.E_OTHER: lambda e: ClientError(e.message),
    _core.E_BAD_RESPONSE: _bad_response,
    _core.E_FINGERPRINT_MISMATCH: _fingerprint_mismatch,
    # Not a failure: the request waits for the connector's resolver (see _resolve).
    _core.E_RESOLVE_NEEDED: lambda e: ResolveNeeded(e.message, e.url),
}


# Set by asiofetch.testing: the exception instance a mocked answer names, or None.
mock_exception: Callable[[NativeError], BaseException | None] | None = None


def make_error(e: NativeError) -> BaseException:
    """The exception instance for a native failure."""
    if mock_exception is not None and (exc := mock_exception(e)) is not None:
        return exc
    factory = _FACTORIES.get(e.kind)
    if factory is None:
        return ClientError(e.message)
    return factory(e)
