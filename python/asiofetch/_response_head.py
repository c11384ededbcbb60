"""The fields of a response head as aiohttp reports them: HTTP version, URL, Link headers,
JSON content types, and the redirect hops a response carries.

Pure functions and data over what the engine hands back (no I/O, no response state), so that
`_response.ClientResponse` keeps only the response's own state and its lazy parsing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from multidict import MultiDict, MultiDictProxy
from yarl import URL

from ._models import HttpVersion, HttpVersion10, HttpVersion11

__all__ = ("JSON_RE", "VERSIONS", "Hop", "normalized_url", "parse_links")


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
