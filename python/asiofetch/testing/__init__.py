"""asiofetch.testing: answer asiofetch requests from routes, without a network.

    from asiofetch.testing import MockRouter, MockResponse

    with MockRouter() as router:
        router.get("https://api.test/users/{id}").respond(json={"name": "ann"})
        ...  # every session's requests are answered by the router

The router answers inside the engine, where a network attempt would start, so retries,
hedges, fallbacks, redirects, timeouts, semaphores, rate limits and the native batches
(`gather`, `as_completed`) run for real against the mocked answers. The pytest plugin adds
the `asiofetch_mock` fixture (configured by the `asiofetch_mock` marker's keywords), and
`aioresponses` mirrors the API of the aiohttp mocking library of that name.
"""

from __future__ import annotations

from ._aioresponses import CallbackResult, RequestCall, aioresponses
from ._answers import MockResponse, UnmatchedRequestError
from ._request import MockRequest
from ._router import MockRouter, Route, sockets_opened

__all__ = (
    "CallbackResult",
    "MockRequest",
    "MockResponse",
    "MockRouter",
    "RequestCall",
    "Route",
    "UnmatchedRequestError",
    "aioresponses",
    "sockets_opened",
)
