"""Shared fixtures: the fixture server (HTTP + TLS), test certs, nginx, loops and leak checks."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from servers import Certs, FixtureServer, Nginx, make_test_certs

try:
    import uvloop
except ImportError:  # pragma: no cover - uvloop is a test extra (not on Windows)
    uvloop = None


def loop_factories() -> dict[str, Callable[[], asyncio.AbstractEventLoop]]:
    """The event loops the bridge must work with."""
    factories: dict[str, Callable[[], asyncio.AbstractEventLoop]] = {
        "asyncio": asyncio.new_event_loop
    }
    if uvloop is not None:
        factories["uvloop"] = uvloop.new_event_loop
    return factories


def pytest_asyncio_loop_factories(
    config: pytest.Config, item: pytest.Item
) -> Mapping[str, Callable[[], asyncio.AbstractEventLoop]]:
    """pytest-asyncio >= 1.3 hook, the one parametrisation of the suite: every async test runs
    on each loop of loop_factories(), with the ids [asyncio] and [uvloop] (uvloop's suite
    pattern: one body, two loops). Sync tests that drive loops themselves take the same
    factories (test_bridge's `loop_param`)."""
    return loop_factories()


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return make_test_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="session")
def fixture_server(certs: Certs) -> Iterator[FixtureServer]:
    # A missing server is a broken set-up (`make test` builds it), never a reason to skip.
    server = FixtureServer(certs).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def base_url(fixture_server: FixtureServer) -> str:
    return fixture_server.http_url


@pytest.fixture(scope="session")
def nginx(certs: Certs) -> Iterator[Nginx]:
    """nginx on loopback, started the first time a test asks for it."""
    server = Nginx(certs).start()
    try:
        yield server
    finally:
        server.stop()


def engine_in_flight() -> int:
    from asiofetch import _core

    return int(_core.engine_stats()["in_flight"])


async def eventually(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll `predicate` from the loop without blocking it (results keep flowing meanwhile;
    the engine settles aborts and grants on its own thread)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.005)
    return True


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    """Poll `predicate` (the engine finishes aborts/closes on its own thread)."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)


@pytest.fixture(scope="module", autouse=True)
def _no_requests_left_in_flight() -> Iterator[None]:
    """Leak check per test module: every request has finished (or was aborted) natively."""
    yield
    gc.collect()  # streamed responses dropped unread abort in __del__
    assert wait_until(lambda: engine_in_flight() == 0), (
        f"requests still in flight after the module: {engine_in_flight()}"
    )


def open_fds() -> set[int]:
    with contextlib.suppress(FileNotFoundError):
        return {int(n) for n in os.listdir("/proc/self/fd")}
    return set()  # pragma: no cover - not Linux


@pytest.fixture
def fd_leak_check() -> Iterator[None]:
    """No fd opened by the test survives it (closed sessions drop their connections)."""
    gc.collect()
    before = open_fds()
    yield
    gc.collect()

    def settled() -> bool:
        return not (open_fds() - before)

    if not wait_until(settled):
        leaked = open_fds() - before
        detail = {fd: _fd_target(fd) for fd in sorted(leaked)}
        pytest.fail(f"file descriptors leaked: {detail}")


def _fd_target(fd: int) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        return "?"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: long-running stress tests")


def any_loop_run(factory: Callable[[], asyncio.AbstractEventLoop], coro: Any) -> Any:
    """Run `coro` on a fresh loop from `factory` (for sync tests that manage loops themselves)."""
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coro)
