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
    UploadAbortedError,
)
from ._fetch import fetch
from ._fingerprint import Fingerprint
from ._flow import Hedge, RateLimit, Retry, Semaphore
from ._formdata import FormData
from ._middlewares import ClientHandlerType, ClientMiddlewareType, ClientRequest
from ._models import Completed, HttpVersion, Progress, RequestInfo, RequestSpec
from ._multipart import MultipartWriter
from ._payload import (
    AsyncIterablePayload,
    BufferedReaderPayload,
    BytesIOPayload,
    BytesPayload,
    IOBasePayload,
    JsonPayload,
    Payload,
    StringIOPayload,
    StringPayload,
    TextIOPayload,
    get_payload,
)
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
from ._upload_tracker import UploadTracker
from ._version import __version__

__all__ = (
    "AsyncIterablePayload",
    "BasicAuth",
    "BufferedReaderPayload",
    "BytesIOPayload",
    "BytesPayload",
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
    "Fingerprint",
    "FormData",
    "Hedge",
    "HttpVersion",
    "IOBasePayload",
    "InvalidURL",
    "InvalidUrlClientError",
    "InvalidUrlRedirectClientError",
    "JsonPayload",
    "MultipartWriter",
    "NonHttpUrlClientError",
    "NonHttpUrlRedirectClientError",
    "Payload",
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
    "StringIOPayload",
    "StringPayload",
    "TCPConnector",
    "TextIOPayload",
    "TooManyRedirects",
    "TraceConfig",
    "TraceRequestChunkSentParams",
    "TraceRequestEndParams",
    "TraceRequestExceptionParams",
    "TraceRequestHeadersSentParams",
    "TraceRequestRedirectParams",
    "TraceRequestStartParams",
    "TraceResponseChunkReceivedParams",
    "UploadAbortedError",
    "UploadTracker",
    "__version__",
    "fetch",
    "get_payload",
    "request",
)
