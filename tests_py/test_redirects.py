"""Mirror of tests_cpp/test_redirects.cpp: redirects followed natively with aiohttp's rules
(history, limits, method changes, credentials across origins)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_from_bytes

import pytest

import asiofetch
from servers import FixtureServer


def sent_headers(doc: dict[str, Any]) -> set[str]:
    """Header names the fixture's /echo received (lower-cased)."""
    return {name.lower() for name, _ in doc["headers"]}


async def test_redirect_chain_is_followed_with_history(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        r = await s.get(f"{base_url}/redirect/3")
        assert await r.text() == "done"
    assert r.status == 200
    assert len(r.history) == 3
    assert r.history[0].status == 302
    assert str(r.history[0].url) == f"{base_url}/redirect/3"
    assert str(r.history[2].url) == f"{base_url}/redirect/1"
    assert str(r.url) == f"{base_url}/redirect/0"


async def test_redirect_limit_raises_too_many_redirects(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.TooManyRedirects):
            await s.get(f"{base_url}/redirect-loop", max_redirects=5)
        # aiohttp's rule: a chain of n redirects succeeds only when n < max_redirects.
        ok = await s.get(f"{base_url}/redirect/4", max_redirects=5)
        assert ok.status == 200
        with pytest.raises(asiofetch.TooManyRedirects):
            await s.get(f"{base_url}/redirect/5", max_redirects=5)


async def test_redirects_can_be_disabled(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        r = await s.get(f"{base_url}/redirect/1", allow_redirects=False)
    assert r.status == 302
    assert "/redirect/0" in r.headers["Location"]
    assert r.history == ()


@pytest.mark.parametrize("status", [301, 302, 303])
async def test_post_becomes_get_on_303_301_302(base_url: str, status: int) -> None:
    async with asiofetch.ClientSession() as s:
        r = await s.post(
            f"{base_url}/redirect-to?url=/echo&status={status}",
            headers={"Content-Type": "text/plain"},
            data=b"body",
        )
        doc = await r.json()
    assert doc["method"] == "GET"
    assert doc["body_length"] == 0
    assert r.method == "GET"


@pytest.mark.parametrize("status", [307, 308])
async def test_redirect_307_308_keep_method_and_body(base_url: str, status: int) -> None:
    async with asiofetch.ClientSession() as s:
        r = await s.post(
            f"{base_url}/redirect-to?url=/echo&status={status}",
            headers={"Content-Type": "text/plain"},
            data=b"body",
        )
        doc = await r.json()
    assert doc["method"] == "POST"
    assert doc["body"] == "body"


async def test_credentials_dropped_when_leaving_origin(
    base_url: str, fixture_server: FixtureServer
) -> None:
    # 127.0.0.1 -> localhost is another origin on the same server.
    target = f"http://localhost:{fixture_server.port}/echo"
    creds = {"Authorization": "Bearer secret", "Cookie": "a=1", "X-Keep": "1"}
    async with asiofetch.ClientSession() as s:
        r = await s.get(f"{base_url}/redirect-to", params={"url": target}, headers=creds)
        names = sent_headers(await r.json())
        assert "authorization" not in names
        assert "cookie" not in names
        assert "x-keep" in names
        # Same origin keeps them.
        same = await s.get(
            f"{base_url}/redirect-to?url=/echo", headers={"Authorization": "Bearer secret"}
        )
        assert "authorization" in sent_headers(await same.json())


@pytest.mark.parametrize("status", [302, 307])
async def test_proxy_authorization_dropped_when_leaving_origin(
    base_url: str, fixture_server: FixtureServer, status: int
) -> None:
    creds = {"Proxy-Authorization": "Basic c2VjcmV0", "X-Keep": "1"}
    with FixtureServer() as other:  # same host, another port: another origin
        targets = [
            f"http://localhost:{fixture_server.port}/echo",
            f"http://127.0.0.1:{other.port}/echo",
        ]
        async with asiofetch.ClientSession() as s:
            for target in targets:
                r = await s.get(
                    f"{base_url}/redirect-to",
                    params={"url": target, "status": str(status)},
                    headers=creds,
                )
                names = sent_headers(await r.json())
                assert "proxy-authorization" not in names, target
                assert "x-keep" in names, target
            same = await s.get(
                f"{base_url}/redirect-to",
                params={"url": "/echo", "status": str(status)},
                headers=creds,
            )
            assert "proxy-authorization" in sent_headers(await same.json())


async def test_redirect_to_non_http_scheme_fails(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.NonHttpUrlRedirectClientError) as info:
            await s.get(f"{base_url}/redirect-to?url=ftp://example.com/file")
    # The engine reports the target as a field (aiohttp: NonHttpUrlRedirectClientError(url)).
    assert info.value.args == ("ftp://example.com/file",)


async def test_redirect_to_a_scheme_without_authority_is_non_http(base_url: str) -> None:
    # aiohttp: NonHttpUrlRedirectClientError('skype:handle'), not an invalid-URL error.
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.NonHttpUrlRedirectClientError) as info:
            await s.get(f"{base_url}/redirect-to?url=skype:handle")
    assert info.value.args == ("skype:handle",)
    assert str(info.value) == "skype:handle"


async def test_same_scheme_without_authority_stays_on_the_origin(base_url: str) -> None:
    # "http:/bytes/3" is a reference to the current origin for yarl, aiohttp and browsers.
    async with asiofetch.ClientSession() as s:
        r = await s.get(f"{base_url}/redirect-to?url=http:/bytes/3")
        assert r.status == 200
        assert str(r.url) == f"{base_url}/bytes/3"
        assert await r.read() == b"abc"
        r = await s.get(f"{base_url}/redirect-to?url=http:bytes/2")
        assert str(r.url) == f"{base_url}/bytes/2"


async def test_empty_location_returns_the_redirect(base_url: str) -> None:
    # aiohttp reads `Location or URI`; an empty one ends the chain with the 302 itself.
    head = quote_from_bytes(
        b"HTTP/1.1 302 Found\r\nLocation: \r\nContent-Length: 3\r\n\r\nabc", safe=""
    )
    async with asiofetch.ClientSession() as s:
        r = await s.get(f"{base_url}/raw?head={head}")
        assert r.status == 302
        assert r.history == ()
        assert await r.read() == b"abc"


async def test_too_many_redirects_carries_the_history(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.TooManyRedirects) as info:
            await s.get(f"{base_url}/redirect/5", max_redirects=3)
    e = info.value
    # aiohttp: history holds every redirect response seen, request_info the first request.
    assert [r.status for r in e.history] == [302, 302, 302]
    assert [str(r.url) for r in e.history] == [f"{base_url}/redirect/{n}" for n in (5, 4, 3)]
    assert e.request_info is not None and str(e.request_info.url) == f"{base_url}/redirect/5"
