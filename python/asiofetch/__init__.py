"""asiofetch: an aiohttp-compatible HTTP client whose requests run on a native libcurl engine."""

from __future__ import annotations

from . import _ca  # noqa: F401  (certifi as the last CA source, before any request)
from ._body import BasicAuth
from ._connector import SSLOptions, TCPConnector
from ._cookiejar import CookieJar, DummyCookieJar
from ._errors import (
    ClientConnectionError,
    ClientConnectionResetError,
    ClientConnectorCertificateError,
    ClientConnectorDNSError,
    ClientConnectorError,
    ClientConnectorSSLError,
    ClientError,
    ClientHttpProxyError,
    ClientOSError,
    ClientPayloadError,
    ClientProxyConnectionError,
    ClientResponseError,
    ClientSSLError,
    ConnectionTimeoutError,
    ContentTypeError,
    InvalidURL,
    InvalidUrlClientError,
    InvalidUrlRedirectClientError,
    NonHttpUrlClientError,
    NonHttpUrlRedirectClientError,
    PoolTimeoutError,
    RedirectClientError,
    ServerConnectionError,
    ServerDisconnectedError,
    ServerFingerprintMismatch,
    ServerTimeoutError,
    SessionClosedError,
    SocketTimeoutError,
    TooManyRedirects,
)
from ._fetch import fetch
from ._flow import Hedge, RateLimit, Retry, Semaphore
from ._middlewares import ClientHandlerType, ClientMiddlewareType, ClientRequest
from ._models import Completed, HttpVersion, Progress, RequestInfo, RequestSpec
from ._request import request
from ._response import ClientResponse
from ._session import ClientSession, Session
from ._stream import EofStream, StreamReader
from ._timeout import ClientTimeout
from ._tracing import (
    TraceConfig,
    TraceRequestChunkSentParams,
    TraceRequestEndParams,
    TraceRequestExceptionParams,
    TraceRequestHeadersSentParams,
    TraceRequestRedirectParams,
    TraceRequestStartParams,
    TraceResponseChunkReceivedParams,
)
from ._version import __version__

__all__ = (
    "BasicAuth",
    "ClientConnectionError",
    "ClientConnectionResetError",
    "ClientConnectorCertificateError",
    "ClientConnectorDNSError",
    "ClientConnectorError",
    "ClientConnectorSSLError",
    "ClientError",
    "ClientHandlerType",
    "ClientHttpProxyError",
    "ClientMiddlewareType",
    "ClientOSError",
    "ClientPayloadError",
    "ClientProxyConnectionError",
    "ClientRequest",
    "ClientResponse",
    "ClientResponseError",
    "ClientSSLError",
    "ClientSession",
    "ClientTimeout",
    "Completed",
    "ConnectionTimeoutError",
    "ContentTypeError",
    "CookieJar",
    "DummyCookieJar",
    "EofStream",
    "Hedge",
    "HttpVersion",
    "InvalidURL",
    "InvalidUrlClientError",
    "InvalidUrlRedirectClientError",
    "NonHttpUrlClientError",
    "NonHttpUrlRedirectClientError",
    "PoolTimeoutError",
    "Progress",
    "RateLimit",
    "RedirectClientError",
    "RequestInfo",
    "RequestSpec",
    "Retry",
    "SSLOptions",
    "Semaphore",
    "ServerConnectionError",
    "ServerDisconnectedError",
    "ServerFingerprintMismatch",
    "ServerTimeoutError",
    "Session",
    "SessionClosedError",
    "SocketTimeoutError",
    "StreamReader",
    "TCPConnector",
    "TooManyRedirects",
    "TraceConfig",
    "TraceRequestChunkSentParams",
    "TraceRequestEndParams",
    "TraceRequestExceptionParams",
    "TraceRequestHeadersSentParams",
    "TraceRequestRedirectParams",
    "TraceRequestStartParams",
    "TraceResponseChunkReceivedParams",
    "__version__",
    "fetch",
    "request",
)
