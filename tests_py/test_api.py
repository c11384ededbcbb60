"""The minimum public API (issue 2) and call-site validation; runs on asyncio and uvloop."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from multidict import CIMultiDict, CIMultiDictProxy, MultiDict
from yarl import URL

import asiofetch
from asiofetch import _core
from servers import Certs, FixtureServer, Nginx


def echo_headers(body: dict[str, Any]) -> CIMultiDict[str]:
    return CIMultiDict((k, v) for k, v in body["headers"])


async def test_readme_example(base_url: str) -> None:
    async with asiofetch.Session() as s:
        r = await s.get(f"{base_url}/json", params={"a": "1"}, headers={"X-A": "b"}, timeout=10)
        assert r.status == 200
        assert r.headers["content-type"] == "application/json"
        assert isinstance(r.headers, CIMultiDictProxy)
        assert r.url == URL(f"{base_url}/json?a=1")
        assert await r.read() == b'{"hello":"world","n":1}'
        assert await r.text() == '{"hello":"world","n":1}'
        assert await r.json() == {"hello": "world", "n": 1}


async def test_fetch_one_off(base_url: str) -> None:
    r = await asiofetch.fetch(f"{base_url}/bytes/5")
    assert r.status == 200
    assert await r.read() == b"abcde"
    r = await asiofetch.fetch(f"{base_url}/echo", method="POST", json={"x": 1})
    assert json.loads((await r.json())["body"]) == {"x": 1}


async def test_fetch_shares_one_session(base_url: str) -> None:
    from asiofetch._fetch import _default_session

    loop = asyncio.get_running_loop()
    await asiofetch.fetch(f"{base_url}/bytes/1")
    assert _default_session(loop) is _default_session(loop)


@pytest.mark.parametrize("verb", ["get", "post", "put", "patch", "delete", "options", "head"])
async def test_verbs(base_url: str, verb: str) -> None:
    async with asiofetch.ClientSession() as s:
        r = await getattr(s, verb)(f"{base_url}/echo")
        assert r.status == 200
        assert r.method == verb.upper()
        if verb != "head":
            assert (await r.json())["method"] == verb.upper()


async def test_request_method_lowercase(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        r = await s.request("post", f"{base_url}/echo", data="x")
        assert (await r.json())["method"] == "POST"


@pytest.mark.parametrize(
    ("data", "body", "ctype"),
    [
        (b"raw", "raw", "application/octet-stream"),
        (bytearray(b"ba"), "ba", "application/octet-stream"),
        (memoryview(b"mv"), "mv", "application/octet-stream"),
        ("text", "text", "text/plain; charset=utf-8"),
        ({"a": "1", "b": 2}, "a=1&b=2", "application/x-www-form-urlencoded"),
        ([("a", "1"), ("a", "2")], "a=1&a=2", "application/x-www-form-urlencoded"),
        (MultiDict([("m", "1"), ("m", "2")]), "m=1&m=2", "application/x-www-form-urlencoded"),
    ],
)
async def test_data_kinds(base_url: str, data: Any, body: str, ctype: str) -> None:
    async with asiofetch.ClientSession() as s:
        r = await s.post(f"{base_url}/echo", data=data)
        echo = await r.json()
    assert echo["body"] == body
    assert echo_headers(echo)["Content-Type"] == ctype


async def test_json_serialize(base_url: str) -> None:
    def dumps(obj: Any) -> str:
        return json.dumps(obj, separators=(",", ":"), sort_keys=True)

    async with asiofetch.ClientSession(json_serialize=dumps) as s:
        r = await s.put(f"{base_url}/echo", json={"b": 1, "a": [1, 2]})
        assert (await r.json())["body"] == '{"a":[1,2],"b":1}'


async def test_params_kinds(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        for params, query in [
            ({"a": 1, "b": "x"}, "a=1&b=x"),
            ([("a", "1"), ("a", "2")], "a=1&a=2"),
            ("raw=1&x=y", "raw=1&x=y"),
            (MultiDict([("m", "1")]), "m=1"),
        ]:
            r = await s.get(f"{base_url}/echo", params=params)
            assert (await r.json())["query"] == query
        r = await s.get(URL(f"{base_url}/echo?z=1"))
        assert (await r.json())["query"] == "z=1"


async def test_headers_kinds(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        for headers in ({"X-A": "1"}, [("X-A", "1")], CIMultiDict({"x-a": "1"})):
            r = await s.get(f"{base_url}/echo", headers=headers)
            assert echo_headers(await r.json())["X-A"] == "1"


async def test_default_headers(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        h = echo_headers(await (await s.get(f"{base_url}/echo")).json())
    assert h["User-Agent"] == f"asiofetch/{asiofetch.__version__}"
    assert h["Accept"] == "*/*"
    assert "Accept-Encoding" in h  # advertised natively (auto_decompress)


async def test_skip_auto_headers(base_url: str) -> None:
    async with asiofetch.ClientSession(skip_auto_headers=["User-Agent"]) as s:
        h = echo_headers(await (await s.get(f"{base_url}/echo")).json())
    assert "User-Agent" not in h


async def test_timings_and_attempts(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        r = await s.get(f"{base_url}/bytes/10")
    assert set(r.timings) >= {"dns", "connect", "tls", "first_byte", "total", "queued"}
    assert r.timings["total"] >= r.timings["first_byte"] > 0
    assert r.attempts == 1


async def test_timeout_kinds(base_url: str) -> None:
    async with asiofetch.ClientSession(timeout=asiofetch.ClientTimeout(total=5)) as s:
        assert (await s.get(f"{base_url}/bytes/1", timeout=2.5)).status == 200
        assert (await s.get(f"{base_url}/bytes/1", timeout=None)).status == 200
        t = asiofetch.ClientTimeout(connect=1, sock_connect=0.5, sock_read=2)
        assert (await s.get(f"{base_url}/bytes/1", timeout=t)).status == 200


def test_client_timeout_engine_mapping() -> None:
    from asiofetch._timeout import engine_timeouts

    t = asiofetch.ClientTimeout(total=9, connect=3, sock_connect=2, sock_read=4)
    assert engine_timeouts(t) == (2.0, 4.0, 9.0, 9.0)
    assert engine_timeouts(asiofetch.ClientTimeout()) == (0.0, 0.0, 0.0, 0.0)
    assert engine_timeouts(asiofetch.ClientTimeout(connect=3))[0] == 3.0


# ---- bad input at the call site ------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "exc"),
    [
        ({"headers": 5}, TypeError),
        ({"headers": {"X": 1}}, TypeError),
        ({"headers": {1: "x"}}, TypeError),
        ({"headers": [("only-one",)]}, TypeError),
        ({"headers": {"X": "a\r\nInjected: 1"}}, ValueError),
        ({"headers": {"X\nY": "a"}}, ValueError),
        ({"headers": {"X": "a\x00"}}, ValueError),
        ({"data": 5}, TypeError),
        ({"data": object()}, TypeError),
        ({"data": {"a": object()}}, TypeError),
        ({"data": b"x", "json": {}}, ValueError),
        ({"params": 5}, TypeError),
        ({"timeout": -1}, ValueError),
        ({"timeout": "10"}, TypeError),
        ({"allow_redirects": "yes"}, TypeError),
        ({"max_redirects": -1}, ValueError),
        ({"ssl": "yes"}, TypeError),
        ({"proxy": 5}, TypeError),
        ({"no_such_argument": 1}, TypeError),
    ],
)
async def test_bad_arguments(base_url: str, kwargs: dict[str, Any], exc: type) -> None:
    async with asiofetch.ClientSession() as s:
        with pytest.raises(exc):
            await s.get(f"{base_url}/echo", **kwargs)


@pytest.mark.parametrize("method", ["GE T", "GET\r\n", "", "GET\x00"])
async def test_bad_method(base_url: str, method: str) -> None:
    async with asiofetch.ClientSession() as s:
        with pytest.raises(ValueError):
            await s.request(method, f"{base_url}/echo")


async def test_method_wrong_type(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        with pytest.raises(TypeError):
            await s.request(None, f"{base_url}/echo")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("url", "exc"),
    [
        (123, TypeError),
        (None, TypeError),
        ("ftp://example.com/", asiofetch.NonHttpUrlClientError),
        ("file:///etc/passwd", asiofetch.NonHttpUrlClientError),
        ("http://", asiofetch.InvalidUrlClientError),
        ("http:///x", asiofetch.InvalidUrlClientError),
        ("", asiofetch.InvalidUrlClientError),
        ("http://exa mple.com/", (asiofetch.InvalidURL, asiofetch.ClientConnectorError)),
    ],
)
async def test_bad_urls(url: Any, exc: Any) -> None:
    async with asiofetch.ClientSession() as s:
        with pytest.raises(exc):
            await s.get(url)


def test_invalid_url_is_value_error() -> None:
    assert issubclass(asiofetch.InvalidURL, ValueError)
    assert issubclass(asiofetch.InvalidUrlClientError, asiofetch.InvalidURL)


def test_bad_client_timeout() -> None:
    with pytest.raises(ValueError):
        asiofetch.ClientTimeout(total=-1)
    with pytest.raises(ValueError):
        asiofetch.ClientTimeout(sock_read=float("nan"))
    with pytest.raises(TypeError):
        asiofetch.ClientTimeout(connect="1")  # type: ignore[arg-type]


def test_bad_connector_arguments() -> None:
    with pytest.raises(ValueError):
        asiofetch.TCPConnector(limit=-1)
    with pytest.raises(TypeError):
        asiofetch.TCPConnector(limit="10")  # type: ignore[arg-type]


async def test_bad_session_arguments() -> None:
    with pytest.raises(TypeError):
        asiofetch.ClientSession(base_url=5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        asiofetch.ClientSession(base_url="/relative")
    with pytest.raises(TypeError):
        asiofetch.ClientSession(connector=object())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        asiofetch.ClientSession(headers=5)


def test_request_outside_loop_raises() -> None:
    s = asiofetch.ClientSession()
    try:
        with pytest.raises(RuntimeError):
            s.get("http://127.0.0.1:9/").send(None)
    finally:
        s._close()


# ---- sessions, connectors, native options -------------------------------------------------


def test_options_cached() -> None:
    # One native Options per combination: the same request settings reuse the same object.
    from asiofetch._options import OptionsCache

    cache = OptionsCache(_core.HTTP_ANY)
    tls = (True, "", "", "", b"")
    flow = (None, None, None, None)
    first = cache.get(asiofetch.ClientTimeout(total=3), True, 10, tls, "", False, True, flow)
    again = cache.get(asiofetch.ClientTimeout(total=3), True, 10, tls, "", False, True, flow)
    other = cache.get(asiofetch.ClientTimeout(total=4), True, 10, tls, "", False, True, flow)
    assert again is first
    assert other is not first
    assert (first.total_timeout, other.total_timeout) == (3.0, 4.0)


async def test_closed_session_error_type(base_url: str) -> None:
    s = asiofetch.ClientSession()
    await s.close()
    with pytest.raises(asiofetch.SessionClosedError):
        await s.get(f"{base_url}/bytes/1")
    with pytest.raises(RuntimeError):  # aiohttp raises RuntimeError("Session is closed")
        await s.post(f"{base_url}/echo", data=b"x")


async def test_shared_connector_not_owned(base_url: str) -> None:
    connector = asiofetch.TCPConnector(limit=4)
    a = asiofetch.ClientSession(connector=connector, connector_owner=False)
    b = asiofetch.ClientSession(connector=connector, connector_owner=False)
    assert (await a.get(f"{base_url}/bytes/1")).status == 200
    await a.close()
    assert (await b.get(f"{base_url}/bytes/1")).status == 200  # still open
    await b.close()
    assert not connector.closed
    await connector.close()
    assert connector.closed


async def test_limit_enforced_natively(base_url: str) -> None:
    connector = asiofetch.TCPConnector(limit=2)
    async with asiofetch.ClientSession(connector=connector) as s:
        start = asyncio.get_running_loop().time()
        await asyncio.gather(*(s.get(f"{base_url}/delay/200") for _ in range(4)))
        elapsed = asyncio.get_running_loop().time() - start
    assert elapsed >= 0.38  # two waves of two


async def test_tls_with_ssl_options(fixture_server: FixtureServer, certs: Certs) -> None:
    url = f"{fixture_server.https_url}/json"
    opts = asiofetch.SSLOptions(cafile=str(certs.ca_cert))
    async with asiofetch.ClientSession(connector=asiofetch.TCPConnector(ssl=opts)) as s:
        r = await s.get(url)
        assert r.status == 200
        assert r.timings["tls"] > 0
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.ClientConnectorCertificateError) as info:
            await s.get(url)
        assert isinstance(info.value, asiofetch.ClientSSLError)
        r = await s.get(url, ssl=asiofetch.SSLOptions(verify=False))
        assert r.status == 200


async def test_http2_tls(nginx: Nginx, certs: Certs) -> None:
    opts = asiofetch.SSLOptions(cafile=str(certs.ca_cert))
    connector = asiofetch.TCPConnector(ssl=opts)
    async with asiofetch.ClientSession(connector=connector, http2=True) as s:
        r = await s.get(f"{nginx.https_url}/small.txt")
        assert r.status == 200
        assert r.version == (2, 0)
        assert len(await r.read()) == 100


async def test_http2_cleartext_prior_knowledge(nginx: Nginx) -> None:
    async with asiofetch.ClientSession(http2=True) as s:
        rs = await asyncio.gather(*(s.get(f"{nginx.h2c_url}/conn") for _ in range(10)))
    assert {r.version for r in rs} == {(2, 0)}
    # Multiplexed: every request rode the same connection.
    assert len({(await r.text()).split()[0] for r in rs}) == 1


async def test_keepalive_reuse(nginx: Nginx) -> None:
    async with asiofetch.ClientSession() as s:
        first = (await (await s.get(f"{nginx.http_url}/conn")).text()).split()
        second = (await (await s.get(f"{nginx.http_url}/conn")).text()).split()
    assert first[0] == second[0]
    assert int(second[1]) == int(first[1]) + 1


async def test_force_close(nginx: Nginx) -> None:
    async with asiofetch.ClientSession(connector=asiofetch.TCPConnector(force_close=True)) as s:
        a = (await (await s.get(f"{nginx.http_url}/conn")).text()).split()[0]
        b = (await (await s.get(f"{nginx.http_url}/conn")).text()).split()[0]
    assert a != b


def test_trust_env_proxy_selection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("http_proxy", "http://proxy.example:3128")
    monkeypatch.setenv("no_proxy", "skip.example")
    s = asiofetch.ClientSession(trust_env=True)
    try:
        assert s._env_proxy_for(URL("http://a.example/")) == "http://proxy.example:3128"
        assert s._env_proxy_for(URL("http://skip.example/")) == ""
        assert s._env_proxy_for(URL("https://a.example/")) == ""
    finally:
        s._close()


async def test_proxy_unreachable_is_proxy_error(base_url: str) -> None:
    from servers import free_port

    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.ClientProxyConnectionError):
            await s.get(f"{base_url}/bytes/1", proxy=f"http://127.0.0.1:{free_port()}")


async def test_explicit_proxy_ignores_no_proxy_env(
    base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # aiohttp uses proxy= as given; NO_PROXY only filters proxies taken from the environment
    # (trust_env), which the session resolves itself. libcurl must not apply it a second time.
    from servers import free_port

    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.ClientProxyConnectionError):
            await s.get(f"{base_url}/bytes/1", proxy=f"http://127.0.0.1:{free_port()}")


async def test_response_repr_and_misc(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        r = await s.get(f"{base_url}/bytes/3")
    assert repr(r).startswith(f"<ClientResponse({base_url}/bytes/3) [200 OK]>")
    assert r.host == "127.0.0.1"
    assert r.cookies == {}
    assert r.connection is None
    await r.release()  # awaitable, like aiohttp's


def test_public_names() -> None:
    for name in asiofetch.__all__:
        assert hasattr(asiofetch, name), name
    assert asiofetch.Session is asiofetch.ClientSession
