"""Native batches: `session.gather()` and `session.as_completed()`.

A batch is one native object on the engine thread. It launches its requests under its own
concurrency bound (and the session's pool limits, semaphore and rate limit), retries them
natively, and reports back once (gather) or once per result (as_completed). No Python runs
between the requests of a batch.

gather's failure rule, like `asyncio.gather` and `TaskGroup` meet halfway: by default the first
failure cancels every other request of the batch natively and is raised as is (not wrapped in
an ExceptionGroup: it is the one real failure, the rest were cancelled because of it).
With `return_exceptions=True` every failure takes its place in the result list.
"""

from __future__ import annotations

import asyncio
import collections
import gc
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from . import _core
from ._body import encode_body
from ._flow import fallback_list
from ._headers import merge_headers
from ._response import ClientResponse
from ._timeout import ClientTimeout

if TYPE_CHECKING:
    from ._flow import Flow
    from ._session import ClientSession

__all__ = ("Completed", "Progress", "RequestLike", "RequestSpec", "as_completed", "gather")

_ITEM_OK, _ITEM_ERROR, _PROGRESS, _END = 0, 1, 2, 3


class RequestSpec:
    """One request of a batch when a bare URL is not enough."""

    __slots__ = ("data", "fallback", "headers", "json", "key", "method", "params", "url")

    def __init__(
        self,
        method: str,
        url: str | URL,
        *,
        params: Any = None,
        headers: Any = None,
        data: Any = None,
        json: Any = None,
        key: Any = None,
        fallback: Any = None,
    ) -> None:
        if not isinstance(method, str):
            raise TypeError(f"method must be str, got {type(method).__name__}")
        self.method = method.upper()
        self.url = url
        self.params = params
        self.headers = headers
        self.data = data
        self.json = json
        self.key = key
        self.fallback = fallback

    def __repr__(self) -> str:
        return f"RequestSpec({self.method!r}, {str(self.url)!r})"


RequestLike = str | URL | RequestSpec


class Progress(NamedTuple):
    """Counts of a running batch: finished (failed included), failed, submitted so far."""

    done: int
    failed: int
    total: int


class Completed:
    """One result of `as_completed`: which request it answers and how it ended."""

    __slots__ = ("exception", "index", "key", "response")

    def __init__(
        self,
        index: int,
        key: Any,
        response: ClientResponse | None,
        exception: BaseException | None,
    ) -> None:
        self.index = index  # position in the input
        self.key = key  # the RequestSpec's key, else the URL
        self.response = response
        self.exception = exception

    @property
    def ok(self) -> bool:
        return self.exception is None

    def result(self) -> ClientResponse:
        """The response, or the request's exception raised."""
        if self.exception is not None:
            raise self.exception
        assert self.response is not None
        return self.response

    def __repr__(self) -> str:
        outcome = self.response if self.exception is None else repr(self.exception)
        return f"<Completed #{self.index} {self.key!r}: {outcome}>"


# ---- building native items ----------------------------------------------------------------


def _options(session: ClientSession, timeout: ClientTimeout, flow: Flow) -> Any:
    assert session._connector is not None
    return session._options(
        timeout,
        True,
        10,
        session._connector.tls,
        session._opts_buffered.proxy,
        False,
        session._auto_decompress,
        flow,
    )


def _native_item(session: ClientSession, r: Any) -> Any:
    """A URL str when the session's defaults are all it needs, else a full tuple."""
    plain = session._base_url is None and not session._cookie_jar
    if isinstance(r, str):
        if plain:
            return r
        url_str, url = session._build_url(r, None)
        return ("GET", url_str, _headers_for(session, None, url or URL(url_str), None), None, None)
    if isinstance(r, URL):
        return _native_item(session, str(r))
    if isinstance(r, RequestSpec):
        url_str, url = session._build_url(r.url, r.params)
        body, content_type = encode_body(r.data, r.json, session._json_serialize)
        headers = _headers_for(session, r.headers, url or URL(url_str), content_type)
        if r.fallback is not None:
            return (r.method, url_str, headers, body, None, fallback_list(r.fallback))
        return (r.method, url_str, headers, body, None)
    raise TypeError(f"a batch takes URLs (str or yarl.URL) or RequestSpec, got {type(r).__name__}")


def _headers_for(
    session: ClientSession, extra: Any, url: URL, content_type: str | None
) -> list[tuple[str, str]] | None:
    if not extra and content_type is None and not session._cookie_jar:
        return None  # the session's defaults, sent natively
    hdrs: CIMultiDict[str] = (
        merge_headers(session._default_headers, extra)
        if extra
        else CIMultiDict(session._default_headers)
    )
    if content_type is not None and "Content-Type" not in hdrs:
        hdrs["Content-Type"] = content_type
    if session._cookie_jar:
        session._add_cookie_header(hdrs, url, None)
    return list(hdrs.items())


def _key_of(r: Any) -> Any:
    return (
        r.key
        if isinstance(r, RequestSpec) and r.key is not None
        else (str(r.url) if isinstance(r, RequestSpec) else r)
    )


def _wrap(session: ClientSession, raw: Any, headers: CIMultiDictProxy[str]) -> Any:
    """A RawResponse becomes a ClientResponse (cookies stored); an exception stays as is."""
    if isinstance(raw, BaseException):
        return raw
    resp = ClientResponse(raw, headers)
    session._store_cookies(resp)
    if session._raise_for_status is True and resp.status >= 400:
        try:
            resp.raise_for_status()
        except Exception as e:
            return e
    return resp


def _check_bound(name: str, value: int | None) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int or None")
    if value < 1:
        raise ValueError(f"{name} must be >= 1")
    return value


# ---- gather --------------------------------------------------------------------------------


async def gather(
    session: ClientSession,
    requests: Iterable[RequestLike],
    *,
    return_exceptions: bool,
    concurrency: int | None,
    deadline: float | None,
    flow: Flow,
    timeout: ClientTimeout,
    progress: Callable[[Progress], object] | None,
) -> list[Any]:
    if session.closed:
        from ._errors import SessionClosedError

        raise SessionClosedError("Session is closed")
    bound = _check_bound("concurrency", concurrency)
    if progress is not None and not callable(progress):
        raise TypeError("progress must be a callable taking a Progress")
    items = [_native_item(session, r) for r in requests]
    opts = _options(session, timeout, flow)
    loop = asyncio.get_running_loop()
    mb = session._mb if loop is session._mb_loop else session._bind_loop(loop)
    assert mb is not None

    progress_id = 0
    if progress is not None:
        progress_id = _core.new_id()

        def on_progress(kind: int, index: int, value: Any) -> None:
            progress(Progress(*value))

        mb.listeners[progress_id] = on_progress
    fut: asyncio.Future[Any] = loop.create_future()
    try:
        bid = session._core.submit_batch(
            mb.native,
            items,
            session._default_header_list,
            opts,
            concurrency=bound,
            fail_fast=not return_exceptions,
            deadline=deadline,
            progress_id=progress_id,
        )
    except _core.InvalidUrlError as e:
        mb.listeners.pop(progress_id, None)
        from ._session import _url_error

        raise _url_error(str(e).split(": ", 1)[0], e) from None
    except BaseException:
        mb.listeners.pop(progress_id, None)
        raise
    mb.futures[bid] = fut
    try:
        raws, first_error = await fut
    except asyncio.CancelledError:
        mb.futures.pop(bid, None)
        session._core.cancel(bid)
        raise
    finally:
        mb.listeners.pop(progress_id, None)
    headers = session._default_header_proxy
    # Tens of thousands of fresh objects would set off the cyclic GC again and again; none
    # of them forms a cycle, so the collector waits until they are built.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        results = [_wrap(session, raw, headers) for raw in raws]
    finally:
        if gc_was_enabled:
            gc.enable()
    if first_error is not None:
        raise results[first_error]
    if not return_exceptions:
        for r in results:  # raise_for_status failures are found here, after the batch
            if isinstance(r, BaseException):
                raise r
    return results


# ---- as_completed --------------------------------------------------------------------------


def as_completed(
    session: ClientSession,
    requests: Iterable[RequestLike] | AsyncIterable[RequestLike],
    *,
    concurrency: int,
    buffer: int | None,
    deadline: float | None,
    flow: Flow,
    timeout: ClientTimeout,
) -> AsyncIterator[Completed]:
    """Yields a Completed per request as it finishes.

    `requests` is read lazily by a feeder task: at most `concurrency` requests are in flight
    and at most `concurrency + buffer` have been read but not yet yielded, so memory stays
    flat for any input length and a slow consumer slows the producer down (backpressure).
    Results already finished are yielded while the producer waits (a crawler whose next URLs
    come from earlier results cannot deadlock). Arguments are checked here, at the call.
    """
    if session.closed:
        from ._errors import SessionClosedError

        raise SessionClosedError("Session is closed")
    bound = _check_bound("concurrency", concurrency)
    if bound == 0:
        raise ValueError("as_completed needs a concurrency bound (an int >= 1)")
    if buffer is not None and (isinstance(buffer, bool) or not isinstance(buffer, int)):
        raise TypeError("buffer must be an int or None")
    if buffer is not None and buffer < 0:
        raise ValueError("buffer must be >= 0")
    if deadline is not None and not deadline > 0:
        raise ValueError("deadline must be > 0 seconds")
    source = _Source(requests)
    window = bound + (bound if buffer is None else buffer)
    return _as_completed(session, source, bound, window, deadline, _options(session, timeout, flow))


async def _as_completed(
    session: ClientSession,
    source: _Source,
    bound: int,
    window: int,
    deadline: float | None,
    opts: Any,
) -> AsyncIterator[Completed]:
    loop = asyncio.get_running_loop()
    mb = session._mb if loop is session._mb_loop else session._bind_loop(loop)
    assert mb is not None
    core = session._core

    ready: collections.deque[tuple[int, int, Any]] = collections.deque()
    wake_consumer = asyncio.Event()
    wake_feeder = asyncio.Event()
    keys: dict[int, Any] = {}
    outstanding = 0  # read from the source, not yet yielded
    feeder_error: list[BaseException] = []

    def on_outcome(kind: int, index: int, value: Any) -> None:
        ready.append((kind, index, value))
        wake_consumer.set()

    bid = core.submit_batch(
        mb.native, [], session._default_header_list, opts,
        concurrency=bound, fail_fast=False, deadline=deadline, streaming=True,
    )  # fmt: skip
    mb.listeners[bid] = on_outcome

    async def feed() -> None:
        nonlocal outstanding
        next_index = 0
        try:
            while True:
                free = window - outstanding
                if free <= 0:
                    wake_feeder.clear()
                    await wake_feeder.wait()
                    continue
                # A sync source is read in bulk; an async one item by item, so whatever it
                # has produced is in flight before it is asked for more.
                taken = await source.take(free if source.is_sync else 1)
                items = []
                for r in taken:
                    keys[next_index] = _key_of(r)
                    next_index += 1
                    items.append(_native_item(session, r))
                outstanding += len(items)
                core.feed_batch(
                    mb.native, bid, items, session._default_header_list, opts,
                    close=source.exhausted,
                )  # fmt: skip
                if source.exhausted:
                    return
        except asyncio.CancelledError:
            raise
        except BaseException as e:  # a bad item or a failing producer: the consumer raises it
            feeder_error.append(e)
            wake_consumer.set()

    feeder = loop.create_task(feed())
    ended = False
    try:
        headers = session._default_header_proxy
        while True:
            if feeder_error:
                raise feeder_error[0]
            if not ready:
                if ended:
                    return
                wake_consumer.clear()
                await wake_consumer.wait()
                continue
            kind, index, value = ready.popleft()
            if kind == _END:
                ended = True
                if isinstance(value, BaseException) and not isinstance(
                    value, asyncio.CancelledError
                ):
                    raise value
                continue
            if kind == _PROGRESS:
                continue
            out = _wrap(session, value, headers)
            key = keys.pop(index, None)
            outstanding -= 1
            wake_feeder.set()
            if isinstance(out, BaseException):
                yield Completed(index, key, None, out)
            else:
                yield Completed(index, key, out, None)
    finally:
        mb.listeners.pop(bid, None)
        if not feeder.done():
            feeder.cancel()
        if not ended:
            core.cancel(bid)  # the consumer left early: stop the rest natively


class _Source:
    """Reads a sync or async iterable in chunks."""

    def __init__(self, requests: Iterable[Any] | AsyncIterable[Any]) -> None:
        self.exhausted = False
        self.is_sync = not isinstance(requests, AsyncIterable)
        self._sync: Iterator[Any] | None = None
        self._async: AsyncIterator[Any] | None = None
        if isinstance(requests, AsyncIterable):
            self._async = requests.__aiter__()
        elif isinstance(requests, Iterable) and not isinstance(requests, (str, bytes)):
            self._sync = iter(requests)
        else:
            raise TypeError("requests must be an iterable or async iterable of requests")

    async def take(self, n: int) -> list[Any]:
        out: list[Any] = []
        if self.exhausted:
            return out
        while len(out) < n:
            try:
                if self._sync is not None:
                    out.append(next(self._sync))
                else:
                    assert self._async is not None
                    out.append(await self._async.__anext__())
            except (StopIteration, StopAsyncIteration):
                self.exhausted = True
                break
        return out
