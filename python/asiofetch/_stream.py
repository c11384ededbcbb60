"""StreamReader: aiohttp's `resp.content` API over a buffered body or a native engine stream."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from . import _core
from ._bridge import mailbox_for
from ._errors import ClientConnectionError, SessionClosedError
from ._native_errors import make_error

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ("EofStream", "StreamReader", "is_native")

_get_running_loop = asyncio.get_running_loop


class EofStream(Exception):
    """aiohttp's end-of-stream marker (kept for import compatibility)."""


class StreamReader:
    """The response body as a byte stream.

    Buffered responses serve it from memory. Streamed responses pull it from the engine's
    bounded buffer: when the consumer is slow the buffer fills and the engine pauses the
    transfer (backpressure); `abort()` (release/close/leaving `async with`) stops the transfer
    instead of downloading the rest.
    """

    __slots__ = (
        "_buf",
        "_closed_error",
        "_eof",
        "_native",
        "_on_eof",
        "_raw",
        "_total",
        "_waiter",
    )

    def __init__(
        self,
        body: bytes | None,
        native: _core.Stream | None,
        on_eof: Callable[[], None] | None = None,
        raw: _core.RawResponse | None = None,
    ) -> None:
        # _buf holds bytes taken from the source and not yet handed out (readline leftovers).
        self._buf = bytearray(body) if body else bytearray()
        self._native = native
        self._eof = native is None  # a buffered body is complete from the start
        self._total = len(self._buf)
        self._on_eof = on_eof
        # A whole body's RawResponse: its wire byte count and the request's buffer mark.
        self._raw = raw
        self._closed_error: BaseException | None = None
        # The future a read is waiting on (set_exception() fails it, as aiohttp does).
        self._waiter: asyncio.Future[None] | None = None

    def __repr__(self) -> str:
        state = "eof" if self.at_eof() else f"{len(self._buf)} bytes buffered"
        return f"<StreamReader {state}>"

    def __del__(self) -> None:
        # A streamed body dropped unread must not keep downloading.
        if self._native is not None and not self._eof:
            with contextlib.suppress(Exception):  # interpreter teardown
                self._native.abort()

    # ---- state ---------------------------------------------------------------------------

    @property
    def total_bytes(self) -> int:
        return self._total

    def at_eof(self) -> bool:
        """True when the whole body has been consumed."""
        if self._buf:
            return False
        if self._eof:
            return True
        native = self._native
        return native is not None and native.at_eof and native.buffered == 0

    def is_eof(self) -> bool:
        return self._eof

    def exception(self) -> BaseException | None:
        return self._closed_error

    def set_exception(self, exc: BaseException, exc_cause: BaseException | None = None) -> None:
        """Fail the stream: the pending read and every later one raise `exc` (aiohttp)."""
        if exc_cause is not None:
            exc.__cause__ = exc_cause
        self._closed_error = exc
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_exception(exc)

    @property
    def total_raw_bytes(self) -> int:
        """Body bytes received on the wire (before Content-Encoding decoding)."""
        native = self._native
        if native is not None:
            return int(native.raw_bytes)
        raw = self._raw
        return self._total if raw is None else int(raw.raw_bytes)

    def get_read_buffer_limits(self) -> tuple[int, int]:
        """(low, high) water marks of the native buffer: the transfer pauses at `high` and
        resumes once a read brings the buffer under `low` (aiohttp: read_bufsize and twice
        it). A body that came whole reports the marks its request had."""
        native = self._native
        if native is not None:
            high = int(native.high_water)
        elif self._raw is not None:
            high = int(self._raw.high_water)
        else:
            return (0, 0)
        return (high // 2, high)

    def abort(self) -> None:
        """Stop the transfer; unread data is dropped (reads now raise 'Connection closed')."""
        if self._native is not None and not self._eof:
            self._native.abort()
            if self._closed_error is None:
                # A read waiting for data fails now (aiohttp's release() fails the reader).
                self.set_exception(ClientConnectionError("Connection closed"))
        self._eof = True
        self._buf.clear()

    def unread_data(self, data: bytes) -> None:
        self._buf[0:0] = data

    # ---- pulling from the engine -------------------------------------------------------

    def _set_eof(self) -> None:
        self._eof = True
        if self._on_eof is not None:
            self._on_eof()
            self._on_eof = None

    async def _pull(self, n: int) -> bytes:
        """Next bytes from the native stream (up to n, all buffered when n < 0); b"" at end."""
        if self._closed_error is not None:
            raise self._closed_error
        native = self._native
        if native is None or self._eof:
            return b""
        while True:
            self._raise_deadline(native)
            data = native.read_nowait(n)
            if data is None:
                await self._wait(native)
                if self._closed_error is not None:  # aborted while waiting
                    raise self._closed_error
                continue
            if data:
                self._total += len(data)
                return data
            err = native.error()
            self._set_eof()
            if err is not None:
                exc = make_error(err)
                if err.kind == _core.E_SESSION_CLOSED:
                    # aiohttp: a body read after its session closed fails "Connection closed"
                    # (a RuntimeError there too: SessionClosedError is both).
                    exc = SessionClosedError(f"Connection closed: {err.message}")
                self._closed_error = exc
                raise exc
            return b""

    def _raise_deadline(self, native: _core.Stream) -> None:
        """The `total` timeout ends the read at once, data still buffered or not: it is the
        caller's deadline (aiohttp fails its reader at the timeout). A cut connection or bad
        data (ClientPayloadError) is raised after the bytes that came before it."""
        err = native.error()
        if err is not None and err.kind == _core.E_TOTAL_TIMEOUT:
            self._set_eof()
            exc = self._closed_error = make_error(err)
            raise exc

    async def _wait(self, native: _core.Stream) -> None:
        loop = _get_running_loop()
        mb = mailbox_for(loop)
        rid = _core.new_id()
        fut: asyncio.Future[None] = loop.create_future()
        mb.futures[rid] = fut
        self._waiter = fut
        native.wait(mb.native, rid)
        try:
            await fut
        finally:
            # Normally drain() popped it; on cancellation the late wake-up must find nothing.
            mb.futures.pop(rid, None)
            self._waiter = None

    def _take(self, n: int) -> bytes:
        if n < 0 or n >= len(self._buf):
            out = bytes(self._buf)
            self._buf.clear()
            return out
        out = bytes(self._buf[:n])
        del self._buf[:n]
        return out

    # ---- aiohttp's read API ---------------------------------------------------------------

    def read_nowait(self, n: int = -1) -> bytes:
        """What is buffered right now (never waits)."""
        if self._closed_error is not None:
            raise self._closed_error
        if self._buf:
            return self._take(n)
        if self._native is None or self._eof:
            return b""
        data = self._native.read_nowait(n)
        if data:
            self._total += len(data)
            return data
        return b""

    async def read(self, n: int = -1) -> bytes:
        """Up to n bytes (the whole rest when n < 0); b"" at the end of the body."""
        if self._closed_error is not None:
            raise self._closed_error
        if n == 0:
            return b""
        if n < 0:
            parts = [self._take(-1)] if self._buf else []
            while True:
                chunk = await self._pull(-1)
                if not chunk:
                    break
                parts.append(chunk)
            return b"".join(parts)
        if self._buf:
            return self._take(n)
        return await self._pull(n)

    async def readany(self) -> bytes:
        """Whatever arrives next (b"" at the end)."""
        if self._closed_error is not None:
            raise self._closed_error
        if self._buf:
            return self._take(-1)
        return await self._pull(-1)

    async def readchunk(self) -> tuple[bytes, bool]:
        """(data, end_of_http_chunk). The engine does not report HTTP chunk boundaries, so
        the flag is False for data and True only for the final empty read (like aiohttp's
        non-chunked bodies)."""
        data = await self.readany()
        return (data, not data)

    async def readuntil(self, separator: bytes = b"\n") -> bytes:
        """Bytes up to and including `separator`, or the rest of the body."""
        if not separator:
            raise ValueError("Separator should be at least one-byte string")
        start = 0
        while True:
            idx = self._buf.find(separator, start)
            if idx >= 0:
                return self._take(idx + len(separator))
            start = max(0, len(self._buf) - len(separator) + 1)
            chunk = await self._pull(-1)
            if not chunk:
                return self._take(-1)
            self._buf += chunk

    async def readline(self) -> bytes:
        return await self.readuntil(b"\n")

    async def readexactly(self, n: int) -> bytes:
        """Exactly n bytes; asyncio.IncompleteReadError if the body ends first."""
        if n < 0:
            raise ValueError("readexactly size can not be less than zero")
        while len(self._buf) < n:
            chunk = await self._pull(-1)
            if not chunk:
                partial = self._take(-1)
                raise asyncio.IncompleteReadError(partial, n)
            self._buf += chunk
        return self._take(n)

    async def wait_eof(self) -> None:
        while await self._pull(-1):
            pass

    # ---- iteration -----------------------------------------------------------------------

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._iter_lines()

    async def _iter_lines(self) -> AsyncIterator[bytes]:
        while True:
            line = await self.readline()
            if not line:
                return
            yield line

    async def iter_chunked(self, n: int) -> AsyncIterator[bytes]:
        """Chunks of at most n bytes."""
        while True:
            chunk = await self.read(n)
            if not chunk:
                return
            yield chunk

    async def iter_any(self) -> AsyncIterator[bytes]:
        """Data as it arrives."""
        while True:
            chunk = await self.readany()
            if not chunk:
                return
            yield chunk

    async def iter_chunks(self) -> AsyncIterator[tuple[bytes, bool]]:
        """(data, end_of_http_chunk) pairs, see readchunk()."""
        while True:
            chunk = await self.readchunk()
            if not chunk[0]:
                return
            yield chunk


def is_native(reader: StreamReader) -> bool:
    """True when the body streams from the engine (not served from a buffered body)."""
    return reader._native is not None
