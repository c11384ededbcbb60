"""Session cookie storage with aiohttp's CookieJar interface and RFC 6265 matching rules."""

from __future__ import annotations

import http.cookiejar
import ipaddress
import itertools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from http.cookies import BaseCookie, CookieError, Morsel, SimpleCookie
from typing import Any

from yarl import URL

__all__ = ("CookieJar", "DummyCookieJar", "cookie_header", "parse_set_cookies")

_MAX_TIME = 2**31 - 1  # far future, still a valid epoch on every platform
_EMPTY_URL = URL()


def _is_ip(host: str | None) -> bool:
    if not host:
        return False
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def parse_set_cookies(values: Iterable[str]) -> SimpleCookie:
    """Set-Cookie header values -> SimpleCookie (one header at a time: Expires holds commas)."""
    out = SimpleCookie()
    for value in values:
        try:
            out.load(value)
        except CookieError:
            continue  # a malformed cookie is skipped, like browsers (and aiohttp) do
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
            for morsel in shared.values():
                filtered[morsel.key] = morsel.value
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
                fresh: Morsel[str] = Morsel()
                fresh.set(morsel.key, morsel.value, morsel.coded_value)
                filtered[name] = fresh
        return filtered


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
