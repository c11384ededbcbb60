"""Mirror of tests_cpp/test_pool.cpp: keep-alive reuse, session isolation, limits and queueing,
cancellation, session close and engine shutdown, through ClientSession/TCPConnector."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import asiofetch
from asiofetch import _core
from conftest import eventually
from servers import FixtureServer

# The fixture server numbers accepted connections: equal ids mean one reused connection.
CONN = "X-Connection-Id"


def counts(connector: asiofetch.TCPConnector) -> tuple[int, int]:
    st = connector.stats()
    return st["in_flight"], st["queued"]


async def test_keep_alive_reuses_connection(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        a = await s.get(f"{base_url}/bytes/10")
        b = await s.get(f"{base_url}/bytes/10")
    assert a.headers[CONN] == b.headers[CONN]
    assert b.headers["X-Request-Count"] == "2"


async def test_waves_of_concurrent_requests_reuse_their_connections(base_url: str) -> None:
    # 64 at once spread over several connection-cache lanes (limit 100); the second wave
    # must find the first wave's connections again: no more than 64 ever opened.
    connections: set[str] = set()
    async with asiofetch.ClientSession(connector=asiofetch.TCPConnector(limit=100)) as s:
        for _ in range(2):
            rs = await asyncio.gather(*(s.get(f"{base_url}/delay/50") for _ in range(64)))
            connections.update(r.headers[CONN] for r in rs)
    assert len(connections) <= 64


async def test_force_close_opens_new_connections(base_url: str) -> None:
    connector = asiofetch.TCPConnector(force_close=True)
    async with asiofetch.ClientSession(connector=connector) as s:
        a = await s.get(f"{base_url}/bytes/10")
        b = await s.get(f"{base_url}/bytes/10")
    assert a.headers[CONN] != b.headers[CONN]


async def test_sessions_do_not_share_connections(base_url: str) -> None:
    async with asiofetch.ClientSession() as s1, asiofetch.ClientSession() as s2:
        a = await s1.get(f"{base_url}/bytes/10")
        b = await s2.get(f"{base_url}/bytes/10")
    assert a.headers[CONN] != b.headers[CONN]


async def test_session_limit_queues_requests(base_url: str) -> None:
    connector = asiofetch.TCPConnector(limit=2)
    async with asiofetch.ClientSession(connector=connector) as s:
        tasks = [asyncio.create_task(s.get(f"{base_url}/hang")) for _ in range(6)]
        assert await eventually(lambda: counts(connector) == (2, 4)), counts(connector)
        for t in tasks:
            t.cancel()
        for t in tasks:
            with pytest.raises(asyncio.CancelledError):
                await t
        # Cancelling the tasks freed the native slots and emptied the queue.
        assert await eventually(lambda: counts(connector) == (0, 0)), counts(connector)


async def test_limit_per_host_does_not_block_other_hosts(
    base_url: str, fixture_server: FixtureServer
) -> None:
    connector = asiofetch.TCPConnector(limit=10, limit_per_host=1)
    async with asiofetch.ClientSession(connector=connector) as s:
        hung = asyncio.create_task(s.get(f"{base_url}/hang"))
        assert await eventually(lambda: counts(connector) == (1, 0))
        queued = asyncio.create_task(s.get(f"{base_url}/bytes/1"))
        assert await eventually(lambda: counts(connector) == (1, 1))
        # Another origin (localhost vs 127.0.0.1) still gets a slot at once.
        other = await s.get(f"http://localhost:{fixture_server.port}/bytes/3")
        assert len(await other.read()) == 3
        assert connector.stats()["queued"] == 1
        hung.cancel()
        q = await queued
        assert len(await q.read()) == 1
        with pytest.raises(asyncio.CancelledError):
            await hung


async def test_pool_timeout_bounds_the_wait_for_a_slot(base_url: str) -> None:
    connector = asiofetch.TCPConnector(limit=1)
    async with asiofetch.ClientSession(connector=connector) as s:
        hung = asyncio.create_task(s.get(f"{base_url}/hang"))
        assert await eventually(lambda: counts(connector) == (1, 0))
        # The slot wait is bounded by `total`; `connect` must not fire while merely queued.
        timeout = asiofetch.ClientTimeout(total=0.1, connect=0.05)
        with pytest.raises(asiofetch.PoolTimeoutError):
            await s.get(f"{base_url}/bytes/1", timeout=timeout)
        hung.cancel()
        with pytest.raises(asyncio.CancelledError):
            await hung


async def test_cancel_in_flight_frees_slot(base_url: str) -> None:
    connector = asiofetch.TCPConnector(limit=1)
    async with asiofetch.ClientSession(connector=connector) as s:
        hung = asyncio.create_task(s.get(f"{base_url}/hang"))
        assert await eventually(lambda: counts(connector) == (1, 0))
        hung.cancel()
        with pytest.raises(asyncio.CancelledError):
            await hung
        # With limit=1 this only runs if the cancelled request gave its slot back.
        nxt = await s.get(f"{base_url}/bytes/5", timeout=10)
        assert await nxt.read() == b"abcde"
        assert await eventually(lambda: connector.stats()["in_flight"] == 0)


async def test_cancel_after_completion_is_harmless(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        task = asyncio.create_task(s.get(f"{base_url}/bytes/5"))
        r = await task
        assert task.cancel() is False  # already done: nothing to cancel
        r.release()
        # Released before it was read: gone, as with aiohttp (the cancel changed nothing).
        with pytest.raises(asiofetch.ClientConnectionError):
            await r.read()
        again = await s.get(f"{base_url}/bytes/5")
        assert again.status == 200


async def test_session_close_fails_in_flight(base_url: str) -> None:
    s = asiofetch.ClientSession()
    connector = s.connector
    assert connector is not None
    hung = asyncio.create_task(s.get(f"{base_url}/hang"))
    assert await eventually(lambda: counts(connector) == (1, 0))
    await s.close()
    with pytest.raises(asiofetch.SessionClosedError):
        await hung
    with pytest.raises(asiofetch.SessionClosedError):
        await s.get(f"{base_url}/bytes/1")


# Stopping the engine is what interpreter exit does (atexit -> _core.shutdown()); it would end
# the engine of the whole test process, so it runs in a child.
_STOP_SCRIPT = """
import asyncio
import asiofetch
from asiofetch import _core

async def main():
    s = asiofetch.ClientSession()
    hung = asyncio.ensure_future(s.get("{url}/hang"))
    while s.connector.stats()["in_flight"] != 1:
        await asyncio.sleep(0.005)
    _core.shutdown()
    for what in (hung, s.get("{url}/bytes/1")):
        try:
            await what
        except asiofetch.SessionClosedError:
            print("SessionClosedError")
        except BaseException as e:
            print("unexpected", type(e).__name__, e)
        else:
            print("unexpected success")
    await s.close()

asyncio.run(asyncio.wait_for(main(), 15))
"""


def test_engine_stop_fails_pending(base_url: str) -> None:
    env = dict(os.environ)
    pkg_root = str(Path(asiofetch.__file__).parent.parent)
    env["PYTHONPATH"] = pkg_root + os.pathsep + env.get("PYTHONPATH", "")
    script = textwrap.dedent(_STOP_SCRIPT).format(url=base_url)
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=30
    )
    assert proc.returncode == 0, proc.stderr
    # Both the in-flight request and one submitted after the stop end as SessionClosedError.
    assert proc.stdout.split() == ["SessionClosedError", "SessionClosedError"], proc.stdout


async def test_every_request_of_a_storm_ends_exactly_once(base_url: str) -> None:
    loop = asyncio.get_running_loop()
    # A second completion of a finished future would surface here (InvalidStateError).
    loop_errors: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _loop, ctx: loop_errors.append(ctx))
    connector = asiofetch.TCPConnector(limit=50)
    async with asiofetch.ClientSession(connector=connector) as s:
        tasks: list[asyncio.Task[asiofetch.ClientResponse]] = []
        for i in range(2000):
            path = "/delay/20" if i % 3 else "/bytes/10"
            tasks.append(asyncio.create_task(s.get(f"{base_url}{path}")))
            # Let the new task submit natively, so cancels below hit queued or running
            # transfers rather than tasks that never started.
            await asyncio.sleep(0)
            if i % 7 == 0:
                tasks[i // 2].cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0.1)  # give any stray second outcome a chance to be drained
        completed = connector.stats()["completed"]
    ok = sum(isinstance(r, asiofetch.ClientResponse) for r in results)
    cancelled = sum(isinstance(r, asyncio.CancelledError) for r in results)
    others = [
        r for r in results if not isinstance(r, (asiofetch.ClientResponse, asyncio.CancelledError))
    ]
    assert others == []
    assert ok + cancelled == len(tasks)
    assert cancelled > 0
    assert loop_errors == []
    # Natively each started transfer finished once: successes plus the cancels that hit a
    # running transfer, never more than were submitted.
    assert ok <= completed <= len(tasks)
    assert await eventually(lambda: _core.engine_stats()["in_flight"] == 0)
