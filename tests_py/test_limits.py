"""Mirror of tests_cpp/test_limits.cpp through the public API: `asiofetch.Semaphore` shared by
native requests and Python waiters (FIFO, no leaked permits), `asiofetch.RateLimit`, and
`ClientTimeout(pool=...)`."""

from __future__ import annotations

import asyncio
import time

import pytest

import asiofetch
from conftest import engine_in_flight, eventually

# ---- mirrors of TEST_F(Limits, ...) ---------------------------------------------------------


async def test_semaphore_bounds_requests_across_sessions(base_url: str) -> None:
    sem = asiofetch.Semaphore(2)
    async with asiofetch.ClientSession() as a, asiofetch.ClientSession() as b:
        t0 = time.monotonic()
        results = await asyncio.gather(
            *((b if i % 2 else a).get(f"{base_url}/delay/200", semaphore=sem) for i in range(6))
        )
        elapsed = time.monotonic() - t0
    assert [r.status for r in results] == [200] * 6
    assert elapsed >= 0.58  # six 200 ms requests, two at a time: three rounds at least
    assert await eventually(lambda: sem.value == 2)


async def test_semaphore_grants_waiters_in_order() -> None:
    sem = asiofetch.Semaphore(1)
    order: list[str] = []

    async def waiter(name: str) -> None:
        await sem.acquire()
        order.append(name)

    assert await asyncio.wait_for(sem.acquire(), 10)  # "a": granted at once
    assert sem.locked()
    b = asyncio.create_task(waiter("b"))
    await asyncio.sleep(0.05)  # b queues before d
    d = asyncio.create_task(waiter("d"))
    await asyncio.sleep(0.2)
    assert not b.done() and not d.done()  # queued behind a
    sem.release()  # a
    await asyncio.wait_for(b, 10)
    await asyncio.sleep(0.2)
    assert not d.done()  # still behind b
    assert order == ["b"]
    sem.release()  # b
    await asyncio.wait_for(d, 10)
    assert order == ["b", "d"]
    sem.release()  # d
    assert await eventually(lambda: sem.value == 1)
    assert not sem.locked()


async def test_cancelled_waiter_leaks_no_permit() -> None:
    sem = asiofetch.Semaphore(1)
    await asyncio.wait_for(sem.acquire(), 10)
    b = asyncio.create_task(sem.acquire())
    await asyncio.sleep(0.1)
    assert not b.done()
    b.cancel()  # gave up while queued
    with pytest.raises(asyncio.CancelledError):
        await b
    sem.release()
    assert await eventually(lambda: sem.value == 1)
    # Cancelling right after the acquire was sent (the grant is on its way, or already
    # granted but not yet seen by the loop) gives the permit back too.
    e = asyncio.create_task(sem.acquire())
    await asyncio.sleep(0)  # e runs up to its await: the native acquire is queued
    e.cancel()
    with pytest.raises(asyncio.CancelledError):
        await e
    assert await eventually(lambda: sem.value == 1)
    # And the semaphore still works.
    async with sem:
        assert sem.value == 0
    assert await eventually(lambda: sem.value == 1)


async def test_cancelled_request_returns_its_permit(base_url: str) -> None:
    sem = asiofetch.Semaphore(1)
    async with asiofetch.ClientSession() as s:
        hung = asyncio.create_task(s.get(f"{base_url}/hang", semaphore=sem))
        assert await eventually(lambda: sem.value == 0)
        queued = asyncio.create_task(s.get(f"{base_url}/bytes/1", semaphore=sem))
        await asyncio.sleep(0.2)
        assert not queued.done()  # waiting for the permit /hang holds
        hung.cancel()
        with pytest.raises(asyncio.CancelledError):
            await hung
        r = await asyncio.wait_for(queued, 10)
        assert r.status == 200
        assert await r.read() == b"a"
    assert await eventually(lambda: sem.value == 1)
    assert await eventually(lambda: engine_in_flight() == 0)


async def test_rate_limit_spaces_request_starts(base_url: str) -> None:
    rl = asiofetch.RateLimit(10, per=1.0, burst=1)  # one start per 100 ms
    async with asiofetch.ClientSession() as s:
        t0 = time.monotonic()
        results = await asyncio.gather(
            *(s.get(f"{base_url}/bytes/1", rate_limit=rl) for _ in range(5))
        )
        elapsed = time.monotonic() - t0
    assert [r.status for r in results] == [200] * 5
    assert elapsed >= 0.35  # four gaps of 100 ms after the first token


async def test_rate_limit_burst_starts_at_once(base_url: str) -> None:
    rl = asiofetch.RateLimit(1, per=10.0, burst=3)  # slow refill, burst of 3
    async with asiofetch.ClientSession() as s:
        t0 = time.monotonic()
        results = await asyncio.wait_for(
            asyncio.gather(*(s.get(f"{base_url}/bytes/1", rate_limit=rl) for _ in range(3))), 5
        )  # no wait for a refill
        assert [r.status for r in results] == [200] * 3
        assert time.monotonic() - t0 < 5
        late = asyncio.create_task(s.get(f"{base_url}/bytes/1", rate_limit=rl))
        await asyncio.sleep(0.3)
        assert not late.done()  # the fourth waits about 10 s for a token
        late.cancel()
        with pytest.raises(asyncio.CancelledError):
            await late
    assert await eventually(lambda: engine_in_flight() == 0)


async def test_pool_timeout_bounds_the_wait_for_a_slot(base_url: str) -> None:
    connector = asiofetch.TCPConnector(limit=1)
    async with asiofetch.ClientSession(connector=connector) as s:
        hung = asyncio.create_task(s.get(f"{base_url}/hang"))
        assert await eventually(lambda: connector.stats()["in_flight"] == 1)
        t0 = time.monotonic()
        with pytest.raises(asiofetch.PoolTimeoutError):
            await s.get(f"{base_url}/bytes/1", timeout=asiofetch.ClientTimeout(pool=0.2))
        assert time.monotonic() - t0 >= 0.15
        hung.cancel()
        with pytest.raises(asyncio.CancelledError):
            await hung
    assert await eventually(lambda: engine_in_flight() == 0)


# ---- Python-only cases ----------------------------------------------------------------------


async def test_semaphore_shared_by_python_code_and_requests(base_url: str) -> None:
    sem = asiofetch.Semaphore(1)
    async with asiofetch.ClientSession(semaphore=sem) as s:
        async with sem:  # Python holds the only permit: the session's request waits
            req = asyncio.create_task(s.get(f"{base_url}/bytes/2"))
            await asyncio.sleep(0.2)
            assert not req.done()
        r = await asyncio.wait_for(req, 10)
        assert await r.read() == b"ab"
    assert await eventually(lambda: sem.value == 1)


async def test_gather_with_semaphore_and_rate_limit(base_url: str) -> None:
    sem = asiofetch.Semaphore(2)
    async with asiofetch.ClientSession() as s:
        t0 = time.monotonic()
        results = await s.gather([f"{base_url}/delay/200"] * 6, semaphore=sem)
        assert time.monotonic() - t0 >= 0.58
        assert [r.status for r in results] == [200] * 6
        assert await eventually(lambda: sem.value == 2)

        rl = asiofetch.RateLimit(10, burst=1)
        t0 = time.monotonic()
        results = await s.gather([f"{base_url}/bytes/1"] * 5, rate_limit=rl)
        assert time.monotonic() - t0 >= 0.35
        assert [r.status for r in results] == [200] * 5


async def test_cancelled_gather_returns_its_permits(base_url: str) -> None:
    sem = asiofetch.Semaphore(3)
    async with asiofetch.ClientSession() as s:
        task = asyncio.create_task(s.gather([f"{base_url}/hang"] * 6, semaphore=sem))
        assert await eventually(lambda: sem.value == 0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert await eventually(lambda: sem.value == 3)
    assert await eventually(lambda: engine_in_flight() == 0)


async def test_semaphore_release_without_acquire_raises() -> None:
    sem = asiofetch.Semaphore(2)
    with pytest.raises(ValueError):
        sem.release()
    async with sem:
        assert sem.value == 1
    assert await eventually(lambda: sem.value == 2)


def test_bad_limit_arguments() -> None:
    with pytest.raises(ValueError):
        asiofetch.RateLimit(0)
    with pytest.raises(ValueError):
        asiofetch.RateLimit(-5)
    with pytest.raises(ValueError):
        asiofetch.Semaphore(0)
    with pytest.raises(TypeError):
        asiofetch.Semaphore(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        asiofetch.ClientTimeout(pool=-1)


async def test_limits_of_wrong_type_are_type_errors(base_url: str) -> None:
    with pytest.raises(TypeError):
        asiofetch.ClientSession(semaphore=2)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        asiofetch.ClientSession(rate_limit=10)  # type: ignore[arg-type]
    async with asiofetch.ClientSession() as s:
        with pytest.raises(TypeError):
            await s.get(f"{base_url}/bytes/1", semaphore=asyncio.Semaphore(1))
        with pytest.raises(TypeError):
            await s.get(f"{base_url}/bytes/1", rate_limit=10)
