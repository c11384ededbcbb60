"""aiohttp's client exception hierarchy: same names, same bases (the bottom layer).

Imports nothing of the package at run time; which native failure becomes which class is
`_native_errors`' job.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from multidict import MultiMapping

    from ._models import RequestInfo
    from ._response import ClientResponse

__all__ = (
    "ClientConnectionError",
    "ClientConnectionResetError",
    "ClientConnectorCertificateError",
    "ClientConnectorDNSError",
    "ClientConnectorError",
    "ClientConnectorSSLError",
    "ClientError",
    "ClientHttpProxyError",
    "ClientOSError",
    "ClientPayloadError",
    "ClientProxyConnectionError",
    "ClientResponseError",
    "ClientSSLError",
    "ConnectionKey",
    "ConnectionTimeoutError",
    "ContentTypeError",
    "InvalidURL",
    "InvalidUrlClientError",
    "InvalidUrlRedirectClientError",
    "NonHttpUrlClientError",
    "NonHttpUrlRedirectClientError",
    "PoolTimeoutError",
    "RedirectClientError",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "ServerFingerprintMismatch",
    "ServerTimeoutError",
    "SessionClosedError",
    "SocketTimeoutError",
    "TooManyRedirects",
    "UploadAbortedError",
)


class ConnectionKey(NamedTuple):
    """aiohttp's connection key: what ClientConnectorError reports as host/port/ssl."""

    host: str
    port: int | None
    is_ssl: bool
    ssl: Any
    proxy: Any
    proxy_auth: Any
    proxy_headers_hash: int | None
    server_hostname: str | None = None


class ClientError(Exception):
    """Base class for client connection errors."""


class ClientResponseError(ClientError):
    """Raised after a response arrived (status >= 400 with raise_for_status, redirects, ...)."""

    def __init__(
        self,
        request_info: RequestInfo | None,
        history: tuple[ClientResponse, ...],
        *,
        status: int | None = None,
        message: str = "",
        headers: MultiMapping[str] | None = None,
    ) -> None:
        self.request_info = request_info
        self.status = status if status is not None else 0
        self.message = message
        self.headers = headers
        self.history = history
        self.args = (request_info, history)

    def __str__(self) -> str:
        url = str(self.request_info.real_url) if self.request_info is not None else ""
        return f"{self.status}, message={self.message!r}, url={url!r}"

    def __repr__(self) -> str:
        args = f"{self.request_info!r}, {self.history!r}"
        if self.status != 0:
            args += f", status={self.status!r}"
        if self.message != "":
            args += f", message={self.message!r}"
        if self.headers is not None:
            args += f", headers={self.headers!r}"
        return f"{type(self).__name__}({args})"


class ContentTypeError(ClientResponseError):
    """json() met an unexpected Content-Type."""


class ClientHttpProxyError(ClientResponseError):
    """The proxy answered CONNECT with a status other than 200."""


class TooManyRedirects(ClientResponseError):
    """Client was redirected too many times."""

    # Set by the native error mapping: (http_version, raw hops) for the session to turn into
    # `history`; None once it has (or for one built in Python).
    native_hops: tuple[str, list[Any]] | None = None


class ClientConnectionError(ClientError):
    """Base class for client socket errors."""


class UploadAbortedError(ClientError):
    """The request body was never fully sent (UploadTracker.upload_complete)."""


class ClientConnectionResetError(ClientConnectionError, ConnectionResetError):
    """ConnectionResetError."""


class ClientOSError(ClientConnectionError, OSError):
    """OSError error."""


class ClientConnectorError(ClientOSError):
    """A connection could not be established."""

    def __init__(self, connection_key: ConnectionKey, os_error: OSError) -> None:
        self._conn_key = connection_key
        self._os_error = os_error
        super().__init__(os_error.errno, os_error.strerror)
        self.args = (connection_key, os_error)

    @property
    def os_error(self) -> OSError:
        return self._os_error

    @property
    def host(self) -> str:
        return self._conn_key.host

    @property
    def port(self) -> int | None:
        return self._conn_key.port

    @property
    def ssl(self) -> Any:
        return self._conn_key.ssl

    def __str__(self) -> str:
        ssl_ = "default" if self.ssl is True else self.ssl
        return f"Cannot connect to host {self.host}:{self.port} ssl:{ssl_} [{self.strerror}]"

    # OSError.__reduce__ would rebuild the exception from (errno, strerror) only.
    __reduce__ = BaseException.__reduce__


class ClientConnectorDNSError(ClientConnectorError):
    """DNS resolution failed."""


class ClientProxyConnectionError(ClientConnectorError):
    """The proxy could not be reached."""


class ServerConnectionError(ClientConnectionError):
    """Server connection errors."""


class ServerDisconnectedError(ServerConnectionError):
    """The server closed the connection before a complete response."""

    def __init__(self, message: str | None = None) -> None:
        if message is None:
            message = "Server disconnected"
        self.args = (message,)
        self.message = message


class ServerTimeoutError(ServerConnectionError, asyncio.TimeoutError):
    """Server timeout error."""


class ConnectionTimeoutError(ServerTimeoutError):
    """Connection timeout error."""


class SocketTimeoutError(ServerTimeoutError):
    """Socket (read) timeout error."""


class PoolTimeoutError(ServerTimeoutError):
    """asiofetch only: no connection slot became free within the pool timeout."""


class ServerFingerprintMismatch(ServerConnectionError):
    """The server's certificate does not have the expected SHA-256 digest (ssl=Fingerprint)."""

    def __init__(self, expected: bytes, got: bytes, host: str, port: int | None) -> None:
        self.expected = expected
        self.got = got
        self.host = host
        self.port = port
        self.args = (expected, got, host, port)

    def __repr__(self) -> str:
        return (
            f"<{self.__class__.__name__} expected={self.expected!r} "
            f"got={self.got!r} host={self.host!r} port={self.port!r}>"
        )


class ClientPayloadError(ClientError):
    """Response payload error."""


class InvalidURL(ClientError, ValueError):
    """The URL is malformed (e.g. has no host)."""

    def __init__(self, url: Any, description: str | None = None) -> None:
        self._url = url
        self._description = description
        if description:
            super().__init__(url, description)
        else:
            super().__init__(url)

    @property
    def url(self) -> Any:
        return self._url

    @property
    def description(self) -> str | None:
        return self._description

    def __repr__(self) -> str:
        return f"<{self.__class__.__name__} {self}>"

    def __str__(self) -> str:
        if self._description:
            return f"{self._url} - {self._description}"
        return str(self._url)


class InvalidUrlClientError(InvalidURL):
    """Invalid URL client error."""


class RedirectClientError(ClientError):
    """Client redirect error."""


class NonHttpUrlClientError(ClientError):
    """Non http URL client error (aiohttp's base is ClientError, not InvalidURL)."""


class InvalidUrlRedirectClientError(InvalidUrlClientError, RedirectClientError):
    """A redirect pointed at a malformed URL."""


class NonHttpUrlRedirectClientError(NonHttpUrlClientError, RedirectClientError):
    """A redirect pointed at a non-http(s) URL."""


class ClientSSLError(ClientConnectorError):
    """Base error for TLS failures."""


class ClientConnectorSSLError(ClientSSLError, ssl.SSLError):
    """TLS handshake failed."""


class ClientConnectorCertificateError(ClientSSLError, ssl.CertificateError):
    """The peer's certificate was rejected."""

    def __init__(self, connection_key: ConnectionKey, certificate_error: Exception) -> None:
        os_error = certificate_error if isinstance(certificate_error, OSError) else OSError()
        super().__init__(connection_key, os_error)
        self._certificate_error = certificate_error
        self.args = (connection_key, certificate_error)

    @property
    def certificate_error(self) -> Exception:
        return self._certificate_error

    @property
    def ssl(self) -> bool:
        return self._conn_key.is_ssl

    def __str__(self) -> str:
        return (
            f"Cannot connect to host {self.host}:{self.port} ssl:{self.ssl} "
            f"[{self.certificate_error.__class__.__name__}: {self.certificate_error.args}]"
        )


class SessionClosedError(ClientConnectionError, RuntimeError):
    """asiofetch only: the session was closed (before or while the request ran).

    Also a RuntimeError because aiohttp raises RuntimeError("Session is closed").
    """
