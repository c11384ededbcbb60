"""Mirror of tests_cpp/test_error_table.cpp: each row of the libcurl-error table produced on
loopback, seen as the aiohttp exception it maps to, and the response-head checks with
aiohttp 3.14's limits and messages (each expectation was taken from aiohttp run against the
same bytes)."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterator
from urllib.parse import quote_from_bytes

import pytest

import asiofetch
from servers import Certs, FixtureServer


def raw(base: str, head: bytes, fill: int = 0, tail: bytes = b"", byte_delay_ms: int = 0) -> str:
    """The fixture's /raw route answers with exactly these bytes ('a' * fill between)."""
    return (
        f"{base}/raw?head={quote_from_bytes(head, safe='')}&fill={fill}"
        f"&tail={quote_from_bytes(tail, safe='')}&byte_delay_ms={byte_delay_ms}"
    )


@pytest.fixture
def closed_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        yield s.getsockname()[1]


async def bad_response(
    s: asiofetch.ClientSession, url: str, **kw: object
) -> asiofetch.ClientResponseError:
    with pytest.raises(asiofetch.ClientResponseError) as info:
        await s.get(url, **kw)  # type: ignore[arg-type]
    e = info.value
    assert type(e) is asiofetch.ClientResponseError
    assert e.status == 400
    # aiohttp's str(): the status, the parser's reason and the request's URL.
    assert e.request_info is not None and str(e.request_info.url) == url
    assert str(e) == f"400, message={e.message!r}, url={url!r}"
    return e


# -- the status line ------------------------------------------------------------------------


async def test_http09_answer_is_a_bad_response_not_a_bad_url(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        e = await bad_response(s, raw(base_url, b"hello world\r\n"))
    assert e.message.startswith("Bad status line: ")


async def test_unknown_http_version_is_a_bad_response(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        await bad_response(s, raw(base_url, b"HTTP/9.9 200 OK\r\nContent-Length: 0\r\n\r\n"))


async def test_status_codes_that_are_not_three_digits_are_bad_responses(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        for code in (b"99", b"abc", b"2000"):
            await bad_response(
                s, raw(base_url, b"HTTP/1.1 " + code + b" OK\r\nContent-Length: 0\r\n\r\n")
            )


async def test_reason_phrase_over_max_line_size(base_url: str) -> None:
    head, tail = b"HTTP/1.1 200 ", b"\r\nContent-Length: 0\r\n\r\n"
    async with asiofetch.ClientSession(max_line_size=100) as s:
        e = await bad_response(s, raw(base_url, head, 101, tail))
        assert e.message == "Got more than 100 bytes when reading: b'" + "a" * 100 + "...'."
        r = await s.get(raw(base_url, head, 100, tail))
        assert r.reason == "a" * 100


# -- header fields --------------------------------------------------------------------------


async def test_duplicate_content_length_is_refused(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        e = await bad_response(
            s,
            raw(
                base_url,
                b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 10\r\n\r\nhello12345",
            ),
        )
        # aiohttp 3.14 (llhttp) word for word.
        assert (
            e.message
            == "Duplicate Content-Length:\n\n  b'Content-Length: 10'\n                    ^"
        )
        await bad_response(
            s,
            raw(
                base_url, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\nhello"
            ),
        )
        # Streaming sees the same refusal before any body byte.
        with pytest.raises(asiofetch.ClientResponseError):
            async with s.get(
                raw(
                    base_url,
                    b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 10\r\n\r\nhello12345",
                )
            ) as r:
                await r.read()


async def test_malformed_content_length_is_a_bad_response(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        for v in (b"abc", b"-1", b"5 5", b"+5"):
            await bad_response(
                s, raw(base_url, b"HTTP/1.1 200 OK\r\nContent-Length: " + v + b"\r\n\r\nhello")
            )


async def test_header_name_that_is_not_a_token_is_refused(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        e = await bad_response(
            s, raw(base_url, b"HTTP/1.1 200 OK\r\nBad Name: v\r\nContent-Length: 0\r\n\r\n")
        )
    assert e.message == "Invalid header token:\n\n  b'Bad Name: v'\n       ^"


async def test_header_line_without_colon_is_a_bad_response(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        e = await bad_response(
            s, raw(base_url, b"HTTP/1.1 200 OK\r\nnocolon\r\nContent-Length: 0\r\n\r\n")
        )
    assert e.message == "Header without colon"


async def test_bad_chunk_size_is_a_payload_error(base_url: str) -> None:
    answer = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
    async with asiofetch.ClientSession() as s:
        resp = await s.get(raw(base_url, answer))  # as aiohttp: the head is fine, read() fails
        with pytest.raises(asiofetch.ClientPayloadError):
            await resp.read()


async def test_header_field_over_max_field_size(base_url: str) -> None:
    head, tail = b"HTTP/1.1 200 OK\r\nX-Long: ", b"\r\nContent-Length: 0\r\n\r\n"
    async with asiofetch.ClientSession() as s:
        r = await s.get(raw(base_url, head, 8184, tail))  # "X-Long" + 8184 = 8190: at the limit
        assert len(r.headers["X-Long"]) == 8184
        e = await bad_response(s, raw(base_url, head, 8185, tail))
        assert e.message == "Got more than 8190 bytes when reading: b'" + "a" * 100 + "...'."
        # A request's own limit over the session's, as aiohttp's request(max_field_size=).
        e = await bad_response(s, raw(base_url, head, 15, tail), max_field_size=20)
        assert e.message == "Got more than 20 bytes when reading: b'" + "a" * 15 + "...'."


async def test_header_line_over_libcurls_own_limit_is_a_bad_response(base_url: str) -> None:
    async with asiofetch.ClientSession(max_field_size=1 << 20) as s:
        e = await bad_response(
            s, raw(base_url, b"HTTP/1.1 200 OK\r\nX-Long: ", 200000, b"\r\n\r\n")
        )
    assert "curl error" not in e.message


async def test_more_than_max_headers(base_url: str) -> None:
    def head(n: int) -> bytes:
        lines = b"".join(b"X-H%d: v\r\n" % i for i in range(1, n))
        return b"HTTP/1.1 200 OK\r\n" + lines + b"Content-Length: 0\r\n\r\n"

    async with asiofetch.ClientSession() as s:
        r = await s.get(raw(base_url, head(128)))
        assert len(r.headers) == 128
        e = await bad_response(s, raw(base_url, head(129)))
        assert e.message == "Too many headers received"
    async with asiofetch.ClientSession(max_headers=2) as s:
        e = await bad_response(s, raw(base_url, head(3)))
        assert e.message == "Too many headers received"


async def test_limits_count_per_header_block(base_url: str) -> None:
    url = f"{base_url}/redirect/2"
    async with asiofetch.ClientSession() as s:
        plain = await s.get(url)
    sizes = [len(r.headers) for r in (*plain.history, plain)]
    most = max(sizes)
    assert sum(sizes) > most
    # Each hop of a redirect is its own head: the largest one fits, the sum would not.
    async with asiofetch.ClientSession(max_headers=most) as s:
        assert (await s.get(url)).status == 200
    async with asiofetch.ClientSession(max_headers=most - 1) as s:
        await bad_response(s, url)


async def test_head_limits_are_checked_at_the_call() -> None:
    for name in ("max_line_size", "max_field_size", "max_headers"):
        with pytest.raises(ValueError, match=f"{name} must be >= 1, got 0"):
            asiofetch.ClientSession(**{name: 0})  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=f"{name} must be an int, got str"):
            asiofetch.ClientSession(**{name: "8190"})  # type: ignore[arg-type]


async def test_bad_response_in_a_batch_names_its_request(base_url: str) -> None:
    dup = raw(
        base_url, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 10\r\n\r\nhello12345"
    )
    async with asiofetch.ClientSession() as s:
        bad, ok, loop = await s.gather(
            [dup, f"{base_url}/bytes/3", f"{base_url}/redirect-loop"], return_exceptions=True
        )
        assert isinstance(bad, asiofetch.ClientResponseError) and bad.status == 400
        assert bad.request_info is not None and str(bad.request_info.url) == dup
        assert await ok.read() == b"abc"
        assert isinstance(loop, asiofetch.TooManyRedirects)
        assert loop.request_info is not None
        assert str(loop.request_info.url) == f"{base_url}/redirect-loop"
        assert len(loop.history) == 10
        done = [c async for c in s.as_completed([dup], concurrency=1)]
        e = done[0].exception
        assert isinstance(e, asiofetch.ClientResponseError) and e.request_info is not None
        assert str(e) == f"400, message={e.message!r}, url={dup!r}"


# -- the connection -------------------------------------------------------------------------


async def test_refused_connection_is_connector_error(closed_port: int) -> None:
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.ClientConnectorError) as info:
            await s.get(f"http://127.0.0.1:{closed_port}/")
    assert info.type is asiofetch.ClientConnectorError
    assert "Failed to connect" in str(info.value)
    assert str(info.value).endswith("[curl error 7]]")


async def test_refused_proxy_is_proxy_connection_error(base_url: str, closed_port: int) -> None:
    async with asiofetch.ClientSession(proxy=f"http://127.0.0.1:{closed_port}") as s:
        with pytest.raises(asiofetch.ClientProxyConnectionError):
            await s.get(f"{base_url}/bytes/1")


async def test_unresolvable_host_and_proxy(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.ClientConnectorDNSError):
            await s.get("http://does-not-exist.invalid/")
    async with asiofetch.ClientSession(proxy="http://does-not-exist.invalid:3128") as s:
        with pytest.raises(asiofetch.ClientProxyConnectionError):
            await s.get(f"{base_url}/bytes/1")


async def test_empty_reply_and_cut_head_are_server_disconnected(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.ServerDisconnectedError):
            await s.get(f"{base_url}/close-before-response")
        with pytest.raises(asiofetch.ServerDisconnectedError):
            await s.get(raw(base_url, b"HTTP/1.1 200 OK\r\nContent-Le"))
        with pytest.raises(asiofetch.ServerDisconnectedError):
            await s.get(f"{base_url}/reset")


async def test_cut_or_undecodable_body_is_payload_error(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        # As aiohttp: the response comes at its head; its body's failure raises from read().
        resp = await s.get(raw(base_url, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello"))
        with pytest.raises(asiofetch.ClientPayloadError):
            await resp.read()
        resp = await s.get(
            raw(
                base_url,
                b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n"
                b"Content-Length: 10\r\n\r\nnot gzip!!",
            )
        )
        with pytest.raises(asiofetch.ClientPayloadError):
            await resp.read()


# -- TLS ------------------------------------------------------------------------------------


async def test_untrusted_certificate(fixture_server: FixtureServer) -> None:
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.ClientConnectorCertificateError) as info:
            await s.get(f"{fixture_server.https_url}/bytes/1")
    assert isinstance(info.value.certificate_error, ssl.CertificateError)


async def test_tls_to_a_plain_port(base_url: str, certs: Certs) -> None:
    ctx = ssl.create_default_context(cafile=str(certs.ca_cert))
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.ClientConnectorSSLError):
            await s.get(base_url.replace("http:", "https:") + "/bytes/1", ssl=ctx)


# -- timeouts -------------------------------------------------------------------------------


async def test_timeouts_by_phase(base_url: str, fixture_server: FixtureServer) -> None:
    connect = asiofetch.ClientTimeout(connect=0.2, total=10)
    async with asiofetch.ClientSession(timeout=connect) as s:
        with pytest.raises(asiofetch.ConnectionTimeoutError):
            await s.get(f"https://localhost:{fixture_server.silent_port}/")
    async with asiofetch.ClientSession(timeout=asiofetch.ClientTimeout(total=0.3)) as s:
        # The head comes at once: like aiohttp, the total timeout raises from the body's read.
        resp = await s.get(f"{base_url}/drip?chunks=50&size=10&delay_ms=100")
        with pytest.raises(asyncio.TimeoutError) as info:
            await resp.read()
        assert not isinstance(info.value, asiofetch.ClientError)


async def test_head_dribbled_slower_than_lines_but_faster_than_the_read_timeout(
    base_url: str,
) -> None:
    answer = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
    async with asiofetch.ClientSession(timeout=asiofetch.ClientTimeout(sock_read=0.4)) as s:
        r = await s.get(raw(base_url, answer, byte_delay_ms=50))
        assert await r.read() == b"ok"
    async with asiofetch.ClientSession(timeout=asiofetch.ClientTimeout(sock_read=0.15)) as s:
        with pytest.raises(asiofetch.SocketTimeoutError):
            await s.get(raw(base_url, b"HTTP/1.1 200 OK\r\n", byte_delay_ms=400))
