"""Header helpers: lazy multidict views of native header lists, Content-Type parsing and
Content-Disposition building."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from email.parser import HeaderParser
from types import MappingProxyType
from typing import Any
from urllib.parse import quote

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

__all__ = (
    "TOKEN_CHARS",
    "content_disposition",
    "merge_headers",
    "parse_content_type",
    "proxy_of",
    "raw_of",
)

HeaderPairs = list[tuple[str, str]]

# RFC 9110's token characters (header names, parameter names, disposition types).
TOKEN_CHARS = frozenset(
    "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
)

_EMPTY: CIMultiDictProxy[str] = CIMultiDictProxy(CIMultiDict())


def proxy_of(pairs: HeaderPairs) -> CIMultiDictProxy[str]:
    """Read-only case-insensitive multidict, arrival order and duplicates kept."""
    if not pairs:
        return _EMPTY
    return CIMultiDictProxy(CIMultiDict(pairs))


def raw_of(pairs: HeaderPairs) -> tuple[tuple[bytes, bytes], ...]:
    """aiohttp's raw_headers: (name, value) byte pairs as received."""
    return tuple(
        (k.encode("utf-8", "surrogateescape"), v.encode("utf-8", "surrogateescape"))
        for k, v in pairs
    )


@functools.lru_cache(maxsize=64)
def parse_content_type(raw: str) -> tuple[str, MappingProxyType[str, str]]:
    """(mimetype, params) exactly as aiohttp computes them (email's header parser)."""
    msg = HeaderParser().parsestr(f"Content-Type: {raw}")
    content_type = msg.get_content_type()
    params = msg.get_params(())
    return content_type, MappingProxyType(dict(params[1:]))


def _pairs(headers: Any) -> Iterable[tuple[Any, Any]]:
    if isinstance(headers, (CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy)):
        return headers.items()
    if isinstance(headers, Mapping):
        return headers.items()
    if isinstance(headers, (list, tuple)):
        for item in headers:
            if not isinstance(item, (list, tuple)) or len(item) != 2:
                raise TypeError(f"headers must be a mapping or (name, value) pairs, got {item!r}")
        return headers
    kind = type(headers).__name__
    raise TypeError(f"headers must be a mapping or (name, value) pairs, not {kind}")


def merge_headers(defaults: CIMultiDict[str], headers: Any) -> CIMultiDict[str]:
    """aiohttp's rule: a name given per request replaces the session default (all of its
    values); repeated names in the request are all kept. Checks the types a multidict needs;
    names (RFC 9110 tokens) and values (no CR, LF, NUL) are the bindings' check, made when
    the headers are submitted (or, for a session's defaults, when the session is made)."""
    result = CIMultiDict(defaults)
    if not headers:
        return result
    added: set[str] = set()
    for key, value in _pairs(headers):
        if not isinstance(key, str):
            raise TypeError(f"Cannot serialize non-str key {key!r}")
        if not isinstance(value, str):
            raise TypeError(f"header {key!r}: value must be str, not {type(value).__name__}")
        low = key.lower()
        if low in added:
            result.add(key, value)
        else:
            result[key] = value
            added.add(low)
    return result


def content_disposition(
    disptype: str, quote_fields: bool = True, charset: str = "utf-8", **params: str
) -> str:
    """A Content-Disposition value; non-ASCII parameters quoted (RFC 7578 form fields)."""
    if not disptype or not set(disptype) <= TOKEN_CHARS:
        raise ValueError(f"bad content disposition type {disptype!r}")
    parts = [disptype]
    for key, val in params.items():
        if not key or not set(key) <= TOKEN_CHARS:
            raise ValueError(f"bad content disposition parameter {key!r}={val!r}")
        if quote_fields:
            if key.lower() == "filename":
                value = quote(val, "", encoding=charset)
                parts.append(f'{key}="{value}"')
            else:
                value = quote(val, "[]/:@!$&'()*+,;=", encoding=charset)
                parts.append(f'{key}="{value}"')
        else:
            value = val.replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'{key}="{value}"')
    return "; ".join(parts)
