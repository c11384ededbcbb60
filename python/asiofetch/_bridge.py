"""The asyncio side of the engine: one mailbox per event loop, drained in one pass per wake-up.

The engine thread never takes the GIL for a result. It queues the outcome in the loop's
native mailbox and writes the mailbox's eventfd only on the empty -> non-empty transition,
at most once per round of engine events;
`loop.add_reader` wakes the loop, and one `drain()` call completes every queued future.
Loops without `add_reader` (Windows' Proactor) get one `call_soon_threadsafe` per wake-up
from a tiny reader thread instead.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import threading
import weakref
from typing import Any

from . import _core
from ._native_errors import make_error


class LoopMailbox:
    """Everything asiofetch keeps per event loop: the native mailbox and the pending futures."""

    __slots__ = ("__weakref__", "_loop_ref", "futures", "listeners", "native")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.native = _core.Mailbox(make_error)
        # request id -> future; drain() pops from it natively. A plain dict keeps the
        # loop <-> futures cycle visible to the garbage collector.
        self.futures: dict[int, asyncio.Future[Any]] = {}
        # id -> callable(kind, index, value) for ids with many outcomes (streamed batches,
        # progress notes); the caller removes its entry when done.
        self.listeners: dict[int, Any] = {}
        self._loop_ref = weakref.ref(loop)
        try:
            loop.add_reader(self.native.fileno(), self._drain)
        except NotImplementedError:  # Proactor: no add_reader
            _start_proxy_reader(loop, self)

    def _drain(self) -> None:
        self.native.drain(self.futures, self.listeners)

    def close(self) -> None:
        """Forget the loop: its queued outcomes are dropped; the fd goes with the native mailbox."""
        loop = self._loop_ref()
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(NotImplementedError, ValueError, RuntimeError):
                loop.remove_reader(self.native.fileno())
        self.futures.clear()
        self.listeners.clear()
        self.native.close()


_mailboxes: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopMailbox] = (
    weakref.WeakKeyDictionary()
)
_lock = threading.Lock()


def mailbox_for(loop: asyncio.AbstractEventLoop) -> LoopMailbox:
    """The loop's mailbox, created on first use (also sweeps mailboxes of closed loops)."""
    mb = _mailboxes.get(loop)
    if mb is not None:
        return mb
    with _lock:
        mb = _mailboxes.get(loop)
        if mb is None:
            _sweep_closed_loops()
            mb = LoopMailbox(loop)
            _mailboxes[loop] = mb
            weakref.finalize(loop, mb.close)
    return mb


def _sweep_closed_loops() -> None:
    # A loop closed with requests in flight never drains again: close its mailbox so the
    # engine drops (instead of queues) what it still delivers there.
    for loop, mb in list(_mailboxes.items()):
        if loop.is_closed():
            del _mailboxes[loop]
            mb.close()


def _start_proxy_reader(loop: asyncio.AbstractEventLoop, mb: LoopMailbox) -> None:
    """For loops without add_reader: a thread blocks on the fd and hands each wake-up over."""
    # The thread holds the native mailbox, so its fd (closed only when that object goes) stays
    # valid while the thread may still select on it; close() signals it once more to let it go.
    native = mb.native
    fd = native.fileno()
    ref = weakref.ref(mb)

    def run() -> None:
        import select

        while True:
            try:
                select.select([fd], [], [])
            except (OSError, ValueError):
                return
            target = ref()
            if target is None or loop.is_closed() or native.closed:
                return
            done = threading.Event()

            def drain_then_release(
                m: LoopMailbox = target, released: threading.Event = done
            ) -> None:
                try:
                    m._drain()
                finally:
                    released.set()

            try:
                loop.call_soon_threadsafe(drain_then_release)
            except RuntimeError:
                return
            del target
            done.wait()

    threading.Thread(target=run, name="asiofetch-mailbox", daemon=True).start()


def _after_fork_in_child() -> None:
    # The parent's engine thread does not exist here; its mailboxes point at its loops' fds.
    _mailboxes.clear()
    _core.after_fork_in_child()


def _at_exit() -> None:
    _core.shutdown()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
atexit.register(_at_exit)
