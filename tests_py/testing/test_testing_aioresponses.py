"""Tests written for aiohttp + aioresponses, run against asiofetch with only the imports
changed (the two import lines below are the whole migration). Cases follow aioresponses'
README and public tests."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

import pytest
from yarl import URL

import asiofetch as aiohttp  # was: import aiohttp
from asiofetch.testing import CallbackResult, aioresponses  # was: from aioresponses import ...

URL_ = "http://example.com/api?foo=bar#fragment"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


async def test_status_and_instance(session: aiohttp.ClientSession) -> None:
    with aioresponses() as m:
        m.get(URL_, status=204)
        resp = await session.get(URL_)
        assert isinstance(resp, aiohttp.ClientResponse)
        assert resp.status == 204


async def test_payload_headers_and_raw_headers(session: aiohttp.ClientSession) -> None:
    with aioresponses() as m:
        m.get(URL_, content_type="text/html", headers={"Connection": "keep-alive"})
        m.get("http://test.example.com", payload=dict(foo="bar"))
        resp = await session.get(URL_)
        assert resp.headers["Connection"] == "keep-alive"
        assert resp.headers["Content-Type"] == "text/html"
        assert resp.raw_headers == ((b"Content-Type", b"text/html"), (b"Connection", b"keep-alive"))
        resp = await session.get("http://test.example.com")
        assert await resp.json() == {"foo": "bar"}
        m.assert_called_with("http://test.example.com")


async def test_raise_for_status(session: aiohttp.ClientSession) -> None:
    with aioresponses() as m:
        m.get(URL_, status=400)
        resp = await session.get(URL_)
        with pytest.raises(aiohttp.ClientResponseError) as info:
            resp.raise_for_status()
        assert info.value.message == "Bad Request"


async def test_params_are_part_of_the_url(session: aiohttp.ClientSession) -> None:
    with aioresponses() as m:
        m.get("http://example.com/api?foo=bar&x=42#fragment")
        resp = await session.get(URL_, params={"x": 42})
        assert resp.status == 200
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(URL_)  # without x=42: no match


async def test_method_must_match(session: aiohttp.ClientSession) -> None:
    with aioresponses() as m:
        m.get(URL_)
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.post(URL_)
        assert len(m.requests[("POST", URL(URL_))]) == 1  # unmatched requests are recorded


async def test_streaming_up_to(session: aiohttp.ClientSession) -> None:
    with aioresponses() as m:
        m.get(URL_, body="Test")
        resp = await session.get(URL_)
        assert await resp.content.read(2) == b"Te"
        assert await resp.content.read(2) == b"st"


async def test_multiple_responses_in_order_and_repeat(session: aiohttp.ClientSession) -> None:
    with aioresponses() as m:
        m.get("http://example.com", status=500, repeat=2)
        m.get("http://example.com", status=200)
        statuses = [(await session.get("http://example.com")).status for _ in range(3)]
        assert statuses == [500, 500, 200]
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get("http://example.com")  # every answer used
        m.get("http://example.com/always", status=202, repeat=True)
        assert [(await session.get("http://example.com/always")).status for _ in range(4)] == [
            202
        ] * 4


async def test_exceptions_in_the_middle_of_responses(session: aiohttp.ClientSession) -> None:
    with aioresponses() as m:
        m.get(URL_, payload={}, status=204)
        m.get(URL_, exception=ValueError("oops"))
        m.get(URL_, payload={}, status=200)
        assert (await session.get(URL_)).status == 204
        with pytest.raises(ValueError, match="oops"):
            await session.get(URL_)
        assert (await session.get(URL_)).status == 200


async def test_raising_exceptions(session: aiohttp.ClientSession) -> None:
    with aioresponses() as m:
        m.get("http://example.com/Exception", exception=Exception)
        m.get("http://example.com/TimeoutError", exception=asyncio.TimeoutError)
        m.get("http://example.com/timeout", timeout=True)
        m.get("http://example.com/conn", exception=aiohttp.ClientConnectionError("refused"))
        with pytest.raises(Exception):  # noqa: B017  (aioresponses' own case)
            await session.get("http://example.com/Exception")
        with pytest.raises(asyncio.TimeoutError):
            await session.get("http://example.com/TimeoutError")
        with pytest.raises(asyncio.TimeoutError):
            await session.get("http://example.com/timeout")
        with pytest.raises(aiohttp.ClientConnectionError, match="refused"):
            await session.get("http://example.com/conn")


async def test_regexp(session: aiohttp.ClientSession) -> None:
    with aioresponses() as m:
        m.get(re.compile(r"^http://example\.com/api\?foo=.*$"), payload={}, status=200)
        assert (await session.get(URL_)).status == 200
        m.get(re.compile(r"^http://exampleexample\.com/api\?foo=.*$"), status=200)
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get("http://example.org/api?foo=1")


async def test_redirects(session: aiohttp.ClientSession) -> None:
    with aioresponses() as m:
        m.get("http://example.com/", headers={"Location": "http://another.com/"}, status=307)
        m.get("http://another.com/", body="landed")
        resp = await session.get("http://example.com/", allow_redirects=True)
        assert resp.url == URL("http://another.com/")
        assert await resp.text() == "landed"
        m.get("http://example.com/", headers={"Location": "/test"}, status=307)
        m.get("http://example.com/test")
        resp = await session.get("http://example.com/", allow_redirects=True)
        assert resp.url == URL("http://example.com/test")


async def test_callback(session: aiohttp.ClientSession) -> None:
    def callback(url: URL, **kwargs: object) -> CallbackResult:
        assert url == URL("http://example.com/cb")
        return CallbackResult(status=418, payload={"method": kwargs["method"]})

    with aioresponses() as m:
        m.post("http://example.com/cb", callback=callback)
        resp = await session.post("http://example.com/cb", data=b"x")
        assert resp.status == 418
        assert await resp.json() == {"method": "POST"}
        with pytest.raises(aiohttp.ClientConnectionError):  # used once
            await session.post("http://example.com/cb")


async def test_requests_record_and_assertions(session: aiohttp.ClientSession) -> None:
    with aioresponses() as m:
        m.get(URL_, status=200)
        m.get(URL_, status=201)
        m.post("http://example.com/p", status=201)
        await session.get(URL_, headers={"X-A": "1"})
        await session.get(URL_)
        await session.post("http://example.com/p", json={"k": [1]})
        key = ("GET", URL(URL_))
        assert len(m.requests[key]) == 2
        assert m.requests[key][0].args == ()
        assert m.requests[key][0].kwargs["headers"]["X-A"] == "1"
        m.assert_called()
        m.assert_any_call(URL_, headers={"X-A": "1"})
        m.assert_called_with("http://example.com/p", method="POST", json={"k": [1]})
        with pytest.raises(AssertionError):
            m.assert_called_with("http://example.com/p", method="POST", json={"k": [2]})
        with pytest.raises(AssertionError):
            m.assert_called_once()
        with pytest.raises(TypeError, match="cannot check"):
            m.assert_called_with(URL_, allow_redirects=True)


async def test_decorator_and_param(session: aiohttp.ClientSession) -> None:
    @aioresponses()
    async def positional(m: aioresponses) -> int:
        m.get(URL_, status=202)
        return (await session.get(URL_)).status

    @aioresponses(param="mocked")
    async def keyword(*, mocked: aioresponses) -> int:
        mocked.get(URL_, status=203)
        return (await session.get(URL_)).status

    assert await positional() == 202  # type: ignore[call-arg]
    assert await keyword() == 203  # type: ignore[call-arg]


async def test_passthrough_prefix(session: aiohttp.ClientSession, base_url: str) -> None:
    with aioresponses(passthrough=[base_url]) as m:
        m.get(URL_, status=200)
        assert (await session.get(URL_)).status == 200
        real = await session.get(base_url + "/text")
        assert real.status == 200
        m.clear()
        with pytest.raises(aiohttp.ClientConnectionError):
            await session.get(URL_)
