"""ClientTimeout (aiohttp's fields) and its translation to the engine's per-request timeouts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import _core

__all__ = ("DEFAULT_TIMEOUT", "ClientTimeout", "engine_timeouts", "to_timeout")


@dataclass(frozen=True)
class ClientTimeout:
    """Timeouts in seconds; None (or 0) means no limit.

    total:        the whole request, redirects and body included.
    connect:      establishing a connection (DNS + TCP + TLS).
    sock_connect: same as connect here (libcurl has one connect phase; the smaller one wins).
    sock_read:    longest silence between two reads of the response.
    pool:         (asiofetch only) longest wait for a free connection slot; defaults to total.

    Deliberate difference from aiohttp (its issue 2648): time spent waiting for a free
    connection slot (TCPConnector limits) does NOT count against `connect`; the engine bounds
    that wait by `total` instead, so a busy pool can no longer fail requests that never tried
    to connect. `ceil_threshold` is accepted for compatibility and has no effect: the engine's
    timers are not rounded up.
    """

    total: float | None = None
    connect: float | None = None
    sock_read: float | None = None
    sock_connect: float | None = None
    ceil_threshold: float = 5
    pool: float | None = None

    def __post_init__(self) -> None:
        # The bindings' check, the same one every native timeout goes through.
        for name in ("total", "connect", "sock_read", "sock_connect", "pool"):
            _core.check_seconds(f"ClientTimeout.{name}", getattr(self, name))


# aiohttp's DEFAULT_TIMEOUT: five minutes overall, 30 s to connect.
DEFAULT_TIMEOUT = ClientTimeout(total=5 * 60, sock_connect=30)


def engine_timeouts(t: ClientTimeout) -> tuple[float, float, float, float]:
    """(connect, read, total, pool) as the engine takes them: seconds, 0 = no limit."""
    connect = 0.0
    for value in (t.connect, t.sock_connect):
        if value:
            connect = float(value) if not connect else min(connect, float(value))
    total = float(t.total) if t.total else 0.0
    read = float(t.sock_read) if t.sock_read else 0.0
    # The slot wait is bounded by its own `pool` timeout, else by the total budget
    # (aiohttp counts it inside `total` too).
    pool = float(t.pool) if t.pool else total
    return connect, read, total, pool


def to_timeout(value: Any) -> ClientTimeout:
    """A per-request `timeout=`: a ClientTimeout, or a number meaning `total`."""
    if isinstance(value, ClientTimeout):
        return value
    if value is None:
        return ClientTimeout()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"timeout must be a ClientTimeout or a number, got {type(value).__name__}")
    return ClientTimeout(total=value)
