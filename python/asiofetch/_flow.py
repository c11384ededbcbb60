"""Native flow control: Retry, Semaphore and RateLimit, enforced on the engine thread.

Each object wraps one native object. Passing it to a session, a request or a batch shares
that object by reference, so one Semaphore or RateLimit can bound several sessions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Final

from yarl import URL

from . import _core
from ._bridge import mailbox_for

__all__ = (
    "IDEMPOTENT_METHODS",
    "Flow",
    "Hedge",
    "RateLimit",
    "Retry",
    "Semaphore",
    "fallback_list",
)

# The engine's retry defaults, read once: the signature below shows them, nothing restates them.
_RETRY: Final = _core.RetryPolicy()
IDEMPOTENT_METHODS: Final = _RETRY.methods


class Retry:
    """Retry policy run natively between attempts (no Python in between).

    `attempts` counts the first try. The wait before attempt n (n >= 2) is
    `backoff * multiplier ** (n - 2)`, capped by `max_backoff`; with `jitter` in (0, 1] it is
    drawn uniformly from `[wait * (1 - jitter), wait]`. A retried status with a Retry-After
    header (seconds or HTTP-date) waits what the server asked, also capped by `max_backoff`.
    Only `methods` are retried (idempotent ones by default). `total_budget` (seconds) bounds
    the time from the first attempt's start to the last retry's start. `seed` makes the
    jitter reproducible.
    """

    __slots__ = ("_native", "attempts", "errors", "methods", "statuses")

    def __init__(
        self,
        attempts: int = _RETRY.attempts,
        backoff: float = _RETRY.backoff,
        multiplier: float = _RETRY.multiplier,
        max_backoff: float = _RETRY.max_backoff,
        jitter: float = _RETRY.jitter,
        statuses: Iterable[int] = _RETRY.statuses,
        errors: Iterable[str] = _RETRY.errors,
        respect_retry_after: bool = _RETRY.respect_retry_after,
        methods: Iterable[str] = IDEMPOTENT_METHODS,
        total_budget: float | None = None,
        seed: int | None = None,
    ) -> None:
        # Every argument is checked (and methods upper-cased) by the native policy.
        native = _core.RetryPolicy(
            attempts=attempts,
            backoff=backoff,
            multiplier=multiplier,
            max_backoff=max_backoff,
            jitter=jitter,
            statuses=statuses,
            errors=errors,
            respect_retry_after=respect_retry_after,
            methods=methods,
            total_budget=total_budget,
            seed=seed,
        )
        self._native = native
        self.attempts: int = native.attempts
        self.statuses: frozenset[int] = native.statuses
        self.errors: frozenset[str] = native.errors
        self.methods: frozenset[str] = native.methods

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds the engine waits before `attempt` (2 = the first retry)."""
        return float(self._native.delay(attempt, retry_after))

    def __repr__(self) -> str:
        return f"Retry(attempts={self.attempts}, statuses={sorted(self.statuses)})"


class Semaphore:
    """A FIFO semaphore held natively: `async with sem:` in Python, and `semaphore=sem` on
    requests and batches so native requests acquire it with no Python in between.

    A waiter cancelled while queued takes no permit; one cancelled just after the grant gives
    it back. Usable from any event loop.
    """

    __slots__ = ("_held", "_native")

    def __init__(self, value: int = 1) -> None:
        self._native = _core.Semaphore(value)
        self._held: list[int] = []  # grant ids taken from Python and not yet released

    async def acquire(self) -> bool:
        loop = asyncio.get_running_loop()
        mb = mailbox_for(loop)
        fut: asyncio.Future[None] = loop.create_future()
        sid = self._native.acquire(mb.native)
        mb.futures[sid] = fut
        try:
            await fut
        except asyncio.CancelledError:
            mb.futures.pop(sid, None)
            self._native.cancel(sid)
            raise
        self._held.append(sid)
        return True

    def release(self) -> None:
        if not self._held:
            raise ValueError("Semaphore released too many times")
        self._native.release(self._held.pop())

    def locked(self) -> bool:
        """True when no permit is free right now (a snapshot of the engine's count)."""
        return int(self._native.available) == 0

    @property
    def value(self) -> int:
        return int(self._native.available)

    async def __aenter__(self) -> None:
        await self.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<asiofetch.Semaphore value={self.value}/{self._native.permits}>"


class RateLimit:
    """Token bucket: at most `rate` request starts per `per` seconds, bursts up to `burst`
    (default: `rate`). Every attempt takes a token, retries included. Waiters are served FIFO."""

    __slots__ = ("_native", "burst", "per", "rate")

    def __init__(self, rate: float, per: float = 1.0, burst: float | None = None) -> None:
        native = self._native = _core.RateLimit(rate=rate, per=per, burst=burst)
        self.rate: float = native.rate
        self.per: float = native.per
        self.burst: float = native.burst

    def __repr__(self) -> str:
        return f"RateLimit(rate={self.rate:g}, per={self.per:g}, burst={self.burst:g})"


class Hedge:
    """Hedged requests: when an idempotent request (GET, HEAD, OPTIONS) has no answer after
    `after` seconds, the engine starts a copy, up to `max_extra` copies one period apart. The
    first success wins and the others are cancelled natively; `resp.hedge` says which copy
    answered (0 the original). Each copy counts against pool limits, semaphores and rate limits.
    """

    __slots__ = ("_native", "after", "max_extra")

    def __init__(self, after: float = 0.05, max_extra: int = 1) -> None:
        # Checked natively: after > 0 seconds, 1 <= max_extra <= _core.HEDGE_MAX_EXTRA.
        self._native = _core.HedgePolicy(after=after, max_extra=max_extra)
        self.after = float(after)
        self.max_extra: int = max_extra

    def __repr__(self) -> str:
        return f"Hedge(after={self.after:g}, max_extra={self.max_extra})"


# What a session, request or batch carries: (retry, semaphore, rate_limit, hedge), each optional.
Flow = tuple["Retry | None", "Semaphore | None", "RateLimit | None", "Hedge | None"]


def check_flow(retry: Any, semaphore: Any, rate_limit: Any, hedge: Any) -> Flow:
    """Validates the four flow-control arguments at the call site."""
    if retry is not None and not isinstance(retry, Retry):
        raise TypeError(f"retry must be an asiofetch.Retry, got {type(retry).__name__}")
    if semaphore is not None and not isinstance(semaphore, Semaphore):
        raise TypeError(f"semaphore must be an asiofetch.Semaphore, got {type(semaphore).__name__}")
    if rate_limit is not None and not isinstance(rate_limit, RateLimit):
        raise TypeError(
            f"rate_limit must be an asiofetch.RateLimit, got {type(rate_limit).__name__}"
        )
    if hedge is not None and not isinstance(hedge, Hedge):
        raise TypeError(f"hedge must be an asiofetch.Hedge, got {type(hedge).__name__}")
    return (retry, semaphore, rate_limit, hedge)


def native_flow(flow: Flow) -> dict[str, Any]:
    """Options keyword arguments for the native objects of a Flow."""
    retry, semaphore, rate_limit, hedge = flow
    return {
        "hedge": hedge._native if hedge is not None else None,
        "retry": retry._native if retry is not None else None,
        "semaphore": semaphore._native if semaphore is not None else None,
        "rate_limit": rate_limit._native if rate_limit is not None else None,
    }


def fallback_list(fallback: Any) -> list[str] | None:
    """`fallback=`: alternate URLs (str or yarl.URL) tried in order when the request fails."""
    if fallback is None:
        return None
    if isinstance(fallback, (str, URL)) or not isinstance(fallback, Iterable):
        raise TypeError("fallback must be a list of URLs")
    out = []
    for u in fallback:
        if not isinstance(u, (str, URL)):
            raise TypeError(f"fallback URLs must be str or yarl.URL, got {type(u).__name__}")
        out.append(str(u))
    return out
