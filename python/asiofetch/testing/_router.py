"""MockRouter: routes that answer asiofetch requests inside the engine, for tests.

The router installs a native route table engine-wide: every request registered while it is
active (from any session, `asiofetch.fetch`, `gather`, `as_completed`) is answered by the
table where a network attempt would start. The scheduler, retry, hedge/fallback, redirect,
timeout, semaphore and rate-limit machinery therefore runs as it does against a server.
Routes whose criteria or answers are plain data are matched and answered natively, with no
Python per request; a route with a Python predicate (json=, a form dict, match=, a pattern
Python's `re` must check) or a callable side effect is asked through a helper thread.
"""

from __future__ import annotations

import functools
import inspect
import re
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping
from types import TracebackType
from typing import Any, TypeVar, cast
from urllib.parse import urljoin

from yarl import URL

from .. import _core
from ._answers import exception_answer
from ._request import MockRequest
from ._route import Route

__all__ = ("MockRouter", "Route", "sockets_opened")


def sockets_opened() -> int:
    """Connection sockets the engine has opened since it started: a test compares it before
    and after to show that mocked requests never touched the network."""
    return int(_core.engine_stats()["sockets_opened"])


F = TypeVar("F", bound=Callable[..., Any])


_stack: list[MockRouter] = []
_stack_lock = threading.Lock()


class MockRouter:
    """Answers asiofetch requests from routes while active (`with`, `async with`, a decorator,
    or `start()`/`stop()`; the pytest fixture `asiofetch_mock` is one).

    assert_all_called: on a clean exit, fail when a route was never called.
    passthrough_unmatched: send requests no route matches to the network (default: they fail
    with `UnmatchedRequestError`, which lists the routes).
    base_url: prefixed to relative route URLs.
    """

    def __init__(
        self,
        *,
        assert_all_called: bool = True,
        passthrough_unmatched: bool = False,
        base_url: str | None = None,
    ) -> None:
        self.assert_all_called = assert_all_called
        self.passthrough_unmatched = passthrough_unmatched
        self.base_url = URL(base_url) if base_url is not None else None
        self.routes: list[Route] = []
        self._table: _core.MockTable | None = None
        self._unmatched: list[tuple[str, str, list[tuple[str, str]], bytes]] = []
        self._by_index: dict[int, Route] = {}
        self._worker: threading.Thread | None = None

    # -- routes -----------------------------------------------------------------------------
    def route(
        self,
        method: str | None = None,
        url: str | URL | re.Pattern[str] | None = None,
        *,
        prefix: str | None = None,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
        params_exact: bool = False,
        headers: Mapping[str, str] | None = None,
        content: bytes | None = None,
        json: Any = None,
        data: Mapping[str, Any] | bytes | str | None = None,
        match: Callable[[MockRequest], bool] | None = None,
        name: str | None = None,
    ) -> Route:
        """A new route, tried after the ones before it. Criteria all must hold: `url` exact
        (scheme, host, port and path; a query in it or `params` must be present, and with
        `params_exact` nothing else), `re.compile(...)` searched in the full URL, or a pattern
        with `{name}` path parameters; `prefix` of the full URL; `headers` present; the body
        equal to `content`, to `json` once parsed, or to the form `data`; `match(request)`."""
        if self.base_url is not None:
            # RFC 3986 resolution, as a session's base_url does; urljoin keeps a pattern's
            # {name} parts as written (yarl would percent-encode the braces).
            base = str(self.base_url)
            if isinstance(url, str) and not url.startswith(("http://", "https://")):
                url = urljoin(base, url)
            if prefix is not None and not prefix.startswith(("http://", "https://")):
                prefix = urljoin(base, prefix)
        r = Route(
            self,
            method,
            url,
            prefix=prefix,
            params=params,
            params_exact=params_exact,
            headers=headers,
            content=content,
            json=json,
            data=data,
            match=match,
            name=name,
        )
        self.routes.append(r)
        if self._table is not None:
            self._add(r)
        return r

    def get(self, url: str | URL | re.Pattern[str] | None = None, **kwargs: Any) -> Route:
        return self.route("GET", url, **kwargs)

    def post(self, url: str | URL | re.Pattern[str] | None = None, **kwargs: Any) -> Route:
        return self.route("POST", url, **kwargs)

    def put(self, url: str | URL | re.Pattern[str] | None = None, **kwargs: Any) -> Route:
        return self.route("PUT", url, **kwargs)

    def patch(self, url: str | URL | re.Pattern[str] | None = None, **kwargs: Any) -> Route:
        return self.route("PATCH", url, **kwargs)

    def delete(self, url: str | URL | re.Pattern[str] | None = None, **kwargs: Any) -> Route:
        return self.route("DELETE", url, **kwargs)

    def head(self, url: str | URL | re.Pattern[str] | None = None, **kwargs: Any) -> Route:
        return self.route("HEAD", url, **kwargs)

    def options(self, url: str | URL | re.Pattern[str] | None = None, **kwargs: Any) -> Route:
        return self.route("OPTIONS", url, **kwargs)

    @property
    def calls(self) -> list[MockRequest]:
        """Every answered attempt of every route (route by route, each in order)."""
        return [c for r in self.routes for c in r.calls]

    @property
    def unmatched(self) -> list[MockRequest]:
        """The requests no route answered (each raised UnmatchedRequestError)."""
        raw = self._table.unmatched_calls() if self._table is not None else self._unmatched
        return [MockRequest(*c) for c in raw]

    def reset(self) -> None:
        """Forgets the calls recorded so far."""
        self._unmatched = []
        if self._table is not None:
            self._table.reset_calls()
        for r in self.routes:
            r._calls = []

    def assert_all_routes_called(self) -> None:
        missed = [r.describe() for r in self.routes if not r.called]
        if missed:
            raise AssertionError("routes never called:\n  " + "\n  ".join(missed))

    # -- activation -------------------------------------------------------------------------
    @property
    def active(self) -> bool:
        return self._table is not None

    def start(self) -> MockRouter:
        if self._table is not None:
            raise RuntimeError("this MockRouter is active already")
        table = _core.MockTable()
        table.set_passthrough_unmatched(self.passthrough_unmatched)
        self._table = table
        self._by_index = {}
        for r in self.routes:
            self._add(r)
        self._worker = threading.Thread(
            target=self._serve, args=(table,), name="asiofetch-mock", daemon=True
        )
        self._worker.start()
        with _stack_lock:
            _stack.append(self)
            _core.mock_install(table)
        return self

    def stop(self, *, check: bool = True) -> None:
        """Deactivates the router (the routes and their calls stay readable); with `check`
        and assert_all_called, fails when a route was never called."""
        table = self._table
        if table is None:
            return
        with _stack_lock:
            if self in _stack:
                _stack.remove(self)
            _core.mock_install(_stack[-1]._table if _stack else None)
        table.close()  # attempts still waiting for Python are answered "no match"
        if self._worker is not None:
            self._worker.join()
            self._worker = None
        for r in self.routes:
            r._snapshot()
        self._unmatched = list(table.unmatched_calls())
        self._table = None
        if check and self.assert_all_called:
            self.assert_all_routes_called()

    def __enter__(self) -> MockRouter:
        return self.start()

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop(check=et is None)

    async def __aenter__(self) -> MockRouter:
        return self.start()

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop(check=et is None)

    def __call__(self, func: F) -> F:
        """Decorates a test function (sync or async): the router is active while it runs."""
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self:
                    return await cast(Callable[..., Awaitable[Any]], func)(*args, **kwargs)

            return cast(F, run_async)

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return cast(F, run)

    # -- internals --------------------------------------------------------------------------
    def _add(self, r: Route) -> None:
        assert self._table is not None
        r._install(self._table)
        assert r._index is not None
        self._by_index[r._index] = r

    def _serve(self, table: _core.MockTable) -> None:
        """The helper thread: decides for routes that need Python, until the table closes."""
        while (job := table.next_job()) is not None:
            token, index, (method, url, headers, body) = job
            route = self._by_index.get(index)
            try:
                matched, answer = (
                    route._decide(method, url, headers, body) if route else (False, None)
                )
            except Exception as exc:  # a predicate that raised: the caller sees it raised
                matched, answer = True, exception_answer(exc)
            table.reply(token, matched, answer)
