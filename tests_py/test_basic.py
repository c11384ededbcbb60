"""Mirror of tests_cpp/test_basic.cpp through the public API: bodies, methods, headers,
encodings, timings and many requests at once."""

from __future__ import annotations

import asyncio

import asiofetch
from asiofetch import _core
from conftest import wait_until

METHODS = ("POST", "PUT", "PATCH", "DELETE", "OPTIONS", "GET")


async def test_get_small_body(base_url: str) -> None:
    url = f"{base_url}/bytes/100"
    async with asiofetch.ClientSession() as s:
        r = await s.get(url)
        body = await r.read()  # inside: once the session closes, an unread body may be gone
    assert r.status == 200
    assert r.reason == "OK"
    assert r.version == asiofetch.HttpVersion(1, 1)
    assert len(body) == 100
    assert body[:5] == b"abcde"
    assert r.headers["content-length"] == "100"
    assert str(r.url) == url


async def test_large_body(base_url: str) -> None:
    # The one-off helper, so the shared default session is covered too.
    r = await asiofetch.fetch(f"{base_url}/bytes/5242880")
    assert len(await r.read()) == 5242880


async def test_echo_method_headers_body(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        for method in METHODS:
            r = await s.request(
                method,
                f"{base_url}/echo?a=1",
                # A list of pairs: both X-Test values must reach the server, in order.
                headers=[("X-Test", "yes"), ("X-Test", "again")],
                data=f"payload-{method}".encode(),
            )
            doc = await r.json()
            assert doc["method"] == method
            assert doc["query"] == "a=1"
            assert doc["body"] == f"payload-{method}"
            assert [v for k, v in doc["headers"] if k == "X-Test"] == ["yes", "again"], method
            assert r.method == method


async def test_post_without_body_sends_zero_length(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        doc = await (await s.post(f"{base_url}/echo")).json()
    assert doc["body_length"] == 0
    # libcurl adds "Content-Type: application/x-www-form-urlencoded" to POSTs by default.
    sent = [k.lower() for k, _ in doc["headers"]]
    assert "content-type" not in sent, "libcurl's default form Content-Type must not leak"


async def test_head_request_has_no_body(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        r = await s.head(f"{base_url}/bytes/1000")
        assert await r.read() == b""
    assert r.status == 200
    assert r.headers["content-length"] == "1000"


async def test_status_codes_pass_through(base_url: str) -> None:
    # No raise_for_status: error statuses are responses, not exceptions.
    async with asiofetch.ClientSession() as s:
        for code in (201, 204, 404, 418, 500, 503):
            r = await s.get(f"{base_url}/status/{code}")
            assert r.status == code


async def test_headers_keep_order_and_duplicates(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        r = await s.get(f"{base_url}/headers-dup")
    assert r.headers.getall("X-Dup") == ["a", "b"]
    assert r.headers["x-case"] == "Mixed"
    # raw_headers keeps the received spelling and order.
    assert [v for k, v in r.raw_headers if k == b"X-Dup"] == [b"a", b"b"]


async def test_chunked_body(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        r = await s.get(f"{base_url}/chunked?chunks=10&size=1000")
        # Read inside the session: a body still streaming when the session closes fails with
        # "Connection closed" (as with aiohttp), and whether ten chunks arrive with the head
        # is up to the server's writes.
        assert len(await r.read()) == 10000


async def test_compressed_bodies_are_decoded(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        for enc in ("gzip", "deflate", "br", "zstd"):
            r = await s.get(f"{base_url}/{enc}")
            assert r.headers["content-encoding"] == enc
            assert (await r.json())["compressed"] == enc


async def test_auto_decompress_off_keeps_raw_bytes(base_url: str) -> None:
    async with asiofetch.ClientSession(auto_decompress=False) as s:
        r = await s.get(f"{base_url}/gzip", headers={"Accept-Encoding": "gzip"})
        body = await r.read()
    assert body[:2] == b"\x1f\x8b"  # gzip magic


async def test_timings_are_populated(base_url: str) -> None:
    # A fresh session has no pooled connection, so this request really connects.
    async with asiofetch.ClientSession() as s:
        t = (await s.get(f"{base_url}/bytes/10")).timings
    assert t["connect"] > 0.0
    assert t["first_byte"] >= t["connect"]
    assert t["total"] >= t["first_byte"]
    assert t["queued"] >= 0.0


async def test_many_concurrent_requests(base_url: str) -> None:
    connector = asiofetch.TCPConnector(limit=200)
    async with asiofetch.ClientSession(connector=connector) as s:
        rs = await asyncio.gather(*(s.get(f"{base_url}/bytes/{i % 300}") for i in range(2000)))
        for i, r in enumerate(rs):
            assert len(await r.read()) == i % 300
        assert wait_until(lambda: connector.stats()["in_flight"] == 0)
    assert wait_until(lambda: _core.engine_stats()["in_flight"] == 0)
    # The engine's own counter (no public API for it): easy handles are recycled, so 2000
    # requests with 200 at a time must not leave 2000 handles behind.
    assert _core.engine_stats()["easy_handles"] <= 256


async def test_header_sets_shared_between_requests_in_flight_stay_their_own(
    base_url: str,
) -> None:
    # Requests sending the same header lines share one native header list while in flight (the
    # engine keeps the last few): six sets, more than it keeps, with and without a body, all in
    # flight together; each request must send exactly its own lines, and no Expect.
    def set_of(k: int) -> list[tuple[str, str]]:
        return [("X-Set", str(k))] + [(f"X-Line-{j}", "v" * (j + 1)) for j in range(k)]

    async def one(i: int) -> None:
        k = i % 6
        post = (i // 6) % 2 == 1
        r = await s.request(
            "POST" if post else "GET",
            f"{base_url}/echo",
            headers=set_of(k),
            data=b"body" if post else None,
        )
        doc = await r.json()
        sent = [(n, v) for n, v in doc["headers"] if n.startswith("X-") or n == "Expect"]
        assert sent == set_of(k), i

    async with asiofetch.ClientSession(connector=asiofetch.TCPConnector(limit=50)) as s:
        await asyncio.gather(*(one(i) for i in range(300)))
