"""One suite, two clients: every test runs with aiohttp and with asiofetch, same assertions.

`client_mod` is the module under test; code uses only names both modules export, exactly
as an application switching its import would. Deliberate differences are marked DIFFERENCE
and assert each side's behaviour separately.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import gzip
import json
import warnings
import zlib
from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDict

import asiofetch
from servers import FixtureServer, free_port


@pytest.fixture(params=["aiohttp", "asiofetch"])
def client_mod(request: pytest.FixtureRequest) -> ModuleType:
    return aiohttp if request.param == "aiohttp" else asiofetch


def is_asiofetch(mod: ModuleType) -> bool:
    return mod is asiofetch


@pytest.fixture
async def session(client_mod: ModuleType, base_url: str) -> AsyncIterator[Any]:
    async with client_mod.ClientSession() as s:
        yield s


def echo_headers(body: dict[str, Any]) -> CIMultiDict[str]:
    return CIMultiDict((k, v) for k, v in body["headers"])


# ---- status, headers, bodies -----------------------------------------------------------


async def test_get_bytes(session: Any, base_url: str) -> None:
    resp = await session.get(f"{base_url}/bytes/100")
    assert resp.status == 200
    assert resp.ok
    assert resp.reason == "OK"
    body = await resp.read()
    assert body == (b"abcdefghijklmnopqrstuvwxyz" * 4)[:100]
    assert resp.content_type == "application/octet-stream"
    assert resp.content_length == 100
    assert resp.charset is None
    assert resp.version == (1, 1)
    assert resp.method == "GET"
    assert str(resp.url) == f"{base_url}/bytes/100"
    assert resp.real_url == resp.url
    assert resp.history == ()
    assert "X-Connection-Id" in resp.headers


@pytest.mark.parametrize(
    ("code", "reason"),
    [(201, "Created"), (404, "Not Found"), (500, "Internal Server Error"), (204, "No Content")],
)
async def test_status_codes(session: Any, base_url: str, code: int, reason: str) -> None:
    resp = await session.get(f"{base_url}/status/{code}")
    assert resp.status == code
    assert resp.reason == reason
    assert resp.ok is (code < 400)
    body = await resp.read()
    assert body == (b"" if code == 204 else f"status {code}".encode())


async def test_headers_case_insensitive_and_duplicates(session: Any, base_url: str) -> None:
    resp = await session.get(f"{base_url}/headers-dup")
    assert resp.headers.getall("x-dup") == ["a", "b"]
    assert resp.headers["X-CASE"] == "Mixed"
    assert resp.headers.get("content-type") == resp.headers["Content-Type"]
    raw = dict(resp.raw_headers)
    assert raw[b"X-Case"] == b"Mixed"
    with pytest.raises(TypeError):
        resp.headers["x-new"] = "read-only"  # type: ignore[index]


async def test_request_info(session: Any, base_url: str) -> None:
    resp = await session.get(f"{base_url}/json", headers={"X-Info": "1"})
    info = resp.request_info
    assert info.method == "GET"
    assert info.url == resp.url
    assert info.real_url == resp.url
    assert info.headers["X-Info"] == "1"


# ---- request bodies and parameters through /echo ----------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
async def test_methods_echo(session: Any, base_url: str, method: str) -> None:
    resp = await session.request(method, f"{base_url}/echo", data=b"xyz")
    body = await resp.json()
    assert body["method"] == method
    assert body["body"] == "xyz"


async def test_verb_helpers(session: Any, base_url: str) -> None:
    for name in ("get", "post", "put", "patch", "delete", "options"):
        resp = await getattr(session, name)(f"{base_url}/echo")
        assert (await resp.json())["method"] == name.upper()


async def test_data_bytes_content_type(session: Any, base_url: str) -> None:
    resp = await session.post(f"{base_url}/echo", data=b"\x00\x01raw")
    body = await resp.json()
    assert body["body_length"] == 5
    assert echo_headers(body)["Content-Type"] == "application/octet-stream"
    assert echo_headers(body)["Content-Length"] == "5"


async def test_data_str(session: Any, base_url: str) -> None:
    resp = await session.post(f"{base_url}/echo", data="héllo")
    body = await resp.json()
    assert body["body_length"] == len("héllo".encode())
    assert echo_headers(body)["Content-Type"] == "text/plain; charset=utf-8"


async def test_data_form(session: Any, base_url: str) -> None:
    resp = await session.post(f"{base_url}/echo", data={"a": "1", "b": "x y&z"})
    body = await resp.json()
    assert body["body"] == "a=1&b=x+y%26z"
    assert echo_headers(body)["Content-Type"] == "application/x-www-form-urlencoded"


async def test_data_form_pairs(session: Any, base_url: str) -> None:
    resp = await session.post(f"{base_url}/echo", data=[("k", "1"), ("k", "2")])
    assert (await resp.json())["body"] == "k=1&k=2"


async def test_json_body(session: Any, base_url: str) -> None:
    payload = {"a": [1, 2, {"b": None}], "s": "é"}
    resp = await session.post(f"{base_url}/echo", json=payload)
    body = await resp.json()
    assert json.loads(body["body"]) == payload
    assert echo_headers(body)["Content-Type"] == "application/json"


async def test_explicit_content_type_wins(session: Any, base_url: str) -> None:
    resp = await session.post(
        f"{base_url}/echo", data="<x/>", headers={"Content-Type": "application/xml"}
    )
    assert echo_headers(await resp.json())["Content-Type"] == "application/xml"


async def test_data_and_json_is_value_error(session: Any, base_url: str) -> None:
    with pytest.raises(ValueError):
        await session.post(f"{base_url}/echo", data=b"x", json={"a": 1})


async def test_params(session: Any, base_url: str) -> None:
    resp = await session.get(f"{base_url}/echo", params={"a": "1", "b": "x y"})
    assert (await resp.json())["query"] == "a=1&b=x+y"
    resp = await session.get(f"{base_url}/echo?z=0", params=[("a", "1"), ("a", "2")])
    assert (await resp.json())["query"] == "z=0&a=1&a=2"
    resp = await session.get(f"{base_url}/echo", params="q=1")
    assert (await resp.json())["query"] == "q=1"


async def test_session_and_request_headers(client_mod: ModuleType, base_url: str) -> None:
    async with client_mod.ClientSession(headers={"X-Session": "s", "X-Both": "s"}) as s:
        resp = await s.get(f"{base_url}/echo", headers={"X-Both": "r", "X-Req": "r"})
        h = echo_headers(await resp.json())
    assert h["X-Session"] == "s"
    assert h.getall("X-Both") == ["r"]
    assert h["X-Req"] == "r"
    assert h["Accept"] == "*/*"
    assert "User-Agent" in h


async def test_user_agent_override(session: Any, base_url: str) -> None:
    resp = await session.get(f"{base_url}/echo", headers={"User-Agent": "mine/1"})
    assert echo_headers(await resp.json()).getall("User-Agent") == ["mine/1"]


async def test_base_url(client_mod: ModuleType, base_url: str) -> None:
    async with client_mod.ClientSession(base_url=base_url + "/") as s:
        resp = await s.get("json")
        assert await resp.json() == {"hello": "world", "n": 1}
        resp = await s.get("/echo", params={"p": "1"})
        assert (await resp.json())["query"] == "p=1"


async def test_basic_auth_header(client_mod: ModuleType, session: Any, base_url: str) -> None:
    url = f"{base_url}/basic-auth?user=u&pass=p"
    resp = await session.get(url)
    assert resp.status == 401
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # aiohttp 3.14 deprecates BasicAuth
        auth = client_mod.BasicAuth("u", "p")
        resp = await session.get(url, headers={"Authorization": auth.encode()})
        assert resp.status == 200
        assert await resp.json() == {"authenticated": True, "user": "u"}
        resp = await session.get(url, auth=auth)
    assert resp.status == 200


async def test_head(session: Any, base_url: str) -> None:
    resp = await session.head(f"{base_url}/head-test")
    assert resp.status == 200
    assert resp.method == "HEAD"
    assert await resp.read() == b""
    assert resp.content_length == len("head-test body\n")


# ---- text and json decoding -------------------------------------------------------------


@pytest.mark.parametrize("charset", ["utf-8", "latin-1"])
async def test_text_charsets(session: Any, base_url: str, charset: str) -> None:
    resp = await session.get(f"{base_url}/text", params={"charset": charset})
    assert resp.charset == charset
    assert resp.content_type == "text/plain"
    assert await resp.text() == "héllo wörld"
    assert resp.get_encoding() in ("utf-8", "iso8859-1")


async def test_text_explicit_encoding_and_errors(session: Any, base_url: str) -> None:
    resp = await session.get(f"{base_url}/text", params={"charset": "latin-1"})
    assert await resp.text(encoding="utf-8", errors="replace") == "h\ufffdllo w\ufffdrld"
    with pytest.raises(UnicodeDecodeError):
        await resp.text(encoding="utf-8")


async def test_json(session: Any, base_url: str) -> None:
    resp = await session.get(f"{base_url}/json")
    assert await resp.json() == {"hello": "world", "n": 1}
    assert await resp.json(loads=lambda s: ("custom", s)) == ("custom", '{"hello":"world","n":1}')


async def test_json_content_type_mismatch(
    client_mod: ModuleType, session: Any, base_url: str
) -> None:
    resp = await session.get(f"{base_url}/content-type", params={"ct": "text/plain"})
    with pytest.raises(client_mod.ContentTypeError) as info:
        await resp.json()
    assert info.value.status == 200
    assert isinstance(info.value, client_mod.ClientResponseError)
    assert await resp.json(content_type=None) == {"a": 1}
    assert await resp.json(content_type="text/plain") == {"a": 1}


async def test_json_vendor_type(session: Any, base_url: str) -> None:
    resp = await session.get(f"{base_url}/content-type", params={"ct": "application/vnd.api+json"})
    assert await resp.json() == {"a": 1}


async def test_json_empty_body_is_none(session: Any, base_url: str) -> None:
    resp = await session.get(f"{base_url}/status/204")
    assert await resp.json(content_type=None) is None


# ---- redirects ----------------------------------------------------------------------------


async def test_redirect_chain(session: Any, base_url: str) -> None:
    resp = await session.get(f"{base_url}/redirect/3")
    assert resp.status == 200
    assert await resp.text() == "done"
    assert [h.status for h in resp.history] == [302, 302, 302]
    assert [h.url.path for h in resp.history] == ["/redirect/3", "/redirect/2", "/redirect/1"]
    assert resp.url.path == "/redirect/0"
    assert resp.history[0].headers["Location"] == "/redirect/2"


async def test_redirect_absolute_keeps_query(session: Any, base_url: str) -> None:
    resp = await session.get(f"{base_url}/redirect/2?absolute=1&status=301")
    assert [h.status for h in resp.history] == [301, 301]
    assert resp.url.query_string == "absolute=1&status=301"


@pytest.mark.parametrize(
    ("status", "method", "kept"),
    [
        (301, "GET", False),
        (302, "GET", False),
        (303, "GET", False),
        (307, "POST", True),
        (308, "POST", True),
    ],
)
async def test_redirect_post(
    session: Any, base_url: str, status: int, method: str, kept: bool
) -> None:
    resp = await session.post(
        f"{base_url}/redirect-to", params={"url": "/echo", "status": str(status)}, data=b"payload"
    )
    body = await resp.json()
    assert resp.history[0].status == status
    assert body["method"] == method
    assert resp.method == method
    assert body["body"] == ("payload" if kept else "")


async def test_redirect_303_turns_put_into_get(session: Any, base_url: str) -> None:
    resp = await session.put(f"{base_url}/redirect-to?url=/echo&status=303", data=b"x")
    assert (await resp.json())["method"] == "GET"


async def test_allow_redirects_false(session: Any, base_url: str) -> None:
    resp = await session.get(f"{base_url}/redirect/2", allow_redirects=False)
    assert resp.status == 302
    assert resp.headers["Location"] == "/redirect/1"
    assert resp.history == ()


async def test_max_redirects(client_mod: ModuleType, session: Any, base_url: str) -> None:
    with pytest.raises(client_mod.TooManyRedirects) as info:
        await session.get(f"{base_url}/redirect/5", max_redirects=2)
    assert isinstance(info.value, client_mod.ClientResponseError)
    assert info.value.request_info is not None
    resp = await session.get(f"{base_url}/redirect/2", max_redirects=3)
    assert len(resp.history) == 2


async def test_redirect_loop(client_mod: ModuleType, session: Any, base_url: str) -> None:
    with pytest.raises(client_mod.TooManyRedirects):
        await session.get(f"{base_url}/redirect-loop")


async def test_redirect_to_non_http(client_mod: ModuleType, session: Any, base_url: str) -> None:
    with pytest.raises(client_mod.NonHttpUrlRedirectClientError):
        await session.get(f"{base_url}/redirect-to", params={"url": "ftp://example.com/x"})


# ---- cookies ------------------------------------------------------------------------------


async def test_cookie_round_trip(client_mod: ModuleType, base_url: str) -> None:
    jar = client_mod.CookieJar(unsafe=True)  # the fixture runs on an IP address
    async with client_mod.ClientSession(cookie_jar=jar) as s:
        resp = await s.get(f"{base_url}/cookies/set?a=1&b=two")
        assert resp.cookies["a"].value == "1"
        assert len(s.cookie_jar) == 2
        resp = await s.get(f"{base_url}/cookies")
        assert (await resp.json())["cookies"] == {"a": "1", "b": "two"}
        await s.get(f"{base_url}/cookies/set?a=gone&max_age=0")
        resp = await s.get(f"{base_url}/cookies")
        assert (await resp.json())["cookies"] == {"b": "two"}
        assert {m.key for m in s.cookie_jar} == {"b"}


async def test_cookies_refused_from_ip_by_default(client_mod: ModuleType, base_url: str) -> None:
    async with client_mod.ClientSession() as s:
        await s.get(f"{base_url}/cookies/set?a=1")
        assert len(s.cookie_jar) == 0
        resp = await s.get(f"{base_url}/cookies")
        assert (await resp.json())["cookies"] == {}


async def test_cookies_localhost_default_jar(
    client_mod: ModuleType, fixture_server: FixtureServer
) -> None:
    url = f"http://localhost:{fixture_server.port}"
    async with client_mod.ClientSession() as s:
        await s.get(f"{url}/cookies/set?h=1")
        resp = await s.get(f"{url}/cookies")
        assert (await resp.json())["cookies"] == {"h": "1"}


async def test_cookie_path_scope(client_mod: ModuleType, base_url: str) -> None:
    async with client_mod.ClientSession(cookie_jar=client_mod.CookieJar(unsafe=True)) as s:
        await s.get(f"{base_url}/cookies/set?p=1&path=/echo")
        resp = await s.get(f"{base_url}/cookies")
        assert (await resp.json())["cookies"] == {}
        resp = await s.get(f"{base_url}/echo")
        assert echo_headers(await resp.json())["Cookie"] == "p=1"


async def test_session_and_request_cookies(client_mod: ModuleType, base_url: str) -> None:
    async with client_mod.ClientSession(cookies={"s": "1"}) as s:
        resp = await s.get(f"{base_url}/cookies", cookies={"r": "2"})
        assert (await resp.json())["cookies"] == {"s": "1", "r": "2"}


async def test_dummy_cookie_jar(client_mod: ModuleType, base_url: str) -> None:
    async with client_mod.ClientSession(cookie_jar=client_mod.DummyCookieJar()) as s:
        await s.get(f"{base_url}/cookies/set?a=1")
        resp = await s.get(f"{base_url}/cookies")
        assert (await resp.json())["cookies"] == {}


# ---- streaming ----------------------------------------------------------------------------


LINES = b"".join(f"line {i}\n".encode() for i in range(200))


async def test_stream_async_for_lines(session: Any, base_url: str) -> None:
    async with session.get(f"{base_url}/lines?n=200") as resp:
        lines = [line async for line in resp.content]
    assert lines == LINES.splitlines(keepends=True)


async def test_stream_readline_and_read(session: Any, base_url: str) -> None:
    async with session.get(f"{base_url}/lines?n=200") as resp:
        assert await resp.content.readline() == b"line 0\n"
        assert await resp.content.readexactly(7) == b"line 1\n"
        head = await resp.content.read(5)
        assert 0 < len(head) <= 5
        rest = await resp.content.read()
        assert b"line 0\nline 1\n" + head + rest == LINES
        assert await resp.content.read() == b""
        assert resp.content.at_eof()


async def test_stream_iter_chunked(session: Any, base_url: str) -> None:
    async with session.get(f"{base_url}/lines?n=200") as resp:
        chunks = [c async for c in resp.content.iter_chunked(7)]
    assert all(0 < len(c) <= 7 for c in chunks)
    assert b"".join(chunks) == LINES


async def test_stream_iter_any_drip(session: Any, base_url: str) -> None:
    async with session.get(f"{base_url}/drip?chunks=5&size=10&delay_ms=20") as resp:
        chunks = [c async for c in resp.content.iter_any()]
    assert len(b"".join(chunks)) == 50


async def test_stream_iter_chunks(session: Any, base_url: str) -> None:
    async with session.get(f"{base_url}/chunked?chunks=4&size=8") as resp:
        data = b"".join([c async for c, _end in resp.content.iter_chunks()])
    assert len(data) == 32


async def test_stream_readexactly_incomplete(session: Any, base_url: str) -> None:
    async with session.get(f"{base_url}/bytes/10") as resp:
        with pytest.raises(asyncio.IncompleteReadError) as info:
            await resp.content.readexactly(11)
    assert info.value.partial == b"abcdefghij"
    assert info.value.expected == 11


async def test_read_after_stream_consumed(session: Any, base_url: str) -> None:
    async with session.get(f"{base_url}/bytes/10") as resp:
        assert await resp.read() == b"abcdefghij"
        assert await resp.text() == "abcdefghij"


async def test_release_then_read_fails(client_mod: ModuleType, session: Any, base_url: str) -> None:
    async with session.get(f"{base_url}/bytes/100000") as resp:
        pass
    assert resp.closed
    with pytest.raises(client_mod.ClientConnectionError):
        await resp.read()


async def test_response_as_context_manager(session: Any, base_url: str) -> None:
    resp = await session.get(f"{base_url}/bytes/10")
    async with resp:
        assert await resp.read() == b"abcdefghij"
    resp.release()
    resp.close()


async def test_buffered_response_content(session: Any, base_url: str) -> None:
    resp = await session.get(f"{base_url}/lines?n=3")
    assert [line async for line in resp.content] == [b"line 0\n", b"line 1\n", b"line 2\n"]


# ---- compression ------------------------------------------------------------------------


def _can_decode(mod: ModuleType, enc: str) -> bool:
    if mod is aiohttp and enc == "zstd":
        from aiohttp import compression_utils

        return bool(compression_utils.HAS_ZSTD)
    return True


@pytest.mark.parametrize("enc", ["gzip", "deflate", "br", "zstd"])
async def test_auto_decompress(
    client_mod: ModuleType, session: Any, base_url: str, enc: str
) -> None:
    # aiohttp decodes zstd only with backports.zstd (a test extra) before Python 3.14.
    assert _can_decode(client_mod, enc)
    resp = await session.get(f"{base_url}/{enc}")
    assert await resp.json() == {"compressed": enc}
    assert resp.headers["Content-Encoding"] == enc


@pytest.mark.parametrize("enc", ["gzip", "deflate"])
async def test_auto_decompress_off(client_mod: ModuleType, base_url: str, enc: str) -> None:
    async with client_mod.ClientSession(auto_decompress=False) as s:
        resp = await s.get(f"{base_url}/{enc}")
        raw = await resp.read()
    plain = gzip.decompress(raw) if enc == "gzip" else zlib.decompress(raw)
    assert json.loads(plain) == {"compressed": enc}


async def test_auto_decompress_off_per_request(session: Any, base_url: str) -> None:
    resp = await session.get(f"{base_url}/gzip", auto_decompress=False)
    assert gzip.decompress(await resp.read()) == b'{"compressed":"gzip"}'


# ---- timeouts ---------------------------------------------------------------------------


async def test_sock_read_timeout(client_mod: ModuleType, base_url: str) -> None:
    timeout = client_mod.ClientTimeout(sock_read=0.2)
    async with client_mod.ClientSession(timeout=timeout) as s:
        with pytest.raises(client_mod.SocketTimeoutError) as info:
            await s.get(f"{base_url}/delay/3000")
    assert type(info.value) is client_mod.SocketTimeoutError
    assert isinstance(info.value, client_mod.ServerTimeoutError)
    assert isinstance(info.value, asyncio.TimeoutError)


async def test_sock_read_timeout_while_streaming(client_mod: ModuleType, base_url: str) -> None:
    async with client_mod.ClientSession() as s:
        timeout = client_mod.ClientTimeout(sock_read=0.2)
        with pytest.raises(client_mod.SocketTimeoutError):
            async with s.get(
                f"{base_url}/drip?chunks=3&size=5&delay_ms=1500", timeout=timeout
            ) as resp:
                await resp.read()


async def test_total_timeout_is_plain_timeout_error(client_mod: ModuleType, base_url: str) -> None:
    async with client_mod.ClientSession(timeout=client_mod.ClientTimeout(total=0.2)) as s:
        with pytest.raises(asyncio.TimeoutError) as info:
            await s.get(f"{base_url}/delay/3000")
    # aiohttp raises a bare TimeoutError: `except ClientError` does not catch it.
    assert type(info.value) is asyncio.TimeoutError
    assert not isinstance(info.value, client_mod.ClientError)


async def test_per_request_timeout_number(session: Any, base_url: str) -> None:
    with pytest.raises(asyncio.TimeoutError):
        await session.get(f"{base_url}/delay/3000", timeout=0.2)
    resp = await session.get(f"{base_url}/delay/10", timeout=5)
    assert resp.status == 200


async def test_client_timeout_fields(client_mod: ModuleType) -> None:
    t = client_mod.ClientTimeout(total=1, connect=2, sock_read=3, sock_connect=4)
    assert (t.total, t.connect, t.sock_read, t.sock_connect) == (1, 2, 3, 4)
    assert client_mod.ClientTimeout() == client_mod.ClientTimeout(None, None, None, None)
    async with client_mod.ClientSession() as s:
        assert s.timeout.total == 300
        assert s.timeout.sock_connect == 30


async def test_pool_wait_not_counted_as_connect(client_mod: ModuleType, base_url: str) -> None:
    """DIFFERENCE (aiohttp issue 2648): aiohttp counts the wait for a free connection slot
    against `connect`; asiofetch does not (the wait is bounded by `total` instead)."""
    connector = client_mod.TCPConnector(limit=1)
    timeout = client_mod.ClientTimeout(connect=0.3)
    async with client_mod.ClientSession(connector=connector, timeout=timeout) as s:
        slow = asyncio.ensure_future(s.get(f"{base_url}/delay/800"))
        await asyncio.sleep(0.1)
        if is_asiofetch(client_mod):
            resp = await s.get(f"{base_url}/bytes/5")
            assert resp.status == 200
        else:
            with pytest.raises(client_mod.ConnectionTimeoutError):
                await s.get(f"{base_url}/bytes/5")
        resp = await slow
        await resp.read()
        resp.release()


# ---- connection errors ------------------------------------------------------------------


async def test_connection_refused(client_mod: ModuleType, session: Any) -> None:
    port = free_port()
    with pytest.raises(client_mod.ClientConnectorError) as info:
        await session.get(f"http://127.0.0.1:{port}/")
    assert type(info.value) is client_mod.ClientConnectorError
    assert isinstance(info.value, client_mod.ClientOSError)
    assert isinstance(info.value, OSError)
    assert info.value.host == "127.0.0.1"
    assert info.value.port == port
    assert str(info.value).startswith(f"Cannot connect to host 127.0.0.1:{port} ssl:default [")


async def test_dns_failure(client_mod: ModuleType, session: Any) -> None:
    with pytest.raises(client_mod.ClientConnectorDNSError) as info:
        await session.get("http://no-such-host.invalid/")
    assert isinstance(info.value, client_mod.ClientConnectorError)
    assert info.value.host == "no-such-host.invalid"


async def test_short_body(client_mod: ModuleType, session: Any, base_url: str) -> None:
    with pytest.raises(client_mod.ClientPayloadError):
        resp = await session.get(f"{base_url}/short-body?claimed=100&actual=40")
        await resp.read()
    with pytest.raises(client_mod.ClientPayloadError):
        async with session.get(f"{base_url}/short-body?claimed=100&actual=40") as resp:
            await resp.read()


async def test_close_mid_body(client_mod: ModuleType, session: Any, base_url: str) -> None:
    with pytest.raises(client_mod.ClientPayloadError):
        async with session.get(f"{base_url}/close-mid-body?size=10000") as resp:
            await resp.read()


async def test_server_disconnected(client_mod: ModuleType, session: Any, base_url: str) -> None:
    with pytest.raises(client_mod.ServerDisconnectedError):
        await session.get(f"{base_url}/close-before-response")


async def test_connection_reset(client_mod: ModuleType, session: Any, base_url: str) -> None:
    """DIFFERENCE: a TCP reset before the status line is ClientOSError in aiohttp and
    ServerDisconnectedError in asiofetch (libcurl reports both as 'recv failure'). Both are
    ClientConnectionError, which is what applications catch."""
    with pytest.raises(client_mod.ClientConnectionError) as info:
        await session.get(f"{base_url}/reset")
    expected = (
        client_mod.ServerDisconnectedError if is_asiofetch(client_mod) else client_mod.ClientOSError
    )
    assert isinstance(info.value, expected)


@pytest.mark.parametrize(
    ("url", "exc"),
    [
        ("ftp://example.com/", "NonHttpUrlClientError"),
        ("mailto:a@b.c", "NonHttpUrlClientError"),
        ("localhost:8080/x", "NonHttpUrlClientError"),
        ("http://", "InvalidUrlClientError"),
        ("http:///path", "InvalidUrlClientError"),
        ("/relative", "InvalidUrlClientError"),
    ],
)
async def test_invalid_urls(client_mod: ModuleType, session: Any, url: str, exc: str) -> None:
    with pytest.raises(getattr(client_mod, exc)):
        await session.get(url)


async def test_url_wrong_type(session: Any) -> None:
    with pytest.raises(TypeError):
        await session.get(123)


async def test_closed_session(client_mod: ModuleType, base_url: str) -> None:
    s = client_mod.ClientSession()
    assert not s.closed
    await s.close()
    assert s.closed
    with pytest.raises(RuntimeError):
        await s.get(f"{base_url}/bytes/1")


# ---- raise_for_status -------------------------------------------------------------------


async def test_raise_for_status_method(client_mod: ModuleType, session: Any, base_url: str) -> None:
    resp = await session.get(f"{base_url}/status/404")
    with pytest.raises(client_mod.ClientResponseError) as info:
        resp.raise_for_status()
    err = info.value
    assert err.status == 404
    assert err.message == "Not Found"
    assert err.request_info.url == resp.url
    assert err.headers is not None and "Content-Type" in err.headers
    assert str(err) == f"404, message='Not Found', url='{resp.url}'"
    ok = await session.get(f"{base_url}/status/201")
    ok.raise_for_status()


async def test_raise_for_status_session(client_mod: ModuleType, base_url: str) -> None:
    async with client_mod.ClientSession(raise_for_status=True) as s:
        with pytest.raises(client_mod.ClientResponseError) as info:
            await s.get(f"{base_url}/status/503")
        assert info.value.status == 503
        with pytest.raises(client_mod.ClientResponseError):
            async with s.get(f"{base_url}/status/500"):
                pass
        resp = await s.get(f"{base_url}/status/503", raise_for_status=False)
        assert resp.status == 503


async def test_raise_for_status_per_request(
    client_mod: ModuleType, session: Any, base_url: str
) -> None:
    with pytest.raises(client_mod.ClientResponseError):
        await session.get(f"{base_url}/status/418", raise_for_status=True)


async def test_raise_for_status_callable(client_mod: ModuleType, base_url: str) -> None:
    seen: list[int] = []

    async def check(resp: Any) -> None:
        seen.append(resp.status)
        if resp.status == 404:
            raise RuntimeError("custom")

    async with client_mod.ClientSession(raise_for_status=check) as s:
        await s.get(f"{base_url}/status/200")
        with pytest.raises(RuntimeError, match="custom"):
            await s.get(f"{base_url}/status/404")
    assert seen == [200, 404]


# ---- exception hierarchy ----------------------------------------------------------------


HIERARCHY = {
    "ClientConnectionError": ("ClientError",),
    "ClientOSError": ("ClientConnectionError",),
    "ClientConnectorError": ("ClientOSError",),
    "ClientConnectorDNSError": ("ClientConnectorError",),
    "ClientProxyConnectionError": ("ClientConnectorError",),
    "ClientSSLError": ("ClientConnectorError",),
    "ClientConnectorSSLError": ("ClientSSLError",),
    "ClientConnectorCertificateError": ("ClientSSLError",),
    "ServerConnectionError": ("ClientConnectionError",),
    "ServerDisconnectedError": ("ServerConnectionError",),
    "ServerTimeoutError": ("ServerConnectionError",),
    "ConnectionTimeoutError": ("ServerTimeoutError",),
    "SocketTimeoutError": ("ServerTimeoutError",),
    "ClientPayloadError": ("ClientError",),
    "ClientResponseError": ("ClientError",),
    "ContentTypeError": ("ClientResponseError",),
    "TooManyRedirects": ("ClientResponseError",),
    "InvalidURL": ("ClientError",),
    "InvalidUrlClientError": ("InvalidURL",),
    "NonHttpUrlClientError": ("ClientError",),
    "InvalidUrlRedirectClientError": ("InvalidUrlClientError", "RedirectClientError"),
    "NonHttpUrlRedirectClientError": ("NonHttpUrlClientError", "RedirectClientError"),
}


@pytest.mark.parametrize("name", sorted(HIERARCHY))
def test_exception_bases(client_mod: ModuleType, name: str) -> None:
    cls = getattr(client_mod, name)
    for base in HIERARCHY[name]:
        assert issubclass(cls, getattr(client_mod, base))
    # Builtin bases must match aiohttp's exactly (OSError, ValueError, TimeoutError, ssl).
    builtin = {b for b in cls.__mro__ if b.__module__ in ("builtins", "ssl", "asyncio.exceptions")}
    ref = {
        b
        for b in getattr(aiohttp, name).__mro__
        if b.__module__ in ("builtins", "ssl", "asyncio.exceptions")
    }
    assert builtin == ref


def test_server_timeout_is_asyncio_timeout(client_mod: ModuleType) -> None:
    assert issubclass(client_mod.ServerTimeoutError, asyncio.TimeoutError)
    assert issubclass(client_mod.InvalidURL, ValueError)


# ---- session lifetime ---------------------------------------------------------------------


async def test_unclosed_session_warns(client_mod: ModuleType, base_url: str) -> None:
    s = client_mod.ClientSession()
    await s.get(f"{base_url}/bytes/1")
    loop = asyncio.get_running_loop()
    old_handler = loop.get_exception_handler()
    loop.set_exception_handler(lambda _loop, _ctx: None)  # aiohttp also logs through the loop
    try:
        with pytest.warns(ResourceWarning, match="Unclosed client session"):
            del s
            gc.collect()
    finally:
        loop.set_exception_handler(old_handler)


async def test_session_context_manager_closes(client_mod: ModuleType) -> None:
    async with client_mod.ClientSession() as s:
        assert not s.closed
    assert s.closed


async def test_connector_limits(client_mod: ModuleType, base_url: str) -> None:
    connector = client_mod.TCPConnector(
        limit=2, limit_per_host=1, keepalive_timeout=30, ttl_dns_cache=5, force_close=False
    )
    assert connector.limit == 2
    assert connector.limit_per_host == 1
    async with client_mod.ClientSession(connector=connector) as s:
        resps = await asyncio.gather(*(s.get(f"{base_url}/bytes/3") for _ in range(5)))
        assert [r.status for r in resps] == [200] * 5


async def test_tls_verification(
    client_mod: ModuleType, fixture_server: FixtureServer, certs: Any
) -> None:
    import ssl

    url = f"{fixture_server.https_url}/json"
    async with client_mod.ClientSession() as s:
        with pytest.raises(client_mod.ClientConnectorCertificateError):
            await s.get(url)
        resp = await s.get(url, ssl=False)
        assert await resp.json() == {"hello": "world", "n": 1}
        ctx = ssl.create_default_context(cafile=str(certs.ca_cert))
        resp = await s.get(url, ssl=ctx)
        assert resp.status == 200
    async with client_mod.ClientSession(connector=client_mod.TCPConnector(ssl=ctx)) as s:
        resp = await s.get(url)
        assert resp.status == 200


async def test_module_level_request(client_mod: ModuleType, base_url: str) -> None:
    async with client_mod.request("GET", f"{base_url}/json") as resp:
        assert resp.status == 200
        assert await resp.json() == {"hello": "world", "n": 1}


# ---- hostile and malformed answers (the fixture's /raw route) ------------------------------


def raw_url(base_url: str, head: bytes, fill: int = 0, tail: bytes = b"") -> str:
    from urllib.parse import quote_from_bytes

    h, t = quote_from_bytes(head, safe=""), quote_from_bytes(tail, safe="")
    return f"{base_url}/raw?head={h}&fill={fill}&tail={t}"


_LONG_FIELD = (b"HTTP/1.1 200 OK\r\nX-Long: ", 8185, b"\r\nContent-Length: 0\r\n\r\n")


@pytest.mark.parametrize(
    ("head", "fill", "tail", "message"),
    [
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 10\r\n\r\nhello12345",
            0,
            b"",
            "Duplicate Content-Length:\n\n  b'Content-Length: 10'\n                    ^",
        ),
        (
            b"HTTP/1.1 200 OK\r\nBad Name: v\r\nContent-Length: 0\r\n\r\n",
            0,
            b"",
            "Invalid header token:\n\n  b'Bad Name: v'\n       ^",
        ),
        (
            b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(129)) + b"\r\n",
            0,
            b"",
            "Too many headers received",
        ),
        (*_LONG_FIELD, "Got more than 8190 bytes when reading: b'" + "a" * 100 + "...'."),
        # Same class and status, the parsers word these differently.
        (b"hello world\r\n", 0, b"", None),
        (b"HTTP/1.1 99 OK\r\nContent-Length: 0\r\n\r\n", 0, b"", None),
        (b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n", 0, b"", None),
        (b"HTTP/9.9 200 OK\r\nContent-Length: 0\r\n\r\n", 0, b"", None),
        (b"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", 0, b"", None),
        (b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nhello", 0, b"", None),
        (b"HTTP/1.1 200 OK\r\nnocolon\r\nContent-Length: 0\r\n\r\n", 0, b"", None),
    ],
    ids=[
        "dup-cl",
        "bad-token",
        "too-many-headers",
        "long-field",
        "http09",
        "status-99",
        "status-abc",
        "http-9.9",
        "status-2000",
        "cl-abc",
        "no-colon",
    ],
)
async def test_bad_response_is_client_response_error_400(
    client_mod: ModuleType,
    session: Any,
    base_url: str,
    head: bytes,
    fill: int,
    tail: bytes,
    message: str | None,
) -> None:
    url = raw_url(base_url, head, fill, tail)
    with pytest.raises(client_mod.ClientResponseError) as info:
        async with session.get(url) as resp:
            await resp.read()
    assert type(info.value) is client_mod.ClientResponseError
    assert info.value.status == 400
    assert info.value.request_info.url.path == "/raw"
    if message is not None:
        assert info.value.message == message


@pytest.mark.parametrize(
    ("head", "exc"),
    [
        (b"", "ServerDisconnectedError"),
        (b"HTTP/1.1 200 OK\r\nContent-Le", "ServerDisconnectedError"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", "ClientPayloadError"),
    ],
    ids=["nothing", "cut-head", "cut-body"],
)
async def test_cut_answers(
    client_mod: ModuleType, session: Any, base_url: str, head: bytes, exc: str
) -> None:
    with pytest.raises(getattr(client_mod, exc)):
        async with session.get(raw_url(base_url, head)) as resp:
            await resp.read()


async def test_head_limits_are_session_options(client_mod: ModuleType, base_url: str) -> None:
    head = b"HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"
    async with client_mod.ClientSession(max_headers=2) as s:
        with pytest.raises(client_mod.ClientResponseError) as info:
            await s.get(raw_url(base_url, head))
        assert info.value.message == "Too many headers received"
    async with client_mod.ClientSession(max_field_size=20) as s:
        with pytest.raises(client_mod.ClientResponseError) as info:
            await s.get(raw_url(base_url, *_LONG_FIELD[:2], _LONG_FIELD[2]))
        assert info.value.status == 400


async def test_redirect_with_empty_location_returns_it(session: Any, base_url: str) -> None:
    resp = await session.get(
        raw_url(base_url, b"HTTP/1.1 302 Found\r\nLocation: \r\nContent-Length: 3\r\n\r\nabc")
    )
    assert resp.status == 302
    assert await resp.read() == b"abc"


async def test_redirect_to_scheme_without_authority(
    client_mod: ModuleType, session: Any, base_url: str
) -> None:
    with pytest.raises(client_mod.NonHttpUrlRedirectClientError) as info:
        await session.get(f"{base_url}/redirect-to", params={"url": "skype:handle"})
    assert str(info.value) == "skype:handle"
    resp = await session.get(f"{base_url}/redirect-to", params={"url": "http:/bytes/3"})
    assert str(resp.url) == f"{base_url}/bytes/3"
    assert await resp.read() == b"abc"
    # An empty authority is no host to go to: InvalidUrlRedirectClientError, with aiohttp's
    # args (url, "Invalid redirect URL origin"); libcurl would have taken "example.com".
    with pytest.raises(client_mod.InvalidUrlRedirectClientError) as bad:
        await session.get(f"{base_url}/redirect-to", params={"url": "http:///example.com"})
    assert str(bad.value) == "http:///example.com - Invalid redirect URL origin"
    assert str(bad.value.url) == "http:///example.com"


async def test_too_many_redirects_history(
    client_mod: ModuleType, session: Any, base_url: str
) -> None:
    with pytest.raises(client_mod.TooManyRedirects) as info:
        await session.get(f"{base_url}/redirect/5", max_redirects=2)
    assert [r.status for r in info.value.history] == [302, 302]
    assert [str(r.url) for r in info.value.history] == [
        f"{base_url}/redirect/5",
        f"{base_url}/redirect/4",
    ]
    assert str(info.value.request_info.url) == f"{base_url}/redirect/5"


# ---- request headers, netrc, raise_for_status (issue 13) ----------------------------------


@pytest.mark.parametrize("where", ["session", "request"])
async def test_skip_auto_headers_user_agent(
    client_mod: ModuleType, base_url: str, where: str
) -> None:
    skip = ["user-agent"]  # any case: header names compare case-insensitively
    session_kw = {"skip_auto_headers": skip} if where == "session" else {}
    request_kw = {"skip_auto_headers": skip} if where == "request" else {}
    async with client_mod.ClientSession(**session_kw) as s:
        resp = await s.get(f"{base_url}/echo", **request_kw)
        h = echo_headers(await resp.json())
    assert "User-Agent" not in h
    assert h["Accept"] == "*/*"


async def test_expect100_sends_expect_continue(client_mod: ModuleType) -> None:
    from aiohttp import web

    from webapp import serve

    seen: list[str | None] = []

    async def expect_handler(request: web.Request) -> None:
        seen.append(request.headers.get("Expect"))
        assert request.transport is not None
        request.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text=(await request.text()))

    app = web.Application()
    app.router.add_post("/", handler, expect_handler=expect_handler)
    async with serve(app) as server, client_mod.ClientSession() as s:
        async with s.post(server.make_url("/"), data=b"payload", expect100=True) as resp:
            assert await resp.text() == "payload"
        async with s.post(server.make_url("/"), data=b"again") as resp:
            assert await resp.text() == "again"
    assert seen == ["100-continue"]  # the second request did not ask


async def test_content_length_header_limits_the_body(client_mod: ModuleType) -> None:
    from aiohttp import web

    from webapp import serve

    received: list[bytes] = []

    async def handler(request: web.Request) -> web.Response:
        received.append(await request.read())
        return web.Response(text="OK")

    app = web.Application()
    app.router.add_post("/", handler)
    async with serve(app) as server, client_mod.ClientSession() as s:
        resp = await s.post(
            server.make_url("/"), data=b"X" * 1000, headers={"Content-Length": "500"}
        )
        assert resp.status == 200
    assert received == [b"X" * 500]


async def test_netrc_with_trust_env(
    client_mod: ModuleType, base_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login netrc_user password netrc_pass\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    basic = "Basic " + __import__("base64").b64encode(b"netrc_user:netrc_pass").decode()
    async with client_mod.ClientSession(trust_env=True) as s:
        h = echo_headers(await (await s.get(f"{base_url}/echo")).json())
        assert h["Authorization"] == basic
        # Explicit auth wins over netrc.
        resp = await s.get(f"{base_url}/echo", auth=client_mod.BasicAuth("me", "pw"))
        h = echo_headers(await resp.json())
        assert h["Authorization"] == client_mod.BasicAuth("me", "pw").encode()
    async with client_mod.ClientSession() as s:  # without trust_env: no netrc
        h = echo_headers(await (await s.get(f"{base_url}/echo")).json())
        assert "Authorization" not in h


async def test_raise_for_status_none(client_mod: ModuleType, base_url: str) -> None:
    async with client_mod.ClientSession(raise_for_status=None) as s:  # type: ignore[arg-type]
        resp = await s.get(f"{base_url}/status/500")
        assert resp.status == 500
        with pytest.raises(client_mod.ClientResponseError):
            await s.get(f"{base_url}/status/500", raise_for_status=True)


# ---- cookies: Secure, lenient Set-Cookie, quote_cookie, save/load (issue 13) -----------------


def _cookie_app() -> Any:
    from aiohttp import web

    async def set_(request: web.Request) -> web.Response:
        resp = web.Response()
        resp.set_cookie("plain", "1")
        resp.set_cookie("sec", "2", secure=True)
        resp.headers.add("Set-Cookie", "ISAWPLB{A7F52349-3531}={925EC0B8-CB17}; HttpOnly; Path=/")
        resp.headers.add("Set-Cookie", "invalid,cookie=value; Path=/")
        resp.headers.add("Set-Cookie", 'quoted="val=foobar"; Path=/')
        return resp

    async def show(request: web.Request) -> web.Response:
        return web.Response(text=request.headers.get("Cookie", ""))

    app = web.Application()
    app.router.add_get("/set", set_)
    app.router.add_get("/show", show)
    return app


async def test_set_cookie_lenient_and_secure_not_over_http(
    client_mod: ModuleType, caplog: pytest.LogCaptureFixture
) -> None:
    from webapp import serve

    async with (
        serve(_cookie_app()) as server,
        client_mod.ClientSession(cookie_jar=client_mod.CookieJar(unsafe=True)) as s,
    ):
        await s.get(server.make_url("/set"))
        names = {m.key for m in s.cookie_jar}
        sent = await (await s.get(server.make_url("/show"))).text()
    assert names == {"plain", "sec", "ISAWPLB{A7F52349-3531}", "quoted"}
    assert "Illegal cookie name 'invalid,cookie'" in caplog.text
    pairs = dict(p.split("=", 1) for p in sent.split("; "))
    assert "sec" not in pairs  # Secure: https only (aiohttp has no localhost exception)
    assert pairs["plain"] == "1"
    assert pairs["ISAWPLB{A7F52349-3531}"] == '"{925EC0B8-CB17}"'  # re-quoted when sent
    assert pairs["quoted"] == '"val=foobar"'


async def test_cookie_jar_quote_cookie_false(client_mod: ModuleType) -> None:
    from webapp import serve

    async with serve(_cookie_app()) as server:
        jar = client_mod.CookieJar(unsafe=True, quote_cookie=False)
        async with client_mod.ClientSession(cookie_jar=jar) as s:
            await s.get(server.make_url("/set"))
            sent = await (await s.get(server.make_url("/show"))).text()
    assert "quoted=val=foobar" in sent.split("; ")


async def test_cookie_jar_save_load(client_mod: ModuleType, tmp_path: Any) -> None:
    from webapp import serve

    path = tmp_path / "cookies.json"
    async with serve(_cookie_app()) as server:
        async with client_mod.ClientSession(cookie_jar=client_mod.CookieJar(unsafe=True)) as s:
            await s.get(server.make_url("/set"))
            s.cookie_jar.save(path)
        assert path.stat().st_mode & 0o777 == 0o600
        jar = client_mod.CookieJar(unsafe=True)
        jar.load(path)
        assert {m.key for m in jar} == {"plain", "sec", "ISAWPLB{A7F52349-3531}", "quoted"}
        async with client_mod.ClientSession(cookie_jar=jar) as s:
            sent = await (await s.get(server.make_url("/show"))).text()
    assert sorted(sent.split("; ")) == sorted(
        ["plain=1", 'ISAWPLB{A7F52349-3531}="{925EC0B8-CB17}"', 'quoted="val=foobar"']
    )
    assert json.loads(path.read_text())  # JSON, as aiohttp 3.14 writes it


async def test_session_auth_with_request_headers(client_mod: ModuleType, base_url: str) -> None:
    auth = client_mod.BasicAuth("login", "pass")
    async with client_mod.ClientSession(auth=auth) as s:
        resp = await s.get(f"{base_url}/echo", headers={"X-Other": "1"})
        assert echo_headers(await resp.json())["Authorization"] == auth.encode()
        with pytest.raises(ValueError):
            await s.get(f"{base_url}/echo", headers={"Authorization": "Basic b3RoZXI6cA=="})


async def test_request_cookies_follow_the_jars_quoting(
    client_mod: ModuleType, base_url: str
) -> None:
    jar = client_mod.CookieJar(quote_cookie=False)
    async with client_mod.ClientSession(cookie_jar=jar) as s:
        resp = await s.get(f"{base_url}/echo", cookies={"name": "val=foobar"})
        assert echo_headers(await resp.json())["Cookie"] == "name=val=foobar"
    async with client_mod.ClientSession() as s:
        resp = await s.get(f"{base_url}/echo", cookies={"name": "val=foobar"})
        assert echo_headers(await resp.json())["Cookie"] == 'name="val=foobar"'


async def test_set_cookie_attributes_split_on_white_space(client_mod: ModuleType) -> None:
    """ "Path=/ Max-Age=0" is two attributes (http.cookies' and aiohttp's tokenising): the
    cookie is deleted at once; "Path=/ Expires=<past>" likewise."""
    from aiohttp import web

    from webapp import serve

    async def handler(request: web.Request) -> web.Response:
        resp = web.Response()
        resp.set_cookie("kept", "1")
        resp.headers.add("Set-Cookie", "gone1=x; HttpOnly; Path=/ Max-Age=0; ")
        resp.headers.add(
            "Set-Cookie", "gone2=x; HttpOnly; Path=/ Expires=Tue, 1 Jan 1980 12:00:00 GMT; "
        )
        return resp

    app = web.Application()
    app.router.add_get("/", handler)
    jar = client_mod.CookieJar(unsafe=True)
    async with serve(app) as server, client_mod.ClientSession(cookie_jar=jar) as s:
        await s.get(server.make_url("/"))
        assert {m.key for m in s.cookie_jar} == {"kept"}


async def test_json_serialize_bytes(client_mod: ModuleType, base_url: str) -> None:
    """aiohttp 3.14: a bytes-returning encoder for json=, used instead of json_serialize."""
    calls: list[Any] = []

    def encode(obj: Any) -> bytes:
        calls.append(obj)
        return json.dumps(obj, separators=(",", ":")).encode()

    async with client_mod.ClientSession(json_serialize_bytes=encode) as s:
        assert s.json_serialize is json.dumps
        resp = await s.post(f"{base_url}/echo", json={"a": [1, 2]})
        body = await resp.json()
    assert calls == [{"a": [1, 2]}]
    assert body["body"] == '{"a":[1,2]}'
    assert echo_headers(body)["Content-Type"] == "application/json"


# ---- upload tracking, response state, body timeouts (aiohttp 3.14.5's client tests) ----------


def _upload_app() -> tuple[Any, list[bytes]]:
    """Echo of the request body's length; /see-other (303) and /temporary (307) lead to
    /final. The bodies the echo and /final read are recorded in the returned list."""
    from aiohttp import web

    got: list[bytes] = []

    async def echo_len(request: web.Request) -> web.Response:
        body = await request.read()
        got.append(body)
        return web.Response(text=str(len(body)))

    async def see_other(request: web.Request) -> web.Response:
        await request.read()
        raise web.HTTPSeeOther("/final")

    async def temporary(request: web.Request) -> web.Response:
        await request.read()
        raise web.HTTPTemporaryRedirect("/final")

    async def final(request: web.Request) -> web.Response:
        body = await request.read()
        got.append(body)
        return web.Response(text=f"{request.method} {len(body)}")

    app = web.Application(client_max_size=8 << 20)
    app.router.add_route("*", "/", echo_len)
    app.router.add_post("/see-other", see_other)
    app.router.add_post("/temporary", temporary)
    app.router.add_route("*", "/final", final)
    return app, got


async def test_upload_tracker_bytes_and_redirects(client_mod: ModuleType) -> None:
    # aiohttp's test_upload_tracker_bytes / _redirect_resends_body / _redirect_drops_body.
    from webapp import serve

    async with serve(_upload_app()[0]) as server, client_mod.ClientSession() as s:
        tracker = client_mod.UploadTracker()
        async with s.post(server.make_url("/"), data=b"x" * 1024, upload_tracker=tracker) as r:
            assert await r.text() == "1024"
        assert (tracker.attempts, tracker.bytes_written) == (1, 1024)
        assert tracker.upload_complete.result() is None

        tracker = client_mod.UploadTracker()
        async with s.post(
            server.make_url("/temporary"), data=b"r" * 2048, upload_tracker=tracker
        ) as r:
            assert await r.text() == "POST 2048"  # 307: the body sent again
        assert (tracker.attempts, tracker.bytes_written) == (2, 2048)

        tracker = client_mod.UploadTracker()
        async with s.post(
            server.make_url("/see-other"), data=b"d" * 512, upload_tracker=tracker
        ) as r:
            assert await r.text() == "GET 0"  # 303: a GET without the body
        assert (tracker.attempts, tracker.bytes_written) == (2, 0)
        assert tracker.upload_complete.result() is None

        tracker = client_mod.UploadTracker()
        async with s.get(server.make_url("/"), upload_tracker=tracker):
            pass
        assert (tracker.attempts, tracker.bytes_written) == (1, 0)
        with pytest.raises(RuntimeError, match="already bound"):
            await s.get(server.make_url("/"), upload_tracker=tracker)


async def test_upload_tracker_streamed_progress(client_mod: ModuleType) -> None:
    # aiohttp's test_upload_tracker_progress: one more chunk per sample, then complete.
    from aiohttp import web

    from webapp import serve

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()
        await response.prepare(request)
        await response.write(b"x")  # the head goes out before the body is read
        await request.read()
        return response

    app = web.Application()
    app.router.add_post("/", handler)
    sampled, go_on = asyncio.Event(), asyncio.Event()

    async def gated() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b"z" * 4096
            sampled.clear()
            go_on.set()
            await sampled.wait()

    async with serve(app) as server, client_mod.ClientSession() as s:
        tracker = client_mod.UploadTracker()
        async with s.post(server.make_url("/"), data=gated(), upload_tracker=tracker) as resp:
            samples = []
            for _ in range(4):
                await go_on.wait()
                go_on.clear()
                samples.append(tracker.bytes_written)
                assert not tracker.upload_complete.done()
                sampled.set()
            await tracker.upload_complete
            assert await resp.read() == b"x"
    assert samples == [4096, 8192, 12288, 16384]
    assert tracker.attempts == 1


async def test_upload_tracker_failures(client_mod: ModuleType) -> None:
    # aiohttp's _validation_failure, _connect_error, _upload_error_propagated_to_caller.
    from webapp import serve

    async with serve(_upload_app()[0]) as server, client_mod.ClientSession() as s:
        tracker = client_mod.UploadTracker()
        with pytest.raises(ValueError):
            await s.post(server.make_url("/"), data=b"x", json={"a": 1}, upload_tracker=tracker)
        assert tracker.attempts == 0
        assert isinstance(tracker.upload_complete.exception(), client_mod.UploadAbortedError)

        tracker = client_mod.UploadTracker()
        with pytest.raises(client_mod.ClientConnectorError):
            await s.post(f"http://127.0.0.1:{free_port()}/", data=b"x", upload_tracker=tracker)
        assert tracker.attempts == 1
        assert isinstance(tracker.upload_complete.exception(), client_mod.UploadAbortedError)

        async def failing() -> AsyncIterator[bytes]:
            yield b"a" * 100
            raise ValueError("boom")

        tracker = client_mod.UploadTracker()
        with pytest.raises(client_mod.ClientConnectionError, match="boom") as info:
            await s.post(server.make_url("/"), data=failing(), upload_tracker=tracker)
        assert tracker.upload_complete.exception() is info.value
        assert isinstance(info.value.__cause__, ValueError)


async def test_deprecated_output_size_and_upload_complete(client_mod: ModuleType) -> None:
    from webapp import serve

    async with (
        serve(_upload_app()[0]) as server,
        client_mod.ClientSession() as s,
        s.post(server.make_url("/"), data=b"x" * 1024) as resp,
    ):
        await resp.read()
        with pytest.warns(DeprecationWarning, match="upload_complete is deprecated"):
            fut = resp.upload_complete
        assert fut.done()


async def test_content_length_shorter_than_streamed_body(client_mod: ModuleType) -> None:
    # aiohttp's test_content_length_limit_with_multiple_reads: only the declared bytes go out.
    from webapp import serve

    async def gen() -> AsyncIterator[bytes]:
        yield b"Chunk1" * 100
        yield b"Chunk2" * 100

    app, got = _upload_app()
    async with serve(app) as server, client_mod.ClientSession() as s:
        url = server.make_url("/")
        async with s.post(url, data=gen(), headers={"Content-Length": "800"}) as resp:
            assert await resp.text() == "800"
    assert got == [b"Chunk1" * 100 + (b"Chunk2" * 100)[:200]]


async def test_read_after_release_fails(client_mod: ModuleType) -> None:
    # aiohttp's test_read_from_closed_response2 / _content, test_204_with_gzipped_content_encoding.
    from aiohttp import web

    from webapp import serve

    async def data(request: web.Request) -> web.Response:
        return web.Response(body=b"data")

    async def empty(request: web.Request) -> web.Response:
        return web.Response(status=204, headers={"Content-Encoding": "gzip"})

    app = web.Application()
    app.router.add_get("/", data)
    app.router.add_get("/empty", empty)
    async with serve(app) as server, client_mod.ClientSession() as s:
        async with s.get(server.make_url("/")) as resp:
            assert await resp.read() == b"data"
        with pytest.raises(client_mod.ClientConnectionError, match=r"^Connection closed$"):
            await resp.read()
        async with s.get(server.make_url("/")) as resp:
            pass
        with pytest.raises(client_mod.ClientConnectionError):
            await resp.content.readline()
        async with s.get(server.make_url("/empty")) as resp:
            assert resp.status == 204
            assert resp.closed


async def test_read_buffer_limits_and_raw_bytes(client_mod: ModuleType) -> None:
    # aiohttp's test_read_bufsize_* and test_stream_reader_total_raw_bytes.
    from aiohttp import web

    from webapp import serve

    source = b"@dKal^pH>1h|YW1:c2J$" * 4096

    async def handler(request: web.Request) -> web.Response:
        response = web.Response(body=source)
        response.enable_compression()
        return response

    app = web.Application()
    app.router.add_get("/", handler)
    async with serve(app) as server, client_mod.ClientSession(read_bufsize=2) as s:
        url = server.make_url("/")
        async with s.get(url, headers={"Accept-Encoding": "gzip"}) as resp:
            assert resp.content.get_read_buffer_limits() == (2, 4)
            assert await resp.content.read() == source
            assert resp.content.total_raw_bytes == int(resp.headers["Content-Length"])
        async with s.get(url, read_bufsize=4, headers={"Accept-Encoding": "identity"}) as resp:
            assert resp.content.get_read_buffer_limits() == (4, 8)
            await resp.content.read()
            assert resp.content.total_raw_bytes == len(source)


async def test_total_timeout_while_reading_slowly(client_mod: ModuleType) -> None:
    # aiohttp's test_timeout_with_full_buffer: data waiting unread does not postpone `total`.
    from aiohttp import web

    from webapp import serve

    async def endless(request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse()
        await resp.prepare(request)
        with contextlib.suppress(ConnectionError):
            while True:
                await resp.write(b"1" * 1000)
                await asyncio.sleep(0.01)
        return resp

    app = web.Application()
    app.router.add_get("/", endless)

    async def slow_reader(s: Any, url: Any) -> None:
        async with s.get(url, timeout=client_mod.ClientTimeout(total=0.5)) as resp:
            with pytest.raises(asyncio.TimeoutError):
                async for _ in resp.content.iter_chunked(1):
                    await asyncio.sleep(0.01)

    async with serve(app) as server, client_mod.ClientSession() as s:
        # wait_for only keeps a regression from hanging the suite (it would read ~30 s).
        await asyncio.wait_for(slow_reader(s, server.make_url("/")), 10)


async def test_sock_read_starts_after_the_body_is_sent(client_mod: ModuleType) -> None:
    # aiohttp's test_read_timeout_on_write: a slow request body is not a silent server.
    from webapp import serve

    async def slow() -> AsyncIterator[bytes]:
        await asyncio.sleep(0.5)
        yield b"foo"

    timeout = client_mod.ClientTimeout(total=None, sock_read=0.1)
    async with (
        serve(_upload_app()[0]) as server,
        client_mod.ClientSession() as s,
        s.put(server.make_url("/"), data=slow(), timeout=timeout) as resp,
    ):
        assert await resp.text() == "3"


async def test_trace_start_failure_notifies_started_traces(client_mod: ModuleType) -> None:
    # aiohttp 3.14.5: a config whose on_request_start completed gets on_request_exception.
    from webapp import serve

    seen: list[str] = []

    async def good_start(*_: Any) -> None:
        seen.append("good start")

    async def good_exception(_s: Any, _c: Any, params: Any) -> None:
        seen.append(f"good exception {params.exception}")

    async def bad_start(*_: Any) -> None:
        raise RuntimeError("trace boom")

    async def bad_exception(*_: Any) -> None:
        seen.append("bad exception")

    good, bad = client_mod.TraceConfig(), client_mod.TraceConfig()
    good.on_request_start.append(good_start)
    good.on_request_exception.append(good_exception)
    bad.on_request_start.append(bad_start)
    bad.on_request_exception.append(bad_exception)
    async with (
        serve(_upload_app()[0]) as server,
        client_mod.ClientSession(trace_configs=[good, bad]) as s,
    ):
        with pytest.raises(RuntimeError, match="trace boom"):
            await s.get(server.make_url("/"))
    assert seen == ["good start", "good exception trace boom"]


async def test_chunk_sent_per_streamed_chunk(client_mod: ModuleType) -> None:
    # on_request_chunk_sent fires for each chunk of a streamed body, as aiohttp's writer does.
    from webapp import serve

    chunks: list[bytes] = []

    async def on_chunk(_s: Any, _c: Any, params: Any) -> None:
        chunks.append(params.chunk)

    async def gen() -> AsyncIterator[bytes]:
        yield b"first"
        yield b"second"

    config = client_mod.TraceConfig()
    config.on_request_chunk_sent.append(on_chunk)
    async with (
        serve(_upload_app()[0]) as server,
        client_mod.ClientSession(trace_configs=[config]) as s,
        s.post(server.make_url("/"), data=gen()) as resp,
    ):
        assert await resp.text() == "11"
    assert b"".join(chunks) == b"firstsecond"
    assert len(chunks) >= 2


async def test_payload_enabling_compression(client_mod: ModuleType) -> None:
    # A payload that calls writer.enable_compression(): its bytes go out deflated.
    from aiohttp import web

    from webapp import serve

    async def inflate(request: web.Request) -> web.Response:
        assert request.headers["Content-Encoding"] == "deflate"
        return web.Response(body=await request.read())  # aiohttp.web inflates it

    class Deflated(client_mod.Payload):  # type: ignore[name-defined,misc]
        def __init__(self, value: bytes) -> None:
            super().__init__(value, headers={"Content-Encoding": "deflate"})

        async def write(self, writer: Any) -> None:
            writer.enable_compression("deflate")
            await writer.write(self._value[:5000])
            await writer.write(self._value[5000:])
            await writer.write_eof()

        def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
            raise NotImplementedError

    app = web.Application()
    app.router.add_post("/", inflate)
    body = b"0123456789" * 2000
    async with (
        serve(app) as server,
        client_mod.ClientSession() as s,
        s.post(server.make_url("/"), data=Deflated(body)) as resp,
    ):
        assert resp.status == 200
        assert await resp.read() == body


async def test_aiohttp_payload_replayed_on_307(client_mod: ModuleType) -> None:
    # aiohttp's own payload objects re-send their bytes on a 307 (a seekable file payload
    # seeks back), in either client.
    import io

    from aiohttp import payload as aio_payload

    from webapp import serve

    big = b"p" * (3 << 20)  # streamed, not read into memory
    app, got = _upload_app()
    async with serve(app) as server, client_mod.ClientSession() as s:
        data = aio_payload.BytesIOPayload(io.BytesIO(big))
        async with s.post(server.make_url("/temporary"), data=data) as resp:
            assert await resp.text() == f"POST {len(big)}"
    assert got == [big]


async def test_request_secure_cookie_to_a_trusted_origin(client_mod: ModuleType) -> None:
    # aiohttp's test_request_secure_cookie_treat_as_secure_origin: a Secure cookie given as
    # cookies= goes to an http origin the session's jar trusts, and to no other.
    import http.cookies

    from webapp import serve

    morsel: http.cookies.Morsel[str] = http.cookies.Morsel()
    morsel.set("auth", "token", "token")
    morsel["secure"] = True
    async with serve(_cookie_app()) as server:
        trusted = client_mod.CookieJar(unsafe=True, treat_as_secure_origin=[server.make_url("/")])
        for jar, expected in ((trusted, "auth=token"), (client_mod.CookieJar(unsafe=True), "")):
            async with (
                client_mod.ClientSession(cookie_jar=jar) as s,
                s.get(server.make_url("/show"), cookies={"auth": morsel}) as resp,
            ):
                assert await resp.text() == expected


# ---- resolver=, clear_dns_cache(), ssl=Fingerprint (issue 13, connection group) -------------


class _MapResolver:
    """aiohttp's resolver protocol over a fixed table: (host, port) -> 127.0.0.1:real_port.
    Records each lookup, as aiohttp's own tests' FakeResolver/TrackingResolver do."""

    def __init__(self, table: dict[tuple[str, int], int]) -> None:
        self.table = table
        self.calls: list[tuple[str, int]] = []
        self.closed = False

    async def resolve(self, host: str, port: int = 0, family: int = 0) -> list[dict[str, Any]]:
        import socket

        self.calls.append((host, port))
        if (host, port) not in self.table:
            raise OSError(socket.EAI_NONAME, f"unknown host {host}")
        return [
            {
                "hostname": host,
                "host": "127.0.0.1",
                "port": self.table[(host, port)],
                "family": socket.AF_INET,
                "proto": 0,
                "flags": socket.AI_NUMERICHOST,
            }
        ]

    async def close(self) -> None:
        self.closed = True


def _hosts_app(seen: list[str]) -> Any:
    from aiohttp import web

    async def start(request: web.Request) -> web.Response:
        seen.append(request.host)
        raise web.HTTPFound("http://second.test/final")

    async def final(request: web.Request) -> web.Response:
        seen.append(request.host)
        return web.Response(text="final")

    app = web.Application()
    app.router.add_get("/start", start)
    app.router.add_get("/final", final)
    return app


async def test_custom_resolver_feeds_connections_and_redirect_hops(client_mod: ModuleType) -> None:
    from webapp import serve

    seen: list[str] = []
    async with serve(_hosts_app(seen)) as server:
        table = {("first.test", 80): server.port, ("second.test", 80): server.port}
        resolver = _MapResolver(table)
        # aiohttp resolves when it opens a connection: a new one for each request here.
        connector = client_mod.TCPConnector(resolver=resolver, force_close=True)
        async with client_mod.ClientSession(connector=connector) as s:
            async with s.get("http://first.test/start") as resp:
                assert resp.status == 200
                assert await resp.text() == "final"
                assert str(resp.url) == "http://second.test/final"
                assert [str(h.url) for h in resp.history] == ["http://first.test/start"]
            # The Host header is the URL's, the connection went where the resolver said.
            assert seen == ["first.test", "second.test"]
            assert resolver.calls == [("first.test", 80), ("second.test", 80)]
            # Cached (ttl_dns_cache, 10 s by default): no second lookup.
            assert (await s.get("http://first.test/final")).status == 200
            assert resolver.calls == [("first.test", 80), ("second.test", 80)]
            connector.clear_dns_cache("first.test", 80)
            assert (await s.get("http://first.test/final")).status == 200
            assert (await s.get("http://second.test/final")).status == 200
            assert resolver.calls[2:] == [("first.test", 80)]
            connector.clear_dns_cache()
            assert (await s.get("http://second.test/final")).status == 200
            assert resolver.calls[3:] == [("second.test", 80)]
            with pytest.raises(ValueError, match="either both host and port or none"):
                connector.clear_dns_cache("first.test")
            # An address is never resolved.
            assert (await s.get(server.make_url("/final"))).status == 200
            assert len(resolver.calls) == 4
        # aiohttp closes only a resolver it made itself.
        assert not resolver.closed


async def test_custom_resolver_failure_is_dns_error(client_mod: ModuleType) -> None:
    from webapp import serve

    seen: list[str] = []
    async with serve(_hosts_app(seen)) as server:
        resolver = _MapResolver({("first.test", 80): server.port})
        connector = client_mod.TCPConnector(
            resolver=resolver, use_dns_cache=False, force_close=True
        )
        async with client_mod.ClientSession(connector=connector) as s:
            with pytest.raises(client_mod.ClientConnectorDNSError) as info:
                await s.get("http://unknown.test/final")
            assert (info.value.host, info.value.port) == ("unknown.test", 80)
            # The redirect hop to a host the resolver does not know fails the same way.
            with pytest.raises(client_mod.ClientConnectorDNSError) as info:
                await s.get("http://first.test/start")
            assert (info.value.host, info.value.port) == ("second.test", 80)
            # use_dns_cache=False: every request asks.
            assert (await s.get("http://first.test/final")).status == 200
            assert resolver.calls == [
                ("unknown.test", 80),
                ("first.test", 80),
                ("second.test", 80),
                ("first.test", 80),
            ]
    assert seen == ["first.test", "first.test"]  # /start (its redirect failed), then /final


async def test_clear_dns_cache_without_resolver(client_mod: ModuleType, base_url: str) -> None:
    connector = client_mod.TCPConnector()
    connector.clear_dns_cache()  # before any request: nothing cached, no error
    async with client_mod.ClientSession(connector=connector) as s:
        assert (await s.get(f"{base_url}/bytes/3")).status == 200
        connector.clear_dns_cache()
        connector.clear_dns_cache("localhost", 80)
        assert (await s.get(f"{base_url}/bytes/3")).status == 200


def _cert_sha256(path: Any) -> bytes:
    import hashlib
    import ssl

    return hashlib.sha256(ssl.PEM_cert_to_DER_cert(path.read_text())).digest()


async def test_ssl_fingerprint(
    client_mod: ModuleType, fixture_server: FixtureServer, certs: Any
) -> None:
    url = f"{fixture_server.https_url}/json"
    good = _cert_sha256(certs.server_cert)
    # The pin is the trust: the test CA is not loaded, verification is off as in aiohttp.
    connector = client_mod.TCPConnector(ssl=client_mod.Fingerprint(good))
    async with client_mod.ClientSession(connector=connector) as s:
        for _ in range(2):  # a new connection, then a reused one
            async with s.get(url) as resp:
                assert resp.status == 200
                assert await resp.json() == {"hello": "world", "n": 1}
        bad = b"\x00" * 32
        with pytest.raises(client_mod.ServerFingerprintMismatch) as info:
            await s.get(url, ssl=client_mod.Fingerprint(bad))
        assert info.value.expected == bad
        assert info.value.got == good
        assert info.value.host == "127.0.0.1"
        assert info.value.port == int(fixture_server.https_url.rsplit(":", 1)[1])
        # http URLs carry no certificate: the fingerprint does not apply.
        resp = await s.get(fixture_server.http_url + "/json", ssl=client_mod.Fingerprint(bad))
        assert resp.status == 200
    with pytest.raises(ValueError, match="md5 and sha1 are insecure"):
        client_mod.Fingerprint(b"\x00" * 20)
    with pytest.raises(ValueError, match="fingerprint has invalid length"):
        client_mod.Fingerprint(b"\x00" * 31)


async def test_session_auth_follows_a_redirect_to_another_host(client_mod: ModuleType) -> None:
    from aiohttp import web

    from webapp import serve

    seen: list[tuple[str, str | None, str | None]] = []

    async def handler(request: web.Request) -> web.Response:
        seen.append(
            (request.host, request.headers.get("Authorization"), request.headers.get("Cookie"))
        )
        if request.path == "/from":
            raise web.HTTPFound("http://host2.test/to")
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/from", handler)
    app.router.add_get("/to", handler)
    async with serve(app) as server:
        resolver = _MapResolver({("host1.test", 80): server.port, ("host2.test", 80): server.port})
        connector = client_mod.TCPConnector(resolver=resolver)
        auth = client_mod.BasicAuth("user", "pass")
        async with client_mod.ClientSession(connector=connector, auth=auth) as s:
            resp = await s.get("http://host1.test/from", headers={"Cookie": "a=b"})
            assert resp.status == 200
        # The session's auth= is applied on every hop; the caller's cookie is not forwarded.
        assert seen == [
            ("host1.test", auth.encode(), "a=b"),
            ("host2.test", auth.encode(), None),
        ]
        seen.clear()
        connector = client_mod.TCPConnector(resolver=resolver)
        async with client_mod.ClientSession(connector=connector) as s:
            resp = await s.get("http://host1.test/from", auth=auth)
            assert resp.status == 200
        # A request's own auth= stays with the origin it was given for.
        assert seen == [("host1.test", auth.encode(), None), ("host2.test", None, None)]


async def test_auth_and_credentials_in_url_are_refused(client_mod: ModuleType) -> None:
    async with client_mod.ClientSession() as s:
        with pytest.raises(ValueError, match="credentials encoded in URL"):
            await s.get("http://user:pass@127.0.0.1:9/", auth=client_mod.BasicAuth("u2", "p2"))


async def test_switching_protocols_response_has_an_empty_body(client_mod: ModuleType) -> None:
    from aiohttp import web

    from webapp import serve

    async def handler(request: web.Request) -> web.Response:
        return web.Response(status=101, headers={"Connection": "Upgrade", "Upgrade": "tcp"})

    app = web.Application()
    app.router.add_get("/", handler)
    async with serve(app) as server, client_mod.ClientSession() as s:
        # aiohttp's server keeps the upgraded connection open: a client reading the other
        # protocol's bytes as a body would wait for ever.
        resp = await asyncio.wait_for(s.get(server.make_url("/")), 10)
        assert resp.status == 101
        assert await asyncio.wait_for(resp.read(), 10) == b""
        resp.release()


async def test_response_url_drops_credentials(client_mod: ModuleType, base_url: str) -> None:
    authority = base_url.split("://", 1)[1]
    async with client_mod.ClientSession() as s:
        resp = await s.get(f"http://user:pw@{authority}/bytes/3")
        assert resp.status == 200
        assert str(resp.url) == f"{base_url}/bytes/3"
        assert resp.url.user is None
