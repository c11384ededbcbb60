"""Request preparation: a session's defaults applied to one request (URL, headers, cookies,
body), for single requests and batch items alike.

`RequestDefaults` is the explicit interface between a session and everything that prepares
requests for it (the verbs and `_batch`): a frozen value made once per session, so nothing
here reads a session's attributes. The session imports this module, never the reverse.
"""

from __future__ import annotations

import netrc
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from multidict import CIMultiDict, CIMultiDictProxy, istr
from yarl import URL

from . import _core
from ._body import BasicAuth, encode_body
from ._cookiejar import CookieJar, DummyCookieJar, cookie_header
from ._errors import (
    ClientResponseError,
    InvalidUrlClientError,
    NonHttpUrlClientError,
    TooManyRedirects,
)
from ._flow import fallback_list
from ._headers import merge_headers
from ._models import RequestInfo, RequestSpec
from ._response import ClientResponse, set_cookie_headers
from ._response_head import Hop as _Hop
from ._version import __version__

__all__ = (
    "EMPTY_AUTHORITY",
    "RequestDefaults",
    "batch_item",
    "body_headers",
    "check_auth",
    "fill_request_info",
    "load_netrc",
    "netrc_auth",
    "request_headers",
    "store_cookies",
)

_USER_AGENT = f"asiofetch/{__version__}"
# Added when absent (and not skipped), like aiohttp's auto headers. Accept-Encoding is
# advertised natively (libcurl knows which decoders it has) when auto_decompress is on.
_AUTO_HEADERS = ((istr("Accept"), "*/*"), (istr("User-Agent"), _USER_AGENT))
# libcurl always sends Host, and Accept-Encoding whenever it decodes: skipping either cannot
# be honoured (auto_decompress=False is what stops Accept-Encoding).
_NATIVE_AUTO = frozenset(("host", "accept-encoding"))
# libcurl's parser reads "http:///x" as host "x"; aiohttp (and RFC 3986) see an empty host.
EMPTY_AUTHORITY = ("http:///", "https:///", "HTTP:///", "HTTPS:///")


@dataclass(frozen=True)
class RequestDefaults:
    """What a session adds to each request. The jar is shared (it learns from responses);
    everything else is fixed when the session is made."""

    base_url: URL | None
    headers: CIMultiDict[str]  # the session's own headers=, the base of a per-request merge
    skip_auto_headers: frozenset[str]
    cookie_jar: CookieJar
    json_serialize: Callable[[Any], str | bytes]
    auth: BasicAuth | None
    # What a request without headers= sends: session headers, auto headers, Authorization.
    default_headers: CIMultiDict[str] = field(init=False)
    default_header_list: list[tuple[str, str]] = field(init=False)
    default_header_proxy: CIMultiDictProxy[str] = field(init=False)
    collect_cookies: bool = field(init=False)

    def __post_init__(self) -> None:
        defaults = CIMultiDict(self.headers)
        skip = _lower(self.skip_auto_headers)
        for name, value in _AUTO_HEADERS:
            if name not in defaults and name.lower() not in skip:
                defaults[name] = value
        if self.auth is not None and "Authorization" not in defaults:
            defaults["Authorization"] = self.auth.encode()
        header_list = list(defaults.items())
        _core.check_headers(header_list)  # bad session headers fail where they are written
        set_ = object.__setattr__  # frozen: derived fields are set once, here
        set_(self, "default_headers", defaults)
        set_(self, "default_header_list", header_list)
        set_(self, "default_header_proxy", CIMultiDictProxy(defaults))
        set_(self, "collect_cookies", not isinstance(self.cookie_jar, DummyCookieJar))

    def build_url(self, str_or_url: Any, params: Any) -> tuple[str, URL | None]:
        """(URL string for the engine, parsed URL when Python had to parse it)."""
        if isinstance(str_or_url, str):
            if self.base_url is None and not params:
                if str_or_url.startswith(EMPTY_AUTHORITY):
                    raise InvalidUrlClientError(str_or_url)
                return str_or_url, None  # the engine parses and validates it
            try:
                url = URL(str_or_url)
            except (ValueError, TypeError) as e:
                raise InvalidUrlClientError(str_or_url) from e
        elif isinstance(str_or_url, URL):
            url = str_or_url
        else:
            raise TypeError(f"url must be str or yarl.URL, got {type(str_or_url).__name__}")
        if self.base_url is not None and not url.absolute:
            url = self.base_url.join(url)
        if params:
            if not isinstance(params, (str, dict, list, tuple)) and not hasattr(params, "items"):
                raise TypeError(
                    "Invalid query type: only str, mapping or sequence of (key, value) pairs "
                    "is allowed"
                )
            url = url.extend_query(params)
        if url.scheme not in ("http", "https", ""):
            raise NonHttpUrlClientError(str_or_url)
        if not url.raw_host:
            raise InvalidUrlClientError(str_or_url)
        return str(url), url

    def add_cookie_header(self, hdrs: CIMultiDict[str], url: URL, cookies: Any) -> None:
        """aiohttp merges a Cookie header given by the caller, the jar's matches and cookies=."""
        merged: SimpleCookie = SimpleCookie()
        for value in hdrs.popall("Cookie", ()):
            merged.load(value)
        for name, morsel in self.cookie_jar.filter_cookies(url).items():
            merged[name] = morsel
        if cookies:
            # aiohttp: a jar of the request's cookies, quoting like the session's jar and
            # trusting its secure origins (a Secure cookie goes to a treat_as_secure_origin).
            tmp = CookieJar(
                unsafe=True,
                quote_cookie=self.cookie_jar.quote_cookie,
                treat_as_secure_origin=sorted(getattr(self.cookie_jar, "_secure_origins", ())),
            )
            tmp.update_cookies(cookies)
            for name, morsel in tmp.filter_cookies(url).items():
                merged[name] = morsel
        if merged:
            hdrs["Cookie"] = cookie_header(merged)


def request_headers(
    d: RequestDefaults,
    headers: Any,
    skip_auto_headers: Any,
    content_type: str | None,
    auth: BasicAuth | None,
) -> CIMultiDict[str]:
    """Session defaults, then the request's headers, then what its arguments imply."""
    if headers or skip_auto_headers:
        hdrs = merge_headers(d.headers, headers)
        skip = _lower(d.skip_auto_headers)
        if skip_auto_headers:
            skip = skip | _lower(skip_auto_headers)
        for name, value in _AUTO_HEADERS:
            if name not in hdrs and name.lower() not in skip:
                hdrs[name] = value
        if auth is None and d.auth is not None:
            # The session's auth= applies here too (it was dropped when headers= was given);
            # with an Authorization header as well, aiohttp refuses the request.
            if "Authorization" in hdrs:
                raise ValueError("Cannot combine AUTHORIZATION header with AUTH argument")
            hdrs["Authorization"] = d.auth.encode()
    else:
        hdrs = CIMultiDict(d.default_headers)
    if content_type is not None and "Content-Type" not in hdrs:
        hdrs["Content-Type"] = content_type
    if auth is not None:
        check_auth(auth)
        if "Authorization" in hdrs and (headers and "Authorization" in CIMultiDict(headers)):
            raise ValueError("Cannot combine AUTHORIZATION header with AUTH argument")
        hdrs["Authorization"] = auth.encode()
    return hdrs


def _lower(names: Any) -> frozenset[str]:
    """Header names of skip_auto_headers, compared case-insensitively (an istr hashes as
    its own spelling: "user-agent" would not match "User-Agent" in a set)."""
    out = frozenset(str(n).lower() for n in names)
    native = out & _NATIVE_AUTO
    if native:
        raise ValueError(
            f"skip_auto_headers: {sorted(native)[0]} is added by libcurl and cannot be skipped "
            "(for Accept-Encoding pass auto_decompress=False)"
        )
    return out


def body_headers(hdrs: CIMultiDict[str], body: Any, expect100: bool) -> Any:
    """aiohttp's body-related headers: `expect100=True` sends `Expect: 100-continue`; an
    explicit Content-Length shorter than the body sends only that many bytes (aiohttp's
    writer stops there). One longer than the body is refused: the server would wait for
    bytes that never come."""
    if expect100 and "Expect" not in hdrs:
        hdrs["Expect"] = "100-continue"
    declared = hdrs.get("Content-Length")
    if declared is None or not isinstance(body, (bytes, bytearray, memoryview)):
        return body
    if not declared.isdigit():
        raise ValueError(f"Content-Length header must be a non-negative integer, got {declared!r}")
    n = int(declared)
    if n > len(body):
        raise ValueError(f"Content-Length header says {n} bytes but the body has {len(body)}")
    del hdrs["Content-Length"]  # libcurl sends the length of what it is given
    return bytes(body[:n])


def load_netrc() -> netrc.netrc | None:
    """NETRC, else ~/.netrc, as aiohttp reads it with trust_env=True (None if unreadable)."""
    path = os.environ.get("NETRC") or os.path.join(os.path.expanduser("~"), ".netrc")
    try:
        return netrc.netrc(path)
    except (OSError, netrc.NetrcParseError):
        return None


def netrc_auth(
    n: netrc.netrc, host: str | None, d: RequestDefaults, headers: Any
) -> BasicAuth | None:
    """The netrc entry for `host` (or its `default`), unless the request has Authorization."""
    if host is None or "Authorization" in d.headers:
        return None
    if headers and "Authorization" in CIMultiDict(headers):
        return None
    entry = n.authenticators(host)
    if entry is None:
        return None
    login, account, password = entry
    return BasicAuth(login or account or "", password or "")


def check_auth(auth: Any) -> None:
    """`auth=` of a session or a request: None or a BasicAuth."""
    if auth is not None and not isinstance(auth, BasicAuth):
        raise TypeError("auth must be a BasicAuth")


def batch_item(d: RequestDefaults, r: Any) -> Any:
    """A batch item for the engine: a URL str when the session's defaults are all it needs,
    else (method, url, headers or None, body or None, None[, fallback])."""
    plain = d.base_url is None and not d.cookie_jar
    if isinstance(r, str):
        if plain:
            return r
        url_str, url = d.build_url(r, None)
        return ("GET", url_str, _item_headers(d, None, url or URL(url_str), None), None, None)
    if isinstance(r, URL):
        return batch_item(d, str(r))
    if isinstance(r, RequestSpec):
        url_str, url = d.build_url(r.url, r.params)
        body, content_type = encode_body(r.data, r.json, d.json_serialize)
        headers = _item_headers(d, r.headers, url or URL(url_str), content_type)
        if r.fallback is not None:
            return (r.method, url_str, headers, body, None, fallback_list(r.fallback))
        return (r.method, url_str, headers, body, None)
    raise TypeError(f"a batch takes URLs (str or yarl.URL) or RequestSpec, got {type(r).__name__}")


def _item_headers(
    d: RequestDefaults, extra: Any, url: URL, content_type: str | None
) -> list[tuple[str, str]] | None:
    if not extra and content_type is None and not d.cookie_jar:
        return None  # the session's defaults, sent natively
    hdrs = merge_headers(d.default_headers, extra) if extra else CIMultiDict(d.default_headers)
    if content_type is not None and "Content-Type" not in hdrs:
        hdrs["Content-Type"] = content_type
    if d.cookie_jar:
        d.add_cookie_header(hdrs, url, None)
    return list(hdrs.items())


def store_cookies(d: RequestDefaults, resp: ClientResponse) -> None:
    """Set-Cookie from every response of the chain goes into the jar, each with its URL."""
    if d.collect_cookies:
        for values, url in set_cookie_headers(resp):
            d.cookie_jar.update_cookies_from_headers(values, url)


def fill_request_info(exc: ClientResponseError, method: str, url: str, headers: Any) -> None:
    """Native failures (TooManyRedirects, a bad response) do not know the request; aiohttp's
    carry it, and TooManyRedirects its history (aiohttp: history[0].request_info)."""
    if exc.request_info is not None:
        return
    u = URL(url, encoded=True)
    if isinstance(headers, CIMultiDictProxy):
        proxy = headers
    else:
        proxy = CIMultiDictProxy(CIMultiDict(headers or ()))
    exc.request_info = RequestInfo(u, method, proxy, u)
    if isinstance(exc, TooManyRedirects) and exc.native_hops is not None:
        version, hops = exc.native_hops
        exc.native_hops = None
        exc.history = tuple(ClientResponse(_Hop(h, version), proxy) for h in hops)
    exc.args = (exc.request_info, exc.history)
