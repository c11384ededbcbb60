"""TCPConnector(resolver=) (python/asiofetch/_resolve.py): the engine's resolve hook as the
session drives it — shared lookups, a resolver that is slow, fails or outlives its session.
Side-by-side behaviour with aiohttp is in test_compat_aiohttp.py."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

import asiofetch
from webapp import serve


class GateResolver:
    """Maps every host to the test server, once `gate` is set; counts lookups."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.gate = asyncio.Event()
        self.asked = asyncio.Event()
        self.calls: list[str] = []

    async def resolve(self, host: str, port: int = 0, family: int = 0) -> list[dict[str, Any]]:
        self.calls.append(host)
        self.asked.set()
        await self.gate.wait()
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": self.port,
                "family": socket.AF_INET,
                "proto": 0,
                "flags": 0,
            }
        ]

    async def close(self) -> None:
        return None


@pytest.fixture
async def server() -> AsyncIterator[Any]:
    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=request.host)

    app = web.Application()
    app.router.add_get("/", handler)
    async with serve(app) as s:
        yield s


async def test_concurrent_requests_share_one_lookup(server: Any) -> None:
    resolver = GateResolver(server.port)
    connector = asiofetch.TCPConnector(resolver=resolver)
    async with asiofetch.ClientSession(connector=connector) as s:
        tasks = [asyncio.ensure_future(s.get("http://shared.test/")) for _ in range(3)]
        await resolver.asked.wait()
        resolver.gate.set()
        resps = await asyncio.gather(*tasks)
        assert [await r.text() for r in resps] == ["shared.test"] * 3
    assert resolver.calls == ["shared.test"]


async def test_a_cancelled_request_leaves_the_lookup_to_the_others(server: Any) -> None:
    resolver = GateResolver(server.port)
    connector = asiofetch.TCPConnector(resolver=resolver)
    async with asiofetch.ClientSession(connector=connector) as s:
        first = asyncio.ensure_future(s.get("http://shared.test/"))
        await resolver.asked.wait()
        second = asyncio.ensure_future(s.get("http://shared.test/"))
        await asyncio.sleep(0)
        first.cancel()
        with pytest.raises(asyncio.CancelledError):
            await first
        resolver.gate.set()
        assert await (await second).text() == "shared.test"
    assert resolver.calls == ["shared.test"]


async def test_session_closed_while_resolving_fails_the_request(server: Any) -> None:
    resolver = GateResolver(server.port)
    s = asiofetch.ClientSession(connector=asiofetch.TCPConnector(resolver=resolver))
    task = asyncio.ensure_future(s.get("http://late.test/"))
    await resolver.asked.wait()
    await s.close()
    resolver.gate.set()
    # The engine ended the request while it had no future: it must not wait for ever.
    with pytest.raises(asiofetch.SessionClosedError):
        await asyncio.wait_for(task, 10)


async def test_a_resolver_slower_than_the_connect_timeout(server: Any) -> None:
    resolver = GateResolver(server.port)  # its gate never opens
    connector = asiofetch.TCPConnector(resolver=resolver)
    timeout = asiofetch.ClientTimeout(connect=0.2)
    async with asiofetch.ClientSession(connector=connector, timeout=timeout) as s:
        with pytest.raises(asiofetch.ConnectionTimeoutError, match=r"resolving slow\.test:80"):
            await s.get("http://slow.test/")


async def test_other_resolver_errors_reach_the_caller_unchanged(server: Any) -> None:
    class Broken(GateResolver):
        async def resolve(self, host: str, port: int = 0, family: int = 0) -> list[Any]:
            raise AssertionError(f"Unexpected host: {host}")

    connector = asiofetch.TCPConnector(resolver=Broken(server.port))
    async with asiofetch.ClientSession(connector=connector) as s:
        with pytest.raises(AssertionError, match=r"Unexpected host: odd\.test"):
            await s.get("http://odd.test/")

    # No address in the answer: a DNS error, as an empty getaddrinfo result is.
    class Empty(GateResolver):
        async def resolve(self, host: str, port: int = 0, family: int = 0) -> list[Any]:
            return []

    connector = asiofetch.TCPConnector(resolver=Empty(server.port))
    async with asiofetch.ClientSession(connector=connector) as s:
        with pytest.raises(asiofetch.ClientConnectorDNSError, match="gave no address"):
            await s.get("http://none.test/")


async def test_the_answer_cache_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    # Many hosts, answers never expiring (ttl_dns_cache=None): the oldest answers go once the
    # cache holds MAX_ENTRIES; a host asked again after that is resolved again.
    from asiofetch._resolve import ResolveNeeded, ResolverHook

    monkeypatch.setattr(ResolverHook, "MAX_ENTRIES", 3)
    resolver = GateResolver(8080)
    resolver.gate.set()
    hook = ResolverHook(resolver, socket.AF_INET, None, True)
    for host in ("a", "b", "c", "d", "e"):
        entry = await hook.entry(ResolveNeeded(f"{host}.test:80", f"http://{host}.test/"), False)
        assert entry == f"{host}.test:80:127.0.0.1:8080"
        await asyncio.sleep(0)  # the lookup's done callback stores the answer
    assert len(hook._cache) == 3
    assert [h for h, _ in hook._cache] == ["c.test", "d.test", "e.test"]
    await hook.entry(ResolveNeeded("e.test:80", "http://e.test/"), False)
    await hook.entry(ResolveNeeded("a.test:80", "http://a.test/"), False)
    assert resolver.calls == ["a.test", "b.test", "c.test", "d.test", "e.test", "a.test"]
