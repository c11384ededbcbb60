"""Client middlewares (aiohttp 3.12+): `middleware(request, handler) -> response` chains.

A session's `middlewares=` wrap every request; a request's own `middlewares=` replace them
(`()` runs none: what a middleware passes when it makes requests through the same session).
The first middleware of the list is the outermost. A middleware may change the request
(method, URL, headers, body via `update_body`) before calling the handler, look at the
response, and call the handler again (an auth challenge answered, a retry): each call sends
the request as it is then, natively.

One difference from aiohttp, listed in the README: the handler performs a whole native
request, redirects included, so a middleware sees the final response of a redirect chain
(with `history`), not each hop. A response a middleware dropped for another call of the
handler is released when the chain returns, so its connection goes back to the pool.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from multidict import CIMultiDict
from yarl import URL

from ._body import encode_body

if TYPE_CHECKING:
    from ._response import ClientResponse

__all__ = (
    "ClientHandlerType",
    "ClientMiddlewareType",
    "ClientRequest",
    "build_client_middlewares",
    "check_middlewares",
    "run_middlewares",
)


class ClientRequest:
    """The request a client middleware sees: change it, then call the handler with it."""

    __slots__ = ("_body", "_json_serialize", "headers", "method", "session", "url")

    def __init__(
        self,
        method: str,
        url: URL,
        headers: CIMultiDict[str],
        body: Any,
        session: Any,
        json_serialize: Callable[[Any], str | bytes],
    ) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self._body = body
        self.session = session
        self._json_serialize = json_serialize

    @property
    def body(self) -> Any:
        """The encoded body (bytes; b"" when the request has none), as aiohttp's middlewares
        read it (`request.body.decode()`, digest auth-int hashing)."""
        return b"" if self._body is None else self._body

    @body.setter
    def body(self, data: Any) -> None:
        self._body = self._encode(data)

    async def update_body(self, data: Any) -> None:
        """Replace the body with `data` (any `data=` form); Content-Length follows it."""
        self._body = self._encode(data)

    def _encode(self, data: Any) -> Any:
        body, _ = encode_body(data, None, self._json_serialize)
        return body

    @property
    def host(self) -> str:
        return self.url.raw_host or ""

    @property
    def port(self) -> int | None:
        return self.url.port

    def __repr__(self) -> str:
        return f"<ClientRequest({self.method} {self.url})>"


ClientHandlerType = Callable[[ClientRequest], Awaitable["ClientResponse"]]
ClientMiddlewareType = Callable[[ClientRequest, ClientHandlerType], Awaitable["ClientResponse"]]


def check_middlewares(middlewares: Any) -> tuple[ClientMiddlewareType, ...]:
    """`middlewares=` of a session or a request: a sequence of callables."""
    if middlewares is None:
        return ()
    if isinstance(middlewares, (str, bytes)) or not isinstance(middlewares, Sequence):
        raise TypeError(
            "middlewares must be a sequence of callables "
            f"(request, handler) -> response, got {type(middlewares).__name__}"
        )
    for mw in middlewares:
        if not callable(mw):
            raise TypeError(f"middlewares must be callables, got {type(mw).__name__}")
    return tuple(middlewares)


def build_client_middlewares(
    handler: ClientHandlerType, middlewares: Sequence[ClientMiddlewareType]
) -> ClientHandlerType:
    """The handler wrapped by each middleware, the first of the list outermost."""
    current = handler
    for mw in reversed(middlewares):

        def wrap(mw: ClientMiddlewareType, inner: ClientHandlerType) -> ClientHandlerType:
            async def wrapped(req: ClientRequest) -> ClientResponse:
                return await mw(req, inner)

            return wrapped

        current = wrap(mw, current)
    return current


async def run_middlewares(
    middlewares: Sequence[ClientMiddlewareType],
    req: ClientRequest,
    send: ClientHandlerType,
) -> ClientResponse:
    """Run the chain; release every response the chain did not return."""
    sent: list[ClientResponse] = []

    async def handler(r: ClientRequest) -> ClientResponse:
        resp = await send(r)
        sent.append(resp)
        return resp

    try:
        resp = await build_client_middlewares(handler, middlewares)(req)
    except BaseException:
        for other in sent:
            other.release()
        raise
    for other in sent:
        if other is not resp:
            other.release()
    return resp
