"""Request body payloads, aiohttp-compatible: bytes, text, files, async iterables, JSON.

A payload knows its size when it can (Content-Length; None sends the body chunked), its
headers (Content-Type, Content-Disposition) and how to write itself to a writer with an
`async write(chunk)` method, the protocol aiohttp's payloads and multipart writer share, so
the engine's upload writer takes aiohttp's own payload objects too.
"""

from __future__ import annotations

import abc
import asyncio
import io
import json
import mimetypes
import os
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import IO, Any, Protocol

from multidict import CIMultiDict

from ._headers import content_disposition

__all__ = (
    "AsyncIterablePayload",
    "BufferedReaderPayload",
    "BytesIOPayload",
    "BytesPayload",
    "IOBasePayload",
    "JsonPayload",
    "Payload",
    "StringIOPayload",
    "StringPayload",
    "TextIOPayload",
    "get_payload",
)

# Files are read in pieces of this size (in a worker thread, off the event loop).
READ_CHUNK = 64 * 1024


class BodyWriter(Protocol):
    """What a payload writes to (aiohttp's AbstractStreamWriter, reduced to what is used)."""

    async def write(self, chunk: bytes | bytearray | memoryview) -> None: ...


class Payload(abc.ABC):
    """A request body with its headers. Subclasses implement write() and usually size
    (abstract, as aiohttp's Payload: a subclass without write() cannot be instantiated)."""

    _default_content_type = "application/octet-stream"
    _size: int | None = None
    # Whether write() can run again and send the same bytes (a redirect or retry re-sends it).
    reusable = True

    def __init__(
        self,
        value: Any,
        headers: Any = None,
        content_type: str | None = None,
        filename: str | None = None,
        encoding: str | None = None,
        **kwargs: Any,
    ) -> None:
        self._value = value
        self._encoding = encoding
        self._filename = filename
        self._headers: CIMultiDict[str] = CIMultiDict(headers or ())
        if content_type is None and filename is not None and "Content-Type" not in self._headers:
            content_type = mimetypes.guess_type(filename)[0]  # aiohttp's guess, by file name
        if content_type is not None:
            self._headers["Content-Type"] = content_type
        elif "Content-Type" not in self._headers:
            self._headers["Content-Type"] = self._default_content_type
        self._consumed = False

    @property
    def size(self) -> int | None:
        """Body length in bytes, None when unknown before it is sent."""
        return self._size

    @property
    def filename(self) -> str | None:
        return self._filename

    @property
    def headers(self) -> CIMultiDict[str]:
        return self._headers

    @property
    def encoding(self) -> str | None:
        return self._encoding

    @property
    def content_type(self) -> str:
        return self._headers["Content-Type"]

    @property
    def consumed(self) -> bool:
        return self._consumed

    def set_content_disposition(
        self, disptype: str, quote_fields: bool = True, _charset: str = "utf-8", **params: str
    ) -> None:
        self._headers["Content-Disposition"] = content_disposition(
            disptype, quote_fields, _charset, **params
        )

    @abc.abstractmethod
    async def write(self, writer: BodyWriter) -> None:
        """Writes the body's bytes to `writer` (awaiting its write() for backpressure)."""

    async def as_bytes(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        """The whole body (reads a file or drains an iterator: mind the size)."""
        sink = _Collect()
        await self.write(sink)
        return bytes(sink.data)

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        raise TypeError(f"{type(self).__name__} cannot be decoded without being sent")

    async def close(self) -> None:  # noqa: B027 - a default, not abstract (aiohttp's too)
        """Releases what the payload holds (nothing, unless it owns a file)."""


class _Collect:
    def __init__(self) -> None:
        self.data = bytearray()

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        self.data += chunk


class BytesPayload(Payload):
    def __init__(self, value: bytes | bytearray | memoryview, *args: Any, **kwargs: Any) -> None:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"value argument must be byte-ish, not {type(value)!r}")
        super().__init__(value, *args, **kwargs)
        self._size = value.nbytes if isinstance(value, memoryview) else len(value)

    async def write(self, writer: BodyWriter) -> None:
        await writer.write(self._value)

    async def as_bytes(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return bytes(self._value)

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        return bytes(self._value).decode(self._encoding or encoding, errors)


def _charset_of(content_type: str) -> str | None:
    for param in content_type.split(";")[1:]:
        key, _, val = param.strip().partition("=")
        if key.strip().lower() == "charset":
            return val.strip().strip('"') or None
    return None


class StringPayload(BytesPayload):
    def __init__(
        self,
        value: str,
        *args: Any,
        encoding: str | None = None,
        content_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        if encoding is None:
            if content_type is None:
                real_encoding = "utf-8"
                content_type = "text/plain; charset=utf-8"
            else:
                real_encoding = _charset_of(content_type) or "utf-8"
        else:
            real_encoding = encoding
            if content_type is None:
                content_type = f"text/plain; charset={encoding}"
        super().__init__(
            value.encode(real_encoding),
            *args,
            encoding=real_encoding,
            content_type=content_type,
            **kwargs,
        )


class StringIOPayload(StringPayload):
    def __init__(self, value: IO[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(value.read(), *args, **kwargs)


class JsonPayload(BytesPayload):
    def __init__(
        self,
        value: Any,
        encoding: str = "utf-8",
        content_type: str = "application/json",
        dumps: Callable[[Any], str] = json.dumps,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            dumps(value).encode(encoding),
            *args,
            content_type=content_type,
            encoding=encoding,
            **kwargs,
        )


class IOBasePayload(Payload):
    """An open binary file, read in pieces in a worker thread from where it stands now.

    The size is what is left from the current position when the file has one (a regular file
    or a seekable buffer); a pipe or socket goes chunked. Re-sending seeks back to the start."""

    def __init__(
        self, value: IO[Any], disposition: str | None = "attachment", *args: Any, **kwargs: Any
    ) -> None:
        if "filename" not in kwargs:
            name = getattr(value, "name", None)
            kwargs["filename"] = os.path.basename(name) if isinstance(name, str) and name else None
        super().__init__(value, *args, **kwargs)
        if (
            self._filename is not None
            and disposition is not None
            and "Content-Disposition" not in self.headers
        ):
            self.set_content_disposition(disposition, filename=self._filename)
        self._start: int | None = None
        try:
            if value.seekable():
                self._start = value.tell()
        except (OSError, ValueError, AttributeError):
            self._start = None
        self._size = self._remaining()
        self.reusable = self._start is not None

    def _remaining(self) -> int | None:
        if self._start is None:
            return None
        try:
            total = os.fstat(self._value.fileno()).st_size
        except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
            try:
                pos = self._value.tell()
                total = self._value.seek(0, os.SEEK_END)
                self._value.seek(pos)
            except (OSError, ValueError):
                return None
        return max(total - self._start, 0)

    def _rewind(self) -> None:
        if self._start is not None:
            self._value.seek(self._start)

    async def write(self, writer: BodyWriter) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self._rewind)
        left = self._size
        while left is None or left > 0:
            want = READ_CHUNK if left is None else min(READ_CHUNK, left)
            chunk = await loop.run_in_executor(None, self._value.read, want)
            if not chunk:
                break
            if isinstance(chunk, str):
                chunk = chunk.encode(self._encoding or "utf-8")
            await writer.write(chunk)
            if left is not None:
                left -= len(chunk)
        self._consumed = True

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        self._rewind()
        data = self._value.read()
        return data.decode(encoding, errors) if isinstance(data, bytes) else str(data)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._value.close)


class BufferedReaderPayload(IOBasePayload):
    pass


class BytesIOPayload(IOBasePayload):
    pass


class TextIOPayload(IOBasePayload):
    """An open text file: encoded as it is read, so its byte size is unknown (sent chunked)."""

    def __init__(
        self,
        value: IO[str],
        *args: Any,
        encoding: str | None = None,
        content_type: str | None = None,
        **kwargs: Any,
    ) -> None:
        if encoding is None:
            encoding = (_charset_of(content_type) if content_type else None) or "utf-8"
        if content_type is None:
            content_type = f"text/plain; charset={encoding}"
        super().__init__(value, *args, content_type=content_type, encoding=encoding, **kwargs)
        self._size = None

    async def as_bytes(self, encoding: str = "utf-8", errors: str = "strict") -> bytes:
        return await super().as_bytes()


class AsyncIterablePayload(Payload):
    """Chunks from an async iterable (an async generator, a stream): one pass, sent chunked."""

    reusable = False

    def __init__(self, value: AsyncIterable[bytes], *args: Any, **kwargs: Any) -> None:
        if not isinstance(value, AsyncIterable):
            raise TypeError(
                f"value argument must support collections.abc.AsyncIterable, got {type(value)!r}"
            )
        super().__init__(value, *args, **kwargs)
        self._iter: AsyncIterator[bytes] | None = value.__aiter__()

    async def write(self, writer: BodyWriter) -> None:
        if self._iter is None:
            return
        it, self._iter = self._iter, None
        self._consumed = True
        async for chunk in it:
            if isinstance(chunk, str):
                raise TypeError("an async iterable request body must yield bytes, got str")
            await writer.write(chunk)


def _aiohttp_streamer(data: Any) -> Any:
    """aiohttp's deprecated @streamer body (its `_stream_wrapper`, or the decorated function
    itself), as the awaitable-taking-a-writer aiohttp's StreamWrapperPayload calls; else None."""
    kind = type(data)
    if kind.__module__ != "aiohttp.payload_streamer":
        return None
    if kind.__name__ == "_stream_wrapper":
        return data
    return data() if kind.__name__ == "streamer" else None


class StreamWrapperPayload(Payload):
    """aiohttp's @streamer coroutine: called once with the writer (one pass, sent chunked)."""

    reusable = False

    async def write(self, writer: BodyWriter) -> None:
        self._consumed = True
        await self._value(writer)


def get_payload(data: Any, *args: Any, **kwargs: Any) -> Payload:
    """The payload class for a body value (aiohttp's registry order); LookupError if none."""
    if isinstance(data, Payload):
        return data
    if isinstance(data, str):
        return StringPayload(data, *args, **kwargs)
    if isinstance(data, (bytes, bytearray, memoryview)):
        return BytesPayload(data, *args, **kwargs)
    if isinstance(data, io.StringIO):
        return StringIOPayload(data, *args, **kwargs)
    if isinstance(data, io.TextIOBase):
        return TextIOPayload(data, *args, **kwargs)  # type: ignore[arg-type]
    if isinstance(data, io.BytesIO):
        return BytesIOPayload(data, *args, **kwargs)
    if isinstance(data, (io.BufferedReader, io.BufferedRandom)):
        return BufferedReaderPayload(data, *args, **kwargs)
    if isinstance(data, io.IOBase):
        return IOBasePayload(data, *args, **kwargs)  # type: ignore[arg-type]
    if isinstance(data, AsyncIterable):
        return AsyncIterablePayload(data, *args, **kwargs)
    if (wrapper := _aiohttp_streamer(data)) is not None:
        return StreamWrapperPayload(wrapper, *args, **kwargs)
    raise LookupError(f"no payload type for {type(data).__name__}")
