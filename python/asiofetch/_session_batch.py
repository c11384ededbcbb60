"""A session's native batches: gather() and as_completed(), and what a batch takes from the session.

A batch runs no Python per request, so what the session would do per request in Python
(middlewares, trace hooks, a custom resolver) refuses a batch here, at the call, with the
reason; everything else (flow control, timeouts, redirects, the body cap) becomes the batch's
native options once. The batch itself (launching, collecting, progress) is `_batch`; this
module only binds it to a session. Layer: above `_session_request`, below `_session`.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from typing import Any

from . import _batch, _core
from ._batch import BatchTarget
from ._batch_stream import CompletedStream
from ._errors import SessionClosedError
from ._flow import Hedge, RateLimit, Retry, Semaphore
from ._models import Completed, Progress, RequestLike
from ._options import batch_options, body_cap
from ._session_request import SessionRequests
from ._session_state import SENTINEL as _SENTINEL
from ._timeout import ClientTimeout, to_timeout

__all__ = ("SessionBatches",)


class SessionBatches(SessionRequests):
    """gather() and as_completed() over the session's pool and settings (loop thread only)."""

    async def gather(
        self,
        requests: Iterable[RequestLike],
        *,
        return_exceptions: bool = False,
        concurrency: int | None = None,
        deadline: float | None = None,
        retry: Retry | None = _SENTINEL,
        semaphore: Semaphore | None = _SENTINEL,
        rate_limit: RateLimit | None = _SENTINEL,
        hedge: Hedge | None = _SENTINEL,
        timeout: ClientTimeout | float | None = _SENTINEL,
        progress: Callable[[Progress], object] | None = None,
        allow_redirects: bool = True,
        max_redirects: int = _core.MAX_REDIRECTS,
        max_body_size: int | None = _SENTINEL,
    ) -> list[Any]:
        """Fetch every request in one native batch; responses in input order (see _batch).

        `allow_redirects` and `max_redirects` apply to every request of the batch, as they do
        to one request (aiohttp's counting: the max_redirects-th redirect is TooManyRedirects).
        `max_body_size` caps each body the batch holds (bytes, decoded; None: no cap; default
        the session's batch_max_body_size, 16 MiB): a larger one fails with ClientPayloadError.
        """
        target = self._batch_target(
            retry=retry,
            semaphore=semaphore,
            rate_limit=rate_limit,
            hedge=hedge,
            timeout=timeout,
            allow_redirects=allow_redirects,
            max_redirects=max_redirects,
            max_body_size=max_body_size,
        )
        return await _batch.gather(
            target,
            requests,
            return_exceptions=return_exceptions,
            concurrency=concurrency,
            deadline=deadline,
            progress=progress,
        )

    def as_completed(
        self,
        requests: Iterable[RequestLike] | AsyncIterable[RequestLike],
        *,
        concurrency: int = 100,
        buffer: int | None = None,
        deadline: float | None = None,
        retry: Retry | None = _SENTINEL,
        semaphore: Semaphore | None = _SENTINEL,
        rate_limit: RateLimit | None = _SENTINEL,
        hedge: Hedge | None = _SENTINEL,
        timeout: ClientTimeout | float | None = _SENTINEL,
        allow_redirects: bool = True,
        max_redirects: int = _core.MAX_REDIRECTS,
        max_body_size: int | None = _SENTINEL,
    ) -> AsyncIterator[Completed]:
        """Results as they finish, consuming `requests` lazily (see _batch); redirects and
        max_body_size as for gather()."""
        target = self._batch_target(
            retry=retry,
            semaphore=semaphore,
            rate_limit=rate_limit,
            hedge=hedge,
            timeout=timeout,
            allow_redirects=allow_redirects,
            max_redirects=max_redirects,
            max_body_size=max_body_size,
        )
        return _batch.as_completed(
            target, requests, concurrency=concurrency, buffer=buffer, deadline=deadline
        )

    def _completed_chunks(
        self,
        requests: Iterable[RequestLike],
        *,
        concurrency: int,
        allow_redirects: bool = True,
        max_redirects: int = _core.MAX_REDIRECTS,
    ) -> CompletedStream:
        """as_completed's outcomes raw, a chunk at a time (the bulk-fetch job's path; see
        _batch_stream). Call it on the running loop."""
        target = self._batch_target(allow_redirects=allow_redirects, max_redirects=max_redirects)
        return _batch.completed_chunks(target, requests, concurrency)

    def _batch_target(
        self,
        *,
        retry: Any = _SENTINEL,
        semaphore: Any = _SENTINEL,
        rate_limit: Any = _SENTINEL,
        hedge: Any = _SENTINEL,
        timeout: Any = _SENTINEL,
        allow_redirects: bool = True,
        max_redirects: int = _core.MAX_REDIRECTS,
        max_body_size: Any = _SENTINEL,
    ) -> BatchTarget:
        """What a batch gets from this session (checked here, at the call)."""
        if self._closed:
            raise SessionClosedError("Session is closed")
        if self._resolve_hook is not None:
            raise ValueError(
                "gather()/as_completed() run no Python per request: a TCPConnector with a "
                "custom resolver cannot run native batches"
            )
        if self._middlewares or self._trace_configs:
            # A native batch runs no Python per request: neither could run.
            raise ValueError(
                "gather()/as_completed() run no Python per request: a session with "
                "middlewares= or trace_configs= cannot run native batches"
            )
        flow = self._request_flow(retry, semaphore, rate_limit, hedge)
        real_timeout = self._timeout if timeout is _SENTINEL else to_timeout(timeout)
        assert self._connector is not None
        # The bindings check allow_redirects and max_redirects (as for one request), here, at
        # the call: a wrong value never reaches the first iteration.
        options = self._opts.get(
            real_timeout,
            allow_redirects,
            max_redirects,
            self._connector.tls,
            self._proxy,
            False,
            self._auto_decompress,
            flow,
            body=self._body_bounds,
        )
        cap = (
            self._batch_body_cap
            if max_body_size is _SENTINEL
            else body_cap("max_body_size", max_body_size)
        )
        options = batch_options(options, cap)
        return BatchTarget(
            core=self._core,
            options=options,
            defaults=self._defaults,
            raise_for_status=self._raise_for_status is True,
        )
