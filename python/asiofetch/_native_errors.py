"""Native failures -> aiohttp's exception instances (the layer above `_errors`).

Called by the mailbox on the loop thread for every failed outcome and by streams for a
body that ends in an error.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable

from . import _core
from ._errors import (
    ClientConnectorCertificateError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ClientError,
    ClientPayloadError,
    ClientProxyConnectionError,
    ConnectionKey,
    ConnectionTimeoutError,
    InvalidUrlClientError,
    InvalidUrlRedirectClientError,
    NonHttpUrlRedirectClientError,
    PoolTimeoutError,
    ServerDisconnectedError,
    SessionClosedError,
    SocketTimeoutError,
    TooManyRedirects,
)

__all__ = ("make_error",)

# The engine formats messages as "<kind> (<url>): curl error N: <detail>"; only connector
# errors need the URL back (aiohttp reports host/port), and only they pay for parsing it.


def _url_in(message: str) -> str:
    start = message.find(" (")
    if start < 0:
        return ""
    end = message.find(")", start)
    return message[start + 2 : end] if end > 0 else ""


def _conn_key(message: str) -> ConnectionKey:
    from urllib.parse import urlsplit

    url = _url_in(message)
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        is_ssl = parts.scheme == "https"
        port = parts.port or (443 if is_ssl else 80)
    except ValueError:
        host, port, is_ssl = url, None, False
    return ConnectionKey(host, port, is_ssl, True, None, None, None)


def _connector(cls: type[ClientConnectorError]) -> Callable[[str, int], BaseException]:
    def build(message: str, code: int) -> BaseException:
        return cls(_conn_key(message), OSError(None, message))

    return build


def _certificate(message: str, code: int) -> BaseException:
    key = _conn_key(message)
    return ClientConnectorCertificateError(key, ssl.CertificateError(message))


def _invalid_url(message: str, code: int) -> BaseException:
    # The engine uses this kind for both a bad request URL and a bad redirect target.
    if message.startswith("redirect to a non-HTTP"):
        return NonHttpUrlRedirectClientError(message)
    if message.startswith("cannot follow redirect"):
        return InvalidUrlRedirectClientError(message)
    return InvalidUrlClientError(message)


def _too_many_redirects(message: str, code: int) -> BaseException:
    # The session fills in request_info (it knows the request); history is not reported.
    return TooManyRedirects(None, (), message=message)


_FACTORIES: dict[int, Callable[[str, int], BaseException]] = {
    _core.E_INVALID_URL: _invalid_url,
    _core.E_DNS: _connector(ClientConnectorDNSError),
    _core.E_CONNECT: _connector(ClientConnectorError),
    _core.E_TLS: _connector(ClientConnectorSSLError),
    _core.E_TLS_CERTIFICATE: _certificate,
    _core.E_CONNECT_TIMEOUT: lambda m, c: ConnectionTimeoutError(m),
    _core.E_READ_TIMEOUT: lambda m, c: SocketTimeoutError(m),
    # aiohttp raises a bare asyncio.TimeoutError for the `total` budget (not a ClientError):
    # `except ClientError` must not swallow it, so neither do we.
    _core.E_TOTAL_TIMEOUT: lambda m, c: asyncio.TimeoutError(m),
    _core.E_POOL_TIMEOUT: lambda m, c: PoolTimeoutError(m),
    _core.E_SERVER_DISCONNECTED: lambda m, c: ServerDisconnectedError(m),
    _core.E_PAYLOAD_INCOMPLETE: lambda m, c: ClientPayloadError(m),
    _core.E_TOO_MANY_REDIRECTS: _too_many_redirects,
    _core.E_CANCELLED: lambda m, c: asyncio.CancelledError(m),
    _core.E_SESSION_CLOSED: lambda m, c: SessionClosedError(m),
    _core.E_PROXY: _connector(ClientProxyConnectionError),
    _core.E_OTHER: lambda m, c: ClientError(m),
}


def make_error(kind: int, message: str, curl_code: int) -> BaseException:
    """The exception instance for a native failure (called by Mailbox.drain on the loop thread)."""
    factory = _FACTORIES.get(kind)
    if factory is None:
        return ClientError(message)
    return factory(message, curl_code)
