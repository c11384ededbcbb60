"""Client middlewares (python/asiofetch/_middlewares.py) against aiohttp.web on loopback.

Cases from aiohttp 3.12+'s documented middleware behaviour (client_middlewares, the
"Client Middleware" docs) and its tests: chain order, per-request override and `()`,
a middleware that re-sends the request (auth challenge, retry), body updates, requests made
through `request.session` from inside a middleware, and aiohttp's own DigestAuthMiddleware.
"""

from __future__ import annotations

import hashlib
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import asiofetch
from asiofetch import ClientHandlerType, ClientRequest, ClientResponse, ClientSession
from webapp import serve


def echo_app() -> web.Application:
    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        return web.json_response(
            {
                "method": request.method,
                "path": request.path_qs,
                "headers": dict(request.headers),
                "chain": request.headers.getall("X-Chain", []),
                "body": body.decode(),
            }
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", echo)
    return app


async def test_chain_order_first_is_outermost() -> None:
    calls: list[str] = []

    def make(name: str) -> Any:
        async def mw(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
            calls.append(f"{name}>")
            req.headers.add("X-Chain", name)
            resp = await handler(req)
            calls.append(f"<{name}")
            return resp

        return mw

    async with serve(echo_app()) as server, ClientSession(middlewares=(make("a"), make("b"))) as s:
        resp = await s.get(server.make_url("/x"))
        data = await resp.json()
    assert calls == ["a>", "b>", "<b", "<a"]
    assert data["chain"] == ["a", "b"]


async def test_per_request_middlewares_replace_the_sessions() -> None:
    seen: list[str] = []

    async def session_mw(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        seen.append("session")
        return await handler(req)

    async def request_mw(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        seen.append("request")
        return await handler(req)

    async with serve(echo_app()) as server, ClientSession(middlewares=(session_mw,)) as s:
        await s.get(server.make_url("/"))
        await s.get(server.make_url("/"), middlewares=(request_mw,))
        await s.get(server.make_url("/"), middlewares=())
        async with s.get(server.make_url("/")) as resp:  # streamed: same chain
            assert resp.status == 200
    assert seen == ["session", "request", "session"]


async def test_challenge_answered_by_resending() -> None:
    """A middleware that answers a 401 by sending the request again with credentials."""
    attempts: list[str | None] = []

    async def protected(request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization")
        attempts.append(auth)
        if auth != "Bearer good":
            return web.Response(status=401, headers={"WWW-Authenticate": "Bearer"})
        return web.Response(text=f"ok {await request.text()}")

    app = web.Application()
    app.router.add_post("/", protected)

    async def token_mw(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        resp = await handler(req)
        if resp.status == 401:
            req.headers["Authorization"] = "Bearer good"
            resp = await handler(req)
        return resp

    async with (
        serve(app) as server,
        ClientSession(middlewares=(token_mw,)) as s,
        s.post(server.make_url("/"), data=b"payload") as resp,
    ):
        assert resp.status == 200
        assert await resp.text() == "ok payload"
    assert attempts == [None, "Bearer good"]


async def test_retry_middleware_and_raise_for_status_after_the_chain() -> None:
    """raise_for_status applies to what the chain returns, not to each attempt (aiohttp)."""
    count = 0

    async def flaky(request: web.Request) -> web.Response:
        nonlocal count
        count += 1
        return web.Response(status=503 if count < 3 else 200, text=str(count))

    app = web.Application()
    app.router.add_get("/", flaky)

    async def retry_mw(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        for _ in range(5):
            resp = await handler(req)
            if resp.status != 503:
                break
        return resp

    async with (
        serve(app) as server,
        ClientSession(middlewares=(retry_mw,), raise_for_status=True) as s,
    ):
        resp = await s.get(server.make_url("/"))
        assert resp.status == 200
        assert await resp.text() == "3"


async def test_update_body_and_read_body() -> None:
    seen: list[bytes] = []

    async def mw(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        seen.append(req.body)
        await req.update_body("a much longer replacement body")
        return await handler(req)

    async with serve(echo_app()) as server, ClientSession(middlewares=(mw,)) as s:
        resp = await s.post(server.make_url("/"), data=b"short")
        data = await resp.json()
        resp = await s.get(server.make_url("/"))
        empty = await resp.json()
    assert seen == [b"short", b""]
    assert data["body"] == "a much longer replacement body"
    assert data["headers"]["Content-Length"] == str(len("a much longer replacement body"))
    assert empty["body"] == "a much longer replacement body"


async def test_middleware_may_change_method_and_url() -> None:
    async def mw(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        req.method = "PUT"
        req.url = req.url.with_path("/moved").with_query(q="1")
        return await handler(req)

    async with serve(echo_app()) as server, ClientSession(middlewares=(mw,)) as s:
        data = await (await s.get(server.make_url("/orig"))).json()
    assert data["method"] == "PUT"
    assert data["path"] == "/moved?q=1"


async def test_session_inside_a_middleware_with_middlewares_disabled() -> None:
    logged: list[str] = []

    async def log_handler(request: web.Request) -> web.Response:
        logged.append((await request.json())["url"])
        return web.Response()

    log_app = web.Application()
    log_app.router.add_post("/log", log_handler)

    async with serve(echo_app()) as server, serve(log_app) as log_server:

        async def log_mw(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
            async with req.session.post(
                log_server.make_url("/log"), json={"url": str(req.url)}, middlewares=()
            ) as r:
                assert r.status == 200
            return await handler(req)

        async with ClientSession(middlewares=(log_mw,)) as s:
            urls = [str(server.make_url("/a")), str(server.make_url("/b"))]
            for url in urls:
                assert (await s.get(url)).status == 200
    assert logged == urls


async def test_middleware_exception_propagates() -> None:
    class Refused(Exception):
        pass

    async def mw(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        raise Refused("blocked before sending")

    hits = 0

    async def count(request: web.Request) -> web.Response:
        nonlocal hits
        hits += 1
        return web.Response()

    app = web.Application()
    app.router.add_get("/", count)
    async with serve(app) as server, ClientSession(middlewares=(mw,)) as s:
        with pytest.raises(Refused):
            await s.get(server.make_url("/"))
    assert hits == 0


async def test_aiohttp_digest_auth_middleware() -> None:
    """aiohttp's own DigestAuthMiddleware, unchanged, through asiofetch (RFC 7616, MD5)."""
    realm, nonce, user, password = "r", "n0nce", "user", "pass"

    async def protected(request: web.Request) -> web.Response:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Digest "):
            challenge = f'Digest realm="{realm}", nonce="{nonce}", qop="auth", algorithm=MD5'
            return web.Response(status=401, headers={"WWW-Authenticate": challenge})
        fields = dict(part.strip().split("=", 1) for part in auth[len("Digest ") :].split(","))
        f = {k: v.strip('"') for k, v in fields.items()}
        ha1 = hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()
        ha2 = hashlib.md5(f"{request.method}:{f['uri']}".encode()).hexdigest()
        expected = hashlib.md5(
            f"{ha1}:{nonce}:{f['nc']}:{f['cnonce']}:{f['qop']}:{ha2}".encode()
        ).hexdigest()
        if f["response"] != expected:
            return web.Response(status=403)
        return web.Response(text="secret")

    app = web.Application()
    app.router.add_get("/p", protected)
    async with serve(app) as server:
        digest = aiohttp.DigestAuthMiddleware(user, password)
        async with ClientSession(middlewares=(digest,)) as s:
            resp = await s.get(server.make_url("/p"))
            assert resp.status == 200
            assert await resp.text() == "secret"


def test_bad_middlewares_refused() -> None:
    with pytest.raises(TypeError, match="middlewares must be"):
        ClientSession(middlewares=42)
    with pytest.raises(TypeError, match="middlewares must be callables"):
        ClientSession(middlewares=("not callable",))


async def test_native_batches_refused_with_middlewares() -> None:
    async def mw(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        return await handler(req)

    async with ClientSession(middlewares=(mw,)) as s:
        with pytest.raises(ValueError, match="middlewares= or trace_configs="):
            await s.gather(["http://127.0.0.1:1/"])


def test_exported_like_aiohttp() -> None:
    assert asiofetch.ClientRequest is ClientRequest
    assert {"ClientMiddlewareType", "ClientHandlerType"} <= set(asiofetch.__all__)
