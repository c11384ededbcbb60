"""The fields of a response head as aiohttp reports them: HTTP version, URL, Link headers,
the body's text encoding, JSON content types, the redirect hops a response carries and the
Set-Cookie values of the chain.

Pure functions and data over what the engine hands back (no I/O, no response state), so that
`_response.ClientResponse` keeps only the response's own state and its lazy parsing.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable
from typing import Any

from multidict import MultiDict, MultiDictProxy
from yarl import URL

from ._headers import parse_content_type
from ._models import HttpVersion, HttpVersion10, HttpVersion11

__all__ = (
    "JSON_RE",
    "VERSIONS",
    "Hop",
    "content_type_matches",
    "encoding_of",
    "normalized_url",
    "parse_links",
    "set_cookie_sources",
)


VERSIONS = {
    "1.0": HttpVersion10,
    "1.1": HttpVersion11,
    "2": HttpVersion(2, 0),
    "2.0": HttpVersion(2, 0),
    "3": HttpVersion(3, 0),
}


# aiohttp's test for "this is JSON": application/json and application/<anything>+json.
JSON_RE = re.compile(r"^application/(?:[\w.+-]+?\+)?json")


class Hop:
    """One redirect response from RawResponse.history, shaped like a RawResponse."""

    __slots__ = ("headers", "http_version", "method", "reason", "status", "url")

    body = b""
    history: tuple[Any, ...] = ()
    timings: dict[str, float] = {}  # noqa: RUF012 - shared, read-only
    attempts = 1
    stream = None
    raw_bytes = 0
    high_water = 0

    def __init__(
        self,
        hop: tuple[int, str, str, str, list[tuple[str, str]]],
        http_version: str,
    ) -> None:
        self.status, self.reason, self.url, self.method, self.headers = hop
        self.http_version = http_version


def normalized_url(raw: str) -> URL:
    """The URL as aiohttp reports it: scheme and host lower-cased (the engine keeps the
    caller's spelling on the wire, where case does not matter)."""
    url = URL(raw, encoded=True)
    host = url.raw_host
    if host is not None and (host != host.lower() or url.scheme != url.scheme.lower()):
        url = url.with_scheme(url.scheme.lower()).with_host(host.lower())
    if url.raw_user is not None:
        url = url.with_user(None)  # aiohttp: credentials never show in a response's URL
    return url


def parse_links(values: Iterable[str], base: URL) -> MultiDictProxy[MultiDictProxy[str | URL]]:
    """The Link headers (RFC 8288) keyed by rel (or URL), as aiohttp parses them; each link's
    "url" resolved against `base` (the response's URL)."""
    links_str = ", ".join(values)
    links: MultiDict[MultiDictProxy[str | URL]] = MultiDict()
    if not links_str:
        return MultiDictProxy(links)
    for val in re.split(r",(?=\s*<)", links_str):
        match = re.match(r"\s*<(.*)>(.*)", val)
        if match is None:
            continue
        url, params_str = match.groups()
        link: MultiDict[str | URL] = MultiDict()
        for param in params_str.split(";")[1:]:
            pm = re.match(r"^\s*(\S*)\s*=\s*(['\"]?)(.*?)(\2)\s*$", param, re.M)
            if pm is None:
                continue
            key, _, value, _ = pm.groups()
            link.add(key, value)
        key = link.get("rel", url)
        link.add("url", base.join(URL(url)))
        links.add(str(key), MultiDictProxy(link))
    return MultiDictProxy(links)


def encoding_of(content_type: str) -> str:
    """The text encoding of a body with this Content-Type, as aiohttp's get_encoding()."""
    encoding = parse_content_type(content_type.lower())[1].get("charset")
    if encoding:
        try:
            return codecs.lookup(encoding).name
        except LookupError:
            pass
    # No (known) charset: JSON is UTF-8 by RFC 8259; for everything else aiohttp's
    # default fallback resolver also answers utf-8 (no charset sniffing here either).
    return "utf-8"


def content_type_matches(ctype: str, expected: str) -> bool:
    """json()'s check: `ctype` (lower-cased) is JSON when "application/json" is expected
    (application/json and application/<anything>+json), else contains `expected`."""
    if expected == "application/json":
        return JSON_RE.match(ctype) is not None
    return expected in ctype


def set_cookie_sources(
    history: Iterable[Any], url: str, headers: list[tuple[str, str]]
) -> list[tuple[list[str], URL]]:
    """The Set-Cookie values of each redirect hop (RawResponse.history tuples) and of the
    final response (`headers` from `url`), each with the URL that sent them."""
    out = []
    for hop in history:
        values = [v for k, v in hop[4] if k.lower() == "set-cookie"]
        if values:
            out.append((values, URL(hop[2], encoded=True)))
    values = [v for k, v in headers if k.lower() == "set-cookie"]
    if values:
        out.append((values, URL(url, encoded=True)))
    return out
