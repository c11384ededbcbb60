"""aioresponses' most-used API on MockRouter, for tests migrating from aiohttp.

`from asiofetch.testing import aioresponses` replaces `from aioresponses import aioresponses`.
Covered: the context manager, the decorator (the mock comes as an extra positional argument,
or as `param=`'s keyword), `add()` and the method shortcuts with url (str, yarl.URL or
re.Pattern, matched with re.match), status, body, payload, headers, content_type, reason,
exception, timeout, repeat (False/1, n, True), callback, `passthrough=` prefixes and
`passthrough_unmatched`; answers registered for one URL are used in order; `requests`,
`assert_called()`, `assert_not_called()`, `assert_called_once()`, `assert_called_with()`,
`assert_called_once_with()`, `assert_any_call()`, `clear()`.

Not covered (the requests are answered inside the engine, not in a patched ClientSession):
`response_class`; callbacks get `url` plus `method`, `headers` and `data` (the body bytes as
sent), not the caller's original keyword arguments; `requests` records RequestCall(args=(),
kwargs={"headers": ..., "data": ...}); `assert_called_with()` checks `params`, `json`,
`data` and `headers` (the ones given must match) and refuses other keywords with TypeError.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json as _json
import re
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any, NamedTuple, TypeVar, cast
from urllib.parse import parse_qsl

from multidict import CIMultiDict
from yarl import URL

from ._answers import ExceptionSpec, MockResponse
from ._request import MockRequest
from ._router import MockRouter, Route

__all__ = ("CallbackResult", "RequestCall", "aioresponses")

F = TypeVar("F", bound=Callable[..., Any])


class RequestCall(NamedTuple):
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


class CallbackResult:
    """What a callback returns (aioresponses' fields)."""

    def __init__(
        self,
        method: str = "GET",
        status: int = 200,
        body: str | bytes = "",
        content_type: str = "application/json",
        payload: Any = None,
        headers: Mapping[str, str] | None = None,
        response_class: Any = None,
        reason: str | None = None,
    ) -> None:
        if response_class is not None:
            raise TypeError("response_class is not supported by asiofetch.testing.aioresponses")
        self.method = method
        self.status = status
        self.body = body
        self.content_type = content_type
        self.payload = payload
        self.headers = headers
        self.reason = reason


def _response(
    status: int,
    body: str | bytes,
    payload: Any,
    headers: Mapping[str, str] | None,
    content_type: str,
    reason: str | None,
) -> MockResponse:
    # As aioresponses builds them: Content-Type first (the caller's wins), then the caller's
    # headers, and no Content-Length (a one-chunk body is sent without one).
    given = CIMultiDict(headers or {})
    hdrs = [("Content-Type", given.pop("Content-Type", content_type)), *given.items()]
    data = _json.dumps(payload).encode() if payload is not None else body
    if isinstance(data, str):
        data = data.encode()
    return MockResponse(status, chunks=[data], headers=hdrs, reason=reason)


def _normal(url: str | URL) -> URL:
    return URL(str(url)) if isinstance(url, str) else url


class aioresponses:
    """Mocks asiofetch requests with aioresponses' API (see the module docstring)."""

    def __init__(
        self,
        *,
        param: str | None = None,
        passthrough: list[str] | None = None,
        passthrough_unmatched: bool = False,
    ) -> None:
        self._param = param
        self._passthrough = list(passthrough or [])
        self._router = MockRouter(
            assert_all_called=False, passthrough_unmatched=passthrough_unmatched
        )
        self._routes: list[tuple[str, Route]] = []
        for prefix in self._passthrough:
            self._router.route(prefix=prefix, name="passthrough").pass_through()

    # -- registration -------------------------------------------------------------------
    def add(
        self,
        url: str | URL | re.Pattern[str],
        method: str = "GET",
        status: int = 200,
        body: str | bytes = "",
        exception: ExceptionSpec | None = None,
        content_type: str = "application/json",
        payload: Any = None,
        headers: Mapping[str, str] | None = None,
        response_class: Any = None,
        repeat: bool | int = False,
        timeout: bool = False,
        reason: str | None = None,
        callback: Callable[..., CallbackResult | Awaitable[CallbackResult]] | None = None,
    ) -> None:
        if response_class is not None:
            raise TypeError("response_class is not supported by asiofetch.testing.aioresponses")
        if repeat is True:
            times: int | None = None
        elif repeat is False:
            times = 1
        elif isinstance(repeat, int) and repeat >= 1:
            times = repeat
        else:
            raise ValueError(f"repeat must be a bool or an int >= 1, got {repeat!r}")
        method = method.upper()
        used = [0]  # calls a callback answered: it stops matching after `times`

        def below_limit(_: MockRequest) -> bool:
            return times is None or used[0] < times

        def run(request: MockRequest) -> MockResponse:
            used[0] += 1
            return _run_callback(cast(Callable[..., Any], callback), request)

        match = below_limit if callback is not None and times is not None else None
        if isinstance(url, re.Pattern):
            # aioresponses uses pattern.match (anchored at the start); the engine searches.
            route = self._router.route(
                method, re.compile(f"^(?:{url.pattern})", url.flags), match=match
            )
        else:
            route = self._router.route(method, _normal(url), params_exact=True, match=match)
        answer: Any
        if callback is not None:
            route.mock(side_effect=run)
        else:
            if timeout:
                answer = asyncio.TimeoutError()
            elif exception is not None:
                answer = exception
            else:
                answer = _response(status, body, payload, headers, content_type, reason)
            if times is None:
                route.mock(
                    return_value=answer if not _is_exc(answer) else None,
                    side_effect=answer if _is_exc(answer) else None,
                )
            else:
                route.mock(side_effect=[answer] * times)
        self._routes.append((method, route))

    def get(self, url: str | URL | re.Pattern[str], **kwargs: Any) -> None:
        self.add(url, method="GET", **kwargs)

    def post(self, url: str | URL | re.Pattern[str], **kwargs: Any) -> None:
        self.add(url, method="POST", **kwargs)

    def put(self, url: str | URL | re.Pattern[str], **kwargs: Any) -> None:
        self.add(url, method="PUT", **kwargs)

    def patch(self, url: str | URL | re.Pattern[str], **kwargs: Any) -> None:
        self.add(url, method="PATCH", **kwargs)

    def delete(self, url: str | URL | re.Pattern[str], **kwargs: Any) -> None:
        self.add(url, method="DELETE", **kwargs)

    def head(self, url: str | URL | re.Pattern[str], **kwargs: Any) -> None:
        self.add(url, method="HEAD", **kwargs)

    def options(self, url: str | URL | re.Pattern[str], **kwargs: Any) -> None:
        self.add(url, method="OPTIONS", **kwargs)

    def clear(self) -> None:
        """Forgets the registered answers and the recorded requests."""
        active = self._router.active
        if active:
            self._router.stop(check=False)
        self._router = MockRouter(
            assert_all_called=False, passthrough_unmatched=self._router.passthrough_unmatched
        )
        self._routes = []
        for prefix in self._passthrough:
            self._router.route(prefix=prefix, name="passthrough").pass_through()
        if active:
            self._router.start()

    # -- recorded requests ----------------------------------------------------------------
    def _calls(self) -> list[MockRequest]:
        # Every route's calls, then the unmatched ones (aioresponses records those too); the
        # order across routes is not kept, aioresponses keys them by (method, URL).
        return self._router.calls + self._router.unmatched

    @property
    def requests(self) -> dict[tuple[str, URL], list[RequestCall]]:
        out: dict[tuple[str, URL], list[RequestCall]] = {}
        for c in self._calls():
            key = (c.method, c.url)
            out.setdefault(key, []).append(RequestCall((), {"headers": c.headers, "data": c.body}))
        return out

    @staticmethod
    def _checks(kwargs: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        kwargs = dict(kwargs)
        params = kwargs.pop("params", None)
        checks: dict[str, Any] = {
            k: kwargs.pop(k) for k in ("json", "data", "headers") if k in kwargs
        }
        if kwargs:
            raise TypeError(
                f"asiofetch.testing.aioresponses cannot check {sorted(kwargs)}: only params, json,"
                " data and headers are recorded"
            )
        return params, checks

    def _to(self, url: str | URL, method: str, params: Any) -> list[MockRequest]:
        """The recorded requests to `url` (its query and `params` exactly) with `method`."""
        want = _normal(url)
        if params:
            want = want.update_query(params)
        return [
            c
            for c in self._calls()
            if c.method == method.upper()
            and c.url.with_query(None) == want.with_query(None)
            and sorted(c.url.query.items()) == sorted(want.query.items())
        ]

    @staticmethod
    def _fits(c: MockRequest, checks: dict[str, Any]) -> bool:
        if "json" in checks and _loads(c.body) != checks["json"]:
            return False
        if "data" in checks and not _same_data(c.body, checks["data"]):
            return False
        return not (
            "headers" in checks
            and any(c.headers.get(k) != v for k, v in CIMultiDict(checks["headers"]).items())
        )

    def assert_not_called(self) -> None:
        if self._calls():
            raise AssertionError(f"expected no requests, got {len(self._calls())}")

    def assert_called(self) -> None:
        if not self._calls():
            raise AssertionError("expected a request, none was made")

    def assert_called_once(self) -> None:
        n = len(self._calls())
        if n != 1:
            raise AssertionError(f"expected one request, got {n}")

    def assert_called_with(
        self, url: str | URL, method: str = "GET", *args: Any, **kwargs: Any
    ) -> None:
        """The last request to `url` with `method` matches the given keywords."""
        if args:
            raise TypeError("positional request arguments are not recorded")
        params, checks = self._checks(kwargs)
        same = self._to(url, method, params)
        if not same or not self._fits(same[-1], checks):
            raise AssertionError(
                f"no matching request {method.upper()} {url} {kwargs or ''}".rstrip()
            )

    def assert_called_once_with(
        self, url: str | URL, method: str = "GET", *args: Any, **kwargs: Any
    ) -> None:
        self.assert_called_once()
        self.assert_called_with(url, method, *args, **kwargs)

    def assert_any_call(
        self, url: str | URL, method: str = "GET", *args: Any, **kwargs: Any
    ) -> None:
        if args:
            raise TypeError("positional request arguments are not recorded")
        params, checks = self._checks(kwargs)
        if not any(self._fits(c, checks) for c in self._to(url, method, params)):
            raise AssertionError(
                f"no matching request {method.upper()} {url} {kwargs or ''}".rstrip()
            )

    # -- activation -----------------------------------------------------------------------
    def start(self) -> None:
        self._router.start()

    def stop(self) -> None:
        self._router.stop(check=False)

    def __enter__(self) -> aioresponses:
        self.start()
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def __call__(self, func: F) -> F:
        def with_mock(
            args: tuple[Any, ...], kwargs: dict[str, Any]
        ) -> tuple[tuple[Any, ...], dict[str, Any]]:
            if self._param is None:
                return (*args, self), kwargs
            return args, {**kwargs, self._param: self}

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self:
                    a, k = with_mock(args, kwargs)
                    return await cast(Callable[..., Awaitable[Any]], func)(*a, **k)

            return cast(F, run_async)

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                a, k = with_mock(args, kwargs)
                return func(*a, **k)

        return cast(F, run)


def _is_exc(x: object) -> bool:
    return isinstance(x, BaseException) or (isinstance(x, type) and issubclass(x, BaseException))


def _loads(body: bytes) -> Any:
    try:
        return _json.loads(body)
    except ValueError:
        return _NOT_JSON


_NOT_JSON = object()


def _same_data(body: bytes, data: Any) -> bool:
    if isinstance(data, str):
        return body == data.encode()
    if isinstance(data, (bytes, bytearray)):
        return body == bytes(data)
    if isinstance(data, Mapping):
        want = sorted((str(k), str(v)) for k, v in data.items())
        return sorted(parse_qsl(body.decode(errors="replace"), keep_blank_values=True)) == want
    return False


def _run_callback(
    callback: Callable[..., CallbackResult | Awaitable[CallbackResult]], request: MockRequest
) -> MockResponse:
    result = callback(
        request.url, method=request.method, headers=request.headers, data=request.body
    )
    if inspect.isawaitable(result):
        raise TypeError(
            "asiofetch.testing.aioresponses runs callbacks on a helper thread: use a plain function"
        )
    r = result
    return _response(r.status, r.body, r.payload, r.headers, r.content_type, r.reason)
