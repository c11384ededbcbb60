"""Header helpers: lazy multidict views of native header lists and Content-Type parsing."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from email.parser import HeaderParser
from types import MappingProxyType
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy, MultiDict, MultiDictProxy

__all__ = (
    "merge_headers",
    "parse_content_type",
    "proxy_of",
    "raw_of",
)

HeaderPairs = list[tuple[str, str]]

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
