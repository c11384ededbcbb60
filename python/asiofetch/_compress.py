"""aiohttp's `compress=` on a request: the body goes out deflate- or gzip-encoded.

aiohttp sets `Content-Encoding` and compresses whatever it writes (bytes or a streamed payload)
with zlib; `compress=True` means deflate (zlib-wrapped, as its ZLibCompressor makes it), an
empty body is left alone, and an explicit `Content-Encoding` header with `compress=` is a
ValueError. aiohttp then sends the body chunked, so a `Content-Length` header is a ValueError
too ("chunked can not be set if Content-Length header is set"). Bytes are compressed here at
once and sent with their compressed length (same bytes on the wire for the server's decoder);
a streamed payload is compressed chunk by chunk in its feeder and goes chunked.
"""

from __future__ import annotations

import zlib
from typing import Any

from multidict import CIMultiDict

__all__ = ("CompressedPayload", "compress_body", "compress_bytes", "compression", "compressor")

# aiohttp's encoding_to_mode(): gzip framing for "gzip", zlib framing for anything else it
# is given. We refuse other names instead of labelling deflate data with them.
_WBITS = {"deflate": zlib.MAX_WBITS, "gzip": 16 + zlib.MAX_WBITS}


def compression(compress: Any, hdrs: CIMultiDict[str], has_body: bool) -> str | None:
    """The encoding to apply (None: send as is); sets Content-Encoding like aiohttp does."""
    if compress is None or compress is False or not has_body:
        return None  # aiohttp: "Don't compress an empty body"
    if hdrs.get("Content-Encoding"):
        raise ValueError("compress can not be set if Content-Encoding header is set")
    encoding = compress if isinstance(compress, str) else "deflate"
    if compress is not True and not isinstance(compress, str):
        raise TypeError(f"compress must be a bool or an encoding name, got {compress!r}")
    if encoding not in _WBITS:
        raise ValueError(f"compress={encoding!r} is not supported: use 'deflate' or 'gzip'")
    if "Content-Length" in hdrs:
        raise ValueError("chunked can not be set if Content-Length header is set")
    hdrs["Content-Encoding"] = encoding
    return encoding


def compressor(encoding: str, strategy: Any = None) -> Any:
    """A zlib compressor for a writer's enable_compression(encoding, strategy)."""
    if encoding not in _WBITS:
        raise ValueError(f"compression {encoding!r} is not supported: use 'deflate' or 'gzip'")
    if strategy is None:
        strategy = zlib.Z_DEFAULT_STRATEGY
    return zlib.compressobj(wbits=_WBITS[encoding], strategy=strategy)


def compress_bytes(data: bytes, encoding: str) -> bytes:
    c = zlib.compressobj(wbits=_WBITS[encoding])
    return c.compress(data) + c.flush()


class _CompressingWriter:
    """Passes what the payload writes through zlib to the real writer."""

    def __init__(self, writer: Any, encoding: str) -> None:
        self._writer = writer
        self._z = zlib.compressobj(wbits=_WBITS[encoding])

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        out = self._z.compress(chunk)
        if out:
            await self._writer.write(out)

    async def finish(self) -> None:
        await self._writer.write(self._z.flush())


class CompressedPayload:
    """A streamed payload, compressed on its way out (its length is no longer known)."""

    def __init__(self, inner: Any, encoding: str) -> None:
        self._inner = inner
        self._encoding = encoding
        self.size = None
        self.reusable = getattr(inner, "reusable", False)

    async def write(self, writer: Any) -> None:
        enable = getattr(writer, "enable_compression", None)
        if enable is not None:
            # The upload's writer compresses itself, so it still counts the payload's bytes
            # (UploadTracker.bytes_written is before compression, as aiohttp reports it).
            enable(self._encoding)
            await self._inner.write(writer)
            await writer.write_eof()
            return
        cw = _CompressingWriter(writer, self._encoding)  # a fresh stream on every (re)send
        await self._inner.write(cw)
        await cw.finish()

    async def close(self) -> None:
        await self._inner.close()


def compress_body(body: Any, compress: Any, hdrs: CIMultiDict[str]) -> Any:
    """The prepared body (_body.Body) as sent under `compress=` (unchanged when it is off)."""
    if compress is None or compress is False:
        return body
    encoding = compression(compress, hdrs, bool(body.data) or body.stream is not None)
    if encoding is None:
        return body
    if body.stream is None:
        return body._replace(data=compress_bytes(body.data, encoding))
    return body._replace(stream=CompressedPayload(body.stream, encoding), size=None)
