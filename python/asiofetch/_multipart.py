"""multipart/* request bodies (RFC 2046, RFC 7578 for forms): aiohttp's MultipartWriter.

The writer is itself a payload: nested writers are parts like any other, and its size is known
when every part's is (then the request carries a Content-Length instead of going chunked).
"""

from __future__ import annotations

import base64
import binascii
import uuid
import zlib
from collections.abc import Iterator
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

from ._headers import TOKEN_CHARS
from ._payload import BodyWriter, JsonPayload, Payload, StringPayload, get_payload

__all__ = ("MultipartWriter",)

_CONTENT_ENCODINGS = ("", "identity", "gzip", "deflate")
_TRANSFER_ENCODINGS = ("", "binary", "8bit", "7bit", "base64", "quoted-printable")


def _is_payload(obj: Any) -> bool:
    """aiohttp's payloads (and ours): a size, headers and an async write(writer)."""
    return isinstance(obj, Payload) or (
        hasattr(obj, "write") and hasattr(obj, "size") and hasattr(obj, "headers")
    )


class _Part:
    __slots__ = ("encoding", "payload", "te")

    def __init__(self, payload: Any, encoding: str, te: str) -> None:
        self.payload = payload
        self.encoding = encoding
        self.te = te

    @property
    def headers_bytes(self) -> bytes:
        # Read at send time: a part's headers may change after append() (a disposition set on
        # the returned payload, as aiohttp's examples do).
        lines = "".join(f"{k}: {v}\r\n" for k, v in self.payload.headers.items())
        return lines.encode("utf-8") + b"\r\n"

    def size(self) -> int | None:
        if self.encoding not in ("", "identity") or self.te in ("base64", "quoted-printable"):
            return None  # known only once encoded
        size: int | None = self.payload.size
        return size


class _EncodingWriter:
    """Applies a part's Content-Encoding, then its Content-Transfer-Encoding, on the way out."""

    def __init__(self, out: BodyWriter, encoding: str, te: str) -> None:
        self._out = out
        self._zip: Any = None
        if encoding in ("gzip", "deflate"):
            self._zip = zlib.compressobj(
                wbits=16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
            )
        self._te = te
        self._tail = b""  # base64 works on 3-byte groups: the remainder waits for the next chunk

    async def write(self, chunk: bytes | bytearray | memoryview) -> None:
        data = bytes(chunk)
        if self._zip is not None:
            data = self._zip.compress(data)
        await self._emit(data)

    async def _emit(self, data: bytes) -> None:
        if self._te == "base64":
            data = self._tail + data
            cut = len(data) - len(data) % 3
            self._tail = data[cut:]
            if cut:
                await self._out.write(base64.b64encode(data[:cut]))
        elif self._te == "quoted-printable":
            if data:
                await self._out.write(binascii.b2a_qp(data))
        elif data:
            await self._out.write(data)

    async def finish(self) -> None:
        if self._zip is not None:
            await self._emit(self._zip.flush())
        if self._te == "base64" and self._tail:
            await self._out.write(base64.b64encode(self._tail))
            self._tail = b""


class MultipartWriter(Payload):
    """A multipart body: parts appended in order, each with its own headers."""

    def __init__(self, subtype: str = "mixed", boundary: str | None = None) -> None:
        boundary = boundary if boundary is not None else uuid.uuid4().hex
        try:
            self._boundary = boundary.encode("ascii")
        except UnicodeEncodeError:
            raise ValueError("boundary should contain ASCII only chars") from None
        if len(boundary) > 70:
            raise ValueError(f"boundary {boundary!r} is too long (70 chars max)")
        ctype = f"multipart/{subtype}; boundary={self._boundary_value}"
        super().__init__(None, content_type=ctype)
        self._parts: list[_Part] = []

    @property
    def _boundary_value(self) -> str:
        value = self._boundary.decode("ascii")
        if value and set(value) <= TOKEN_CHARS:
            return value
        if any(c in value for c in "\r\n"):
            raise ValueError("boundary value contains invalid characters")
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    @property
    def boundary(self) -> str:
        return self._boundary.decode("ascii")

    def __enter__(self) -> MultipartWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        pass

    def __iter__(self) -> Iterator[tuple[Any, str, str]]:
        return iter([(p.payload, p.encoding, p.te) for p in self._parts])

    def __len__(self) -> int:
        return len(self._parts)

    def __bool__(self) -> bool:
        return True

    def append(self, obj: Any, headers: Any = None) -> Any:
        """Adds a part made from `obj` (a payload, bytes, str, file, ...); returns the payload."""
        if _is_payload(obj):
            if headers:
                obj.headers.update(headers)
            return self.append_payload(obj)
        try:
            payload = get_payload(obj, headers=headers)
        except LookupError:
            raise TypeError(f"Cannot create payload from {obj!r}") from None
        return self.append_payload(payload)

    def append_payload(self, payload: Any) -> Any:
        encoding = payload.headers.get("Content-Encoding", "").lower()
        if encoding not in _CONTENT_ENCODINGS:
            raise RuntimeError(f"unknown content encoding: {encoding}")
        te = payload.headers.get("Content-Transfer-Encoding", "").lower()
        if te not in _TRANSFER_ENCODINGS:
            raise RuntimeError(f"unknown content transfer encoding: {te}")
        self._parts.append(_Part(payload, encoding, te))
        return payload

    def append_json(self, obj: Any, headers: Any = None) -> Any:
        return self.append_payload(JsonPayload(obj, headers=headers))

    def append_form(self, obj: Any, headers: Any = None) -> Any:
        """A part with `obj` (a mapping or pairs) urlencoded."""
        items = list(obj.items()) if hasattr(obj, "items") else list(obj)
        body = urlencode(items, doseq=True)
        return self.append_payload(
            StringPayload(body, headers=headers, content_type="application/x-www-form-urlencoded")
        )

    @property
    def size(self) -> int | None:
        total = 0
        for part in self._parts:
            size = part.size()
            if size is None:
                return None
            total += 2 + len(self._boundary) + 2 + len(part.headers_bytes) + size + 2
        return total + 2 + len(self._boundary) + 4

    @property
    def reusable(self) -> bool:  # type: ignore[override]
        return all(getattr(p.payload, "reusable", False) for p in self._parts)

    async def write(self, writer: BodyWriter, close_boundary: bool = True) -> None:
        for part in self._parts:
            await writer.write(b"--" + self._boundary + b"\r\n")
            await writer.write(part.headers_bytes)
            if part.encoding in ("", "identity") and part.te in ("", "binary", "8bit", "7bit"):
                await part.payload.write(writer)
            else:
                enc = _EncodingWriter(writer, part.encoding, part.te)
                await part.payload.write(enc)
                await enc.finish()
            await writer.write(b"\r\n")
        if close_boundary:
            await writer.write(b"--" + self._boundary + b"--\r\n")
        self._consumed = True

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        raise TypeError("a multipart body is decoded by sending it; use as_bytes()")

    async def close(self) -> None:
        for part in self._parts:
            close = getattr(part.payload, "close", None)
            if close is not None:
                result = close()
                if hasattr(result, "__await__"):
                    await result
