"""HTTP/2 against nginx: h2c with prior knowledge, h2 over TLS via ALPN, and multiplexing
(many requests sharing one connection while another stream on it is still open).

nginx's /conn answers "<connection serial> <requests on it>"; for HTTP/2 the count is the
number of streams opened on that connection.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator

import pytest

import asiofetch
from servers import Certs, FixtureServer, Nginx

H2 = asiofetch.HttpVersion(2, 0)


@pytest.fixture(scope="module")
def nginx_proxy(certs: Certs, fixture_server: FixtureServer) -> Iterator[Nginx]:
    """nginx with /upstream/ proxied to the fixture server, for a response that stays open."""
    with Nginx(certs, upstream_port=fixture_server.port) as server:
        yield server


def tls_connector(certs: Certs) -> asiofetch.TCPConnector:
    return asiofetch.TCPConnector(ssl=ssl.create_default_context(cafile=str(certs.ca_cert)))


def base_of(server: Nginx, transport: str) -> str:
    return server.h2c_url if transport == "h2c" else server.https_url


async def conn_of(s: asiofetch.ClientSession, base: str) -> tuple[str, int]:
    r = await s.get(f"{base}/conn")
    assert r.version == H2
    conn, n = (await r.text()).split()
    return conn, int(n)


async def test_h2c_prior_knowledge(nginx: Nginx) -> None:
    # The h2c listener speaks only HTTP/2: an HTTP/1.1 request or an Upgrade would fail.
    async with asiofetch.ClientSession(http2=True) as s:
        r = await s.get(f"{nginx.h2c_url}/small.txt")
        assert r.status == 200
        assert r.version == H2
        assert len(await r.read()) == 100
        # Reusing the h2c connection is what libcurl 7.88 broke (curl issue #10634).
        first = await conn_of(s, nginx.h2c_url)
        second = await conn_of(s, nginx.h2c_url)
    assert second == (first[0], first[1] + 1)


async def test_h2_over_tls_via_alpn(nginx: Nginx, certs: Certs) -> None:
    async with asiofetch.ClientSession(http2=True, connector=tls_connector(certs)) as s:
        r = await s.get(f"{nginx.https_url}/1k.bin")
        assert r.status == 200
        assert r.version == H2
        assert await r.read() == bytes(range(256)) * 4
        assert r.timings["tls"] > 0.0


async def test_http1_listener_without_http2(nginx: Nginx) -> None:
    # Without http2=True a cleartext URL stays HTTP/1.1 (no surprise prior knowledge).
    async with asiofetch.ClientSession() as s:
        r = await s.get(f"{nginx.http_url}/small.txt")
    assert r.version == asiofetch.HttpVersion(1, 1)


@pytest.mark.parametrize("transport", ["h2c", "tls"])
async def test_concurrent_requests_multiplex_on_one_connection(
    nginx_proxy: Nginx, certs: Certs, transport: str
) -> None:
    base = base_of(nginx_proxy, transport)
    connector = tls_connector(certs) if transport == "tls" else asiofetch.TCPConnector()
    async with asiofetch.ClientSession(http2=True, connector=connector) as s:
        # A stream that stays open: the fixture drips its body for a minute. Under HTTP/1.1
        # its connection would be busy until the body ends.
        drip = f"{base}/upstream/drip?chunks=3000&size=10&delay_ms=20"
        async with s.get(drip) as held:
            assert held.version == H2
            held_conn = held.headers["X-Connection"]
            # 50 requests at once while that stream is still open.
            rs = await asyncio.gather(*(conn_of(s, base) for _ in range(50)))
            assert not held.content.at_eof()
        assert {conn for conn, _ in rs} == {held_conn}, "all streams share the held connection"
        # Streams 2..51 on that connection: the held request was the first.
        assert sorted(n for _, n in rs) == list(range(2, 52))
        # Leaving `async with` reset only that stream; the connection carries on.
        assert (await conn_of(s, base))[0] == held_conn
