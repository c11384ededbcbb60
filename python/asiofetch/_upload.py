"""Streamed request bodies: a task on the loop feeds a payload into the engine's upload queue.

The queue (`_core.UploadSource`) is bounded: `write()` awaits while it is full, so a fast
payload (a file) never runs ahead of the network by more than HIGH_WATER bytes, and a slow
one (an async generator) pauses the transfer, not the engine. The engine drains it from
libcurl's read callback on its own thread and stops the feeder (push answers CLOSED) when the
transfer ends, however it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from . import _core
from ._body import INLINE_LIMIT
from ._bridge import mailbox_for

__all__ = ("HIGH_WATER", "Upload", "UploadClosed", "raise_upload_failure", "start_upload")

# Most bytes of a body queued natively at once (the feeder waits above it).
HIGH_WATER = 256 * 1024

# Tasks still feeding after their request's future completed (a streamed response, or a server
# that answered early): kept referenced until they end, or the loop would drop them.
_running: set[asyncio.Task[None]] = set()


class UploadClosed(Exception):
    """The transfer stopped reading the body (it ended, failed or was cancelled)."""


class _Writer:
    """aiohttp's stream-writer interface as payloads use it, over the native queue."""

    def __init__(self, src: _core.UploadSource, size: int | None) -> None:
        self._src = src
        self._size = size
        self.output_size = 0  # bytes written so far (aiohttp's name)
        self.buffer_size = 0
        self.length = size

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        view = memoryview(chunk).cast("B") if not isinstance(chunk, bytes) else memoryview(chunk)
        n = len(view)
        if self._size is not None and self.output_size + n > self._size:
            raise ValueError(
                f"the request body is longer than its declared length ({self._size} bytes)"
            )
        step = self._src.high_water
        pos = 0
        while pos < n:
            piece = view[pos : pos + step]
            state = self._src.push(piece)
            if state == _core.UPLOAD_ACCEPTED:
                pos += len(piece)
            elif state == _core.UPLOAD_FULL:
                await self._wait()
            else:
                raise UploadClosed
        self.output_size += n

    async def _wait(self) -> None:
        loop = asyncio.get_running_loop()
        mb = mailbox_for(loop)
        rid = _core.new_id()
        fut: asyncio.Future[None] = loop.create_future()
        mb.futures[rid] = fut
        self._src.wait(mb.native, rid)
        try:
            await fut
        finally:
            mb.futures.pop(rid, None)  # a cancelled wait's late wake-up must find nothing

    async def drain(self) -> None:
        pass

    async def write_eof(self, chunk: bytes = b"") -> None:
        if chunk:
            await self.write(chunk)

    def enable_compression(self, encoding: str = "deflate", strategy: Any = None) -> None:
        raise NotImplementedError("compressing a streamed request body is not supported")

    def enable_chunking(self) -> None:
        pass  # the engine chunks on its own when the length is unknown


class Upload:
    """One request's streamed body: the native queue and the task feeding it."""

    __slots__ = ("_owned", "native", "payload", "task")

    def __init__(self, payload: Any, size: int | None, owned: bool) -> None:
        self.payload = payload
        self.native = _core.UploadSource(HIGH_WATER, size)
        self._owned = owned  # we opened its file: we close it
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._feed())
        _running.add(self.task)
        self.task.add_done_callback(_finished)

    async def _feed(self) -> None:
        writer = _Writer(self.native, self.native.size)
        try:
            write = self.payload.write
            await write(writer)
            if self.native.size is not None and writer.output_size != self.native.size:
                raise ValueError(
                    f"the request body is shorter than its declared length: {writer.output_size} "
                    f"of {self.native.size} bytes"
                )
        except UploadClosed:
            return
        except BaseException as e:
            self.native.fail(f"{type(e).__name__}: {e}" if str(e) else type(e).__name__)
            raise
        else:
            self.native.close()
        finally:
            if self._owned:
                with contextlib.suppress(Exception):
                    await self.payload.close()

    def failure(self) -> BaseException | None:
        """The feeder's exception, when it failed (marks it retrieved)."""
        t = self.task
        if t is None or not t.done() or t.cancelled():
            return None
        return t.exception()

    def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()


def _finished(task: asyncio.Task[None]) -> None:
    _running.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: the request reports it (or it failed after the response)


def start_upload(
    body: Any, hdrs: Any, explicit_flow: list[str]
) -> tuple[bytes | _core.UploadSource | None, Upload | None]:
    """What to submit for a prepared body (bytes, or the native queue of a streamed one), and
    its Upload (None for bytes). The payload's own headers join the request's, which win.

    A streamed body is sent once: the request options that would send it again (`retry=`,
    `hedge=`, `fallback=`, named in `explicit_flow`) are refused here."""
    for name, value in body.headers:
        if name not in hdrs:
            hdrs[name] = value
    if body.stream is None:
        return body.data, None
    if explicit_flow:
        raise ValueError(
            f"{', '.join(explicit_flow)} cannot be used with a streamed request body (a file "
            f"above {INLINE_LIMIT} bytes, an async iterable or a payload of unknown size): "
            "it is sent once; pass bytes to have it re-sent"
        )
    size = body.size
    declared = hdrs.get("Content-Length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise ValueError(f"invalid Content-Length header: {declared!r}") from None
        if size < 0:
            raise ValueError(f"invalid Content-Length header: {declared!r}")
    upload = Upload(body.stream, size, body.owned)
    return upload.native, upload


def raise_upload_failure(upload: Upload, error: BaseException) -> None:
    """The request failed: when its body's feeder raised, that exception is the reason."""
    failure = upload.failure()
    upload.cancel()
    if failure is not None and not isinstance(failure, UploadClosed):
        raise failure from error
