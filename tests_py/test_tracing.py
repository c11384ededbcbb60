"""Request tracing (python/asiofetch/_tracing.py) against aiohttp.web on loopback.

Cases from aiohttp's documented tracing (the "Client Tracing" reference: signals, parameter
objects, trace_config_ctx / trace_request_ctx) and its tests test_request_tracing and
test_request_tracing_url_params. Both asiofetch's TraceConfig and aiohttp's are used; each
gets the parameter classes of its own module.
"""

from __future__ import annotations

import json
from types import ModuleType, SimpleNamespace
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

import asiofetch
from asiofetch import ClientHandlerType, ClientRequest, ClientResponse, ClientSession
from webapp import serve


def app() -> web.Application:
    async def root(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "body": (await request.read()).decode()})

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound("/")

    async def fail(request: web.Request) -> web.Response:
        return web.Response(status=500)

    a = web.Application()
    a.router.add_route("*", "/", root)
    a.router.add_get("/redirect", redirect)
    a.router.add_get("/fail", fail)
    return a


class Recorder:
    """Every signal that can fire, recorded as (signal, params)."""

    def __init__(self, mod: ModuleType) -> None:
        self.events: list[tuple[str, Any]] = []
        self.contexts: list[SimpleNamespace] = []
        self.config = mod.TraceConfig()
        for name in (
            "on_request_start",
            "on_request_headers_sent",
            "on_request_chunk_sent",
            "on_request_redirect",
            "on_response_chunk_received",
            "on_request_end",
            "on_request_exception",
        ):
            getattr(self.config, name).append(self._make(name))

    def _make(self, name: str) -> Any:
        async def cb(session: Any, ctx: SimpleNamespace, params: Any) -> None:
            self.events.append((name, params))
            self.contexts.append(ctx)

        return cb

    def names(self) -> list[str]:
        return [n for n, _ in self.events]


@pytest.fixture(params=["asiofetch", "aiohttp"])
def trace_mod(request: pytest.FixtureRequest) -> ModuleType:
    """Whose TraceConfig the application uses (asiofetch is the client either way)."""
    return asiofetch if request.param == "asiofetch" else aiohttp


async def test_post_signals_and_params(trace_mod: ModuleType) -> None:
    rec = Recorder(trace_mod)
    headers = CIMultiDict({"Custom-Header": "v"})
    async with (
        serve(app()) as server,
        ClientSession(trace_configs=[rec.config], headers=headers) as s,
    ):
        url = server.make_url("/")
        async with s.post(url, data="body!", trace_request_ctx={"k": 1}) as resp:
            assert (await resp.json())["body"] == "body!"
    assert rec.names() == [
        "on_request_start",
        "on_request_headers_sent",
        "on_request_chunk_sent",
        "on_response_chunk_received",
        "on_request_end",
    ]
    start, sent, chunk, received, end = (p for _, p in rec.events)
    assert start == trace_mod.TraceRequestStartParams("POST", url, headers)
    assert end == trace_mod.TraceRequestEndParams("POST", url, headers, resp)
    assert chunk == trace_mod.TraceRequestChunkSentParams("POST", url, b"body!")
    assert received.chunk == json.dumps({"ok": True, "body": "body!"}).encode()
    assert sent.headers["Custom-Header"] == "v"
    assert sent.headers["Content-Type"] == "text/plain; charset=utf-8"
    # One context per config and request, carrying trace_request_ctx.
    assert all(ctx is rec.contexts[0] for ctx in rec.contexts)
    assert rec.contexts[0].trace_request_ctx == {"k": 1}


async def test_redirect_signals_follow_the_hops(trace_mod: ModuleType) -> None:
    rec = Recorder(trace_mod)
    async with serve(app()) as server, ClientSession(trace_configs=[rec.config]) as s:
        resp = await s.get(server.make_url("/redirect"), params={"x": "0"})
        assert resp.status == 200
        start, root = server.make_url("/redirect?x=0"), server.make_url("/")
    urls: dict[str, list[URL]] = {n: [] for n in rec.names()}
    for n, p in rec.events:
        urls[n].append(p.url)
    assert urls["on_request_start"] == [start]
    assert urls["on_request_redirect"] == [start]
    assert urls["on_request_headers_sent"] == [start, root]
    assert urls["on_request_end"] == [root]
    assert "on_request_chunk_sent" not in urls
    redirect = next(p for n, p in rec.events if n == "on_request_redirect")
    assert redirect.response.status == 302


async def test_exception_signal_with_raise_for_status(trace_mod: ModuleType) -> None:
    rec = Recorder(trace_mod)
    async with (
        serve(app()) as server,
        ClientSession(trace_configs=[rec.config], raise_for_status=True) as s,
    ):
        with pytest.raises(asiofetch.ClientResponseError) as info:
            await s.get(server.make_url("/fail"))
    assert rec.names()[-1] == "on_request_exception"
    assert "on_request_end" not in rec.names()
    assert rec.events[-1][1].exception is info.value


async def test_exception_signal_on_connection_failure() -> None:
    rec = Recorder(asiofetch)
    async with ClientSession(trace_configs=[rec.config]) as s:
        with pytest.raises(asiofetch.ClientConnectorError) as info:
            await s.get("http://127.0.0.1:1/")
    assert rec.names() == ["on_request_start", "on_request_exception"]
    assert rec.events[1][1].exception is info.value


async def test_opentelemetry_style_span_end_to_end() -> None:
    """What an instrumentation library does: a span per request in the trace context,
    opened at start, closed at end with the status, traceparent injected by a middleware."""
    spans: list[dict[str, Any]] = []
    config = asiofetch.TraceConfig()

    async def on_start(session: Any, ctx: SimpleNamespace, params: Any) -> None:
        ctx.span = {"name": f"HTTP {params.method}", "url": str(params.url)}

    async def on_end(session: Any, ctx: SimpleNamespace, params: Any) -> None:
        ctx.span["status"] = params.response.status
        spans.append(ctx.span)

    config.on_request_start.append(on_start)
    config.on_request_end.append(on_end)

    async def inject(req: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        req.headers["traceparent"] = "00-" + "1" * 32 + "-" + "2" * 16 + "-01"
        return await handler(req)

    seen: list[str] = []

    async def root(request: web.Request) -> web.Response:
        seen.append(request.headers["traceparent"])
        return web.Response(text="ok")

    a = web.Application()
    a.router.add_get("/", root)
    async with (
        serve(a) as server,
        ClientSession(trace_configs=[config], middlewares=(inject,)) as s,
    ):
        url = str(server.make_url("/"))
        await s.get(url)
    assert spans == [{"name": "HTTP GET", "url": url, "status": 200}]
    assert seen == ["00-" + "1" * 32 + "-" + "2" * 16 + "-01"]


def test_config_frozen_by_the_session() -> None:
    config = asiofetch.TraceConfig()
    ClientSession(trace_configs=[config])._close()

    async def cb(*args: Any) -> None:
        return None

    with pytest.raises(RuntimeError, match="frozen"):
        config.on_request_start.append(cb)


@pytest.mark.parametrize("mod", [asiofetch, aiohttp])
def test_connection_signals_refused(mod: ModuleType) -> None:
    """Signals the engine cannot report are refused, never silently left silent."""
    config = mod.TraceConfig()

    async def cb(*args: Any) -> None:
        return None

    config.on_connection_create_start.append(cb)
    with pytest.raises(ValueError, match="on_connection_create_start cannot fire"):
        ClientSession(trace_configs=[config])


def test_bad_trace_configs_refused() -> None:
    with pytest.raises(TypeError, match="trace_configs"):
        ClientSession(trace_configs=object())
    with pytest.raises(TypeError, match="TraceConfig objects"):
        ClientSession(trace_configs=[object()])
