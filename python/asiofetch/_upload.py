"""Streamed request bodies: a task on the loop feeds a payload into the engine's upload queue.

The queue (`_core.UploadSource`) is bounded: `write()` awaits while it is full, so a fast
payload (a file) never runs ahead of the network by more than HIGH_WATER bytes, and a slow
one (an async generator) pauses the transfer, not the engine. The engine drains it from
libcurl's read callback on its own thread and stops the feeder (push answers CLOSED) when the
transfer ends, however it ends.

A replayable payload (a seekable file, BytesIO, a multipart of such parts) is fed again from
its start when the engine retries: the queue answers REWOUND, the feeder restarts. A one-shot
one (an async generator, a pipe) cannot be: a retry policy that would apply to the request is
refused at the call (check_replay) rather than silently skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from typing import Any

from . import _core
from ._bridge import mailbox_for
from ._compress import compressor
from ._errors import ClientConnectionError, ClientError, ClientOSError

__all__ = (
    "HIGH_WATER",
    "Upload",
    "UploadClosed",
    "check_replay",
    "inline_under_mock",
    "raise_upload_failure",
    "start_upload",
)

# Most bytes of a body queued natively at once (the feeder waits above it).
HIGH_WATER = 256 * 1024

# Tasks still feeding after their request's future completed (a streamed response, or a server
# that answered early): kept referenced until they end, or the loop would drop them.
_running: set[asyncio.Task[None]] = set()


class UploadClosed(Exception):
    """The transfer stopped reading the body (it ended, failed or was cancelled)."""


class BodyLengthError(ValueError):
    """The streamed body does not match its declared Content-Length (raised as is, not wrapped
    as a connection error: the caller's header is wrong)."""


class _Rewound(Exception):
    """The engine retries the request: what was fed so far is dropped, feed from the start."""


class _Writer:
    """aiohttp's stream-writer interface as payloads use it, over the native queue."""

    def __init__(self, src: _core.UploadSource, size: int | None, on_chunk: Any = None) -> None:
        self._src = src
        self._size = size
        self.output_size = 0  # payload bytes written so far (aiohttp's name)
        self.buffer_size = 0
        self.length = size
        # Tracing's on_request_chunk_sent (None without a listening trace config).
        self._on_chunk = on_chunk
        # enable_compression()'s zlib compressor (None: bytes go out as written).
        self._z: Any = None
        self._sent = 0  # wire bytes handed to the queue (the declared length counts these)

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        if self._z is not None:
            n = len(memoryview(chunk).cast("B"))
            await self._push(self._z.compress(chunk))
            self.output_size += n
        else:
            await self._push(chunk)
            self.output_size += len(memoryview(chunk).cast("B"))
        if self._on_chunk is not None:
            await self._on_chunk(bytes(chunk))

    async def _push(self, chunk: bytes | bytearray | memoryview) -> None:
        """Hands wire bytes to the engine's queue, waiting while it is full."""
        view = memoryview(chunk).cast("B") if not isinstance(chunk, bytes) else memoryview(chunk)
        n = len(view)
        if self._size is not None and self._sent + n > self._size:
            # aiohttp's StreamWriter stops at an explicit Content-Length: the bytes past it
            # are not sent (its test_content_length_limit_with_multiple_reads).
            n = self._size - self._sent
            view = view[:n]
        if not n:
            return
        step = self._src.high_water
        pos = 0
        while pos < n:
            piece = view[pos : pos + step]
            state = self._src.push(piece)
            if state == _core.UPLOAD_ACCEPTED:
                pos += len(piece)
            elif state == _core.UPLOAD_FULL:
                await self._wait(self._src.wait)
            elif state == _core.UPLOAD_REWOUND:
                raise _Rewound
            else:
                raise UploadClosed
        self._sent += n

    async def _wait(self, arm: Any) -> None:
        loop = asyncio.get_running_loop()
        mb = mailbox_for(loop)
        rid = _core.new_id()
        fut: asyncio.Future[None] = loop.create_future()
        mb.futures[rid] = fut
        arm(mb.native, rid)
        try:
            await fut
        finally:
            mb.futures.pop(rid, None)  # a cancelled wait's late wake-up must find nothing

    async def drain(self) -> None:
        pass

    async def write_eof(self, chunk: bytes = b"") -> None:
        if chunk:
            await self.write(chunk)
        z = self._z
        if z is not None:
            self._z = None
            await self._push(z.flush())

    def enable_compression(self, encoding: str = "deflate", strategy: Any = None) -> None:
        """aiohttp's StreamWriter.enable_compression(): what the payload writes from now on
        goes out deflate/gzip-compressed (write_eof() ends the stream). The payload sets the
        matching Content-Encoding itself, as with aiohttp; the compressed length is unknown
        up front, so a declared Content-Length is refused."""
        if self._size is not None:
            raise BodyLengthError(
                "enable_compression() on a request body with a declared Content-Length: the "
                "compressed length differs; send it without one (chunked)"
            )
        self._z = compressor(encoding, strategy)

    def enable_chunking(self) -> None:
        pass  # the engine chunks on its own when the length is unknown


class Upload:
    """One request's streamed body: the native queue and the task feeding it."""

    __slots__ = (
        "_owned",
        "_wrapped",
        "complete",
        "native",
        "notify",
        "on_chunk",
        "payload",
        "task",
        "writer",
    )

    def __init__(self, payload: Any, size: int | None, owned: bool) -> None:
        self.payload = payload
        self.native = _core.UploadSource(HIGH_WATER, size, replayable(payload))
        self._owned = owned  # we opened its file: we close it
        self.task: asyncio.Task[None] | None = None
        # Tracing's on_request_chunk_sent for each chunk written (None: not traced).
        self.on_chunk: Any = None
        # The current pass's writer (its output_size is the bytes handed to the engine).
        self.writer: _Writer | None = None
        self.complete = False  # the whole body was handed to the engine
        # Called (on the loop) once the body was handed over whole or the feeder ended;
        # set only by an UploadTracker, so an untracked upload calls nothing.
        self.notify: Any = None
        self._wrapped: BaseException | None = None

    @property
    def written(self) -> int:
        """Payload bytes of the current pass handed to the engine's queue."""
        w = self.writer
        return 0 if w is None else w.output_size

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._feed())
        _running.add(self.task)
        self.task.add_done_callback(_finished)

    async def _feed(self) -> None:
        src = self.native
        try:
            while True:
                writer = self.writer = _Writer(src, src.size, self.on_chunk)
                self.complete = False
                try:
                    await self.payload.write(writer)
                    if writer._z is not None:  # compression enabled, not ended by write_eof()
                        await writer.write_eof()
                    if src.size is not None and writer._sent != src.size:
                        raise BodyLengthError(
                            "the request body is shorter than its declared length: "
                            f"{writer._sent} of {src.size} bytes"
                        )
                except _Rewound:
                    src.restart()
                    continue
                src.close()
                self.complete = True
                if self.notify is not None:
                    self.notify(self)
                if not src.replayable:
                    return
                # The engine may still retry: wait for the transfer's end or a rewind.
                await writer._wait(src.wait_end)
                if not src.rewound:
                    return
                src.restart()
        except UploadClosed:
            return
        except BaseException as e:
            src.fail(f"{type(e).__name__}: {e}" if str(e) else type(e).__name__)
            raise
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

    def wrapped_failure(self) -> BaseException | None:
        """The feeder's failure as the request raises it: aiohttp's write_bytes turns a
        payload's exception into ClientConnectionError ("Failed to send bytes into the
        underlying connection"), an OSError into ClientOSError; one object, so the request's
        exception and an UploadTracker's upload_complete are the same."""
        if self._wrapped is not None:
            return self._wrapped
        exc = self.failure()
        if exc is None or isinstance(exc, (UploadClosed, ClientError, BodyLengthError)):
            return exc
        if isinstance(exc, OSError):
            wrapped: BaseException = ClientOSError(exc.errno, "Can not write request body")
        else:
            wrapped = ClientConnectionError(
                f"Failed to send bytes into the underlying connection: {exc!r}"
            )
        wrapped.__cause__ = exc
        self._wrapped = wrapped
        return wrapped

    def cancel(self) -> None:
        if self.task is not None and not self.task.done():
            self.task.cancel()


def _finished(task: asyncio.Task[None]) -> None:
    _running.discard(task)
    if not task.cancelled():
        task.exception()  # retrieved: the request reports it (or it failed after the response)


def start_upload(body: Any, hdrs: Any) -> tuple[bytes | _core.UploadSource | None, Upload | None]:
    """What to submit for a prepared body (bytes, or the native queue of a streamed one), and
    its Upload (None for bytes). The payload's own headers join the request's, which win."""
    for name, value in body.headers:
        if name not in hdrs:
            hdrs[name] = value
    if body.stream is None:
        return body.data, None
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


_ONE_SHOT = (
    "the request body is streamed from a one-shot source (an async iterable, a stream reader, "
    "a pipe or a payload that cannot be re-read)"
)


def replayable(payload: Any) -> bool:
    """The payload can write its bytes again from the start (our `reusable`; for aiohttp's
    own payload objects, what aiohttp re-sends on a redirect: see _aiohttp_replayable)."""
    reusable = getattr(payload, "reusable", None)
    if reusable is not None:
        return reusable is True
    return _aiohttp_replayable(payload)


def _aiohttp_replayable(payload: Any) -> bool:
    """aiohttp.payload objects carry no `reusable`: their write() starts again from the
    beginning (BytesPayload and its subclasses from their bytes, IOBasePayload seeks back to
    where the file stood when the payload was made), except AsyncIterablePayload and its
    StreamReaderPayload, which consume their source once."""
    names = {f"{c.__module__}.{c.__qualname__}" for c in type(payload).__mro__}
    if "aiohttp.payload.Payload" not in names or "aiohttp.payload.AsyncIterablePayload" in names:
        return False
    if "aiohttp.payload.IOBasePayload" in names:
        source = getattr(payload, "_value", None)  # aiohttp keeps the file there
        seekable = getattr(source, "seekable", None)
        return callable(seekable) and bool(seekable())
    return True


def check_replay(
    payload: Any,
    method: str,
    retry: Any,
    retry_explicit: bool,
    hedge: Any,
    hedge_explicit: bool,
    fallback: bool,
) -> None:
    """Refuse, at the call, any flow option that would send a streamed body again and cannot.

    A replayable stream (seekable file, BytesIO, multipart of those) is retried or sent to a
    fallback URL: the engine rewinds it. A one-shot one is refused when a retry policy would
    apply to this method, whether passed here or the session's default, so a retry is never
    skipped silently."""
    if fallback and not replayable(payload):
        raise ValueError(
            f"fallback= cannot be used here: {_ONE_SHOT} and would be sent only once; pass "
            "bytes or a seekable file to have it re-sent"
        )
    if hedge is not None and method in ("GET", "HEAD", "OPTIONS"):
        where = "hedge=" if hedge_explicit else "the session's hedge= policy"
        raise ValueError(
            f"{where} would send this streamed request body on several connections at once, "
            "which a stream cannot do: pass hedge=None to this request, or a bytes body"
        )
    if retry is None or replayable(payload):
        return
    if retry_explicit:
        raise ValueError(f"retry= cannot be used here: {_ONE_SHOT} and would be sent only once")
    if method in getattr(retry, "methods", ()):
        raise ValueError(
            f"the session's retry policy would re-send this {method} request, but {_ONE_SHOT}: "
            "pass retry=None to this request to send it once without retries, or pass bytes or "
            "a seekable file to have it re-sent"
        )


async def inline_under_mock(body: Any) -> Any:
    """A streamed body, read into bytes while an asiofetch.testing router is active.

    The mock transport answers inside the engine before a transfer reads any body, so routes
    (content=, json=, data=, match=) and router.calls would see an empty one. Under test the
    whole body in memory is the lesser evil; without a router this costs one dict lookup."""
    router = sys.modules.get("asiofetch.testing._router")
    if body.stream is None or router is None or not router._stack:
        return body
    collect = _Collect()
    try:
        await body.stream.write(collect)
    finally:
        if body.owned:
            await body.stream.close()
    raw = b"".join(collect.parts)
    if body.size is not None and len(raw) != body.size:
        raise ValueError(f"the request body's size changed: {len(raw)} bytes, declared {body.size}")
    return body._replace(data=raw, stream=None, size=None, owned=False)


class _Collect:
    def __init__(self) -> None:
        self.parts: list[bytes] = []

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        self.parts.append(bytes(chunk))


def raise_upload_failure(upload: Upload, error: BaseException) -> None:
    """The request failed: when its body's feeder raised, that exception is the reason."""
    failure = upload.wrapped_failure()
    upload.cancel()
    if failure is not None and not isinstance(failure, UploadClosed):
        if failure.__cause__ is None:
            raise failure from error
        raise failure
