"""Request bodies: aiohttp's `data=` / `json=` conventions turned into bytes and a Content-Type."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from multidict import MultiDict, MultiDictProxy

__all__ = ("BasicAuth", "encode_body")

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


def encode_body(
    data: Any, json: Any, json_serialize: Callable[[Any], str | bytes]
) -> tuple[bytes | None, str | None]:
    """(body, default Content-Type) for aiohttp's data/json arguments."""
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
    if isinstance(data, (Mapping, MultiDict, MultiDictProxy, list, tuple)):
        return _form(data), _FORM
    if isinstance(data, io.IOBase) or hasattr(data, "read"):
        # A file-like object is read whole: the engine sends bodies from memory.
        content = data.read()
        if isinstance(content, str):
            return content.encode(), "text/plain; charset=utf-8"
        if isinstance(content, (bytes, bytearray, memoryview)):
            return bytes(content), "application/octet-stream"
        raise TypeError(f"data.read() returned {type(content).__name__}, expected bytes or str")
    raise TypeError(
        "data must be bytes, str, a mapping or (name, value) pairs for a form, "
        f"or a file-like object; got {type(data).__name__}"
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
