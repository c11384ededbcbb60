"""Request bodies: aiohttp's `data=` / `json=` conventions turned into bytes or a streamed payload.

Whatever fits in memory cheaply (bytes, text, forms, JSON, payloads of known small size)
becomes bytes: the engine sends those itself and can send them again on a redirect or retry.
The rest (files above INLINE_LIMIT, async iterables, payloads of unknown length) is streamed
through the engine's upload queue by a feeder task (_upload) and can be sent only once.
"""

from __future__ import annotations

import contextlib
import io
import pathlib
from collections.abc import AsyncIterable, Callable, Mapping
from typing import Any, NamedTuple
from urllib.parse import urlencode

from multidict import MultiDict, MultiDictProxy

from ._formdata import FormData
from ._payload import IOBasePayload, Payload, _aiohttp_streamer, get_payload

__all__ = ("BasicAuth", "Body", "close_payload", "encode_body", "prepare_body")

# Payloads of a known size up to this are read into memory and sent as bytes (replayable on a
# 307/308 redirect or a retry); larger ones, and those of unknown size, are streamed.
INLINE_LIMIT = 1024 * 1024

_FORM = "application/x-www-form-urlencoded"


def _form_value(key: Any, value: Any) -> tuple[str, str]:
    if not isinstance(key, str):
        raise TypeError(f"form field names must be str, got {type(key).__name__}")
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise TypeError(f"form field {key!r}: value must be str, int or float, got {value!r}")
    return key, str(value)


def _form(data: Any) -> bytes:
    items = data.items() if isinstance(data, (MultiDict, MultiDictProxy, Mapping)) else data
    fields = []
    for item in items:
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise TypeError(f"form data must be a mapping or (name, value) pairs, got {item!r}")
        fields.append(_form_value(*item))
    return urlencode(fields, doseq=True).encode()


def _plain_form(data: Any) -> bool:
    """A mapping or pairs without a file or bytes value: the urlencoded path (which refuses
    values other than str/int/float); with one, the form goes multipart through FormData."""
    items = data.items() if isinstance(data, (MultiDict, MultiDictProxy, Mapping)) else data
    for item in items:
        if isinstance(item, io.IOBase):
            return False
        if (
            isinstance(item, (list, tuple))
            and len(item) == 2
            and isinstance(item[1], (io.IOBase, bytes, bytearray, memoryview))
        ):
            return False
    return True


def _is_payload(data: Any) -> bool:
    # aiohttp's payload objects too, by their shape: a size, headers and an async write().
    return isinstance(data, Payload) or (
        hasattr(data, "write")
        and hasattr(data, "size")
        and hasattr(data, "headers")
        and hasattr(data, "content_type")
    )


def _is_formdata(data: Any) -> bool:
    # aiohttp's FormData too: an add_field() and a call that gives the payload.
    return isinstance(data, FormData) or (
        callable(data) and hasattr(data, "add_field") and hasattr(data, "is_multipart")
    )


async def close_payload(data: Any) -> None:
    """Close `data` when it is a payload object (ours or aiohttp's); errors are not the
    caller's concern here (the request already failed)."""
    if data is not None and _is_payload(data) and hasattr(data, "close"):
        with contextlib.suppress(Exception):  # the request's own error is the one raised
            await data.close()


class Body(NamedTuple):
    """A prepared request body: bytes (or None), or a payload to stream (size None: chunked)."""

    data: bytes | None
    content_type: str | None
    headers: list[tuple[str, str]]  # the payload's own headers (Content-Disposition, ...)
    stream: Any = None
    size: int | None = None
    owned: bool = False  # the payload holds a file we opened: close it when done


def _to_payload(data: Any) -> tuple[Any, bool] | None:
    """(payload, owned) for the body types that need one, None for the plain ones."""
    if _is_formdata(data):
        return data(), False
    if _is_payload(data):
        return data, False
    if isinstance(data, pathlib.PurePath):
        f = open(data, "rb")  # noqa: SIM115 - the payload owns it and closes it after sending
        try:
            return IOBasePayload(f, disposition=None), True
        except BaseException:
            f.close()
            raise
    if isinstance(data, (Mapping, MultiDict, MultiDictProxy, list, tuple)) and not _plain_form(
        data
    ):
        return FormData(data)(), False
    if isinstance(data, (io.IOBase, AsyncIterable)) or _aiohttp_streamer(data) is not None:
        # A raw body is not an attachment: aiohttp makes its payload with disposition=None,
        # so no Content-Disposition goes out (test_POST_FILES_SINGLE).
        return get_payload(data, disposition=None), False
    return None


async def prepare_body(data: Any, json: Any, json_serialize: Callable[[Any], str | bytes]) -> Body:
    """The body for aiohttp's data/json arguments (may read a small file, off the loop)."""
    if json is not None or data is None or isinstance(data, (bytes, bytearray, memoryview, str)):
        raw, ctype = encode_body(data, json, json_serialize)
        return Body(raw, ctype, [])
    made = _to_payload(data)
    if made is None:
        raw, ctype = encode_body(data, json, json_serialize)
        return Body(raw, ctype, [])
    payload, owned = made
    headers = [(k, v) for k, v in payload.headers.items() if k.lower() != "content-type"]
    ctype = payload.content_type
    size = payload.size
    if size is not None and size <= INLINE_LIMIT and getattr(payload, "reusable", True):
        try:
            raw = await payload.as_bytes()
        finally:
            if owned:
                await payload.close()
        if len(raw) != size:
            raise ValueError(f"the request body's size changed: {len(raw)} bytes, declared {size}")
        return Body(bytes(raw), ctype, headers)
    return Body(None, ctype, headers, payload, size, owned)


def encode_body(
    data: Any, json: Any, json_serialize: Callable[[Any], str | bytes]
) -> tuple[bytes | None, str | None]:
    """(body, default Content-Type) for aiohttp's data/json arguments, when they make bytes
    without reading a file or an iterator (batches take only these)."""
    if json is not None:
        if data is not None:
            raise ValueError("data and json parameters can not be used at the same time")
        out = json_serialize(json)
        return (out.encode() if isinstance(out, str) else bytes(out)), "application/json"
    if data is None:
        return None, None
    if isinstance(data, bytes):
        return data, "application/octet-stream"
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data), "application/octet-stream"
    if isinstance(data, str):
        return data.encode(), "text/plain; charset=utf-8"
    if isinstance(data, (Mapping, MultiDict, MultiDictProxy, list, tuple)) and _plain_form(data):
        return _form(data), _FORM
    if _to_payload_type(data):
        raise TypeError(
            f"a {type(data).__name__} body (a form with files, a payload, a file or an async "
            "iterable) is streamed: send it with session.request()/post(), not in a batch"
        )
    raise TypeError(
        "data must be bytes, str, a mapping or (name, value) pairs for a form, FormData, "
        "a MultipartWriter or payload, a file object, a pathlib path or an async iterable; "
        f"got {type(data).__name__}"
    )


def _to_payload_type(data: Any) -> bool:
    return (
        _aiohttp_streamer(data) is not None
        or _is_formdata(data)
        or _is_payload(data)
        or isinstance(
            data,
            (
                pathlib.PurePath,
                io.IOBase,
                AsyncIterable,
                Mapping,
                list,
                tuple,
                MultiDict,
                MultiDictProxy,
            ),
        )
    )


class BasicAuth(tuple):  # type: ignore[type-arg]
    """aiohttp's BasicAuth(login, password, encoding) for `auth=`."""

    __slots__ = ()

    def __new__(cls, login: str, password: str = "", encoding: str = "latin1") -> BasicAuth:
        if login is None:
            raise ValueError("None is not allowed as login value")
        if password is None:
            raise ValueError("None is not allowed as password value")
        if ":" in login:
            raise ValueError('A ":" is not allowed in login (RFC 1945#section-11.1)')
        return tuple.__new__(cls, (login, password, encoding))

    @property
    def login(self) -> str:
        return self[0]  # type: ignore[no-any-return]

    @property
    def password(self) -> str:
        return self[1]  # type: ignore[no-any-return]

    @property
    def encoding(self) -> str:
        return self[2]  # type: ignore[no-any-return]

    def encode(self) -> str:
        """The Authorization header value."""
        import base64

        creds = f"{self.login}:{self.password}".encode(self.encoding)
        return "Basic " + base64.b64encode(creds).decode(self.encoding)
