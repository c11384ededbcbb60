"""One source of truth for arguments: the bindings (src/bindings/py_args.cpp) check each one,
with Python's exception types and messages; defaults are the engine's, read by Python; one
seconds -> milliseconds conversion."""

from __future__ import annotations

import math
from typing import Any

import pytest

import asiofetch
from asiofetch import _core


async def test_gather_deadline_of_wrong_type_is_a_type_error(base_url: str) -> None:
    async with asiofetch.ClientSession() as s:
        no_str = r"^deadline must be a number of seconds or None, got str$"
        with pytest.raises(TypeError, match=no_str):
            await s.gather([f"{base_url}/bytes/1"], deadline="1")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"^deadline must be > 0 seconds, got 0$"):
            await s.gather([f"{base_url}/bytes/1"], deadline=0)
        # as_completed checks it at the call, before anything is submitted.
        with pytest.raises(TypeError, match=no_str):
            s.as_completed([f"{base_url}/bytes/1"], deadline="1")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"^deadline must be > 0 seconds, got -1$"):
            s.as_completed([f"{base_url}/bytes/1"], deadline=-1)


async def test_gather_concurrency_too_large_reads_like_python(base_url: str) -> None:
    # Was pybind11's "submit_batch(): incompatible function arguments ...".
    async with asiofetch.ClientSession() as s:
        too_big = r"^concurrency must be <= 9223372036854775807, got 100000000000000000000$"
        with pytest.raises(OverflowError, match=too_big):
            await s.gather([f"{base_url}/bytes/1"], concurrency=10**20)
        done = await s.gather([f"{base_url}/bytes/1"], concurrency=2**63 - 1)
        assert [r.status for r in done] == [200]


async def test_batch_bounds_are_checked_by_the_bindings(base_url: str) -> None:
    # concurrency= and buffer= were checked in Python (_batch) as well; now only here.
    url = f"{base_url}/bytes/1"
    async with asiofetch.ClientSession() as s:
        with pytest.raises(TypeError, match=r"^concurrency must be an int or None, got str$"):
            await s.gather([url], concurrency="2")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"^concurrency must be an int or None, got bool$"):
            await s.gather([url], concurrency=True)
        with pytest.raises(ValueError, match=r"^concurrency must be >= 1, got 0$"):
            await s.gather([url], concurrency=0)
        with pytest.raises(ValueError, match=r"^concurrency must be >= 1, got -1$"):
            s.as_completed([url], concurrency=-1)
        no_bound = r"^as_completed needs a concurrency bound \(an int >= 1\)$"
        with pytest.raises(ValueError, match=no_bound):
            s.as_completed([url], concurrency=None)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match=r"^buffer must be an int or None, got float$"):
            s.as_completed([url], buffer=1.5)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"^buffer must be >= 0, got -1$"):
            s.as_completed([url], buffer=-1)
        too_big = r"^buffer must be <= 9223372036854775807, got 100000000000000000000$"
        with pytest.raises(OverflowError, match=too_big):
            s.as_completed([url], buffer=10**20)
        assert [r.status for r in await s.gather([url], concurrency=None)] == [200]
        done = [c async for c in s.as_completed([url], concurrency=1, buffer=0)]
        assert [c.result().status for c in done] == [200]


def test_stream_window_is_bound_plus_buffer() -> None:
    assert _core.stream_window(3, None) == (3, 6)
    assert _core.stream_window(3, 0) == (3, 3)
    assert _core.stream_window(3, 5) == (3, 8)
    top = 2**63 - 1
    assert _core.stream_window(top, top) == (top, 2 * top)


def test_http2_flag_must_be_a_bool() -> None:
    with pytest.raises(TypeError, match=r"^http2 must be a bool, got str$"):
        asiofetch.ClientSession(http2="yes")  # type: ignore[arg-type]


def test_unknown_session_keyword_leaves_no_unraisable_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The TypeError came with "Exception ignored in: ClientSession.__del__" (AttributeError):
    # __init__ never ran, and __del__ read attributes it had not set.
    import gc
    import sys

    seen: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", seen.append)
    with pytest.raises(TypeError, match="unexpected keyword argument 'bad_kw'"):
        asiofetch.ClientSession(bad_kw=1)  # type: ignore[call-arg]
    gc.collect()
    assert seen == []


@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        ({"attempts": 10**12}, OverflowError, "attempts must be <= 2147483647, got 1000000000000"),
        ({"attempts": 0}, ValueError, "attempts must be >= 1, got 0"),
        ({"attempts": -(10**30)}, ValueError, f"attempts must be >= 1, got {-(10**30)}"),
        ({"attempts": "3"}, TypeError, "attempts must be an int, got str"),
        ({"attempts": True}, TypeError, "attempts must be an int, got bool"),
        ({"backoff": "0.1"}, TypeError, "backoff must be a number, got str"),
        ({"jitter": 2}, ValueError, "jitter must be between 0 and 1, got 2"),
        ({"statuses": [99]}, ValueError, "statuses must be HTTP status codes (100-599), got 99"),
        (
            {"errors": ["dns"]},
            ValueError,
            "unknown error class 'dns'; use ['connect', 'disconnect', 'timeout']",
        ),
        ({"methods": ["GE T"]}, ValueError, "Method cannot contain non-token characters 'GE T'"),
        ({"seed": -1}, ValueError, "seed must be >= 0, got -1"),
        ({"seed": 2**64}, OverflowError, f"seed must be <= {2**63 - 1}, got {2**64}"),
    ],
)
def test_retry_arguments_read_like_python(
    kwargs: dict[str, Any], exc: type[Exception], message: str
) -> None:
    with pytest.raises(exc) as info:
        asiofetch.Retry(**kwargs)
    assert str(info.value) == message
    assert "incompatible" not in str(info.value)


def test_retry_defaults_are_the_engines() -> None:
    engine = _core.RetryPolicy()
    r = asiofetch.Retry()
    assert (r.attempts, r.statuses, r.errors, r.methods) == (
        engine.attempts,
        engine.statuses,
        engine.errors,
        engine.methods,
    )
    assert (engine.attempts, engine.backoff, engine.multiplier, engine.max_backoff) == (
        3,
        0.1,
        2.0,
        30.0,
    )
    assert engine.statuses == frozenset({429, 500, 502, 503, 504})
    assert engine.methods == frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
    # Normalised natively: lower-case methods come back upper-case.
    assert asiofetch.Retry(methods=["post"]).methods == frozenset({"POST"})


@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        ({"after": 0}, ValueError, "Hedge.after must be > 0 and finite, got 0"),
        ({"after": "1"}, TypeError, "Hedge.after must be a number of seconds, got str"),
        ({"max_extra": 0}, ValueError, "Hedge.max_extra must be >= 1, got 0"),
        ({"max_extra": 17}, OverflowError, "Hedge.max_extra must be <= 16, got 17"),
        ({"max_extra": 1.5}, TypeError, "Hedge.max_extra must be an int, got float"),
    ],
)
def test_hedge_limits_are_checked_natively(
    kwargs: dict[str, Any], exc: type[Exception], message: str
) -> None:
    with pytest.raises(exc) as info:
        asiofetch.Hedge(**kwargs)
    assert str(info.value) == message
    assert _core.HEDGE_MAX_EXTRA == 16
    assert asiofetch.Hedge(max_extra=_core.HEDGE_MAX_EXTRA).max_extra == 16


def test_semaphore_and_rate_limit_arguments() -> None:
    with pytest.raises(ValueError, match=r"^Semaphore value must be >= 1, got 0$"):
        asiofetch.Semaphore(0)
    with pytest.raises(TypeError, match=r"^Semaphore value must be an int, got float$"):
        asiofetch.Semaphore(1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^rate must be a number, got str$"):
        asiofetch.RateLimit("5")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"^rate must be a finite number > 0, got 0$"):
        asiofetch.RateLimit(0)
    # burst defaults natively to max(1, rate).
    assert (asiofetch.RateLimit(0.5).burst, asiofetch.RateLimit(20).burst) == (1.0, 20.0)


@pytest.mark.parametrize(
    ("value", "exc", "message"),
    [
        ("1", TypeError, "ClientTimeout.total must be a number of seconds or None, got str"),
        (True, TypeError, "ClientTimeout.total must be a number of seconds or None, got bool"),
        (-1, ValueError, "ClientTimeout.total must be >= 0, got -1"),
        (math.nan, ValueError, "ClientTimeout.total must be >= 0, got nan"),
    ],
)
def test_client_timeout_uses_the_native_check(
    value: Any, exc: type[Exception], message: str
) -> None:
    with pytest.raises(exc) as info:
        asiofetch.ClientTimeout(total=value)
    assert str(info.value) == message


async def test_request_arguments_are_checked_once_natively(base_url: str) -> None:
    url = f"{base_url}/bytes/1"
    async with asiofetch.ClientSession() as s:
        with pytest.raises(TypeError, match=r"^method must be str, got int$"):
            await s.request(1, url)  # type: ignore[arg-type]
        token = r"^Method cannot contain non-token characters 'GE T'$"
        with pytest.raises(ValueError, match=token):
            await s.request("ge t", url)
        with pytest.raises(TypeError, match=r"^max_redirects must be an int, got str$"):
            await s.get(url, max_redirects="3")
        with pytest.raises(ValueError, match=r"^max_redirects must be >= 0, got -1$"):
            await s.get(url, max_redirects=-1)
        # A cached Options for True must not let 1 through (1 == True as a dict key).
        assert (await s.get(url, allow_redirects=True, timeout=7)).status == 200
        with pytest.raises(TypeError, match=r"^allow_redirects must be a bool, got int$"):
            await s.get(url, allow_redirects=1, timeout=7)
        # Lower-case methods are sent upper-case, for requests and batch specs alike.
        r = await s.request("get", f"{base_url}/echo")
        assert (await r.json())["method"] == "GET"
        assert asiofetch.RequestSpec("post", url).method == "POST"


def test_max_redirects_default_and_unlimited_come_from_the_engine() -> None:
    assert _core.MAX_REDIRECTS == 10
    assert _core.Options(max_redirects=0).max_redirects == _core.MAX_REDIRECTS_UNLIMITED == 1000
    assert _core.Options().max_redirects == _core.MAX_REDIRECTS


@pytest.mark.parametrize(
    ("seconds", "engine_seconds"),
    [
        (0, 0.0),  # no limit
        (None, 0.0),
        (math.inf, 0.0),  # no limit
        (0.0004, 0.001),  # a positive timeout never becomes "no limit"
        (1.2344, 1.234),
        (1.2346, 1.235),
        (2, 2.0),
    ],
)
def test_one_seconds_to_milliseconds_conversion(
    seconds: float | None, engine_seconds: float
) -> None:
    # Timeouts and hedge delays go through the same conversion (and the batch deadline and
    # progress period: py_args.cpp's to_millis is the only one).
    assert _core.Options(total_timeout=seconds).total_timeout == engine_seconds
    if seconds and not math.isinf(seconds):  # a hedge delay must be > 0 and finite
        assert _core.HedgePolicy(after=seconds, max_extra=1).after == engine_seconds


@pytest.mark.parametrize(
    ("kwargs", "exc", "message"),
    [
        ({"limit": "1"}, TypeError, "limit must be an int, got str"),
        ({"limit": -1}, ValueError, "limit must be >= 0, got -1"),
        ({"limit_per_host": 1.0}, TypeError, "limit_per_host must be an int, got float"),
        (
            {"keepalive_timeout": "x"},
            TypeError,
            "keepalive_timeout must be a number of seconds or None, got str",
        ),
        ({"keepalive_timeout": -1}, ValueError, "keepalive_timeout must be >= 0, got -1"),
        ({"ttl_dns_cache": -5}, ValueError, "ttl_dns_cache must be >= 0, got -5"),
    ],
)
def test_connector_arguments_fail_at_the_connector(
    kwargs: dict[str, Any], exc: type[Exception], message: str
) -> None:
    # At TCPConnector(), not later at the first ClientSession() that builds the pool.
    with pytest.raises(exc) as info:
        asiofetch.TCPConnector(**kwargs)
    assert str(info.value) == message


def test_pool_config_in_libcurl_units() -> None:
    def pool(**kw: Any) -> Any:
        args: dict[str, Any] = {
            "limit": 100,
            "limit_per_host": 0,
            "force_close": False,
            "keepalive_timeout": 15,
            "dns_cache_ttl": 10,
        }
        return _core.PoolConfig(**{**args, **kw})

    assert pool().keepalive_timeout == 15
    assert pool(keepalive_timeout=0.2).keepalive_timeout == 1  # rounded up, still reused
    assert pool(keepalive_timeout=None).keepalive_timeout == 0
    assert pool(force_close=True).keepalive_timeout == 0
    assert pool(dns_cache_ttl=None).dns_cache_ttl == -1  # aiohttp's None: cache forever
    assert pool(dns_cache_ttl=2.9).dns_cache_ttl == 2


async def test_dns_cache_forever_is_accepted(base_url: str) -> None:
    # aiohttp documents ttl_dns_cache=None as "cache forever"; the pool used to refuse it.
    connector = asiofetch.TCPConnector(ttl_dns_cache=None)
    async with asiofetch.ClientSession(connector=connector) as s:
        assert (await s.get(f"{base_url}/bytes/2")).status == 200


def test_connector_defaults_are_the_engines() -> None:
    import inspect

    engine = _core.PoolConfig.defaults()
    params = inspect.signature(asiofetch.TCPConnector).parameters
    defaults = {name: params[name].default for name in ("limit", "limit_per_host")}
    assert defaults == {"limit": engine.limit, "limit_per_host": engine.limit_per_host}
    assert params["keepalive_timeout"].default == engine.keepalive_timeout
    assert params["ttl_dns_cache"].default == engine.dns_cache_ttl
    # aiohttp's values.
    assert (engine.limit, engine.limit_per_host, engine.keepalive_timeout) == (100, 0, 15)
    assert engine.dns_cache_ttl == 10
    connector = asiofetch.TCPConnector()
    assert (connector.limit, connector.limit_per_host) == (100, 0)
