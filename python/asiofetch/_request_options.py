"""The keyword arguments of one request, typed: what `get()`, `request()`, `fetch()` take.

`**kwargs: Unpack[RequestOptions]` on the verbs makes a type checker catch what aiohttp's own
`_RequestOptions` catches: a misspelt keyword (`jsno=`, `allow_redirect=`) or a wrong type
(`timeout="5"`). Only annotations use it (every import here is for the checker), so a request
pays nothing for it at run time. The run-time checks stay where they are (`_session_request`),
because untyped callers exist.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable, Sequence

    from yarl import URL

    from ._body import BasicAuth
    from ._flow import Hedge, RateLimit, Retry, Semaphore
    from ._middlewares import ClientMiddlewareType
    from ._response import ClientResponse
    from ._timeout import ClientTimeout
    from ._upload_tracker import UploadTracker

__all__ = ("RequestOptions",)


class RequestOptions(TypedDict, total=False):
    """aiohttp 3.14's request keywords (same names and meaning) and asiofetch's own
    (max_body_size ... upload_tracker). `Any` where aiohttp's own type is a wide union
    (params, data, json, cookies, headers, ssl): a narrower one would reject valid code."""

    params: Any
    data: Any
    json: Any
    cookies: Any
    headers: Any
    skip_auto_headers: Iterable[str] | None
    auth: BasicAuth | None
    allow_redirects: bool
    max_redirects: int
    compress: str | bool | None
    chunked: bool | int | None
    expect100: bool
    raise_for_status: bool | Callable[[ClientResponse], Awaitable[None]] | None
    read_until_eof: bool
    proxy: str | URL | None
    proxy_auth: BasicAuth | None
    timeout: ClientTimeout | float | None
    ssl: Any
    verify_ssl: bool | None
    ssl_context: Any
    fingerprint: bytes | None
    server_hostname: str | None
    proxy_headers: Any
    trace_request_ctx: Any
    read_bufsize: int | None
    auto_decompress: bool | None
    max_body_size: int | None
    max_decompressed_size: int | None
    max_line_size: int | None
    max_field_size: int | None
    max_headers: int | None
    retry: Retry | None
    semaphore: Semaphore | None
    rate_limit: RateLimit | None
    hedge: Hedge | None
    fallback: Iterable[str | URL] | None
    middlewares: Sequence[ClientMiddlewareType] | None
    upload_tracker: UploadTracker | None
