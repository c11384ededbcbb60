"""The streaming native batch behind `as_completed`: a lazy feeder and outcomes in chunks.

`CompletedStream` submits one streaming native batch, feeds it from a sync or async iterable
(read lazily by a task of its own) and hands the outcomes over in chunks: everything the engine
delivered since the last chunk, in completion order. `as_completed` yields them one by one;
the bulk-fetch job (cli/job.py) takes a chunk at a time so its per-row Python is paid once per
chunk, not once per row.

Backpressure is counted in outcomes handed to the *caller*, not in chunks: at most `window`
requests are read from the source and not yet released, and the caller releases each outcome
when it is done with it (`release(n)`), so `as_completed`'s "read but not yet yielded" bound
holds exactly.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ._bridge import mailbox_for
from ._errors import ClientResponseError, InvalidURL, NonHttpUrlClientError
from ._models import RequestSpec
from ._prepare import batch_item, fill_request_info, store_cookies
from ._response import ClientResponse

if TYPE_CHECKING:
    from ._batch import BatchTarget

__all__ = ("CompletedStream", "Entry", "Source", "wrap_outcome")

_ITEM_OK, _ITEM_ERROR, _PROGRESS, _END = 0, 1, 2, 3
_REFUSED = -1  # never sent: its URL was refused before it reached the engine
# What makes one item unsendable (its URL), as opposed to a wrong argument type.
_BAD_URL = (InvalidURL, NonHttpUrlClientError)

# One outcome: (input position, key, RawResponse or exception, the batch item sent or None).
# Responses are raw: the caller wraps them (_batch._wrap) or reads them natively.
Entry = tuple[int, Any, Any, Any]


def wrap_outcome(target: BatchTarget, raw: Any, item: Any) -> Any:
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


class CompletedStream:
    """One streaming batch; `async for chunk in stream` gives lists of Entry (never empty).

    Created on the running loop; `aclose()` (or leaving early through it) cancels what is
    still in flight natively. Errors: a failing source or a bad item is raised once every
    request already sent has been handed over; an error that ended the batch is raised after
    the outcomes delivered before it.
    """

    def __init__(
        self,
        target: BatchTarget,
        source: Source,
        bound: int,
        window: int,
        deadline: float | None,
    ) -> None:
        self._source = source
        loop = asyncio.get_running_loop()
        self._mb = mb = mailbox_for(loop)
        self._target = target
        self._window = window
        self._ready: collections.deque[tuple[int, int, Any]] = collections.deque()
        self._wake_consumer = asyncio.Event()
        self._wake_feeder = asyncio.Event()
        self._keys: dict[int, tuple[int, Any]] = {}  # native index -> (input position, key)
        self._sent: dict[int, Any] = {}  # native index -> batch item, until handed over
        self._outstanding = 0  # read from the source, not yet released by the caller
        self._feeder_error: list[BaseException] = []
        self._feeder_abandoned = False
        self._end_error: BaseException | None = None
        self._ended = False
        self._closed = False
        self._next_native = 0  # the engine numbers only the items it was given
        d = target.defaults
        self._bid = target.core.submit_batch(
            mb.native, [], d.default_header_list, target.options,
            concurrency=bound, fail_fast=False, deadline=deadline, streaming=True,
        )  # fmt: skip
        mb.listeners[self._bid] = self._on_outcome
        self._feeder = loop.create_task(self._feed())

    # ---- engine side -------------------------------------------------------------------

    def _on_outcome(self, kind: int, index: int, value: Any) -> None:
        self._ready.append((kind, index, value))
        self._wake_consumer.set()

    def _refuse(self, pos: int, key: Any, exc: BaseException) -> None:
        # A URL the engine cannot send is that request's outcome, not the whole batch's: one
        # malformed line in a million-URL input must not stop the job.
        self._ready.append((_REFUSED, pos, (key, exc)))
        self._wake_consumer.set()

    def _feed_items(self, items: list[tuple[int, Any, Any]], close: bool) -> None:
        """Sends (input position, key, item) triples; a refused URL becomes its outcome."""
        t = self._target
        try:
            t.core.feed_batch(
                self._mb.native, self._bid, [it for _, _, it in items],
                t.defaults.default_header_list, t.options, close=close,
            )  # fmt: skip
        except _BAD_URL as e:
            if len(items) == 1:
                self._refuse(items[0][0], items[0][1], e)
            else:
                # The engine refused the chunk as a whole: send the items one by one to find
                # which (rare: Python's checks pass all but what the engine's parser refuses).
                for one in items:
                    self._feed_items([one], close=False)
            if close:
                self._feed_items([], close=True)
            return
        keys, sent = self._keys, self._sent
        n = self._next_native
        for pos, key, item in items:
            keys[n] = (pos, key)
            sent[n] = item
            n += 1
        self._next_native = n

    async def _feed(self) -> None:
        source = self._source
        defaults = self._target.defaults
        next_input = 0  # input position of the next request read from the source
        closed = False  # the native input was closed (no more items will come)
        try:
            while True:
                free = self._window - self._outstanding
                if free <= 0:
                    self._wake_feeder.clear()
                    await self._wake_feeder.wait()
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
                        self._refuse(next_input, key, e)
                    next_input += 1
                self._outstanding += len(taken)
                self._feed_items(items, close=source.exhausted)
                closed = source.exhausted
                if source.error is not None:
                    raise source.error
                if source.exhausted:
                    return
        except asyncio.CancelledError:
            raise
        except BaseException as e:
            # A failing producer or a bad item. Every request already sent still ends and is
            # handed over; the consumer raises this error once the batch has ended. Closing
            # the input is what lets it end. (A bad item fails its whole chunk before it is
            # sent.)
            self._feeder_error.append(e)
            if not closed:
                t = self._target
                try:
                    t.core.feed_batch(
                        self._mb.native, self._bid, [], t.defaults.default_header_list,
                        t.options, close=True,
                    )  # fmt: skip
                except BaseException:  # the session is closing: no end will come, raise now
                    self._feeder_abandoned = True
            self._wake_consumer.set()

    # ---- caller side -------------------------------------------------------------------

    @property
    def raw_is_final(self) -> bool:
        """A RawResponse is the whole outcome: wrapping it would store no cookies and raise
        nothing (no cookie jar, no raise_for_status), so a caller may read it natively."""
        t = self._target
        return not t.raise_for_status and not t.defaults.collect_cookies

    def wrap(self, value: Any, item: Any) -> Any:
        """An Entry's value as as_completed gives it: a ClientResponse or an exception."""
        return wrap_outcome(self._target, value, item)

    def release(self, n: int) -> None:
        """The caller is done with n more outcomes: the feeder may read n more requests."""
        self._outstanding -= n
        self._wake_feeder.set()

    def __aiter__(self) -> CompletedStream:
        return self

    async def __anext__(self) -> list[Entry]:
        ready = self._ready
        while True:
            if self._feeder_abandoned:
                raise self._feeder_error[0]
            if self._end_error is not None:
                err, self._end_error = self._end_error, None
                raise err
            if not ready:
                if self._ended:
                    if self._feeder_error:
                        raise self._feeder_error[0]
                    raise StopAsyncIteration
                self._wake_consumer.clear()
                await self._wake_consumer.wait()
                continue
            out: list[Entry] = []
            keys, sent = self._keys, self._sent
            while ready:
                kind, index, value = ready.popleft()
                if kind in (_ITEM_OK, _ITEM_ERROR):
                    pos, key = keys.pop(index)
                    out.append((pos, key, value, sent.pop(index, None)))
                elif kind == _REFUSED:
                    key, exc = value
                    out.append((index, key, exc, None))
                elif kind == _END:
                    self._ended = True
                    if isinstance(value, BaseException) and not isinstance(
                        value, asyncio.CancelledError
                    ):
                        self._end_error = value  # after the outcomes before it
                    break
                # _PROGRESS: nothing to hand over
            if out:
                return out

    async def aclose(self) -> None:
        """Stops the batch: what is in flight is cancelled natively, nothing more is read."""
        if self._closed:
            return
        self._closed = True
        self._mb.listeners.pop(self._bid, None)
        if not self._feeder.done():
            self._feeder.cancel()
        if not self._ended:
            self._target.core.cancel(self._bid)  # the consumer left early: stop the rest


def _key_of(r: Any) -> Any:
    return (
        r.key
        if isinstance(r, RequestSpec) and r.key is not None
        else (str(r.url) if isinstance(r, RequestSpec) else r)
    )


class Source:
    """Reads a sync or async iterable in chunks (made at the call: a wrong type raises there)."""

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
