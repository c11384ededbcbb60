"""The asyncio bridge: many loops, uvloop, loops and sessions closed in flight, cancellation,
streams with backpressure, fork and interpreter exit. Async tests run on asyncio and uvloop."""

from __future__ import annotations

import asyncio
import gc
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import asiofetch
from asiofetch import _bridge
from conftest import engine_in_flight, loop_factories, open_fds, wait_until

LOOPS = loop_factories()
loop_param = pytest.mark.parametrize("factory", list(LOOPS.values()), ids=list(LOOPS))


def run_in(factory: Callable[[], asyncio.AbstractEventLoop], coro: Any) -> Any:
    """Run `coro` on a fresh loop made by `factory`, then close the loop (3.10-compatible)."""
    loop = factory()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


def session_in_flight(s: asiofetch.ClientSession) -> int:
    assert s.connector is not None
    return s.connector.stats()["in_flight"]


# ---- several loops ------------------------------------------------------------------------


@loop_param
def test_many_loops_one_after_another(factory: Any, base_url: str) -> None:
    async def work(i: int) -> list[int]:
        async with asiofetch.ClientSession() as s:
            rs = await asyncio.gather(*(s.get(f"{base_url}/bytes/{i + n}") for n in range(20)))
            return [len(await r.read()) for r in rs]

    for i in range(8):
        assert run_in(factory, work(i)) == [i + n for n in range(20)]
    assert wait_until(lambda: engine_in_flight() == 0)


def test_one_session_across_loops(base_url: str) -> None:
    s = asiofetch.ClientSession()
    try:
        for factory in [*LOOPS.values(), *LOOPS.values()]:
            r = run_in(factory, s.get(f"{base_url}/bytes/4"))
            assert r.status == 200
    finally:
        s._close()


def test_loops_in_parallel_threads(base_url: str) -> None:
    results: dict[int, list[int]] = {}
    errors: list[BaseException] = []

    def thread(idx: int, factory: Any) -> None:
        async def work() -> list[int]:
            async with asiofetch.ClientSession() as s:
                rs = await asyncio.gather(*(s.get(f"{base_url}/bytes/{n}") for n in range(50)))
                return [r.status for r in rs]

        try:
            results[idx] = run_in(factory, work())
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    factories = list(LOOPS.values()) * 3
    threads = [threading.Thread(target=thread, args=(i, f)) for i, f in enumerate(factories)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    assert all(v == [200] * 50 for v in results.values())
    assert len(results) == len(factories)


async def test_mailbox_is_per_loop_and_cached() -> None:
    loop = asyncio.get_running_loop()
    mb = _bridge.mailbox_for(loop)
    assert _bridge.mailbox_for(loop) is mb
    assert mb.native.fileno() >= 0


async def test_session_requests_share_the_loops_mailbox(base_url: str) -> None:
    # Every request of a session on one loop goes through that loop's single mailbox: no fd
    # per request (one eventfd per loop), and each future is resolved and removed from it.
    loop = asyncio.get_running_loop()
    mb = _bridge.mailbox_for(loop)
    async with asiofetch.ClientSession() as s:
        await s.get(f"{base_url}/bytes/1")  # the pooled connection is open from here on
        before = open_fds()
        results = [await s.get(f"{base_url}/bytes/{n}") for n in range(1, 21)]
        assert [len(await r.read()) for r in results] == list(range(1, 21))
        assert open_fds() == before
        assert _bridge.mailbox_for(loop) is mb
        assert mb.futures == {}


# ---- loop / session closed with requests in flight ----------------------------------------


@loop_param
def test_loop_closed_with_requests_in_flight(factory: Any, base_url: str) -> None:
    s = asiofetch.ClientSession()
    loop = factory()
    try:
        tasks = [loop.create_task(_swallow(s.get(f"{base_url}/delay/300"))) for _ in range(20)]
        loop.run_until_complete(asyncio.sleep(0.05))
        assert not any(t.done() for t in tasks)
    finally:
        loop.close()  # the tasks never finish; the engine's outcomes must be dropped quietly
    del tasks
    gc.collect()
    # The engine completes the transfers and drops what it cannot deliver.
    assert wait_until(lambda: engine_in_flight() == 0, 5)
    # The process, the engine and the session keep working on a new loop.
    r = run_in(factory, s.get(f"{base_url}/bytes/3"))
    assert r.status == 200
    s._close()


async def _swallow(aw: Any) -> Any:
    try:
        return await aw
    except BaseException as e:
        return e


async def test_session_closed_with_requests_in_flight(base_url: str) -> None:
    s = asiofetch.ClientSession()
    tasks = [asyncio.ensure_future(s.get(f"{base_url}/delay/3000")) for _ in range(10)]
    await asyncio.sleep(0.1)
    start = time.monotonic()
    await s.close()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert time.monotonic() - start < 1.5
    assert all(isinstance(r, asiofetch.SessionClosedError) for r in results), results
    assert all(isinstance(r, asiofetch.ClientConnectionError) for r in results)


async def test_session_closed_with_stream_open(base_url: str) -> None:
    s = asiofetch.ClientSession()
    async with s.get(f"{base_url}/drip?chunks=50&size=100&delay_ms=50") as resp:
        await resp.content.readany()
        await s.close()
        with pytest.raises((asiofetch.ClientError, asyncio.TimeoutError)):
            await asyncio.wait_for(resp.read(), 3)


# ---- cancellation -------------------------------------------------------------------------


async def test_task_cancel_aborts_transfer(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        task = asyncio.ensure_future(s.get(f"{base_url}/hang"))
        await asyncio.sleep(0.1)
        assert session_in_flight(s) == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert wait_until(lambda: session_in_flight(s) == 0, 1)
        assert not _bridge.mailbox_for(asyncio.get_running_loop()).futures


async def test_wait_for_aborts_transfer(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(s.get(f"{base_url}/hang"), 0.1)
        assert wait_until(lambda: session_in_flight(s) == 0, 1)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout is 3.11+")
async def test_asyncio_timeout_aborts_transfer(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):
                await s.get(f"{base_url}/hang")
        assert time.monotonic() - start < 1
        assert wait_until(lambda: session_in_flight(s) == 0, 1)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="TaskGroup is 3.11+")
async def test_taskgroup_cancellation_aborts_siblings(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:

        async def boom() -> None:
            await asyncio.sleep(0.1)
            raise ValueError("boom")

        with pytest.raises(BaseException) as info:  # ExceptionGroup
            async with asyncio.TaskGroup() as tg:
                for _ in range(5):
                    tg.create_task(s.get(f"{base_url}/hang"))
                tg.create_task(boom())
        assert "boom" in repr(info.value.exceptions)  # type: ignore[attr-defined]
        assert wait_until(lambda: session_in_flight(s) == 0, 1)


async def test_cancel_while_queued_for_slot(base_url: str) -> None:
    connector = asiofetch.TCPConnector(limit=1)
    async with asiofetch.ClientSession(connector=connector) as s:
        busy = asyncio.ensure_future(s.get(f"{base_url}/delay/300"))
        queued = [asyncio.ensure_future(s.get(f"{base_url}/bytes/1")) for _ in range(5)]
        await asyncio.sleep(0.05)
        for t in queued:
            t.cancel()
        results = await asyncio.gather(*queued, return_exceptions=True)
        assert all(isinstance(r, asyncio.CancelledError) for r in results)
        assert (await busy).status == 200
        assert wait_until(lambda: session_in_flight(s) == 0, 1)


@pytest.mark.timeout(180)
async def test_cancellation_storm(base_url: str) -> None:
    """10,000 requests, a random half cancelled at random moments: every one ends exactly
    once (a response or CancelledError), nothing is left in flight, no callback errors."""
    loop = asyncio.get_running_loop()
    handler_calls: list[dict[str, Any]] = []
    loop.set_exception_handler(lambda _l, ctx: handler_calls.append(ctx))
    rnd = random.Random(1234)
    n = 10_000
    outcomes = [0] * n
    async with asiofetch.ClientSession(connector=asiofetch.TCPConnector(limit=256)) as s:

        async def one(i: int) -> None:
            url = f"{base_url}/delay/{rnd.randint(0, 20)}" if i % 3 else f"{base_url}/bytes/64"
            try:
                r = await s.get(url)
                assert r.status == 200
            except asyncio.CancelledError:
                outcomes[i] += 1
                raise
            outcomes[i] += 1

        tasks = [asyncio.ensure_future(one(i)) for i in range(n)]
        to_cancel = rnd.sample(range(n), n // 2)
        for k, i in enumerate(to_cancel):
            tasks[i].cancel()
            if k % 500 == 0:
                await asyncio.sleep(rnd.random() * 0.02)
        _done, pending = await asyncio.wait(tasks, timeout=150)
        assert not pending
        assert wait_until(lambda: session_in_flight(s) == 0, 5)
        assert not _bridge.mailbox_for(asyncio.get_running_loop()).futures
    # A task cancelled before it started never ran `one` at all: 0 outcomes is fine there.
    assert all(o <= 1 for o in outcomes)
    for i, t in enumerate(tasks):
        if not t.cancelled():
            assert t.exception() is None, t.exception()
            assert outcomes[i] == 1
    assert sum(not t.cancelled() for t in tasks) >= n // 2
    assert not handler_calls, handler_calls[:3]
    assert wait_until(lambda: engine_in_flight() == 0, 5)


# ---- streams --------------------------------------------------------------------------------


async def test_leaving_stream_early_aborts_download(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        start = time.monotonic()
        async with s.get(f"{base_url}/drip?chunks=100&size=100&delay_ms=50") as resp:
            assert await resp.content.readany()
        assert wait_until(lambda: session_in_flight(s) == 0, 1)
        assert time.monotonic() - start < 2  # the full drip takes 5 s


async def test_dropping_unread_stream_aborts(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        ctx = s.get(f"{base_url}/drip?chunks=100&size=100&delay_ms=50")
        resp = await ctx.__aenter__()
        del resp, ctx
        gc.collect()
        assert wait_until(lambda: session_in_flight(s) == 0, 1)


async def test_stream_backpressure_bounds_memory(base_url: str) -> None:
    size = 16 << 20
    async with asiofetch.ClientSession() as s, s.get(f"{base_url}/bytes/{size}") as resp:
        native = resp.content._native
        assert native is not None
        await asyncio.sleep(0.3)  # a consumer that does not read for a while
        # The engine paused the transfer near the high-water mark instead of buffering.
        assert native.buffered <= 4 * 262144
        total = 0
        async for chunk in resp.content.iter_chunked(1 << 16):
            total += len(chunk)
            assert native.buffered <= 4 * 262144
        assert total == size


async def test_stream_wakeup_cancelled(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        async with s.get(f"{base_url}/drip?chunks=3&size=10&delay_ms=1000") as resp:
            await resp.content.readany()
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(resp.content.readany(), 0.1)
        assert wait_until(lambda: session_in_flight(s) == 0, 1)
        assert not _bridge.mailbox_for(asyncio.get_running_loop()).futures


# ---- file descriptors, fork, interpreter exit ---------------------------------------------


@loop_param
def test_no_fd_leak(factory: Any, base_url: str) -> None:
    async def work() -> None:
        for _ in range(3):
            async with asiofetch.ClientSession() as s:
                await asyncio.gather(*(s.get(f"{base_url}/bytes/10") for _ in range(30)))
                async with s.get(f"{base_url}/drip?chunks=20&size=10&delay_ms=20") as r:
                    await r.content.readany()

    run_in(factory, work())  # warm up: the engine thread and its own fds exist from here on
    gc.collect()
    before = open_fds()
    for _ in range(3):
        run_in(factory, work())
    gc.collect()
    assert wait_until(lambda: not (open_fds() - before), 5), sorted(open_fds() - before)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_fork_child_gets_fresh_engine(base_url: str) -> None:
    # The parent's engine is running (and has state) before the fork.
    assert run_in(asyncio.new_event_loop, asiofetch.fetch(f"{base_url}/bytes/1")).status == 200
    pid = os.fork()
    if pid == 0:  # child: never return into pytest
        code = 1
        try:
            signal.alarm(20)

            async def child() -> int:
                async with asiofetch.ClientSession() as s:
                    rs = await asyncio.gather(*(s.get(f"{base_url}/bytes/7") for _ in range(10)))
                    return sum([len(await r.read()) for r in rs])

            code = 0 if asyncio.run(child()) == 70 else 2
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    # The parent is unaffected.
    assert run_in(asyncio.new_event_loop, asiofetch.fetch(f"{base_url}/bytes/2")).status == 200


_EXIT_SCRIPT = """
import asyncio, sys
import asiofetch

async def main():
    s = asiofetch.ClientSession()
    for _ in range(20):
        asyncio.ensure_future(s.get("{url}/hang"))
    async with s.get("{url}/drip?chunks=100&size=10&delay_ms=100") as r:
        await r.content.readany()
        {how}

{run}
"""


@pytest.mark.parametrize("how", ["exit-in-loop", "loop-left-open", "os-exit-flush"])
def test_interpreter_exit_with_engine_running(how: str, base_url: str) -> None:
    if how == "exit-in-loop":
        body, run = "sys.exit(0)", "asyncio.run(main())"
    elif how == "loop-left-open":
        body = "pass"
        run = (
            "loop = asyncio.new_event_loop()\n"
            "loop.run_until_complete(main())\n"
            "loop.run_until_complete(asyncio.sleep(0.05))"
        )
    else:
        body, run = "sys.stdout.flush()", "asyncio.run(main())\nsys.exit(0)"
    script = textwrap.dedent(_EXIT_SCRIPT).format(url=base_url, how=body, run=run)
    env = dict(os.environ)
    pkg_root = str(Path(asiofetch.__file__).parent.parent)
    env["PYTHONPATH"] = pkg_root + os.pathsep + env.get("PYTHONPATH", "")
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-X", "dev", "-c", script], env=env, capture_output=True, timeout=30
    )
    assert time.monotonic() - start < 20
    stderr = proc.stderr.decode(errors="replace")
    assert proc.returncode == 0, stderr
    assert "Fatal Python error" not in stderr
    assert "Segmentation fault" not in stderr


def test_bridge_uses_add_reader_on_both_loops() -> None:
    for factory in LOOPS.values():
        loop = factory()
        try:
            mb = _bridge.mailbox_for(loop)
            # The wake-up fd is watched by the loop itself (no proxy thread).
            names = [t.name for t in threading.enumerate()]
            assert "asiofetch-mailbox" not in names
            assert mb.native.fileno() >= 0
        finally:
            loop.close()


class _NoReaderLoop(asyncio.SelectorEventLoop):
    """A loop without add_reader (like Windows' Proactor): the bridge falls back to a thread."""

    def add_reader(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def remove_reader(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


def test_loop_without_add_reader_uses_a_proxy_thread_that_exits(base_url: str) -> None:
    def proxies() -> int:
        return sum(t.name == "asiofetch-mailbox" for t in threading.enumerate())

    before = proxies()

    async def main() -> list[int]:
        async with asiofetch.ClientSession() as s:
            one = await s.get(f"{base_url}/bytes/7")
            many = await asyncio.gather(*(s.get(f"{base_url}/bytes/{i}") for i in range(20)))
            batch = await s.gather([f"{base_url}/bytes/3"] * 10)
            return [len(await one.read())] + [len(await r.read()) for r in [*many, *batch]]

    loop = _NoReaderLoop()
    try:
        sizes = loop.run_until_complete(main())
        assert proxies() == before + 1
    finally:
        loop.close()
    assert sizes == [7, *range(20), *[3] * 10]
    # Closing the loop closes its mailbox, whose last signal lets the thread go.
    gc.collect()
    _bridge._sweep_closed_loops()
    assert wait_until(lambda: proxies() == before, timeout=5)


@loop_param
def test_fetch_default_sessions_go_with_their_loops(
    factory: Callable[[], asyncio.AbstractEventLoop], base_url: str
) -> None:
    """fetch()'s default session is per loop and keyed weakly by it: once a loop is gone, so
    are its session, its connections and its mailbox. A session that held its loop strongly
    kept every loop alive: 200 asyncio.run() calls left +400 fds and +11.5 MiB."""

    async def one() -> None:
        r = await asiofetch.fetch(f"{base_url}/bytes/10")
        assert len(await r.read()) == 10

    run_in(factory, one())
    gc.collect()
    before = open_fds()
    for _ in range(30):
        run_in(factory, one())
    gc.collect()
    assert wait_until(lambda: len(open_fds() - before) == 0), sorted(open_fds() - before)
