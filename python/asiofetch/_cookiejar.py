"""Session cookie storage with aiohttp's CookieJar interface and RFC 6265 matching rules."""

from __future__ import annotations

import http.cookiejar
import ipaddress
import itertools
import json
import logging
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from http.cookies import BaseCookie, CookieError, Morsel, SimpleCookie
from typing import Any

from yarl import URL

__all__ = ("CookieJar", "DummyCookieJar", "cookie_header", "parse_set_cookies")

_MAX_TIME = 2**31 - 1  # far future, still a valid epoch on every platform
_EMPTY_URL = URL()
_log = logging.getLogger("asiofetch")
# Cookie names as aiohttp 3.14 accepts them: RFC 6265's token characters plus the ones real
# servers send ("{", "}", "[", "]"...), no separators that break the header (",", ";", "=",
# white space, quotes, backslash).
_NAME_OK = re.compile(r"^[!#$%&'()*+\-./0-9:<=>?@A-Z\[\]^_`a-z{|}~]+$")
# Morsel attributes, as this Python's Morsel knows them ("partitioned" is 3.14+); "expires"
# values hold a comma, so each header is parsed alone.
_ATTRS = frozenset(Morsel().keys())
_FLAGS = frozenset(("secure", "httponly", "partitioned")) & _ATTRS
_QUOTER = SimpleCookie()


def _is_ip(host: str | None) -> bool:
    if not host:
        return False
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _morsel(key: str, value: str, coded_value: str) -> Morsel[str]:
    """A Morsel without http.cookies' name check (it refuses "{", which servers send)."""
    m: Morsel[str] = Morsel()
    m.__setstate__({"key": key, "value": value, "coded_value": coded_value})  # type: ignore[attr-defined]
    return m


# One "name=value" or attribute of a Set-Cookie header, tokenised the way http.cookies
# does (and aiohttp after it): a plain value ends at white space or ";", so
# "Path=/ Max-Age=1" is two attributes; an Expires date keeps its comma and spaces.
_CHARS = r"\w!#%&'~`><@,:/$*+\-.^|)(?}{=\[\]"
_TOKEN = re.compile(
    rf"""\s*(?P<key>[{_CHARS}]+?)
    (?:\s*=\s*(?P<val>"(?:[^\\"]|\\.)*"
        |\w{{3}},\s[\w\s-]{{9,11}}\s[\d:]{{8}}\sGMT
        |[{_CHARS}]*))?
    \s*(?:\s+|;|$)""",
    re.ASCII | re.VERBOSE,
)


def _parse_one(header: str) -> Morsel[str] | None:
    morsel: Morsel[str] | None = None
    pos, n = 0, len(header)
    while pos < n:
        m = _TOKEN.match(header, pos)
        if m is None or m.end() == pos:
            break
        pos = m.end()
        key, val = m.group("key"), m.group("val")
        if morsel is None:
            if val is None:
                return None  # RFC 6265 5.2: no "=" in the first pair: ignore the header
            if not _NAME_OK.match(key):
                _log.warning("Can not load cookies: Illegal cookie name %r", key)
                return None
            plain = val[1:-1] if len(val) >= 2 and val[0] == val[-1] == '"' else val
            morsel = _morsel(key, plain, val)
            continue
        lower = key.lower()
        if lower in _FLAGS:
            morsel[lower] = True
        elif lower in _ATTRS and val is not None:
            morsel[lower] = val
        # Unknown attributes are ignored (RFC 6265 5.2).
    return morsel


def parse_set_cookies(values: Iterable[str]) -> SimpleCookie:
    """Set-Cookie header values -> SimpleCookie, parsed one header at a time (Expires holds
    commas) and leniently as aiohttp does: a name with "{" is kept, an illegal one is
    skipped with a warning, the others of the response still count."""
    out = SimpleCookie()
    for value in values:
        morsel = _parse_one(value)
        if morsel is not None:
            dict.__setitem__(out, morsel.key, morsel)
    return out


def cookie_header(cookies: Mapping[str, Morsel[str]] | BaseCookie[str]) -> str:
    """The Cookie request header: name=value pairs only, attributes dropped."""
    return "; ".join(f"{m.key}={m.coded_value}" for m in cookies.values())


class CookieJar:
    """Stores Set-Cookie from responses and returns the cookies matching a request URL.

    Like aiohttp: cookies from IP-address hosts are refused unless `unsafe=True`; cookies
    without a Domain attribute are host-only; Secure cookies are sent over https only.
    """

    def __init__(
        self,
        *,
        unsafe: bool = False,
        quote_cookie: bool = True,
        treat_as_secure_origin: Any = None,
        loop: Any = None,
    ) -> None:
        # (domain, path) -> cookies; domain "" holds the session's shared cookies.
        self._cookies: dict[tuple[str, str], SimpleCookie] = {}
        self._host_only: set[tuple[str, str]] = set()
        self._expirations: dict[tuple[str, str, str], float] = {}
        self._next_expiration = float(_MAX_TIME)
        self._unsafe = unsafe
        self._quote_cookie = quote_cookie
        self._secure_origins: frozenset[str] = frozenset()
        if treat_as_secure_origin:
            origins = (
                [treat_as_secure_origin]
                if isinstance(treat_as_secure_origin, (str, URL))
                else treat_as_secure_origin
            )
            self._secure_origins = frozenset(str(URL(o).origin()) for o in origins)

    @property
    def quote_cookie(self) -> bool:
        return self._quote_cookie

    def __len__(self) -> int:
        return sum(len(c) for c in self._cookies.values())

    def __bool__(self) -> bool:
        # A jar is "worth consulting" when it holds a cookie (the session's hot path asks this).
        return any(self._cookies.values())

    def __iter__(self) -> Iterator[Morsel[str]]:
        self._do_expiration()
        for cookies in self._cookies.values():
            yield from cookies.values()

    def clear(self, predicate: Callable[[Morsel[str]], bool] | None = None) -> None:
        if predicate is None:
            self._cookies.clear()
            self._host_only.clear()
            self._expirations.clear()
            self._next_expiration = float(_MAX_TIME)
            return
        for (domain, path), cookies in list(self._cookies.items()):
            for name, morsel in list(cookies.items()):
                if predicate(morsel):
                    self._delete(domain, path, name)

    def clear_domain(self, domain: str) -> None:
        self.clear(lambda m: self._is_domain_match(domain, m["domain"]))

    def _delete(self, domain: str, path: str, name: str) -> None:
        cookies = self._cookies.get((domain, path))
        if cookies is not None:
            cookies.pop(name, None)
            if not cookies:
                del self._cookies[(domain, path)]
        self._host_only.discard((domain, name))
        self._expirations.pop((domain, path, name), None)

    def _do_expiration(self) -> None:
        now = time.time()
        if self._next_expiration > now:
            return
        nearest = float(_MAX_TIME)
        for key, when in list(self._expirations.items()):
            if when <= now:
                self._delete(*key)
            else:
                nearest = min(nearest, when)
        self._next_expiration = nearest

    def _expire_cookie(self, when: float, domain: str, path: str, name: str) -> None:
        self._next_expiration = min(self._next_expiration, when)
        self._expirations[(domain, path, name)] = when

    @staticmethod
    def _is_domain_match(domain: str, hostname: str) -> bool:
        """RFC 6265 5.1.3 domain matching."""
        if hostname == domain:
            return True
        if not hostname.endswith(domain):
            return False
        rest = hostname[: -len(domain)]
        return rest.endswith(".") and not _is_ip(hostname)

    def update_cookies_from_headers(self, headers: Iterable[str], response_url: URL) -> None:
        self.update_cookies(parse_set_cookies(headers), response_url)

    def update_cookies(self, cookies: Any, response_url: URL = _EMPTY_URL) -> None:
        """Add cookies (a mapping or pairs of name -> str or Morsel) set by `response_url`."""
        hostname = response_url.raw_host
        if not self._unsafe and _is_ip(hostname):
            return  # aiohttp refuses cookies from IP addresses unless unsafe=True
        items = cookies.items() if isinstance(cookies, Mapping) else cookies
        for name, value in items:
            if isinstance(value, Morsel):
                morsel = value
            else:
                tmp = SimpleCookie()
                tmp[name] = value
                morsel = tmp[name]
            domain: str = morsel["domain"]
            if domain and domain[-1] == ".":
                domain = ""  # a trailing dot is not a valid Domain attribute
                del morsel["domain"]
            if not domain and hostname is not None:
                self._host_only.add((hostname, name))
                domain = morsel["domain"] = hostname
            if domain and domain[0] == ".":
                domain = domain[1:]
                morsel["domain"] = domain
            if hostname and not self._is_domain_match(domain, hostname):
                continue  # a host may not set cookies for another domain
            path: str = morsel["path"]
            if not path or path[0] != "/":
                # RFC 6265 5.1.4 default-path: the request path up to its last "/".
                req_path = response_url.path
                if not req_path.startswith("/"):
                    path = "/"
                else:
                    path = "/" + req_path[1 : req_path.rfind("/")]
                morsel["path"] = path
            path = path.rstrip("/")
            max_age = morsel["max-age"]
            if max_age:
                try:
                    self._expire_cookie(
                        min(time.time() + int(max_age), _MAX_TIME), domain, path, name
                    )
                except ValueError:
                    morsel["max-age"] = ""
            elif morsel["expires"]:
                when = http.cookiejar.http2time(morsel["expires"])  # type: ignore[attr-defined]
                if when is not None:
                    self._expire_cookie(when, domain, path, name)
                else:
                    morsel["expires"] = ""
            self._cookies.setdefault((domain, path), SimpleCookie())[name] = morsel
        self._do_expiration()

    def filter_cookies(self, request_url: URL) -> BaseCookie[str]:
        """The cookies to send to `request_url`."""
        filtered: BaseCookie[str] = SimpleCookie() if self._quote_cookie else BaseCookie()
        if not self._cookies:
            return filtered
        self._do_expiration()
        hostname = request_url.raw_host or ""
        secure = request_url.scheme in ("https", "wss") or (
            bool(self._secure_origins) and str(request_url.origin()) in self._secure_origins
        )
        shared = self._cookies.get(("", ""))
        if shared:
            for name, morsel in shared.items():
                if not secure and morsel["secure"]:
                    continue
                filtered[name] = self._copy(morsel)
        if _is_ip(hostname):
            if not self._unsafe:
                return filtered
            domains: Iterable[str] = (hostname,)
        else:
            # "a.b.example.com" -> "com", "example.com", "b.example.com", ...
            domains = itertools.accumulate(reversed(hostname.split(".")), lambda x, y: f"{y}.{x}")
        paths = list(itertools.accumulate(request_url.path.split("/"), lambda x, y: f"{x}/{y}"))
        for key in itertools.product(domains, paths):
            cookies = self._cookies.get(key)
            if not cookies:
                continue
            for name, morsel in cookies.items():
                domain = morsel["domain"]
                if (domain, name) in self._host_only and domain != hostname:
                    continue
                if not secure and morsel["secure"]:
                    continue
                if len(morsel["path"]) > len(request_url.path):
                    continue  # "/a/" does not match the request path "/a"
                filtered[name] = self._copy(morsel)
        return filtered

    def _copy(self, morsel: Morsel[str]) -> Morsel[str]:
        # aiohttp quotes a value with characters outside RFC 6265's cookie-octets ("{", "=")
        # when it sends it; quote_cookie=False sends the value as stored.
        coded = _QUOTER.value_encode(morsel.value)[1] if self._quote_cookie else morsel.value
        return _morsel(morsel.key, morsel.value, coded)

    def save(self, file_path: str | os.PathLike[str]) -> None:
        """Write the jar to `file_path` as JSON, in aiohttp 3.14's format (one object per
        "domain|path", each cookie with its attributes, host-only flag and absolute expiry),
        readable only by the owner: cookies carry session tokens."""
        self._do_expiration()
        data: dict[str, dict[str, dict[str, Any]]] = {}
        for (domain, path), cookies in self._cookies.items():
            entries = data.setdefault(f"{domain}|{path}", {})
            for name, morsel in cookies.items():
                entry: dict[str, Any] = {
                    "key": morsel.key,
                    "value": morsel.value,
                    "coded_value": morsel.coded_value,
                }
                for attr in _ATTRS - {"max-age", "expires"}:
                    if morsel[attr]:
                        entry[attr] = morsel[attr]
                if (domain, name) in self._host_only:
                    entry["host_only"] = True
                when = self._expirations.get((domain, path, name))
                if when is not None:
                    entry["expires_timestamp"] = when
                entries[name] = entry
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        with open(os.open(file_path, flags, 0o600), "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)

    def load(self, file_path: str | os.PathLike[str]) -> None:
        """Replace the jar's cookies with those `save()` wrote (aiohttp 3.14's JSON format).
        aiohttp's legacy pickle files are refused (unpickling runs code). A malformed file
        raises ValueError and leaves the jar unchanged."""
        with open(file_path, encoding="utf-8") as f:
            try:
                data = json.load(f)
            except json.JSONDecodeError as e:
                raise ValueError(f"{os.fspath(file_path)!r} is not a JSON cookie file: {e}") from e
        cookies: dict[tuple[str, str], SimpleCookie] = {}
        host_only: set[tuple[str, str]] = set()
        expirations: dict[tuple[str, str, str], float] = {}
        try:
            for compound, entries in data.items():
                domain, path = compound.split("|", 1)
                for name, entry in entries.items():
                    morsel = _morsel(entry["key"], entry["value"], entry["coded_value"])
                    for attr in _ATTRS:
                        if attr in entry:
                            morsel[attr] = entry[attr]
                    bucket = cookies.setdefault((domain, path), SimpleCookie())
                    dict.__setitem__(bucket, name, morsel)
                    if entry.get("host_only"):
                        host_only.add((domain, name))
                    if "expires_timestamp" in entry:
                        when = float(entry["expires_timestamp"])
                        if not math.isfinite(when):
                            raise ValueError(f"cookie {name!r}: expiry must be finite")
                        expirations[(domain, path, name)] = when
        except (AttributeError, KeyError, TypeError, ValueError, CookieError) as e:
            raise ValueError(f"{os.fspath(file_path)!r} is not a cookie file: {e!r}") from e
        self._cookies, self._host_only, self._expirations = cookies, host_only, expirations
        self._next_expiration = min(expirations.values(), default=float(_MAX_TIME))
        self._do_expiration()


class DummyCookieJar(CookieJar):
    """A jar that stores nothing: no cookies are kept or sent."""

    def __len__(self) -> int:
        return 0

    def __bool__(self) -> bool:
        return False

    def update_cookies(self, cookies: Any, response_url: URL = _EMPTY_URL) -> None:
        return None

    def filter_cookies(self, request_url: URL) -> BaseCookie[str]:
        return SimpleCookie()
