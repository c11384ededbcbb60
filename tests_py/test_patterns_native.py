"""The asyncio patterns users write today, each next to its asiofetch native form.

Every test runs the hand-written asyncio version and the native primitive (`session.gather`,
`session.as_completed`, `Semaphore`, `Retry`, `deadline=`) against the fixture server and
asserts both give the same results.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator

import pytest

import asiofetch
from compat import timeout
from conftest import engine_in_flight, eventually


async def server_count(session: asiofetch.ClientSession, base_url: str, key: str) -> int:
    r = await session.get(f"{base_url}/counter", params={"key": key}, retry=None)
    return int((await r.json())["count"])


# ---- gather over session.get ----------------------------------------------------------------


async def test_gather_over_session_get(base_url: str) -> None:
    urls = [f"{base_url}/bytes/{n}" for n in (5, 1, 30, 7, 2, 64, 3)]
    async with asiofetch.ClientSession() as session:
        # Today: one task per URL, asyncio.gather keeps the input order.
        async def fetch(url: str) -> tuple[int, bytes]:
            async with session.get(url) as resp:
                return resp.status, await resp.read()

        by_hand = await asyncio.gather(*(fetch(u) for u in urls))

        # Native: one batch.
        native = [(r.status, await r.read()) for r in await session.gather(urls)]

    assert list(by_hand) == native
    assert [len(body) for _, body in native] == [5, 1, 30, 7, 2, 64, 3]


async def test_gather_with_return_exceptions(base_url: str) -> None:
    urls = [f"{base_url}/bytes/2", f"{base_url}/close-before-response", f"{base_url}/status/404"]
    async with asiofetch.ClientSession() as session:

        async def fetch(url: str) -> int:
            async with session.get(url) as resp:
                return resp.status

        by_hand = await asyncio.gather(*(fetch(u) for u in urls), return_exceptions=True)
        native = await session.gather(urls, return_exceptions=True)

    def shape(x: object) -> object:
        return type(x).__name__ if isinstance(x, BaseException) else x

    assert [shape(x) for x in by_hand] == [
        shape(x.status if isinstance(x, asiofetch.ClientResponse) else x) for x in native
    ]
    assert isinstance(native[1], asiofetch.ServerDisconnectedError)


# ---- Semaphore-bounded fetch ----------------------------------------------------------------


async def test_semaphore_bounded_fetch(base_url: str) -> None:
    urls = [f"{base_url}/delay/200?i={i}" for i in range(6)]
    async with asiofetch.ClientSession() as session:
        # Today: an asyncio.Semaphore around each request.
        sem = asyncio.Semaphore(2)
        running = peak = 0

        async def bounded(url: str) -> str:
            nonlocal running, peak
            async with sem:
                running += 1
                peak = max(peak, running)
                try:
                    async with session.get(url) as resp:
                        return await resp.text()
                finally:
                    running -= 1

        t0 = time.monotonic()
        by_hand = await asyncio.gather(*(bounded(u) for u in urls))
        hand_time = time.monotonic() - t0

        # Native: the batch's own bound ...
        t0 = time.monotonic()
        native = [await r.text() for r in await session.gather(urls, concurrency=2)]
        native_time = time.monotonic() - t0

        # ... or a native Semaphore shared with anything else that holds it.
        nsem = asiofetch.Semaphore(2)
        t0 = time.monotonic()
        shared = [await r.text() for r in await session.gather(urls, semaphore=nsem)]
        shared_time = time.monotonic() - t0

    assert peak == 2
    assert list(by_hand) == native == shared == ["ok"] * 6
    for elapsed in (hand_time, native_time, shared_time):
        assert elapsed >= 0.58  # six 200 ms requests, two at a time
    assert nsem.value == 2


# ---- hand-written retry loop ----------------------------------------------------------------


async def test_hand_written_retry_loop(base_url: str) -> None:
    hand_key, native_key = uuid.uuid4().hex, uuid.uuid4().hex

    def url(key: str) -> str:
        return f"{base_url}/flaky?key={key}&fail=2&status=503"

    async with asiofetch.ClientSession() as session:
        # Today: a loop with exponential backoff around session.get.
        async def get_with_retry(u: str, attempts: int = 3, backoff: float = 0.01) -> tuple:
            for attempt in range(1, attempts + 1):
                try:
                    async with session.get(u) as resp:
                        body = await resp.text()
                        if resp.status not in (429, 500, 502, 503, 504) or attempt == attempts:
                            return resp.status, body, attempt
                except (asiofetch.ClientConnectionError, asyncio.TimeoutError):
                    if attempt == attempts:
                        raise
                await asyncio.sleep(backoff * 2 ** (attempt - 1))
            raise AssertionError("unreachable")

        by_hand = await get_with_retry(url(hand_key))

        # Native: the engine retries, no Python between attempts.
        r = await session.get(url(native_key), retry=asiofetch.Retry(attempts=3, backoff=0.01))
        native = (r.status, await r.text(), r.attempts)

        assert by_hand == native == (200, "ok", 3)
        assert await server_count(session, base_url, hand_key) == 3
        assert await server_count(session, base_url, native_key) == 3


async def test_hand_written_retry_loop_gives_up_the_same_way(base_url: str) -> None:
    hand_key, native_key = uuid.uuid4().hex, uuid.uuid4().hex
    async with asiofetch.ClientSession() as session:

        async def get_with_retry(u: str, attempts: int = 3) -> tuple:
            for attempt in range(1, attempts + 1):
                async with session.get(u) as resp:
                    if resp.status != 503 or attempt == attempts:
                        return resp.status, await resp.text()
                await asyncio.sleep(0.01)
            raise AssertionError("unreachable")

        by_hand = await get_with_retry(f"{base_url}/flaky?key={hand_key}&fail=9&status=503")
        r = await session.get(
            f"{base_url}/flaky?key={native_key}&fail=9&status=503",
            retry=asiofetch.Retry(attempts=3, backoff=0.01),
        )
        assert by_hand == (r.status, await r.text()) == (503, "flaky failure")
        assert await server_count(session, base_url, hand_key) == 3
        assert await server_count(session, base_url, native_key) == 3


# ---- asyncio.timeout around a batch ---------------------------------------------------------


async def test_timeout_around_a_batch(base_url: str) -> None:
    urls = [f"{base_url}/bytes/1", f"{base_url}/hang", f"{base_url}/bytes/2"]
    async with asiofetch.ClientSession() as session:
        # Today: asyncio.timeout around asyncio.gather of session.get.
        with pytest.raises(asyncio.TimeoutError):
            async with timeout(0.3):
                await asyncio.gather(*(session.get(u) for u in urls))
        assert await eventually(lambda: engine_in_flight() == 0)

        # The same wrapper around the native batch behaves the same.
        with pytest.raises(asyncio.TimeoutError):
            async with timeout(0.3):
                await session.gather(urls)
        assert await eventually(lambda: engine_in_flight() == 0)


async def test_wait_with_timeout_vs_deadline(base_url: str) -> None:
    urls = [f"{base_url}/bytes/1", f"{base_url}/hang", f"{base_url}/bytes/2", f"{base_url}/hang"]
    async with asiofetch.ClientSession() as session:
        # Today: asyncio.wait with a timeout, then cancel what did not finish.
        tasks = [asyncio.ensure_future(session.get(u)) for u in urls]
        done, pending = await asyncio.wait(tasks, timeout=1.0)
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        by_hand = [
            (await t.result().read()) if t in done and not t.exception() else None for t in tasks
        ]

        # Native: a batch deadline; what did not finish in time is a TimeoutError in place.
        results = await session.gather(urls, deadline=1.0, return_exceptions=True)
        native = [None if isinstance(r, asyncio.TimeoutError) else await r.read() for r in results]
        assert by_hand == native == [b"a", None, b"ab", None]
        assert await eventually(lambda: engine_in_flight() == 0)


# ---- producer / consumer queue --------------------------------------------------------------


async def test_producer_consumer_queue(base_url: str) -> None:
    n_items, workers = 25, 4

    async def produce() -> AsyncIterator[str]:
        for i in range(n_items):
            if i % 5 == 0:
                await asyncio.sleep(0.005)
            yield f"{base_url}/bytes/{i + 1}"

    async with asiofetch.ClientSession() as session:
        # Today: a queue, a producer task and N worker tasks.
        queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=workers * 2)
        by_hand: dict[str, int] = {}

        async def producer() -> None:
            async for u in produce():
                await queue.put(u)
            for _ in range(workers):
                await queue.put(None)

        async def worker() -> None:
            while (u := await queue.get()) is not None:
                async with session.get(u) as resp:
                    by_hand[u] = len(await resp.read())

        await asyncio.gather(producer(), *(worker() for _ in range(workers)))

        # Native: as_completed reads the producer lazily with the same bound.
        native: dict[str, int] = {}
        async for c in session.as_completed(produce(), concurrency=workers):
            native[c.key] = len(await c.result().read())

    assert by_hand == native
    assert len(native) == n_items
    assert sorted(native.values()) == list(range(1, n_items + 1))


# ---- asyncio.as_completed -------------------------------------------------------------------


async def test_asyncio_as_completed(base_url: str) -> None:
    urls = [f"{base_url}/delay/{ms}" for ms in (1000, 10, 500)]
    async with asiofetch.ClientSession() as session:
        # Today: asyncio.as_completed over tasks (the URL has to be carried along by hand).
        async def fetch(url: str) -> tuple[str, str]:
            async with session.get(url) as resp:
                return url, await resp.text()

        by_hand = [await f for f in asyncio.as_completed([fetch(u) for u in urls])]

        native = [(c.key, await c.result().text()) async for c in session.as_completed(urls)]

    assert sorted(by_hand) == sorted(native) == sorted((u, "ok") for u in urls)
    # Both report in completion order: the 1 s request comes last.
    assert by_hand[-1][0] == native[-1][0] == urls[0]
