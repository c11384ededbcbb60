"""Mirror of tests_cpp/test_batch.cpp through the public API (`session.gather`,
`session.as_completed`), plus the Python-only cases: cancellation from asyncio, async
producers, early exit from `async for`, laziness of the input and call-site validation."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

import asiofetch
from compat import timeout
from conftest import engine_in_flight, eventually

# ---- mirrors of TEST_F(Batch, ...) ----------------------------------------------------------


async def test_results_in_input_order(base_url: str) -> None:
    urls = [f"{base_url}/bytes/{100 + i}" for i in range(40)]
    async with asiofetch.ClientSession() as s:
        results = await s.gather(urls, concurrency=4)
        assert len(results) == 40
        for i, r in enumerate(results):
            assert isinstance(r, asiofetch.ClientResponse), i
            assert r.status == 200
            assert len(await r.read()) == 100 + i
            assert str(r.url) == urls[i]


async def test_concurrency_bound_is_respected(base_url: str) -> None:
    # Eight 200 ms requests two at a time cannot finish in less than four rounds.
    async with asiofetch.ClientSession() as s:
        t0 = time.monotonic()
        results = await s.gather([f"{base_url}/delay/200"] * 8, concurrency=2)
        elapsed = time.monotonic() - t0
    assert elapsed >= 0.78
    assert [r.status for r in results] == [200] * 8


async def test_fail_fast_cancels_the_rest(base_url: str) -> None:
    urls = [f"{base_url}/bytes/1", f"{base_url}/close-before-response"] + [f"{base_url}/hang"] * 3
    async with asiofetch.ClientSession() as s:
        t0 = time.monotonic()
        with pytest.raises(asiofetch.ServerDisconnectedError):
            await s.gather(urls)
        # The /hang requests never answer: the batch ended because they were cancelled.
        assert time.monotonic() - t0 < 30
        assert await eventually(lambda: engine_in_flight() == 0)


async def test_return_exceptions_keeps_every_outcome(base_url: str) -> None:
    urls = [f"{base_url}/bytes/3", f"{base_url}/close-before-response", f"{base_url}/bytes/5"]
    async with asiofetch.ClientSession() as s:
        results = await s.gather(urls, return_exceptions=True)
        assert len(results) == 3
        assert isinstance(results[0], asiofetch.ClientResponse)
        assert await results[0].read() == b"abc"
        assert isinstance(results[1], asiofetch.ServerDisconnectedError)
        assert isinstance(results[2], asiofetch.ClientResponse)
        assert await results[2].read() == b"abcde"


async def test_deadline_ends_the_batch(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        t0 = time.monotonic()
        results = await s.gather(
            [f"{base_url}/hang", f"{base_url}/bytes/1"], return_exceptions=True, deadline=0.3
        )
        elapsed = time.monotonic() - t0
        assert isinstance(results[0], asyncio.TimeoutError)
        assert isinstance(results[1], asiofetch.ClientResponse)
        assert await results[1].read() == b"a"
        assert elapsed >= 0.25
        assert await eventually(lambda: engine_in_flight() == 0)


async def test_cancel_stops_every_request(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        task = asyncio.create_task(s.gather([f"{base_url}/hang"] * 4, concurrency=2))
        assert await eventually(lambda: s.connector.stats()["in_flight"] == 2)
        await asyncio.sleep(0.1)
        assert s.connector.stats()["in_flight"] == 2  # the bound holds while they hang
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task  # a cancelled batch delivers nothing
        assert await eventually(lambda: engine_in_flight() == 0)
        assert await eventually(lambda: s.connector.stats()["in_flight"] == 0)


async def test_streaming_delivers_each_result_then_end(base_url: str) -> None:
    release = asyncio.Event()

    async def producer() -> AsyncIterator[str]:
        yield f"{base_url}/bytes/1"
        yield f"{base_url}/bytes/2"
        await release.wait()  # the rest is fed after the first results came back
        yield f"{base_url}/bytes/3"
        yield f"{base_url}/close-before-response"

    seen: dict[int, asiofetch.Completed] = {}
    async with asiofetch.ClientSession() as s:
        # Bounded: results already in must reach the consumer while the producer waits.
        async with timeout(15):
            async for c in s.as_completed(producer(), concurrency=2, buffer=0):
                assert isinstance(c, asiofetch.Completed)
                assert 0 <= c.index < 4
                assert c.index not in seen
                seen[c.index] = c
                if len(seen) == 2:
                    assert set(seen) == {0, 1}
                    release.set()
        assert set(seen) == {0, 1, 2, 3}  # and the iteration ended: the end note came
        for i in range(3):
            assert seen[i].ok
            assert seen[i].exception is None
            assert await seen[i].result().read() == b"abc"[: i + 1]
            assert seen[i].key == f"{base_url}/bytes/{i + 1}"
        assert not seen[3].ok
        assert seen[3].response is None
        assert isinstance(seen[3].exception, asiofetch.ServerDisconnectedError)
        with pytest.raises(asiofetch.ServerDisconnectedError):
            seen[3].result()


async def test_redirect_options_apply_to_every_item(base_url: str) -> None:
    # aiohttp's counting, as for one request: max_redirects=3 follows two, the third fails.
    async with asiofetch.ClientSession() as s:
        seen = {}
        urls = [f"{base_url}/redirect/2", f"{base_url}/redirect/3"]
        async for c in s.as_completed(urls, concurrency=2, max_redirects=3):
            seen[c.index] = c
        followed = seen[0].result()
        assert followed.status == 200 and len(followed.history) == 2
        assert str(followed.url) == f"{base_url}/redirect/0"
        assert isinstance(seen[1].exception, asiofetch.TooManyRedirects)

        off = await s.gather(urls, allow_redirects=False)
        assert [r.status for r in off] == [302, 302]
        assert [r.history for r in off] == [(), ()]
        assert off[0].headers["Location"].endswith("/redirect/1")
        got = await s.gather(urls, max_redirects=3, return_exceptions=True)
        assert got[0].status == 200
        assert isinstance(got[1], asiofetch.TooManyRedirects)


async def test_redirect_options_are_checked_at_the_call(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        with pytest.raises(TypeError, match="allow_redirects"):
            s.as_completed([f"{base_url}/bytes/1"], allow_redirects=1)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="max_redirects"):
            await s.gather([f"{base_url}/bytes/1"], max_redirects=-1)
        assert engine_in_flight() == 0


async def test_progress_notes_count_up_to_total(base_url: str) -> None:
    notes: list[asiofetch.Progress] = []
    urls = [f"{base_url}/bytes/1", f"{base_url}/bytes/1", f"{base_url}/close-before-response"]
    async with asiofetch.ClientSession() as s:
        results = await s.gather(urls, concurrency=1, return_exceptions=True, progress=notes.append)
    assert len(results) == 3
    assert notes, "no progress reported"
    last_done = 0
    for n in notes:
        assert isinstance(n, asiofetch.Progress)
        assert n.done >= last_done
        last_done = n.done
        assert n.total == 3
        assert n.failed <= n.done
    assert notes[-1].done == 3
    assert notes[-1].failed == 1


async def test_empty_batch_completes(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        assert await s.gather([]) == []
        assert await s.gather([], return_exceptions=True) == []
        assert [c async for c in s.as_completed([])] == []


async def test_session_close_fails_the_batch(base_url: str) -> None:
    s = asiofetch.ClientSession()
    task = asyncio.create_task(
        s.gather([f"{base_url}/hang"] * 3, concurrency=1, return_exceptions=True)
    )
    assert await eventually(lambda: s.connector.stats()["in_flight"] == 1)
    await s.close()
    results = await asyncio.wait_for(task, 30)
    assert len(results) == 3
    for r in results:
        assert isinstance(r, asiofetch.SessionClosedError)
    assert await eventually(lambda: engine_in_flight() == 0)


# ---- Python-only cases ----------------------------------------------------------------------


async def test_gather_cancelled_by_task_cancel_frees_everything(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        task = asyncio.create_task(s.gather([f"{base_url}/hang"] * 20, concurrency=5))
        assert await eventually(lambda: engine_in_flight() == 5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert task.cancelled()
        assert await eventually(lambda: engine_in_flight() == 0)
        # The session still works afterwards.
        r = await s.get(f"{base_url}/bytes/2")
        assert await r.read() == b"ab"


async def test_gather_under_asyncio_timeout_frees_everything(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        t0 = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            async with timeout(0.3):
                await s.gather([f"{base_url}/bytes/1"] + [f"{base_url}/hang"] * 6)
        assert time.monotonic() - t0 >= 0.25
        assert await eventually(lambda: engine_in_flight() == 0)
        results = await s.gather([f"{base_url}/bytes/1"] * 3)
        assert [r.status for r in results] == [200] * 3


async def test_as_completed_over_async_generator_producer(base_url: str) -> None:
    async def producer() -> AsyncIterator[asiofetch.RequestSpec]:
        for i in range(30):
            if i % 7 == 0:
                await asyncio.sleep(0.01)  # a producer that awaits between items
            yield asiofetch.RequestSpec("GET", f"{base_url}/bytes/{i + 1}", key=f"k{i}")

    got: dict[str, int] = {}
    async with asiofetch.ClientSession() as s:
        async for c in s.as_completed(producer(), concurrency=4):
            assert c.ok, c.exception
            assert c.key == f"k{c.index}"
            got[c.key] = len(await c.result().read())
    assert got == {f"k{i}": i + 1 for i in range(30)}


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_as_completed_producer_failure_after_sent_requests(base_url: str, kind: str) -> None:
    """A producer that raises midway: every request it produced before still ends and is
    yielded (none is dropped, none left running), then its error is raised."""
    urls = [f"{base_url}/delay/{50 + 10 * i}?i={i}" for i in range(5)]

    def sync_producer() -> Iterator[str]:
        yield from urls
        raise RuntimeError("producer broke")

    async def async_producer() -> AsyncIterator[str]:
        for u in urls:
            yield u
        raise RuntimeError("producer broke")

    seen: list[asiofetch.Completed] = []
    async with asiofetch.ClientSession() as s:
        producer = sync_producer() if kind == "sync" else async_producer()
        with pytest.raises(RuntimeError, match="producer broke"):
            async for c in s.as_completed(producer, concurrency=5):
                seen.append(c)
        assert sorted(c.index for c in seen) == [0, 1, 2, 3, 4]
        assert all(c.exception is None and c.response.status == 200 for c in seen)
        assert s.connector is not None
        assert s.connector.stats()["in_flight"] == 0


async def test_as_completed_break_cancels_the_rest(base_url: str) -> None:
    urls = [f"{base_url}/bytes/1"] + [f"{base_url}/hang"] * 5
    async with asiofetch.ClientSession() as s:
        first = None
        async for c in s.as_completed(urls, concurrency=6):
            first = c
            break
        assert first is not None
        assert first.index == 0
        assert first.ok
        # Leaving the loop closes the iterator, which cancels the five /hang natively.
        assert await eventually(lambda: engine_in_flight() == 0)
        assert await eventually(lambda: s.connector.stats()["in_flight"] == 0)


async def test_as_completed_reads_input_lazily(base_url: str) -> None:
    concurrency, buffer, total = 4, 2, 60
    pulled = 0

    def urls() -> Iterator[str]:
        nonlocal pulled
        for _ in range(total):
            pulled += 1
            yield f"{base_url}/bytes/1"

    consumed = 0
    async with asiofetch.ClientSession() as s:
        async for c in s.as_completed(urls(), concurrency=concurrency, buffer=buffer):
            assert c.ok
            consumed += 1
            assert pulled <= consumed + concurrency + buffer, (consumed, pulled)
            if consumed % 10 == 0:
                await asyncio.sleep(0.02)  # a slow consumer must not make the reader run ahead
                assert pulled <= consumed + concurrency + buffer, (consumed, pulled)
    assert consumed == total
    assert pulled == total


async def test_as_completed_results_carry_index_and_key(base_url: str) -> None:
    reqs: list[str | asiofetch.RequestSpec] = [
        f"{base_url}/bytes/1",
        asiofetch.RequestSpec("POST", f"{base_url}/echo", json={"a": 1}, key="post"),
        asiofetch.RequestSpec("GET", f"{base_url}/echo", params={"q": "1"}),
    ]
    async with asiofetch.ClientSession() as s:
        by_index = {c.index: c async for c in s.as_completed(reqs)}
        assert set(by_index) == {0, 1, 2}
        assert by_index[0].key == f"{base_url}/bytes/1"
        assert by_index[1].key == "post"
        posted = await by_index[1].result().json()
        assert posted["method"] == "POST"
        assert posted["body"] == '{"a": 1}'
        assert by_index[2].key == f"{base_url}/echo"
        assert (await by_index[2].result().json())["query"] == "q=1"


async def test_bad_input_errors_at_the_call_site(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        with pytest.raises(TypeError):
            await s.gather([f"{base_url}/bytes/1", 1])  # type: ignore[list-item]
        with pytest.raises(ValueError):
            await s.gather([f"{base_url}/bytes/1"], concurrency=0)
        with pytest.raises(TypeError):
            await s.gather([f"{base_url}/bytes/1"], retry="x")
        with pytest.raises(TypeError):
            await s.gather([f"{base_url}/bytes/1"], semaphore=3)
        with pytest.raises(TypeError):
            await s.gather([f"{base_url}/bytes/1"], rate_limit=10)
        with pytest.raises(TypeError):
            await s.gather([f"{base_url}/bytes/1"], progress=1)  # type: ignore[arg-type]
        with pytest.raises(TypeError):
            s.as_completed([f"{base_url}/bytes/1"], retry="x")
        with pytest.raises(TypeError):
            await s.get(f"{base_url}/bytes/1", retry="x")
        with pytest.raises(TypeError):
            asiofetch.RequestSpec(1, f"{base_url}/bytes/1")  # type: ignore[arg-type]
        # Nothing was sent for any of them.
        assert engine_in_flight() == 0


async def test_as_completed_bad_input_errors_early(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        # A plain argument is checked when as_completed() is called, like retry= is.
        with pytest.raises(ValueError):
            s.as_completed([f"{base_url}/bytes/1"], concurrency=0)
        # Items are read lazily, so a bad item fails the iteration that reads it.
        with pytest.raises(TypeError):
            async for _ in s.as_completed([f"{base_url}/bytes/1", 1]):  # type: ignore[list-item]
                pass
        assert await eventually(lambda: engine_in_flight() == 0)


async def test_gather_on_closed_session_raises(base_url: str) -> None:
    s = asiofetch.ClientSession()
    await s.close()
    with pytest.raises(asiofetch.SessionClosedError):
        await s.gather([f"{base_url}/bytes/1"])


async def test_batch_stores_cookies_and_skips_responses_without_them(base_url: str) -> None:
    # The jar learns from batch results the way it does from awaited requests, including a
    # response reached through a redirect; responses without Set-Cookie leave it alone.
    from urllib.parse import quote

    hop = quote("/cookies/set?b=two", safe="")
    urls = [
        f"{base_url}/cookies/set?a=1",
        f"{base_url}/redirect-to?url={hop}&status=302",
        f"{base_url}/bytes/10",
    ]
    async with asiofetch.ClientSession(cookie_jar=asiofetch.CookieJar(unsafe=True)) as s:
        results = await s.gather(urls)
        assert [r.status for r in results] == [200, 200, 200]
        assert {m.key: m.value for m in s.cookie_jar} == {"a": "1", "b": "two"}
        async for done in s.as_completed([f"{base_url}/cookies/set?c=3", f"{base_url}/bytes/5"]):
            assert done.response is not None and done.response.status == 200
        assert {m.key for m in s.cookie_jar} == {"a", "b", "c"}
        echoed = await (await s.get(f"{base_url}/cookies")).json()
        assert echoed["cookies"] == {"a": "1", "b": "two", "c": "3"}


# Issue 12: a batch holds every body whole; the cap fails that body alone and names the options.
_CAP_MESSAGE = (
    "response body larger than the batch's max_body_size=1000 bytes (a native batch holds each "
    "body whole in memory): raise it with gather()/as_completed() max_body_size= or "
    "ClientSession(batch_max_body_size=), None for no cap, or stream it with session.get()"
)


async def test_body_cap_default_is_16_mib() -> None:
    assert asiofetch.ClientSession.__init__.__kwdefaults__["batch_max_body_size"] == 16 << 20


async def test_body_cap_is_exact_and_fails_that_request_only(base_url: str) -> None:
    urls = [f"{base_url}/bytes/1000", f"{base_url}/bytes/1001", f"{base_url}/bytes/10"]
    async with asiofetch.ClientSession() as s:
        r = await s.gather(urls, return_exceptions=True, max_body_size=1000)
        assert isinstance(r[0], asiofetch.ClientResponse) and len(await r[0].read()) == 1000
        assert type(r[1]) is asiofetch.ClientPayloadError
        assert str(r[1]) == _CAP_MESSAGE
        assert isinstance(r[2], asiofetch.ClientResponse) and len(await r[2].read()) == 10
        # The same cap from the session, through as_completed.
    async with asiofetch.ClientSession(batch_max_body_size=1000) as s:
        done = {c.index: c async for c in s.as_completed(urls, concurrency=3)}
        assert done[0].response is not None and done[2].response is not None
        assert type(done[1].exception) is asiofetch.ClientPayloadError
        assert str(done[1].exception) == _CAP_MESSAGE
        # Without return_exceptions the capped body is gather's failure.
        with pytest.raises(asiofetch.ClientPayloadError, match=r"max_body_size=1000 bytes"):
            await s.gather(urls)


async def test_default_body_cap_ends_an_endless_body(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        r = await s.gather([f"{base_url}/endless", f"{base_url}/bytes/5"], return_exceptions=True)
        assert type(r[0]) is asiofetch.ClientPayloadError
        assert "the batch's max_body_size=16777216 bytes" in str(r[0])
        assert isinstance(r[1], asiofetch.ClientResponse) and len(await r[1].read()) == 5
    assert await eventually(lambda: engine_in_flight() == 0)


async def test_body_cap_counts_decoded_bytes(base_url: str) -> None:
    # 2 MiB of zeros in a few KiB of gzip; the bomb guard is off (max_decompressed_size given).
    urls = [f"{base_url}/bomb/gzip?mib=2", f"{base_url}/bomb/gzip?mib=1"]
    async with asiofetch.ClientSession(max_decompressed_size=64 << 20) as s:
        r = await s.gather(urls, return_exceptions=True, max_body_size=1 << 20)
        assert type(r[0]) is asiofetch.ClientPayloadError
        assert "the batch's max_body_size=1048576 bytes" in str(r[0])
        assert isinstance(r[1], asiofetch.ClientResponse)
        assert await r[1].read() == bytes(1 << 20)


async def test_zero_body_cap_means_none_and_lone_requests_have_none(base_url: str) -> None:
    # None is "no cap" only when given; a lone request has no cap at all (aiohttp's read()).
    url = f"{base_url}/bytes/5000"
    async with asiofetch.ClientSession(batch_max_body_size=1000) as s:
        (r,) = await s.gather([url], max_body_size=None)
        assert len(await r.read()) == 5000
        assert len(await (await s.get(url)).read()) == 5000
    async with asiofetch.ClientSession(batch_max_body_size=None) as s:
        (r,) = await s.gather([url])
        assert len(await r.read()) == 5000
        with pytest.raises(asiofetch.ClientPayloadError):
            await s.gather([url], max_body_size=4999)


async def test_body_cap_is_checked_at_the_call(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        with pytest.raises(ValueError, match=r"max_body_size must be >= 1, got 0"):
            await s.gather([f"{base_url}/bytes/1"], max_body_size=0)
        with pytest.raises(TypeError, match=r"max_body_size must be an int or None, got str"):
            s.as_completed([f"{base_url}/bytes/1"], max_body_size="1")
        assert engine_in_flight() == 0
    with pytest.raises(TypeError, match=r"batch_max_body_size must be an int or None, got float"):
        asiofetch.ClientSession(batch_max_body_size=1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize("chunked", [True, False], ids=["sync-source", "async-source"])
async def test_as_completed_refused_url_is_that_requests_outcome(
    base_url: str, chunked: bool
) -> None:
    # One malformed URL in a long input fails that request, not the batch: the others are
    # sent and yielded, each with its input position and key.
    urls = [
        f"{base_url}/bytes/1",
        "http://bad host/x",
        f"{base_url}/bytes/2",
        "ftp://example.invalid/f",
        f"{base_url}/bytes/3",
        "http:///no-host",
    ]

    async def agen() -> AsyncIterator[str]:
        for u in urls:
            yield u

    async with asiofetch.ClientSession() as s:
        source: Any = urls if chunked else agen()
        done = {c.index: c async for c in s.as_completed(source, concurrency=2)}
    assert sorted(done) == list(range(len(urls)))
    for i, u in enumerate(urls):
        assert done[i].key == u
    for i in (0, 2, 4):
        assert done[i].exception is None and done[i].response is not None
        assert done[i].response.status == 200
        assert len(await done[i].response.read()) == i // 2 + 1
    assert isinstance(done[1].exception, asiofetch.InvalidUrlClientError)
    assert isinstance(done[3].exception, asiofetch.NonHttpUrlClientError)
    assert isinstance(done[5].exception, asiofetch.InvalidURL)
    assert all(done[i].response is None for i in (1, 3, 5))
    assert await eventually(lambda: engine_in_flight() == 0)
