"""A user's test module: code that uses asiofetch, tested with asiofetch.testing alone.

Written as a user would (public names only): a small API client, and tests that mock the
API with the `asiofetch_mock` fixture. No server runs and no socket is opened: each test
checks the engine's opened-socket counter did not move.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

import asiofetch
from asiofetch.testing import MockResponse, MockRouter, sockets_opened

API = "https://api.example.test"


class Users:
    """The code under test."""

    def __init__(self, session: asiofetch.ClientSession) -> None:
        self.session = session

    async def get(self, uid: int) -> Any:
        async with self.session.get(f"{API}/users/{uid}") as r:
            r.raise_for_status()
            return await r.json()

    async def create(self, name: str) -> tuple[int, Any]:
        async with self.session.post(f"{API}/users", json={"name": name}) as r:
            return r.status, await r.json()

    async def export(self) -> list[bytes]:
        async with self.session.get(f"{API}/export") as r:
            return [chunk async for chunk in r.content.iter_chunked(1024)]

    async def many(self, ids: list[int]) -> list[Any]:
        return await self.session.gather([f"{API}/users/{i}" for i in ids], return_exceptions=True)


@pytest.fixture(autouse=True)
def no_sockets() -> Iterator[None]:
    before = sockets_opened()
    yield
    assert sockets_opened() == before


async def test_get_and_post_json(asiofetch_mock: MockRouter) -> None:
    user = asiofetch_mock.get(API + "/users/{uid}").respond(json={"id": 7, "name": "ann"})
    created = asiofetch_mock.post(API + "/users", json={"name": "bob"}).respond(201, json={"id": 8})
    async with asiofetch.ClientSession() as s:
        users = Users(s)
        assert await users.get(7) == {"id": 7, "name": "ann"}
        assert await users.create("bob") == (201, {"id": 8})
    assert user.call_count == 1
    assert user.calls[0].path_params == {"uid": "7"}
    assert created.calls[0].json() == {"name": "bob"}
    assert created.calls[0].headers["Content-Type"] == "application/json"


async def test_streaming_body_in_chunks(asiofetch_mock: MockRouter) -> None:
    asiofetch_mock.get(API + "/export").respond(
        chunks=[b"a" * 1024, (0.01, b"b" * 1024), b"c" * 10]
    )
    async with asiofetch.ClientSession() as s:
        parts = await Users(s).export()
    assert b"".join(parts) == b"a" * 1024 + b"b" * 1024 + b"c" * 10


async def test_gather_with_return_exceptions(asiofetch_mock: MockRouter) -> None:
    asiofetch_mock.get(API + "/users/1").respond(json={"id": 1})
    asiofetch_mock.get(API + "/users/2").mock(side_effect=asiofetch.ClientConnectorError)
    asiofetch_mock.get(API + "/users/3").respond(404)
    async with asiofetch.ClientSession() as s:
        r1, r2, r3 = await Users(s).many([1, 2, 3])
    assert isinstance(r1, asiofetch.ClientResponse) and await r1.json() == {"id": 1}
    assert isinstance(r2, asiofetch.ClientConnectorError)
    assert isinstance(r3, asiofetch.ClientResponse) and r3.status == 404


async def test_as_completed(asiofetch_mock: MockRouter) -> None:
    asiofetch_mock.get(API + "/slow").respond(text="slow", delay=0.3)
    asiofetch_mock.get(API + "/fast").respond(text="fast")
    async with asiofetch.ClientSession() as s:
        done = [c async for c in s.as_completed([API + "/slow", API + "/fast"])]
    assert [c.index for c in done] == [1, 0]
    assert [await c.response.text() for c in done if c.response] == ["fast", "slow"]


async def test_retry_after_503(asiofetch_mock: MockRouter) -> None:
    busy = MockResponse(503, headers={"Retry-After": "0"})
    route = asiofetch_mock.get(API + "/users/1").mock(
        side_effect=[busy, busy, MockResponse(json={"id": 1})]
    )
    async with asiofetch.ClientSession(retry=asiofetch.Retry(attempts=3, backoff=0)) as s:
        resp = await s.get(API + "/users/1")
        assert resp.status == 200
        assert resp.attempts == 3
        assert await resp.json() == {"id": 1}
    assert route.call_count == 3


async def test_timeout(asiofetch_mock: MockRouter) -> None:
    asiofetch_mock.get(API + "/users/1").respond(json={}, delay=5)
    async with asiofetch.ClientSession(timeout=asiofetch.ClientTimeout(total=0.05)) as s:
        with pytest.raises(asyncio.TimeoutError):
            await Users(s).get(1)


async def test_connection_error(asiofetch_mock: MockRouter) -> None:
    asiofetch_mock.get(API + "/users/1").mock(side_effect=asiofetch.ClientConnectorError)
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.ClientConnectorError) as info:
            await Users(s).get(1)
    assert info.value.host == "api.example.test"
    assert info.value.port == 443


async def test_mocked_body_is_given_decoded_whatever_its_content_encoding(
    asiofetch_mock: MockRouter,
) -> None:
    # The engine decodes network bodies itself; a mocked answer's body is what the user wrote,
    # so a Content-Encoding header on it (to test code that looks at it) must not decode it.
    asiofetch_mock.get(API + "/z").respond(headers={"Content-Encoding": "gzip"}, text="plain")
    asiofetch_mock.get(API + "/big").respond(
        headers={"Content-Encoding": "br"}, chunks=[b"x" * (1 << 20), (0.01, b"y" * (1 << 20))]
    )
    async with asiofetch.ClientSession() as s:
        resp = await s.get(API + "/z")
        assert resp.headers["Content-Encoding"] == "gzip"
        assert await resp.text() == "plain"
        big = await s.get(API + "/big")
        assert await big.read() == b"x" * (1 << 20) + b"y" * (1 << 20)
        [r] = await s.gather([API + "/z"])
        assert await r.text() == "plain"
