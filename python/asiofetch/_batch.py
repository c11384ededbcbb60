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
import gc
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from . import _core
from ._batch_stream import CompletedStream, Source, wrap_outcome
from ._bridge import mailbox_for
from ._models import Completed, Progress, RequestLike
from ._prepare import RequestDefaults, batch_item

__all__ = ("BatchTarget", "as_completed", "completed_chunks", "gather")


@dataclass(frozen=True)
class BatchTarget:
    """Everything a batch needs from its session, handed over explicitly (`_batch` never
    sees the session): the native pool, the Options every item shares, the defaults that
    prepare each item, and the session's raise_for_status."""

    core: _core.SessionCore
    options: _core.Options
    defaults: RequestDefaults
    raise_for_status: bool


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
            concurrency=concurrency,  # checked by the bindings: None or an int >= 1
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
        results = [wrap_outcome(target, raw, item) for raw, item in zip(raws, items, strict=True)]
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
    come from earlier results cannot deadlock). Arguments are checked here, at the call, by
    the bindings (the batch itself is submitted later, by the first iteration).
    """
    bound, window = _core.stream_window(concurrency, buffer)
    _core.check_deadline(deadline)
    source = Source(requests)
    return _as_completed(target, source, bound, window, deadline)


async def _as_completed(
    target: BatchTarget,
    source: Source,
    bound: int,
    window: int,
    deadline: float | None,
) -> AsyncIterator[Completed]:
    stream = CompletedStream(target, source, bound, window, deadline)
    try:
        async for chunk in stream:
            for index, key, value, item in chunk:
                stream.release(1)  # "read but not yet yielded" counts this one no more
                out = wrap_outcome(target, value, item)
                if isinstance(out, BaseException):
                    yield Completed(index, key, None, out)
                else:
                    yield Completed(index, key, out, None)
    finally:
        await stream.aclose()


def completed_chunks(
    target: BatchTarget, requests: Iterable[Any], concurrency: int
) -> CompletedStream:
    """as_completed's outcomes raw and in chunks (see _batch_stream): for callers that handle a
    whole chunk at once, like the bulk-fetch job. Call it on the running loop."""
    bound, window = _core.stream_window(concurrency, None)
    return CompletedStream(target, Source(requests), bound, window, None)
