"""Hedged requests and fallback URLs: one outcome per request, copies counted by the server.

Mirrors tests_cpp/test_hedge.cpp case for case through the public API.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest

import asiofetch
from conftest import engine_in_flight, eventually


def new_key() -> str:
    return f"hedge-{uuid.uuid4().hex}"


async def server_count(base_url: str, key: str) -> int:
    async with asiofetch.ClientSession() as s:
        r = await s.get(f"{base_url}/counter", params={"key": key})
        return int((await r.json())["count"])


async def test_slow_request_gets_copies(base_url: str) -> None:
    key = new_key()
    async with asiofetch.ClientSession(hedge=asiofetch.Hedge(after=0.05, max_extra=2)) as s:
        r = await s.get(f"{base_url}/delay/400?key={key}")
        assert r.status == 200
        assert 0 <= r.hedge <= 2
    assert await server_count(base_url, key) == 3
    assert await eventually(lambda: engine_in_flight() == 0)


async def test_fast_request_gets_no_copy(base_url: str) -> None:
    key = new_key()
    async with asiofetch.ClientSession() as s:
        r = await s.get(f"{base_url}/bytes/1?key={key}", hedge=asiofetch.Hedge(after=2))
        assert r.hedge == 0
    assert await server_count(base_url, key) == 1


async def test_post_is_never_hedged(base_url: str) -> None:
    key = new_key()
    async with asiofetch.ClientSession(hedge=asiofetch.Hedge(after=0.05)) as s:
        r = await s.post(f"{base_url}/delay/300?key={key}", data=b"x")
        assert r.status == 200
    assert await server_count(base_url, key) == 1


async def test_cancel_stops_every_copy(base_url: str) -> None:
    key = new_key()
    async with asiofetch.ClientSession() as s:
        task = asyncio.ensure_future(
            s.get(f"{base_url}/hang?key={key}", hedge=asiofetch.Hedge(after=0.05))
        )
        loop = asyncio.get_running_loop()
        end = loop.time() + 10
        while await server_count(base_url, key) < 2 and loop.time() < end:
            await asyncio.sleep(0.02)
        assert await server_count(base_url, key) == 2
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert await eventually(lambda: engine_in_flight() == 0)


async def test_last_failure_is_reported_once(base_url: str) -> None:
    key = new_key()
    async with asiofetch.ClientSession(timeout=asiofetch.ClientTimeout(total=0.4)) as s:
        with pytest.raises(asyncio.TimeoutError):
            await s.get(f"{base_url}/hang?key={key}", hedge=asiofetch.Hedge(after=0.05))
    assert await server_count(base_url, key) == 2
    assert await eventually(lambda: engine_in_flight() == 0)


async def test_batch_items_deliver_once(base_url: str) -> None:
    keys = [new_key() for _ in range(3)]
    async with asiofetch.ClientSession() as s:
        rs = await s.gather(
            [f"{base_url}/delay/250?key={k}" for k in keys], hedge=asiofetch.Hedge(after=0.05)
        )
        assert [r.status for r in rs] == [200, 200, 200]
    for k in keys:
        assert await server_count(base_url, k) == 2


async def test_fallback_tries_next_url_on_error(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        r = await s.get(
            f"{base_url}/close-before-response",
            fallback=[f"{base_url}/reset", f"{base_url}/bytes/5"],
        )
        assert await r.read() == b"abcde"
        assert str(r.url) == f"{base_url}/bytes/5"  # says which URL answered


async def test_fallback_on_server_error_status(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        r = await s.get(f"{base_url}/status/503", fallback=[f"{base_url}/bytes/1"])
        assert r.status == 200


async def test_fallback_exhausted_reports_the_last_error(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        r = await s.get(f"{base_url}/close-before-response", fallback=[f"{base_url}/status/502"])
        assert r.status == 502
        assert str(r.url) == f"{base_url}/status/502"


async def test_client_error_status_does_not_fall_back(base_url: str) -> None:
    key = new_key()
    async with asiofetch.ClientSession() as s:
        r = await s.get(
            f"{base_url}/status/404?key={key}", fallback=[f"{base_url}/bytes/1?key={key}"]
        )
        assert r.status == 404
    assert await server_count(base_url, key) == 1


# ---- Python-only: the call site ------------------------------------------------------------


async def test_fallback_in_a_request_spec(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        [r] = await s.gather(
            [
                asiofetch.RequestSpec(
                    "GET", f"{base_url}/status/503", fallback=[f"{base_url}/bytes/2"]
                )
            ]
        )
        assert await r.read() == b"ab"


@pytest.mark.parametrize(
    ("kwargs", "exc"),
    [
        ({"after": 0}, ValueError),
        ({"after": -1}, ValueError),
        ({"after": "1"}, TypeError),
        ({"max_extra": 0}, ValueError),
        ({"max_extra": 1.5}, TypeError),
    ],
)
def test_bad_hedge_is_refused(kwargs: dict[str, object], exc: type[Exception]) -> None:
    with pytest.raises(exc):
        asiofetch.Hedge(**kwargs)  # type: ignore[arg-type]


async def test_bad_fallback_is_refused(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        with pytest.raises(TypeError):
            await s.get(f"{base_url}/bytes/1", fallback=f"{base_url}/bytes/2")
        # aiohttp's class for a non-http(s) URL, naming the fallback URL (not the request's).
        with pytest.raises(asiofetch.NonHttpUrlClientError) as info:
            await s.get(f"{base_url}/bytes/1", fallback=["ftp://example.org/x"])
        assert info.value.args == ("ftp://example.org/x",)
        with pytest.raises(TypeError):
            await s.get(f"{base_url}/bytes/1", hedge=0.05)
