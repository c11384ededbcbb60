"""MockRouter against the real engine: matching, answers, call records, and every request path
(single requests, streaming, fetch, gather, as_completed) with the native retry, hedge,
fallback, timeout, semaphore and rate-limit machinery running against mocked answers."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import pytest

import asiofetch
from asiofetch.testing import (
    MockRequest,
    MockResponse,
    MockRouter,
    UnmatchedRequestError,
    sockets_opened,
)

API = "http://api.test"


@pytest.fixture
def router() -> Iterator[MockRouter]:
    before = sockets_opened()
    with MockRouter(assert_all_called=False) as r:
        yield r
    assert sockets_opened() == before  # nothing here may reach the network


# -- matching ------------------------------------------------------------------------------


async def test_method_and_exact_url(router: MockRouter) -> None:
    get = router.get(API + "/a").respond(200, text="get")
    post = router.post(API + "/a").respond(201, text="post")
    async with asiofetch.ClientSession() as s:
        assert await (await s.get(API + "/a")).text() == "get"
        assert (await s.post(API + "/a")).status == 201
        assert await (await s.get(API + "/a?x=1")).text() == "get"  # the route names no query
        with pytest.raises(UnmatchedRequestError):
            await s.get(API + "/a/b")
    assert (get.call_count, post.call_count) == (2, 1)


async def test_query_in_url_or_params_is_a_subset_unless_exact(router: MockRouter) -> None:
    sub = router.get(API + "/s?q=a b", params={"n": 1}).respond(text="subset")
    exact = router.get(API + "/e", params={"q": "x"}, params_exact=True).respond(text="exact")
    async with asiofetch.ClientSession() as s:
        assert (
            await (await s.get(API + "/s", params={"n": "1", "q": "a b", "z": "9"})).text()
            == "subset"
        )
        with pytest.raises(UnmatchedRequestError):
            await s.get(API + "/s", params={"q": "a b"})
        assert await (await s.get(API + "/e?q=x")).text() == "exact"
        with pytest.raises(UnmatchedRequestError):
            await s.get(API + "/e?q=x&more=1")
    assert sub.calls[0].params["z"] == "9"
    assert exact.called


async def test_prefix_regex_and_path_pattern(router: MockRouter) -> None:
    router.route(prefix=API + "/files/").respond(text="file")
    router.get(re.compile(r"/items/\d+$")).respond(text="item")
    item = router.get(API + "/users/{uid}/posts/{pid}").respond(text="post")
    async with asiofetch.ClientSession() as s:
        assert await (await s.delete(API + "/files/x/y")).text() == "file"
        assert await (await s.get("http://other.test/items/42")).text() == "item"
        assert await (await s.get(API + "/users/7/posts/99?full=1")).text() == "post"
        with pytest.raises(UnmatchedRequestError):
            await s.get(API + "/users/7/posts")
    assert item.calls[0].path_params == {"uid": "7", "pid": "99"}


async def test_python_only_regex_syntax_still_matches(router: MockRouter) -> None:
    route = router.get(re.compile(r"/v(?P<version>\d)/ping$")).respond(204)
    router.get(re.compile(r"/shout$", re.IGNORECASE)).respond(205)
    router.get(re.compile(r"/end\Z")).respond(206)
    async with asiofetch.ClientSession() as s:
        assert (await s.get(API + "/v2/ping")).status == 204
        with pytest.raises(UnmatchedRequestError):
            await s.get(API + "/vx/ping")
        assert (await s.get(API + "/SHOUT")).status == 205
        assert (await s.get(API + "/end")).status == 206
        with pytest.raises(UnmatchedRequestError):
            await s.get(API + "/endZ")
    assert route.calls[0].path_params == {"version": "2"}


async def test_headers_json_form_content_and_match(router: MockRouter) -> None:
    router.get(API + "/h", headers={"authorization": "Bearer t"}).respond(text="auth")
    router.post(API + "/j", json={"a": [1, 2], "b": None}).respond(text="json")
    router.post(API + "/f", data={"x": "1", "y": "two"}).respond(text="form")
    router.post(API + "/c", content=b"\x00raw").respond(text="raw")
    router.get(API + "/m", match=lambda r: r.headers.get("X-Tenant") == "blue").respond(text="blue")
    async with asiofetch.ClientSession() as s:
        assert (
            await (await s.get(API + "/h", headers={"Authorization": "Bearer t"})).text() == "auth"
        )
        with pytest.raises(UnmatchedRequestError):
            await s.get(API + "/h", headers={"Authorization": "Bearer other"})
        assert await (await s.post(API + "/j", json={"b": None, "a": [1, 2]})).text() == "json"
        with pytest.raises(UnmatchedRequestError):
            await s.post(API + "/j", json={"a": [2, 1], "b": None})
        assert await (await s.post(API + "/f", data={"y": "two", "x": "1"})).text() == "form"
        assert await (await s.post(API + "/c", data=b"\x00raw")).text() == "raw"
        assert await (await s.get(API + "/m", headers={"X-Tenant": "blue"})).text() == "blue"
        with pytest.raises(UnmatchedRequestError):
            await s.get(API + "/m", headers={"X-Tenant": "red"})


async def test_unmatched_error_lists_the_routes(router: MockRouter) -> None:
    router.get(API + "/a").respond()
    router.post(API + "/b", json={"k": 1}).respond()
    async with asiofetch.ClientSession() as s:
        with pytest.raises(UnmatchedRequestError) as info:
            await s.put(API + "/c")
    assert str(info.value) == (
        "asiofetch.testing: no mocked route matches PUT http://api.test/c; routes:\n"
        "  GET http://api.test/a\n"
        "  POST http://api.test/b json={'k': 1}"
    )
    assert isinstance(info.value, asiofetch.ClientConnectionError)
    assert [(r.method, str(r.url)) for r in router.unmatched] == [("PUT", API + "/c")]


# -- answers -------------------------------------------------------------------------------


async def test_response_fields(router: MockRouter) -> None:
    router.get(API + "/r").respond(
        418, text="short and stout", headers={"X-Pot": "tea"}, reason="I'm a teapot"
    )
    router.get(API + "/b").respond(body=b"\xff\x00")
    router.head(API + "/h").respond(200, body=b"not sent")
    async with asiofetch.ClientSession() as s:
        r = await s.get(API + "/r")
        assert (r.status, r.reason) == (418, "I'm a teapot")
        assert r.headers["X-Pot"] == "tea"
        assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert r.headers["Content-Length"] == "15"
        assert await r.text() == "short and stout"
        assert str(r.url) == API + "/r"
        assert await (await s.get(API + "/b")).read() == b"\xff\x00"
        h = await s.head(API + "/h")
        assert (h.status, await h.read()) == (200, b"")


async def test_side_effect_sequence_then_exhausted(router: MockRouter) -> None:
    route = router.get(API + "/seq").mock(side_effect=[503, MockResponse(text="ok")])
    async with asiofetch.ClientSession() as s:
        assert (await s.get(API + "/seq")).status == 503
        assert await (await s.get(API + "/seq")).text() == "ok"
        with pytest.raises(
            UnmatchedRequestError, match=r"GET http://api.test/seq \(all 2 answers used\)"
        ):
            await s.get(API + "/seq")
    assert route.call_count == 2


async def test_callable_side_effect_gets_the_request(router: MockRouter) -> None:
    seen: list[MockRequest] = []

    def echo(request: MockRequest) -> MockResponse:
        seen.append(request)
        return MockResponse(json={"got": request.json(), "id": request.path_params["id"]})

    router.post(API + "/echo/{id}").mock(side_effect=echo)
    async with asiofetch.ClientSession() as s:
        r = await s.post(API + "/echo/5", json={"n": 1})
        assert await r.json() == {"got": {"n": 1}, "id": "5"}
    assert seen[0].method == "POST"


async def test_exception_instance_is_raised_as_given(router: MockRouter) -> None:
    boom = asiofetch.ServerDisconnectedError("mocked hang-up")
    router.get(API + "/x").mock(side_effect=boom)
    router.get(API + "/v").mock(side_effect=ValueError("not an HTTP error"))
    router.get(API + "/cb").mock(side_effect=lambda req: (_ for _ in ()).throw(KeyError("inside")))
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.ServerDisconnectedError) as info:
            await s.get(API + "/x")
        assert info.value is boom
        with pytest.raises(ValueError, match="not an HTTP error"):
            await s.get(API + "/v")
        with pytest.raises(KeyError, match="inside"):
            await s.get(API + "/cb")


async def test_exception_classes(router: MockRouter) -> None:
    class MyConnectionError(asiofetch.ClientConnectionError):
        pass

    class NeedsArgs(Exception):
        def __init__(self, a: int) -> None:
            super().__init__(a)

    router.get(API + "/dns").mock(side_effect=asiofetch.ClientConnectorDNSError)
    router.get(API + "/timeout").mock(side_effect=asiofetch.ServerTimeoutError)
    router.get(API + "/os").mock(side_effect=asiofetch.ClientOSError)
    mine = router.get(API + "/mine").mock(side_effect=[MyConnectionError, 200])
    async with asiofetch.ClientSession() as s:
        # A user's subclass is raised as itself, and retried as the connect error it is.
        r = await s.get(API + "/mine", retry=asiofetch.Retry(attempts=2, backoff=0))
        assert (r.status, r.attempts, mine.call_count) == (200, 2, 2)
        with pytest.raises(asiofetch.ClientConnectorDNSError):
            await s.get(API + "/dns")
        with pytest.raises(asiofetch.SocketTimeoutError):
            await s.get(API + "/timeout")
        with pytest.raises(asiofetch.ClientOSError):
            await s.get(API + "/os")
    router.get(API + "/mine2").mock(side_effect=MyConnectionError)
    async with asiofetch.ClientSession() as s:
        with pytest.raises(MyConnectionError):
            await s.get(API + "/mine2")
    with pytest.raises(TypeError, match=r"cannot make NeedsArgs\(\) without arguments"):
        router.get(API + "/x").mock(side_effect=NeedsArgs)


async def test_payload_error_after_part_of_the_body(router: MockRouter) -> None:
    router.get(API + "/cut").respond(chunks=[b"part"], body_error=asiofetch.ClientPayloadError)
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.ClientPayloadError):
            await (await s.get(API + "/cut")).read()
        async with s.get(API + "/cut") as r:
            assert r.status == 200
            assert await r.content.read(4) == b"part"
            with pytest.raises(asiofetch.ClientPayloadError):
                await r.content.read()


async def test_redirect_is_followed_by_the_engine(router: MockRouter) -> None:
    router.get(API + "/old").mock(return_value=MockResponse.redirect("/new", status=301))
    router.get(API + "/new").respond(text="here")
    async with asiofetch.ClientSession() as s:
        r = await s.get(API + "/old")
        assert await r.text() == "here"
        assert str(r.url) == API + "/new"
        assert [h.status for h in r.history] == [301]
        r2 = await s.get(API + "/old", allow_redirects=False)
        assert (r2.status, r2.headers["Location"]) == (301, "/new")


# -- every path, with the native machinery --------------------------------------------------


async def test_fetch_uses_the_router(router: MockRouter) -> None:
    router.get(API + "/f").respond(json=[1, 2])
    r = await asiofetch.fetch(API + "/f")
    assert await r.json() == [1, 2]


async def test_streaming_backpressure_with_a_large_body(router: MockRouter) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB, past the stream's high-water mark
    router.get(API + "/big").respond(
        chunks=[body[i : i + 65536] for i in range(0, len(body), 65536)]
    )
    async with asiofetch.ClientSession() as s, s.get(API + "/big") as r:
        got = bytearray()
        async for chunk in r.content.iter_chunked(10_000):
            got += chunk
            await asyncio.sleep(0)
    assert bytes(got) == body


async def test_gather_fail_fast_and_return_exceptions(router: MockRouter) -> None:
    router.get(API + "/ok").respond(text="ok")
    router.get(API + "/down").mock(side_effect=asiofetch.ClientConnectorError)
    async with asiofetch.ClientSession() as s:
        results = await s.gather([API + "/ok", API + "/down", API + "/ok"], return_exceptions=True)
        assert [type(r).__name__ for r in results] == [
            "ClientResponse",
            "ClientConnectorError",
            "ClientResponse",
        ]
        with pytest.raises(asiofetch.ClientConnectorError):
            await s.gather([API + "/ok", API + "/down"])


async def test_gather_retries_each_item_natively(router: MockRouter) -> None:
    busy = MockResponse(503, headers={"Retry-After": "0"})
    routes = [
        router.get(f"{API}/i/{i}").mock(side_effect=[busy, MockResponse(text=str(i))])
        for i in range(3)
    ]
    async with asiofetch.ClientSession() as s:
        results = await s.gather(
            [f"{API}/i/{i}" for i in range(3)], retry=asiofetch.Retry(attempts=2, backoff=0)
        )
    assert [r.attempts for r in results] == [2, 2, 2]
    assert [await r.text() for r in results] == ["0", "1", "2"]
    assert [r.call_count for r in routes] == [2, 2, 2]


async def test_retry_on_a_mocked_timeout_error(router: MockRouter) -> None:
    route = router.get(API + "/t").mock(
        side_effect=[asiofetch.SocketTimeoutError("slow"), MockResponse(text="ok")]
    )
    async with asiofetch.ClientSession() as s:
        r = await s.get(API + "/t", retry=asiofetch.Retry(attempts=2, backoff=0))
        assert (await r.text(), r.attempts) == ("ok", 2)
    assert route.call_count == 2


async def test_hedge_wins_with_the_fast_copy(router: MockRouter) -> None:
    route = router.get(API + "/h").mock(
        side_effect=[MockResponse(text="slow", delay=5), MockResponse(text="fast")]
    )
    async with asiofetch.ClientSession() as s:
        r = await s.get(API + "/h", hedge=asiofetch.Hedge(after=0.02))
        assert (await r.text(), r.hedge) == ("fast", 1)
    assert route.call_count == 2


async def test_fallback_url_after_a_failure(router: MockRouter) -> None:
    router.get(API + "/primary").mock(side_effect=asiofetch.ClientConnectorError)
    router.get("http://backup.test/primary").respond(text="backup")
    async with asiofetch.ClientSession() as s:
        r = await s.get(API + "/primary", fallback=["http://backup.test/primary"])
        assert await r.text() == "backup"


async def test_read_timeout_between_chunks(router: MockRouter) -> None:
    router.get(API + "/stall").respond(chunks=[b"first", (5, b"never")])
    async with asiofetch.ClientSession(timeout=asiofetch.ClientTimeout(sock_read=0.05)) as s:
        with pytest.raises(asiofetch.SocketTimeoutError):
            await (await s.get(API + "/stall")).read()


async def test_total_timeout_while_waiting_for_the_head(router: MockRouter) -> None:
    router.get(API + "/late").respond(delay=5)
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asyncio.TimeoutError):
            await s.get(API + "/late", timeout=asiofetch.ClientTimeout(total=0.05))


async def test_semaphore_serialises_requests(router: MockRouter) -> None:
    # One permit: the slow first request must finish before the fast ones start, so they
    # complete in input order; without the semaphore the fast ones finish first.
    router.get(API + "/slow").respond(text="slow", delay=0.2)
    router.get(API + "/fast").respond(text="fast")
    urls = [API + "/slow", API + "/fast", API + "/fast"]
    async with asiofetch.ClientSession() as s:
        serial = [c.index async for c in s.as_completed(urls, semaphore=asiofetch.Semaphore(1))]
        free = [c.index async for c in s.as_completed(urls)]
    assert serial == [0, 1, 2]
    assert free[-1] == 0


async def test_pool_limit_queues_requests(router: MockRouter) -> None:
    # One connection slot: as with the semaphore, the fast requests wait for the slow one.
    router.get(API + "/slow").respond(text="slow", delay=0.2)
    router.get(API + "/fast").respond(text="fast")
    urls = [API + "/slow", API + "/fast", API + "/fast"]
    connector = asiofetch.TCPConnector(limit=1)
    async with asiofetch.ClientSession(connector=connector) as s:
        assert [c.index async for c in s.as_completed(urls)] == [0, 1, 2]


async def test_rate_limit_holds_later_requests(router: MockRouter) -> None:
    # One token per ten seconds: the second request cannot start inside the batch deadline.
    route = router.get(API + "/r").respond(text="r")
    async with asiofetch.ClientSession() as s:
        results = await s.gather(
            [API + "/r", API + "/r"],
            rate_limit=asiofetch.RateLimit(1, per=10, burst=1),
            deadline=0.2,
            return_exceptions=True,
        )
    assert isinstance(results[0], asiofetch.ClientResponse)
    assert isinstance(results[1], asyncio.TimeoutError)
    assert route.call_count == 1


# -- router life ---------------------------------------------------------------------------


async def test_calls_stay_readable_after_exit_and_assert_all_called() -> None:
    router = MockRouter()
    used = router.get(API + "/used").respond()
    router.get(API + "/unused").respond()
    never = r"routes never called:\n  GET http://api.test/unused"
    with pytest.raises(AssertionError, match=never), router:
        async with asiofetch.ClientSession() as s:
            await s.get(API + "/used", headers={"X-Trace": "1"})
    assert used.called
    assert used.calls[0].headers["X-Trace"] == "1"
    assert str(used.calls[0].url) == API + "/used"


async def test_inner_router_wins_and_outer_returns() -> None:
    with MockRouter() as outer:
        outer.get(API + "/x").respond(text="outer")
        async with asiofetch.ClientSession() as s:
            with MockRouter() as inner:
                inner.get(API + "/x").respond(text="inner")
                assert await (await s.get(API + "/x")).text() == "inner"
            assert await (await s.get(API + "/x")).text() == "outer"


async def test_base_url_resolves_relative_routes() -> None:
    with MockRouter(base_url=API + "/v1/") as router:
        router.get("users/{uid}").respond(text="user")
        router.route(prefix="files/").respond(text="file")
        router.get("/root").respond(text="root")
        async with asiofetch.ClientSession() as s:
            assert await (await s.get(API + "/v1/users/3")).text() == "user"
            assert await (await s.get(API + "/v1/files/a/b")).text() == "file"
            assert await (await s.get(API + "/root")).text() == "root"


async def test_decorator_activates_the_router() -> None:
    router = MockRouter()
    router.get(API + "/d").respond(text="decorated")

    @router
    async def code_under_test() -> str:
        async with asiofetch.ClientSession() as s:
            return await (await s.get(API + "/d")).text()

    assert await code_under_test() == "decorated"
    assert not router.active


async def test_passthrough_reaches_the_real_server(base_url: str) -> None:
    with MockRouter(passthrough_unmatched=True) as router:
        router.get("http://mocked.test/").respond(text="mocked")
        route = router.get(base_url + "/echo").pass_through()
        async with asiofetch.ClientSession() as s:
            assert await (await s.get("http://mocked.test/")).text() == "mocked"
            assert (await s.get(base_url + "/echo")).status == 200
            assert await (await s.get(base_url + "/text")).text() != "mocked"  # unmatched: network
        assert route.call_count == 1


def test_bad_answers_fail_at_registration() -> None:
    router = MockRouter()
    with pytest.raises(ValueError, match=r"status must be an int in 100\.\.999"):
        router.get(API).respond(42)
    with pytest.raises(TypeError, match="give at most one of json=, text=, body= and chunks="):
        MockResponse(json={}, text="x")
    with pytest.raises(
        TypeError, match="an answer is a MockResponse, a status int or an exception"
    ):
        router.get(API).mock(return_value="200")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="a route URL must be absolute"):
        router.get("/relative")
    with pytest.raises(RuntimeError, match="active already"), router, router:
        pass
