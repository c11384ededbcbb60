"""Mirror of tests_cpp/test_retry.cpp through `asiofetch.Retry`: statuses, resets, Retry-After,
methods, budgets, batches; attempts counted by the fixture server (`/counter?key=K`)."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from urllib.parse import quote

import pytest

import asiofetch


def new_key() -> str:
    return f"retry-{uuid.uuid4().hex}"


async def server_count(base_url: str, key: str) -> int:
    """How many requests carrying `key=K` the fixture server has seen."""
    async with asiofetch.ClientSession() as s:
        r = await s.get(f"{base_url}/counter", params={"key": key})
        body = await r.json()
    assert body["key"] == key
    return int(body["count"])


def with_retry(
    attempts: int, backoff: float = 0.01, max_backoff: float = 5.0, total_budget: float = 0.0
) -> asiofetch.Retry:
    return asiofetch.Retry(
        attempts=attempts,
        backoff=backoff,
        max_backoff=max_backoff,
        total_budget=total_budget or None,
    )


# ---- mirrors of TEST_F(Retry, ...) ----------------------------------------------------------


async def test_retries_status_until_success(base_url: str) -> None:
    key = new_key()
    async with asiofetch.ClientSession() as s:
        r = await s.get(
            f"{base_url}/flaky", params={"key": key, "fail": 2, "status": 503}, retry=with_retry(3)
        )
        assert r.status == 200
        assert await r.text() == "ok"
        assert r.attempts == 3
    assert await server_count(base_url, key) == 3


async def test_gives_up_after_attempts(base_url: str) -> None:
    key = new_key()
    async with asiofetch.ClientSession() as s:
        r = await s.get(
            f"{base_url}/flaky", params={"key": key, "fail": 10, "status": 503}, retry=with_retry(3)
        )
        assert r.status == 503  # the last answer, as an HTTP response
        assert r.attempts == 3
    assert await server_count(base_url, key) == 3


async def test_retries_connection_reset(base_url: str) -> None:
    key = new_key()
    async with asiofetch.ClientSession() as s:
        r = await s.get(
            f"{base_url}/flaky",
            params={"key": key, "fail": 1, "mode": "reset"},
            retry=with_retry(2),
        )
        assert r.status == 200
        assert r.attempts == 2
    assert await server_count(base_url, key) == 2


async def test_respects_retry_after(base_url: str) -> None:
    key = new_key()
    async with asiofetch.ClientSession() as s:
        t0 = time.monotonic()
        r = await s.get(
            f"{base_url}/flaky",
            params={"key": key, "fail": 1, "status": 503, "retry_after": 1},
            retry=with_retry(2),
        )
        elapsed = time.monotonic() - t0
        assert r.status == 200
        assert r.attempts == 2
    assert elapsed >= 0.95


async def test_retry_after_is_capped_by_max_backoff(base_url: str) -> None:
    # An hour is asked for; the wait the engine computes is the 0.05 s cap, exactly.
    capped = with_retry(2, 0.01, 0.05, total_budget=30.0)
    assert capped.delay(2, retry_after=3600) == 0.05
    # End to end, read through the budget, which the engine checks before it waits: a wait
    # that would end past 30 s is never started. The capped policy retries (2 attempts);
    # the same policy without the cap refuses the hour (1 attempt). No clock is read here.
    key = new_key()
    async with asiofetch.ClientSession() as s:
        r = await s.get(
            f"{base_url}/flaky",
            params={"key": key, "fail": 1, "status": 429, "retry_after": 3600},
            retry=capped,
        )
        assert (r.status, r.attempts) == (200, 2)
        assert await server_count(base_url, key) == 2
        uncapped = with_retry(2, 0.01, 7200.0, total_budget=30.0)
        assert uncapped.delay(2, retry_after=3600) == 3600
        key = new_key()
        r = await s.get(
            f"{base_url}/flaky",
            params={"key": key, "fail": 1, "status": 429, "retry_after": 3600},
            retry=uncapped,
        )
        assert (r.status, r.attempts) == (429, 1)
    assert await server_count(base_url, key) == 1


async def test_post_is_not_retried_by_default(base_url: str) -> None:
    key = new_key()
    async with asiofetch.ClientSession() as s:
        r = await s.post(
            f"{base_url}/flaky",
            params={"key": key, "fail": 1, "status": 503},
            data=b"x",
            retry=with_retry(3),
        )
        assert r.status == 503
        assert r.attempts == 1
    assert await server_count(base_url, key) == 1


async def test_post_on_a_dead_reused_connection_is_not_resent(base_url: str) -> None:
    """libcurl re-sends a request by itself when a reused connection dies before any
    response byte. A POST reaches the server once and fails, as with aiohttp
    (ServerDisconnectedError); only a retry policy naming POST sends it again. A GET is
    re-sent, as aiohttp re-sends it."""
    post_key, post_key2, get_key = new_key(), new_key(), new_key()
    flaky = f"{base_url}/flaky"
    async with asiofetch.ClientSession() as s:
        await (await s.get(f"{base_url}/bytes/1")).read()  # a connection for the POST to reuse
        with pytest.raises(asiofetch.ServerDisconnectedError):
            await s.post(flaky, params={"key": post_key, "fail": 1, "mode": "reset"}, data=b"x")
        assert await server_count(base_url, post_key) == 1

        widened = asiofetch.Retry(attempts=3, backoff=0.01, methods={"POST"})
        await (await s.get(f"{base_url}/bytes/1")).read()
        r = await s.post(
            flaky, params={"key": post_key2, "fail": 1, "mode": "reset"}, data=b"x", retry=widened
        )
        assert r.status == 200
        assert r.attempts == 2
        assert await server_count(base_url, post_key2) == 2

        await (await s.get(f"{base_url}/bytes/1")).read()
        r = await s.get(flaky, params={"key": get_key, "fail": 1, "mode": "reset"})
        assert r.status == 200
        assert r.attempts == 1  # libcurl's own re-send is not an attempt of ours
    assert await server_count(base_url, get_key) == 2


async def test_total_budget_stops_retrying(base_url: str) -> None:
    key = new_key()
    async with asiofetch.ClientSession() as s:
        # The first wait (0.5 s) exceeds the budget (0.2 s).
        r = await s.get(
            f"{base_url}/flaky",
            params={"key": key, "fail": 10, "status": 503},
            retry=with_retry(5, 0.5, 5.0, 0.2),
        )
        assert r.status == 503
        assert r.attempts == 1
    assert await server_count(base_url, key) == 1


async def test_status_outside_the_set_is_final(base_url: str) -> None:
    key = new_key()
    async with asiofetch.ClientSession() as s:
        r = await s.get(
            f"{base_url}/flaky", params={"key": key, "fail": 1, "status": 404}, retry=with_retry(3)
        )
        assert r.status == 404
        assert r.attempts == 1
    assert await server_count(base_url, key) == 1


async def test_batch_members_retry_natively(base_url: str) -> None:
    key = new_key()
    urls = [f"{base_url}/flaky?key={key}{i}&fail=2&status=502" for i in range(4)]
    async with asiofetch.ClientSession() as s:
        results = await s.gather(urls, concurrency=2, retry=with_retry(3))
        for r in results:
            assert r.status == 200
            assert r.attempts == 3
    for i in range(4):
        assert await server_count(base_url, f"{key}{i}") == 3


# ---- mirrors of TEST(RetryUnits, ...) -------------------------------------------------------


async def test_parse_retry_after_forms(base_url: str) -> None:
    """The engine parses Retry-After itself; each form is told apart by whether the engine
    starts the wait it asks for.

    The total budget (5 s) is checked before a wait starts: a header the engine understood as
    5 s or more ends the request after one attempt, with no wait; a past date ("now") and
    garbage (the 10 ms backoff) are retried. delta-seconds (with spaces) and a future
    HTTP-date are understood. Nothing here reads a clock or waits more than the backoff.
    """
    past = "Sun, 06 Nov 1994 08:49:37 GMT"
    future = "Fri, 31 Dec 2100 23:59:59 GMT"
    near = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=60), usegmt=True)
    retry = asiofetch.Retry(attempts=2, backoff=0.01, max_backoff=3600.0, total_budget=5.0)

    async def attempts_for(value: str) -> tuple[int, int, int]:
        key = new_key()
        async with asiofetch.ClientSession() as s:
            # Quoted by hand so spaces arrive as spaces (the server percent-decodes).
            query = f"key={key}&fail=1&status=503&retry_after={quote(value, safe='')}"
            r = await s.get(f"{base_url}/flaky?{query}", retry=retry)
            return r.status, r.attempts, await server_count(base_url, key)

    waited_too_long = (503, 1, 1)  # understood: the wait would end past the budget
    retried = (200, 2, 2)
    assert await attempts_for("120") == waited_too_long
    assert await attempts_for(" 7 ") == waited_too_long
    assert await attempts_for(future) == waited_too_long
    assert await attempts_for(near) == waited_too_long
    assert await attempts_for(past) == retried  # in the past: no wait
    assert await attempts_for("soon") == retried  # unparseable: the backoff
    assert await attempts_for("") == retried  # empty: the backoff


def test_delay_grows_and_is_capped() -> None:
    p = asiofetch.Retry(backoff=0.1, multiplier=2, max_backoff=0.3)
    assert p.delay(2) == pytest.approx(0.1, abs=1e-3)
    assert p.delay(3) == pytest.approx(0.2, abs=1e-3)
    assert p.delay(4) == pytest.approx(0.3, abs=1e-3)
    assert p.delay(9) == pytest.approx(0.3, abs=1e-3)
    assert p.delay(2, 10.0) == pytest.approx(0.3, abs=1e-3)  # Retry-After, capped
    assert p.delay(2, 0.25) == pytest.approx(0.25, abs=1e-3)  # Retry-After within the cap


def test_jitter_stays_in_range_and_is_seedable() -> None:
    p = asiofetch.Retry(backoff=1.0, jitter=0.5, seed=42)
    a = [p.delay(2) for _ in range(50)]
    for d in a:
        assert 0.5 - 1e-3 <= d <= 1.0 + 1e-3
    assert len(set(a)) > 1  # jittered, not constant
    q = asiofetch.Retry(backoff=1.0, jitter=0.5, seed=42)
    assert [q.delay(2) for _ in range(50)] == a


# ---- Python-only cases ----------------------------------------------------------------------


async def test_session_retry_applies_to_every_request(base_url: str) -> None:
    key = new_key()
    async with asiofetch.ClientSession(retry=with_retry(3)) as s:
        r = await s.get(f"{base_url}/flaky", params={"key": key, "fail": 1, "status": 500})
        assert r.status == 200
        assert r.attempts == 2
        # retry=None on one request turns the session's policy off for it.
        key2 = new_key()
        r = await s.get(
            f"{base_url}/flaky", params={"key": key2, "fail": 1, "status": 500}, retry=None
        )
        assert r.status == 500
        assert r.attempts == 1
    assert await server_count(base_url, key) == 2
    assert await server_count(base_url, key2) == 1


async def test_post_is_retried_when_its_method_is_listed(base_url: str) -> None:
    key = new_key()
    retry = asiofetch.Retry(attempts=3, backoff=0.01, methods=["post"])
    async with asiofetch.ClientSession() as s:
        r = await s.post(
            f"{base_url}/flaky",
            params={"key": key, "fail": 2, "status": 503},
            data=b"x",
            retry=retry,
        )
        assert r.status == 200
        assert r.attempts == 3
    assert await server_count(base_url, key) == 3


async def test_custom_statuses(base_url: str) -> None:
    key = new_key()
    retry = asiofetch.Retry(attempts=3, backoff=0.01, statuses=[404])
    async with asiofetch.ClientSession() as s:
        r = await s.get(
            f"{base_url}/flaky", params={"key": key, "fail": 1, "status": 404}, retry=retry
        )
        assert r.status == 200
        assert r.attempts == 2
        key2 = new_key()
        r = await s.get(
            f"{base_url}/flaky", params={"key": key2, "fail": 1, "status": 503}, retry=retry
        )
        assert r.status == 503  # no longer in the set
        assert r.attempts == 1


async def test_reset_is_final_without_the_disconnect_class(base_url: str) -> None:
    key = new_key()
    retry = asiofetch.Retry(attempts=3, backoff=0.01, errors=["connect", "timeout"])
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.ClientError):
            await s.get(
                f"{base_url}/flaky", params={"key": key, "fail": 1, "mode": "reset"}, retry=retry
            )
    assert await server_count(base_url, key) == 1


async def test_retry_after_ignored_when_not_respected(base_url: str) -> None:
    key = new_key()
    retry = asiofetch.Retry(attempts=2, backoff=0.01, respect_retry_after=False)
    async with asiofetch.ClientSession() as s:
        t0 = time.monotonic()
        r = await s.get(
            f"{base_url}/flaky",
            params={"key": key, "fail": 1, "status": 503, "retry_after": 30},
            retry=retry,
        )
        assert r.status == 200
        assert r.attempts == 2
    assert time.monotonic() - t0 < 20  # 30 s were asked for and not waited


async def test_as_completed_members_retry_natively(base_url: str) -> None:
    key = new_key()
    urls = [f"{base_url}/flaky?key={key}{i}&fail=1&status=503" for i in range(5)]
    async with asiofetch.ClientSession() as s:
        seen = 0
        async for c in s.as_completed(urls, concurrency=2, retry=with_retry(2)):
            r = c.result()
            assert r.status == 200
            assert r.attempts == 2
            seen += 1
    assert seen == 5
    for i in range(5):
        assert await server_count(base_url, f"{key}{i}") == 2


def test_bad_retry_arguments() -> None:
    with pytest.raises(ValueError):
        asiofetch.Retry(attempts=0)
    with pytest.raises(ValueError):
        asiofetch.Retry(errors=["bogus"])
    with pytest.raises(TypeError):
        asiofetch.Retry(attempts=2.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        asiofetch.Retry(backoff=-1)


async def test_retry_of_wrong_type_is_a_type_error(base_url: str) -> None:
    with pytest.raises(TypeError):
        asiofetch.ClientSession(retry="x")  # type: ignore[arg-type]
    async with asiofetch.ClientSession() as s:
        with pytest.raises(TypeError):
            await s.get(f"{base_url}/bytes/1", retry="x")
        with pytest.raises(TypeError):
            await s.gather([f"{base_url}/bytes/1"], retry="x")
        with pytest.raises(TypeError):
            s.as_completed([f"{base_url}/bytes/1"], retry="x")
