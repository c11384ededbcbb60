"""TCPConnector(resolver=): a Python resolver feeding libcurl, and the connector's DNS cache.

libcurl resolves host names itself (getaddrinfo on its threaded resolver). With a custom
resolver (aiohttp's AbstractResolver protocol: `async resolve(host, port, family)` returning
ResolveResult dicts, `async close()`), requests carry `resolve_hook`: before an attempt
connects to a host:port it has no answer for (the first URL, a redirect to another host), the
engine delivers E_RESOLVE_NEEDED to the request's future, the session awaits the resolver here
and answers with a CURLOPT_CONNECT_TO entry ("host:port:addr:port": the resolver may change the
port too, as aiohttp connects to the result's port). The TLS name stays the URL's host.

Why the engine asks instead of Python following redirects hop by hop: the redirect rules
(method changes, credentials dropped across origins, history, limits) stay in one place, and a
request without a resolver pays nothing (one flag test per attempt, false).

As aiohttp's TCPConnector: answers are cached per (host, port) for ttl_dns_cache seconds
(use_dns_cache=False: never), concurrent lookups of one key share one resolve() call, an IP
literal is never resolved, an OSError of the resolver is ClientConnectorDNSError, anything
else it raises reaches the caller unchanged, and a resolver the caller passed is not closed
by the connector (aiohttp closes only the resolver it made itself).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from typing import Any

from ._errors import (
    ClientConnectorDNSError,
    ConnectionKey,
    ConnectionTimeoutError,
    SessionClosedError,
)

__all__ = ("ResolveNeeded", "ResolverHook")


class ResolveNeeded(Exception):
    """Internal: raised into a request's future when the engine waits for a resolver answer.
    `key` is "host:port" as libcurl names it (an IPv6 host in brackets)."""

    def __init__(self, key: str, url: str) -> None:
        super().__init__(key)
        host, _, port = key.rpartition(":")
        self.key = key
        self.host = host[1:-1] if host.startswith("[") and host.endswith("]") else host
        self.port = int(port)
        self.url = url


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _retrieve(task: asyncio.Future[str]) -> None:
    # The requests that waited got the error; nobody else must be warned it was never seen.
    if not task.cancelled():
        task.exception()


def _target(addr: str) -> str:
    return f"[{addr}]" if ":" in addr else addr


class ResolverHook:
    """A connector's custom resolver and its cache (loop thread only)."""

    __slots__ = ("_cache", "_family", "_inflight", "_resolver", "_ttl", "_use_cache")

    # Cached (host, port) answers kept at most. aiohttp's cache drops an entry only when that
    # key is looked up again, so a crawl over many hosts (or ttl_dns_cache=None) grows it
    # without end; here expired answers go first, then the oldest.
    MAX_ENTRIES = 4096

    def __init__(self, resolver: Any, family: int, ttl: float | None, use_cache: bool) -> None:
        self._resolver = resolver
        self._family = family
        self._ttl = ttl
        self._use_cache = use_cache
        # (host, port) -> (CONNECT_TO entry, monotonic expiry or None for never)
        self._cache: dict[tuple[str, int], tuple[str, float | None]] = {}
        self._inflight: dict[tuple[str, int], asyncio.Future[str]] = {}  # shared lookups

    @property
    def resolver(self) -> Any:
        return self._resolver

    def clear(self, host: str | None = None, port: int | None = None) -> None:
        """aiohttp's clear_dns_cache: one (host, port), or everything."""
        if host is not None and port is not None:
            self._cache.pop((host, port), None)
        else:
            self._cache.clear()

    async def entry(self, need: ResolveNeeded, is_ssl: bool) -> str:
        """The CONNECT_TO entry for the host:port the engine asked about."""
        host, port = need.host, need.port
        if _is_ip(host):
            return f"{need.key}:{_target(host)}:{port}"  # aiohttp never resolves an address
        key = (host, port)
        task = None
        if self._use_cache:
            hit = self._cache.get(key)
            if hit is not None and (hit[1] is None or hit[1] > time.monotonic()):
                return hit[0]
            task = self._inflight.get(key)
        if task is None:
            # A task of its own, awaited through shield() (as aiohttp does): a request that
            # gives up (cancelled, timed out) leaves the lookup to the others waiting on it.
            task = asyncio.ensure_future(self._lookup(need, is_ssl))
            task.add_done_callback(_retrieve)
            if self._use_cache:
                self._inflight[key] = task
                task.add_done_callback(lambda t: self._forget(key, t))
        return await asyncio.shield(task)

    def _forget(self, key: tuple[str, int], task: asyncio.Future[str]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled() and task.exception() is None:
            now = time.monotonic()
            expiry = None if self._ttl is None else now + self._ttl
            cache = self._cache
            cache.pop(key, None)  # re-inserted last: the dict's order is the age order
            if len(cache) >= self.MAX_ENTRIES:
                for old in [k for k, (_, exp) in cache.items() if exp is not None and exp <= now]:
                    del cache[old]
                while len(cache) >= self.MAX_ENTRIES:
                    del cache[next(iter(cache))]
            cache[key] = (task.result(), expiry)

    async def _lookup(self, need: ResolveNeeded, is_ssl: bool) -> str:
        conn_key = ConnectionKey(need.host, need.port, is_ssl, True, None, None, None)
        try:
            infos = await self._resolver.resolve(need.host, need.port, family=self._family)
        except OSError as exc:
            if exc.errno is None and isinstance(exc, asyncio.TimeoutError):
                raise
            raise ClientConnectorDNSError(conn_key, exc) from exc
        for info in infos or ():
            addr, port = info.get("host"), info.get("port")
            if isinstance(addr, str) and addr and isinstance(port, int):
                # libcurl connects to one target per host:port: the resolver's first answer
                # (aiohttp tries them in order; the rest are not tried here).
                return f"{need.key}:{_target(addr)}:{port}"
        none = OSError(socket.EAI_NONAME, f"the resolver gave no address for {need.host}")
        raise ClientConnectorDNSError(conn_key, none)


def with_resolve_hook(opts: Any, fallbacks: Any, hedge: Any) -> Any:
    """The request's Options asking the engine for each host:port (a connector with a custom
    resolver). Hedged copies and fallback URLs run natively with no future to ask through:
    refused rather than resolved by libcurl behind the resolver's back."""
    if fallbacks or hedge is not None:
        raise ValueError(
            "a TCPConnector with a custom resolver cannot run hedged requests or fallback= "
            "URLs (they connect without asking the resolver)"
        )
    return opts.replace(resolve_hook=True)


async def await_resolving(
    hook: ResolverHook,
    core: Any,
    futures: dict[int, asyncio.Future[Any]],
    rid: int,
    fut: asyncio.Future[Any],
    opts: Any,
) -> Any:
    """Await request `rid`'s outcome, answering each E_RESOLVE_NEEDED with the resolver's entry.

    While the resolver runs, the request has no future: an outcome the engine sends meanwhile
    has nowhere to go. Only a session close ends a waiting request without Python asking
    (cancels come from here), so a closed core after the lookup means that outcome was lost.
    The lookup counts against the connect timeout, else the total one, as in aiohttp."""
    while True:
        try:
            return await fut
        except ResolveNeeded as need:
            try:
                lookup = hook.entry(need, need.url[:6].lower() == "https:")
                limit = opts.connect_timeout or opts.total_timeout
                if not limit:
                    entry = await lookup
                else:
                    try:
                        entry = await asyncio.wait_for(lookup, limit)
                    except asyncio.TimeoutError:
                        if opts.connect_timeout:
                            raise ConnectionTimeoutError(
                                f"Connection timeout to host {need.url} (resolving {need.key})"
                            ) from None
                        raise
            except BaseException:
                core.cancel(rid)  # the waiting request ends; its outcome has no future left
                raise
            if core.closed:
                raise SessionClosedError("Session is closed") from None
            fut = asyncio.get_running_loop().create_future()
            futures[rid] = fut
            core.resolved(rid, [entry])
