"""Mirror of tests_cpp/test_errors.cpp: every failure surfaces as one aiohttp exception type,
with curl's detail kept in the message."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest

import asiofetch
from raw_server import raw_server
from servers import FixtureServer


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A loopback port that refuses connections: bound (nobody else takes it), never listening."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


async def test_connection_refused(closed_port: int) -> None:
    url = f"http://127.0.0.1:{closed_port}/"
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.ClientConnectorError) as info:
            await s.get(url)
    # Exactly the connector error, not one of its DNS/TLS/proxy subclasses.
    assert info.type is asiofetch.ClientConnectorError
    assert (info.value.host, info.value.port) == ("127.0.0.1", closed_port)
    assert "curl error 7" in str(info.value)


async def test_dns_failure() -> None:
    # .invalid never resolves (RFC 6761).
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.ClientConnectorDNSError):
            await s.get("http://does-not-exist.invalid/")


async def test_truncated_body_is_payload_incomplete(base_url: str) -> None:
    # As aiohttp: the head is the response, so `await get()` returns it, and the body's
    # failure is raised by read() (issue 12: it was raised by `await get()`).
    async with asiofetch.ClientSession() as s:
        # Content-Length promises more than arrives.
        resp = await s.get(f"{base_url}/short-body?claimed=100&actual=50")
        assert resp.status == 200
        with pytest.raises(asiofetch.ClientPayloadError):
            await resp.read()
        # Chunked body cut before its last chunk.
        resp = await s.get(f"{base_url}/close-mid-body?size=100000")
        with pytest.raises(asiofetch.ClientPayloadError):
            await resp.read()


async def test_close_before_response_is_server_disconnected(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.ServerDisconnectedError):
            await s.get(f"{base_url}/close-before-response")
        # An RST instead of a FIN is the same failure (aiohttp may say ClientOSError here).
        with pytest.raises(asiofetch.ServerDisconnectedError):
            await s.get(f"{base_url}/reset")


async def test_read_timeout(base_url: str) -> None:
    timeout = asiofetch.ClientTimeout(sock_read=0.2)
    async with asiofetch.ClientSession(timeout=timeout) as s:
        with pytest.raises(asiofetch.SocketTimeoutError):
            await s.get(f"{base_url}/delay/5000")
        # A slow but steady body is not idle: each chunk resets the read timer.
        r = await s.get(f"{base_url}/drip?chunks=5&size=10&delay_ms=100")
        assert len(await r.read()) == 50


async def test_total_timeout(base_url: str) -> None:
    timeout = asiofetch.ClientTimeout(total=0.3)
    async with asiofetch.ClientSession(timeout=timeout) as s:
        # The head comes at once: like aiohttp, the total timeout raises from the body's read.
        resp = await s.get(f"{base_url}/drip?chunks=50&size=10&delay_ms=100")
        with pytest.raises(asyncio.TimeoutError) as info:
            await resp.read()
    # aiohttp's `total` raises a bare TimeoutError, not a ServerTimeoutError (a ClientError).
    assert not isinstance(info.value, asiofetch.ClientError)


async def test_connect_timeout(fixture_server: FixtureServer) -> None:
    timeout = asiofetch.ClientTimeout(connect=0.2, total=10)
    # The silent port accepts TCP but never speaks: the TLS handshake cannot finish.
    url = f"https://localhost:{fixture_server.silent_port}/"
    async with asiofetch.ClientSession(timeout=timeout) as s:
        with pytest.raises(asiofetch.ConnectionTimeoutError):
            await s.get(url)


async def test_invalid_url_rejected_at_submit() -> None:
    connector = asiofetch.TCPConnector()
    async with asiofetch.ClientSession(connector=connector) as s:
        # aiohttp's types: a non-HTTP scheme is not an InvalidURL, the other two are.
        with pytest.raises(asiofetch.NonHttpUrlClientError):
            await s.get("ftp://example.com/")
        with pytest.raises(asiofetch.InvalidUrlClientError):
            await s.get("http://")
        with pytest.raises(asiofetch.InvalidUrlClientError):
            await s.get("not a url")
        # Rejected before reaching the engine: nothing was queued, run or completed.
        assert connector.stats() == {"in_flight": 0, "queued": 0, "completed": 0}


async def test_server_bytes_that_are_not_utf8_never_leave_a_request_pending() -> None:
    """A header byte libcurl quotes in its error (here in Transfer-Encoding) once made
    completing the future raise inside the drain, so the await hung past every timeout.
    Bindings-only (the C++ engine has no text decoding), so no C++ mirror."""
    bad_te = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: \xffchunked\r\nContent-Length: 5\r\n\r\nhello"
    timeout = asiofetch.ClientTimeout(total=30)

    async def attempt(s: asiofetch.ClientSession, url: str, how: str) -> None:
        if how == "get":
            await s.get(url)
        elif how == "stream":
            async with s.get(url) as r:
                await r.read()
        elif how == "gather":
            await s.gather([url])
        else:
            async for c in s.as_completed([url]):
                c.result()

    server = raw_server(lambda _line: bad_te)
    async with server as base, asiofetch.ClientSession(timeout=timeout) as s:
        for how in ("get", "stream", "gather", "as_completed"):
            with pytest.raises(asiofetch.ClientError) as caught:
                # wait_for far below the request's own timeout: a hang fails here.
                await asyncio.wait_for(attempt(s, f"{base}/te", how), 10)
            # The server's byte is shown escaped, not lost.
            assert "\\xffchunked" in str(caught.value), how


async def test_header_bytes_that_are_not_utf8_decode_like_aiohttp() -> None:
    # aiohttp decodes header values as UTF-8 with surrogateescape (checked with aiohttp 3.14:
    # 'caf\udce9' for b'caf\xe9'), so the original bytes can be recovered.
    answer = b"HTTP/1.1 200 OK\r\nX-A: caf\xe9\r\nContent-Length: 5\r\n\r\nhello"
    async with raw_server(lambda _line: answer) as base, asiofetch.ClientSession() as s:
        r = await s.get(f"{base}/")
        assert r.headers["X-A"] == "caf\udce9"
        assert r.headers["X-A"].encode("utf-8", "surrogateescape") == b"caf\xe9"
        assert await r.read() == b"hello"
