"""The patterns users write today (the guides in ../shared/seeds), run with aiohttp and asiofetch.

Each pattern is a function taking the client module, exactly as the guides write it against
aiohttp; the test runs it both ways against the fixture server and compares the results.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import aiohttp
import pytest

import asiofetch

T = TypeVar("T")

MODULES = {"aiohttp": aiohttp, "asiofetch": asiofetch}


async def both(pattern: Callable[[ModuleType], Awaitable[T]]) -> dict[str, T]:
    """Run one pattern with each client; returns {module name: result}."""
    return {name: await pattern(mod) for name, mod in MODULES.items()}


def same(results: dict[str, Any]) -> Any:
    a, b = results["aiohttp"], results["asiofetch"]
    assert a == b, f"aiohttp: {a!r}\nasiofetch: {b!r}"
    return a


# ---- fetch JSON -----------------------------------------------------------------------------


async def test_fetch_json(base_url: str) -> None:
    async def fetch_data(mod: ModuleType) -> Any:
        async with mod.ClientSession() as session, session.get(f"{base_url}/json") as response:
            return await response.json()

    assert same(await both(fetch_data)) == {"hello": "world", "n": 1}


async def test_fetch_user_raise_for_status(base_url: str) -> None:
    async def fetch_user(mod: ModuleType, user_id: int) -> Any:
        async with mod.ClientSession() as client:
            response = await client.get(f"{base_url}/echo?user={user_id}", timeout=30.0)
            response.raise_for_status()
            body = await response.json()
            return body["query"]

    assert same(await both(lambda m: fetch_user(m, 123))) == "user=123"

    async def missing(mod: ModuleType) -> str:
        async with mod.ClientSession() as client:
            response = await client.get(f"{base_url}/status/404")
            try:
                response.raise_for_status()
            except mod.ClientResponseError as e:
                return f"{e.status} {e.message}"
            return "no error"

    assert same(await both(missing)) == "404 Not Found"


# ---- fetch many with gather -----------------------------------------------------------------


async def test_gather_return_exceptions(base_url: str) -> None:
    async def fetch_all_users(mod: ModuleType) -> tuple[list[str], list[str]]:
        async def fetch_json(client: Any, url: str) -> Any:
            response = await client.get(url, timeout=30.0)
            response.raise_for_status()
            return await response.json()

        urls = [f"{base_url}/echo?id={i}" for i in range(10)]
        urls[3] = f"{base_url}/status/500"
        urls[7] = "http://no-such-host.invalid/"
        async with mod.ClientSession() as client:
            results = await asyncio.gather(
                *(fetch_json(client, u) for u in urls), return_exceptions=True
            )
        users = [r["query"] for r in results if not isinstance(r, Exception)]
        errors = [type(r).__name__ for r in results if isinstance(r, Exception)]
        return users, errors

    users, errors = same(await both(fetch_all_users))
    assert len(users) == 8
    assert errors == ["ClientResponseError", "ClientConnectorDNSError"]


async def test_parallel_dashboard(base_url: str) -> None:
    async def dashboard(mod: ModuleType) -> dict[str, Any]:
        async with mod.ClientSession(base_url=base_url) as client:
            responses = await asyncio.gather(
                client.get("/echo?part=user"),
                client.get("/echo?part=orders"),
                client.get("/json"),
                client.get("/text"),
            )
            return {
                "user": (await responses[0].json())["query"],
                "orders": (await responses[1].json())["query"],
                "json": await responses[2].json(),
                "text": await responses[3].text(),
            }

    result = same(await both(dashboard))
    assert result["text"] == "héllo wörld"


async def test_gather_context_manager_form(base_url: str) -> None:
    async def fetch_with_session(session: Any, url: str) -> str:
        async with session.get(url) as response:
            return str(await response.text())

    async def main(mod: ModuleType) -> list[str]:
        async with mod.ClientSession() as session:
            urls = [f"{base_url}/bytes/{i}" for i in range(1, 30)]
            return await asyncio.gather(*(fetch_with_session(session, u) for u in urls))

    assert [len(t) for t in same(await both(main))] == list(range(1, 30))


# ---- reuse a session ------------------------------------------------------------------------


async def test_api_client_class(base_url: str) -> None:
    class APIClient:
        def __init__(self, mod: ModuleType) -> None:
            self.mod = mod
            self.session: Any = None

        async def start(self) -> None:
            self.session = self.mod.ClientSession(
                base_url=base_url, headers={"User-Agent": "MyApp/1.0"}
            )

        async def close(self) -> None:
            if self.session:
                await self.session.close()

        async def get(self, path: str) -> Any:
            async with self.session.get(path) as response:
                return await response.json()

    async def run(mod: ModuleType) -> list[Any]:
        client = APIClient(mod)
        await client.start()
        try:
            first = await client.get("/echo")
            return [dict(first["headers"])["User-Agent"], await client.get("/json")]
        finally:
            await client.close()

    assert same(await both(run))[0] == "MyApp/1.0"


async def test_sequential_dependent_requests(base_url: str) -> None:
    async def user_with_posts(mod: ModuleType) -> dict[str, Any]:
        async with mod.ClientSession(base_url=base_url) as client:
            user = await (await client.get("/echo?user=5")).json()
            posts = await (await client.get("/echo", params={"posts_of": user["query"]})).json()
            return {"user": user["query"], "posts": posts["query"]}

    assert same(await both(user_with_posts)) == {"user": "user=5", "posts": "posts_of=user%3D5"}


# ---- rate limiting with a semaphore -------------------------------------------------------


async def test_semaphore_rate_limit(base_url: str) -> None:
    async def fetch_with_rate_limit(mod: ModuleType) -> tuple[int, int]:
        semaphore = asyncio.Semaphore(5)
        active = peak = 0

        async def fetch_one(client: Any, url: str) -> Any:
            nonlocal active, peak
            async with semaphore:
                active += 1
                peak = max(peak, active)
                try:
                    response = await client.get(url, timeout=30.0)
                    response.raise_for_status()
                    return await response.json()
                except mod.ClientError:
                    return None
                finally:
                    active -= 1

        urls = [f"{base_url}/echo?item={i}" for i in range(40)]
        urls[10] = f"{base_url}/status/503"
        async with mod.ClientSession() as client:
            results = await asyncio.gather(*(fetch_one(client, u) for u in urls))
        return sum(r is not None for r in results), peak

    ok, peak = same(await both(fetch_with_rate_limit))
    assert ok == 39
    assert peak == 5


@pytest.mark.skipif(sys.version_info < (3, 11), reason="TaskGroup is 3.11+")
async def test_rate_limited_taskgroup(base_url: str) -> None:
    async def run(mod: ModuleType) -> list[str]:
        semaphore = asyncio.Semaphore(3)

        async def fetch_one(client: Any, url: str) -> str:
            async with semaphore:
                response = await client.get(url, timeout=30.0)
                response.raise_for_status()
                return str((await response.json())["query"])

        tasks = []
        async with mod.ClientSession() as client, asyncio.TaskGroup() as tg:
            for i in range(12):
                tasks.append(tg.create_task(fetch_one(client, f"{base_url}/echo?i={i}")))
        return [t.result() for t in tasks]

    assert same(await both(run)) == [f"i={i}" for i in range(12)]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="TaskGroup is 3.11+")
async def test_taskgroup_first_error_cancels_rest(base_url: str) -> None:
    async def run(mod: ModuleType) -> list[str]:
        errors: list[str] = []
        async with mod.ClientSession() as client:
            try:
                async with asyncio.TaskGroup() as tg:
                    tg.create_task(client.get(f"{base_url}/delay/5000"))
                    tg.create_task(client.get(f"{base_url}/delay/5000"))
                    tg.create_task(client.get(f"{base_url}/status/500", raise_for_status=True))
            except Exception as eg:  # an ExceptionGroup (no except* here: 3.10 must parse this)
                errors = [type(e).__name__ for e in eg.exceptions]  # type: ignore[attr-defined]
        return errors

    start = time.monotonic()
    assert same(await both(run)) == ["ClientResponseError"]
    assert time.monotonic() - start < 4  # the slow siblings were cancelled, both times


# ---- stream a download --------------------------------------------------------------------


async def test_stream_download_to_file(base_url: str, tmp_path: Path) -> None:
    async def download(mod: ModuleType) -> tuple[int, str]:
        target = tmp_path / f"{mod.__name__}.bin"
        digest = hashlib.sha256()
        async with mod.ClientSession() as session, session.get(f"{base_url}/bytes/1000000") as resp:
            resp.raise_for_status()
            with target.open("wb") as f:
                async for chunk in resp.content.iter_chunked(64 * 1024):
                    f.write(chunk)
                    digest.update(chunk)
        return target.stat().st_size, digest.hexdigest()

    size, _ = same(await both(download))
    assert size == 1_000_000


async def test_stream_lines_pipeline(base_url: str) -> None:
    async def pipeline(mod: ModuleType) -> int:
        async def source(session: Any) -> AsyncIterator[bytes]:
            async with session.get(f"{base_url}/lines?n=1000") as resp:
                async for line in resp.content:
                    yield line

        async def transform(lines: AsyncIterator[bytes]) -> AsyncIterator[int]:
            async for line in lines:
                yield int(line.split()[1])

        async with mod.ClientSession() as session:
            return sum([n async for n in transform(source(session))])

    assert same(await both(pipeline)) == sum(range(1000))


# ---- timeouts ---------------------------------------------------------------------------


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout is 3.11+")
async def test_timeout_with_fallback(base_url: str) -> None:
    async def fetch_with_fallback(mod: ModuleType) -> Any:
        async with mod.ClientSession() as client:
            try:
                async with asyncio.timeout(0.3):
                    response = await client.get(f"{base_url}/delay/3000")
                    return await response.text()
            except asyncio.TimeoutError:
                response = await client.get(f"{base_url}/json", timeout=5)
                return await response.json()

    assert same(await both(fetch_with_fallback)) == {"hello": "world", "n": 1}


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout_at is 3.11+")
async def test_deadline_shared_by_requests(base_url: str) -> None:
    async def with_deadline(mod: ModuleType) -> list[str]:
        done: list[str] = []
        async with mod.ClientSession() as client:
            deadline = asyncio.get_running_loop().time() + 0.8
            try:
                async with asyncio.timeout_at(deadline):
                    for ms in (200, 200, 2000):
                        resp = await client.get(f"{base_url}/delay/{ms}")
                        done.append(await resp.text())
            except asyncio.TimeoutError:
                done.append("deadline")
        return done

    assert same(await both(with_deadline)) == ["ok", "ok", "deadline"]


async def test_wait_for(base_url: str) -> None:
    async def run(mod: ModuleType) -> str:
        async with mod.ClientSession() as client:
            try:
                await asyncio.wait_for(client.get(f"{base_url}/hang"), timeout=0.3)
            except asyncio.TimeoutError:
                return "timed out"
        return "no timeout"

    assert same(await both(run)) == "timed out"


async def test_client_timeout_total(base_url: str) -> None:
    async def run(mod: ModuleType) -> str:
        async with mod.ClientSession(timeout=mod.ClientTimeout(total=0.3)) as client:
            try:
                await client.get(f"{base_url}/delay/3000")
            except mod.ClientError:
                return "client error"
            except asyncio.TimeoutError:
                return "timeout"
        return "none"

    assert same(await both(run)) == "timeout"


# ---- retry with backoff ---------------------------------------------------------------------


async def test_retry_with_exponential_backoff(base_url: str) -> None:
    async def retry(mod: ModuleType) -> tuple[str, int]:
        key = f"retry-{mod.__name__}-{random.random()}"
        url = f"{base_url}/flaky?key={key}&fail=2&status=503"
        async with mod.ClientSession(raise_for_status=True) as client:
            last: Exception | None = None
            for attempt in range(5):
                try:
                    resp = await client.get(url)
                    return await resp.text(), attempt + 1
                except mod.ClientResponseError as e:
                    last = e
                    await asyncio.sleep(0.01 * 2**attempt)
            raise AssertionError(f"never succeeded: {last}")

    assert same(await both(retry)) == ("ok", 3)


# ---- pagination with an async generator ---------------------------------------------------


async def test_pagination_generator(base_url: str) -> None:
    async def fetch_pages(mod: ModuleType) -> list[str]:
        async def pages(client: Any) -> AsyncIterator[str]:
            page = 1
            while page <= 3:
                response = await client.get(
                    f"{base_url}/echo", params={"page": page, "per_page": 100}
                )
                yield (await response.json())["query"]
                page += 1

        async with mod.ClientSession() as client:
            return [p async for p in pages(client)]

    assert same(await both(fetch_pages)) == [f"page={i}&per_page=100" for i in range(1, 4)]


# ---- producer / consumer queue ------------------------------------------------------------


async def test_queue_workers(base_url: str) -> None:
    async def crawl(mod: ModuleType) -> list[int]:
        queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=10)
        sizes: list[int] = []

        async def consumer(client: Any) -> None:
            while True:
                url = await queue.get()
                try:
                    if url is None:
                        return
                    resp = await client.get(url)
                    sizes.append(len(await resp.read()))
                finally:
                    queue.task_done()

        async with mod.ClientSession() as client:
            workers = [asyncio.create_task(consumer(client)) for _ in range(3)]
            for i in range(30):
                await queue.put(f"{base_url}/bytes/{i}")
            for _ in workers:
                await queue.put(None)
            await queue.join()
            await asyncio.gather(*workers)
        return sorted(sizes)

    assert same(await both(crawl)) == list(range(30))
