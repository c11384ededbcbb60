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
from dataclasses import dataclass
from typing import Any

from . import _core
from ._bridge import mailbox_for
from ._errors import ClientResponseError, InvalidURL, NonHttpUrlClientError
from ._models import Completed, Progress, RequestLike, RequestSpec
from ._prepare import RequestDefaults, batch_item, fill_request_info, store_cookies
from ._response import ClientResponse

__all__ = ("BatchTarget", "as_completed", "gather")

_ITEM_OK, _ITEM_ERROR, _PROGRESS, _END = 0, 1, 2, 3
_REFUSED = -1  # never sent: its URL was refused before it reached the engine
# What makes one item unsendable (its URL), as opposed to a wrong argument type.
_BAD_URL = (InvalidURL, NonHttpUrlClientError)


@dataclass(frozen=True)
class BatchTarget:
    """Everything a batch needs from its session, handed over explicitly (`_batch` never
    sees the session): the native pool, the Options every item shares, the defaults that
    prepare each item, and the session's raise_for_status."""

    core: _core.SessionCore
    options: _core.Options
    defaults: RequestDefaults
    raise_for_status: bool


def _key_of(r: Any) -> Any:
    return (
        r.key
        if isinstance(r, RequestSpec) and r.key is not None
        else (str(r.url) if isinstance(r, RequestSpec) else r)
    )


def _wrap(target: BatchTarget, raw: Any, item: Any) -> Any:
    """A RawResponse becomes a ClientResponse (cookies stored); an exception stays as is,
    given the request it is about when it is a ClientResponseError (`item`: what batch_item
    made of the request)."""
    if isinstance(raw, BaseException):
        if isinstance(raw, ClientResponseError) and raw.request_info is None and item is not None:
            if isinstance(item, str):
                fill_request_info(raw, "GET", item, target.defaults.default_header_proxy)
            else:
                headers = item[2] if item[2] is not None else target.defaults.default_header_proxy
                fill_request_info(raw, item[0], item[1], headers)
        return raw
    resp = ClientResponse(raw, target.defaults.default_header_proxy)
    store_cookies(target.defaults, resp)
    if target.raise_for_status and resp.status >= 400:
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
    target: BatchTarget,
    requests: Iterable[RequestLike],
    *,
    return_exceptions: bool,
    concurrency: int | None,
    deadline: float | None,
    progress: Callable[[Progress], object] | None,
) -> list[Any]:
    bound = _check_bound("concurrency", concurrency)
    if progress is not None and not callable(progress):
        raise TypeError("progress must be a callable taking a Progress")
    defaults = target.defaults
    items = [batch_item(defaults, r) for r in requests]
    loop = asyncio.get_running_loop()
    mb = mailbox_for(loop)
    core = target.core

    progress_id = 0
    if progress is not None:
        progress_id = _core.new_id()

        def on_progress(kind: int, index: int, value: Any) -> None:
            progress(Progress(*value))

        mb.listeners[progress_id] = on_progress
    fut: asyncio.Future[Any] = loop.create_future()
    try:
        bid = core.submit_batch(
            mb.native,
            items,
            defaults.default_header_list,
            target.options,
            concurrency=bound,
            fail_fast=not return_exceptions,
            deadline=deadline,
            progress_id=progress_id,
        )
    except BaseException:
        mb.listeners.pop(progress_id, None)
        raise
    mb.futures[bid] = fut
    try:
        raws, first_error = await fut
    except asyncio.CancelledError:
        mb.futures.pop(bid, None)
        core.cancel(bid)
        raise
    finally:
        mb.listeners.pop(progress_id, None)
    # Tens of thousands of fresh objects would set off the cyclic GC again and again; none
    # of them forms a cycle, so the collector waits until they are built.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        results = [_wrap(target, raw, item) for raw, item in zip(raws, items, strict=True)]
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
    target: BatchTarget,
    requests: Iterable[RequestLike] | AsyncIterable[RequestLike],
    *,
    concurrency: int,
    buffer: int | None,
    deadline: float | None,
) -> AsyncIterator[Completed]:
    """Yields a Completed per request as it finishes.

    `requests` is read lazily by a feeder task: at most `concurrency` requests are in flight
    and at most `concurrency + buffer` have been read but not yet yielded, so memory stays
    flat for any input length and a slow consumer slows the producer down (backpressure).
    Results already finished are yielded while the producer waits (a crawler whose next URLs
    come from earlier results cannot deadlock). Arguments are checked here, at the call.
    """
    bound = _check_bound("concurrency", concurrency)
    if bound == 0:
        raise ValueError("as_completed needs a concurrency bound (an int >= 1)")
    if buffer is not None and (isinstance(buffer, bool) or not isinstance(buffer, int)):
        raise TypeError("buffer must be an int or None")
    if buffer is not None and buffer < 0:
        raise ValueError("buffer must be >= 0")
    _core.check_deadline(deadline)  # submitted later, by the first iteration
    source = _Source(requests)
    window = bound + (bound if buffer is None else buffer)
    return _as_completed(target, source, bound, window, deadline)


async def _as_completed(
    target: BatchTarget,
    source: _Source,
    bound: int,
    window: int,
    deadline: float | None,
) -> AsyncIterator[Completed]:
    loop = asyncio.get_running_loop()
    mb = mailbox_for(loop)
    core = target.core
    defaults = target.defaults
    opts = target.options

    ready: collections.deque[tuple[int, int, Any]] = collections.deque()
    wake_consumer = asyncio.Event()
    wake_feeder = asyncio.Event()
    keys: dict[int, tuple[int, Any]] = {}  # native index -> (input position, key)
    sent: dict[int, Any] = {}  # native index -> batch item, until its outcome is yielded
    outstanding = 0  # read from the source, not yet yielded
    feeder_error: list[BaseException] = []
    feeder_abandoned: list[bool] = []

    def on_outcome(kind: int, index: int, value: Any) -> None:
        ready.append((kind, index, value))
        wake_consumer.set()

    bid = core.submit_batch(
        mb.native, [], defaults.default_header_list, opts,
        concurrency=bound, fail_fast=False, deadline=deadline, streaming=True,
    )  # fmt: skip
    mb.listeners[bid] = on_outcome

    next_native = 0  # the engine numbers only the items it was given

    def refuse(pos: int, key: Any, exc: BaseException) -> None:
        # A URL the engine cannot send is that request's outcome, not the whole batch's: one
        # malformed line in a million-URL input must not stop the job.
        ready.append((_REFUSED, pos, (key, exc)))
        wake_consumer.set()

    def feed_items(items: list[tuple[int, Any, Any]], close: bool) -> None:
        """Sends (input position, key, item) triples; a refused URL becomes its outcome."""
        nonlocal next_native
        try:
            core.feed_batch(
                mb.native, bid, [it for _, _, it in items], defaults.default_header_list, opts,
                close=close,
            )  # fmt: skip
        except _BAD_URL as e:
            if len(items) == 1:
                refuse(items[0][0], items[0][1], e)
            else:
                # The engine refused the chunk as a whole: send the items one by one to find
                # which (rare: Python's checks pass all but what the engine's parser refuses).
                for one in items:
                    feed_items([one], close=False)
            if close:
                feed_items([], close=True)
            return
        for pos, key, item in items:
            keys[next_native] = (pos, key)
            sent[next_native] = item
            next_native += 1

    async def feed() -> None:
        nonlocal outstanding
        next_input = 0  # input position of the next request read from the source
        closed = False  # the native input was closed (no more items will come)
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
                    key = _key_of(r)
                    try:
                        items.append((next_input, key, batch_item(defaults, r)))
                    except _BAD_URL as e:
                        refuse(next_input, key, e)
                    next_input += 1
                outstanding += len(taken)
                feed_items(items, close=source.exhausted)
                closed = source.exhausted
                if source.error is not None:
                    raise source.error
                if source.exhausted:
                    return
        except asyncio.CancelledError:
            raise
        except BaseException as e:
            # A failing producer or a bad item. Every request already sent still ends and is
            # yielded; the consumer raises this error once the batch has ended. Closing the
            # input is what lets it end. (A bad item fails its whole chunk before it is sent.)
            feeder_error.append(e)
            if not closed:
                try:
                    core.feed_batch(
                        mb.native, bid, [], defaults.default_header_list, opts, close=True
                    )
                except BaseException:  # the session is closing: no end will come, raise now
                    feeder_abandoned.append(True)
            wake_consumer.set()

    feeder = loop.create_task(feed())
    ended = False
    try:
        while True:
            if feeder_abandoned:
                raise feeder_error[0]
            if not ready:
                if ended:
                    if feeder_error:
                        raise feeder_error[0]
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
            outstanding -= 1
            wake_feeder.set()
            if kind == _REFUSED:
                key, exc = value
                yield Completed(index, key, None, exc)
                continue
            out = _wrap(target, value, sent.pop(index, None))
            index, key = keys.pop(index)
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
        self.error: BaseException | None = None  # the producer's, after its last items
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
            except Exception as e:
                # The producer failed: what it produced before still goes out, and the error
                # is raised by the next take.
                self.exhausted = True
                self.error = e
                break
        return out
