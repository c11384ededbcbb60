"""aiohttp.web applications served on loopback for tests whose server logic is Python (auth
challenges, per-request assertions): a real HTTP server, the client under test unchanged."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiohttp import web
from aiohttp.test_utils import TestServer


@contextlib.asynccontextmanager
async def serve(app: web.Application) -> AsyncIterator[TestServer]:
    """`app` on 127.0.0.1, an ephemeral port; `server.make_url(path)` gives its URLs."""
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        yield server
    finally:
        await server.close()
