"""TCPConnector (aiohttp's pool settings) and SSLOptions; a connector owns the native pool."""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import ssl as _ssl
import tempfile
import threading
from dataclasses import dataclass
from typing import Any

from . import _core
from ._fingerprint import fingerprint_bytes
from ._resolve import ResolverHook

__all__ = (
    "SSLOptions",
    "TCPConnector",
    "check_resolver",
    "check_server_hostname",
    "close_now",
    "native_pool",
    "tls_settings",
)

# The engine's pool defaults, read once: the signature below shows them, nothing restates them.
_POOL = _core.PoolConfig.defaults()


@dataclass(frozen=True)
class SSLOptions:
    """TLS settings libcurl can use directly (an ssl.SSLContext cannot be handed to libcurl).

    cafile:   PEM bundle of trusted CAs (default: the system store).
    certfile: client certificate (PEM); keyfile: its private key (PEM).
    verify:   False turns off certificate and host name verification.
    """

    cafile: str | None = None
    certfile: str | None = None
    keyfile: str | None = None
    verify: bool = True


# (verify_tls, ca_file, client_cert, client_key, fingerprint) as Options takes them; the
# fingerprint is a SHA-256 digest or b"" (none).
TlsSettings = tuple[bool, str, str, str, bytes]
_DEFAULT_TLS: TlsSettings = (True, "", "", "", b"")
_NO_VERIFY: TlsSettings = (False, "", "", "", b"")


# Where the CA files handed to libcurl live: one private directory per process (mode 0700,
# made by mkdtemp), removed at exit. A shared, predictable name in /tmp (what this used to
# be) let another local user pre-create the file with their own CA in it, and every test
# run left its files behind.
_ca_dir: str | None = None
_ca_dir_pid = 0


def _private_ca_dir() -> str:
    global _ca_dir, _ca_dir_pid
    if _ca_dir is None or _ca_dir_pid != os.getpid():
        # A forked child makes its own: the parent removes its directory when it exits.
        _ca_dir = tempfile.mkdtemp(prefix="asiofetch-ca-")
        _ca_dir_pid = os.getpid()
        atexit.register(_remove_ca_dir, _ca_dir, _ca_dir_pid)
    return _ca_dir


def _remove_ca_dir(path: str, pid: int) -> None:
    if os.getpid() == pid:
        shutil.rmtree(path, ignore_errors=True)


def _ca_file_of(ctx: _ssl.SSLContext) -> str:
    """The CAs loaded into `ctx` (load_verify_locations / create_default_context(cafile=))
    written to a PEM file libcurl can read; "" when the context only uses the system store.
    libcurl needs a path (a CAINFO blob would be parsed again on every new connection);
    the file stays for the life of the process, as sessions may use it until then."""
    certs = ctx.get_ca_certs(binary_form=True)
    if not certs:
        return ""
    pem = "".join(_ssl.DER_cert_to_PEM_cert(c) for c in certs).encode()
    digest = hashlib.sha256(pem).hexdigest()[:24]
    path = os.path.join(_private_ca_dir(), f"{digest}.pem")
    if not os.path.exists(path):
        tmp = f"{path}.{threading.get_ident()}.tmp"
        with open(tmp, "wb") as f:
            f.write(pem)
        os.replace(tmp, path)  # atomic: concurrent writers produce identical content
    return path


_ctx_cache: dict[int, tuple[_ssl.SSLContext, TlsSettings]] = {}


def tls_settings(value: Any, fingerprint: Any = None) -> TlsSettings:
    """Translate aiohttp's `ssl=` (True, False, SSLContext, Fingerprint) or an SSLOptions;
    `fingerprint=` (aiohttp's deprecated spelling of ssl=Fingerprint(...)) wins when given."""
    if fingerprint is not None:
        if isinstance(fingerprint, bytes):
            from ._fingerprint import Fingerprint

            fingerprint = Fingerprint(fingerprint)
        value = fingerprint
    if value is True or value is None:
        return _DEFAULT_TLS
    if value is False:
        return _NO_VERIFY
    if isinstance(value, SSLOptions):
        return (value.verify, value.cafile or "", value.certfile or "", value.keyfile or "", b"")
    if isinstance(value, _ssl.SSLContext):
        cached = _ctx_cache.get(id(value))
        if cached is not None and cached[0] is value:
            return cached[1]
        if value.verify_mode == _ssl.CERT_NONE:
            settings = _NO_VERIFY
        else:
            # Client certificates cannot be read back from a context: use SSLOptions for them.
            settings = (True, _ca_file_of(value), "", "", b"")
        _ctx_cache[id(value)] = (value, settings)
        return settings
    digest = fingerprint_bytes(value)
    if digest is not None:
        # As aiohttp: the pin is the trust, the chain is not verified.
        return (False, "", "", "", digest)
    raise TypeError(
        "ssl must be True, False, an ssl.SSLContext, a Fingerprint or asiofetch.SSLOptions, "
        f"got {type(value).__name__}"
    )


class TCPConnector:
    """Connection-pool settings, enforced natively by the session's engine-side core.

    limit:           simultaneous requests of the session (0 = unlimited).
    limit_per_host:  simultaneous requests per (scheme, host, port) (0 = unlimited).
    ssl:             True (verify), False (don't), an ssl.SSLContext or SSLOptions.
    force_close:     no keep-alive: close each connection after its response.
    keepalive_timeout: an idle connection older than this is not reused (seconds).
    ttl_dns_cache:   seconds DNS answers are cached (None = forever); use_dns_cache=False: 0.
    keepalive_timeout=None: idle connections are not reused (as with force_close).
    resolver:        None, or aiohttp's ThreadedResolver/DefaultResolver: libcurl's own
                     resolver (getaddrinfo). Any other object with aiohttp's resolver
                     protocol (async resolve(host, port, family), async close()) is awaited
                     for each host:port the requests connect to (see _resolve).
    ssl=Fingerprint(digest) / fingerprint=: the server certificate's SHA-256 is checked on
                     every connection, chain verification off (aiohttp's semantics).
    Arguments about aiohttp's socket handling (enable_cleanup_closed, family, local_addr,
    timeout_ceil_threshold, happy_eyeballs_delay, interleave) are accepted and have no
    effect: libcurl opens the sockets (it does happy eyeballs itself).
    """

    def __init__(
        self,
        *,
        limit: int = _POOL.limit,
        limit_per_host: int = _POOL.limit_per_host,
        ssl: Any = True,
        force_close: bool = _POOL.force_close,
        keepalive_timeout: float | None = _POOL.keepalive_timeout,
        ttl_dns_cache: float | None = _POOL.dns_cache_ttl,
        use_dns_cache: bool = True,
        enable_cleanup_closed: bool = False,
        family: int = 0,
        local_addr: Any = None,
        resolver: Any = None,
        verify_ssl: bool = True,
        fingerprint: Any = None,
        ssl_context: Any = None,
        timeout_ceil_threshold: float = 5,
        happy_eyeballs_delay: float | None = 0.25,
        interleave: int | None = None,
        loop: Any = None,
    ) -> None:
        check_resolver(resolver)
        if force_close and keepalive_timeout not in (None, _POOL.keepalive_timeout):
            raise ValueError("keepalive_timeout cannot be set if force_close is True")
        if ssl_context is not None:
            ssl = ssl_context
        elif verify_ssl is False:
            ssl = False
        self._tls = tls_settings(ssl, fingerprint)
        self._resolver = resolver
        self._resolve_hook = (
            None
            if resolver is None or _is_getaddrinfo(resolver)
            else ResolverHook(resolver, family, ttl_dns_cache, use_dns_cache)
        )
        self._ssl = ssl
        # Checked natively, here at the call (the pool itself is made on first use).
        self._pool = _core.PoolConfig(
            limit=limit,
            limit_per_host=limit_per_host,
            force_close=force_close,
            keepalive_timeout=keepalive_timeout,
            dns_cache_ttl=ttl_dns_cache if use_dns_cache else 0,
        )
        self._limit = limit
        self._limit_per_host = limit_per_host
        self._force_close = force_close
        self._core: _core.SessionCore | None = None
        self._closed = False

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def limit_per_host(self) -> int:
        return self._limit_per_host

    @property
    def force_close(self) -> bool:
        return self._force_close

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def tls(self) -> TlsSettings:
        return self._tls

    def _get_core(self) -> _core.SessionCore:
        """The native pool (made on first use; sessions sharing this connector share it)."""
        if self._closed:
            raise RuntimeError("Connector is closed.")
        core = self._core
        if core is None:
            core = self._core = _core.SessionCore(self._pool)
        return core

    def _close(self) -> None:
        self._closed = True
        core, self._core = self._core, None
        if core is not None and not core.closed:
            core.close()

    async def close(self, *, abort_ssl: bool = False) -> None:
        """Close the pool: requests still running fail with SessionClosedError. `abort_ssl`
        (aiohttp 3.13+) is accepted for its callers: the pool's connections, TLS or not, are
        closed at once either way (the engine never waits for a graceful TLS shutdown)."""
        self._close()

    async def __aenter__(self) -> TCPConnector:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._close()

    @property
    def resolve_hook(self) -> ResolverHook | None:
        """The custom resolver the requests await, None when libcurl resolves."""
        return self._resolve_hook

    def clear_dns_cache(self, host: str | None = None, port: int | None = None) -> None:
        """Forget cached DNS answers: of (host, port), or all of them (aiohttp's contract)."""
        if (host is None) != (port is None):
            raise ValueError("either both host and port or none of them are allowed")
        if self._resolve_hook is not None:
            self._resolve_hook.clear(host, port)
        if self._core is not None and not self._core.closed:
            # libcurl's cache has no per-entry flush reachable here: every answer cached
            # before now is dropped (also for other hosts; they are resolved again).
            self._core.clear_dns_cache()

    def stats(self) -> dict[str, int]:
        """Native pool counters: in_flight, queued, completed."""
        core = self._core
        return core.stats() if core is not None else {"in_flight": 0, "queued": 0, "completed": 0}


# aiohttp's resolvers that call getaddrinfo in a thread, as libcurl's threaded resolver does.
_GETADDRINFO_RESOLVERS = frozenset(("ThreadedResolver", "DefaultResolver"))


def _is_getaddrinfo(resolver: Any) -> bool:
    # Exactly aiohttp's getaddrinfo resolvers (a subclass may override resolve()).
    name = type(resolver).__name__
    return name in _GETADDRINFO_RESOLVERS and type(resolver).__module__.startswith("aiohttp")


def check_resolver(resolver: Any) -> None:
    """`resolver=`: None, or an object with aiohttp's resolver protocol."""
    if resolver is None:
        return
    if not callable(getattr(resolver, "resolve", None)) or not callable(
        getattr(resolver, "close", None)
    ):
        raise TypeError(
            f"resolver must have async resolve(host, port, family) and close() methods "
            f"(aiohttp's AbstractResolver), got {type(resolver).__name__}"
        )


def check_server_hostname(server_hostname: Any) -> None:
    """`server_hostname=`: refused, libcurl takes the TLS name from the URL's host."""
    if server_hostname is not None:
        raise ValueError(
            "server_hostname= is not supported: libcurl verifies and sends as SNI the URL's "
            "host name"
        )


def native_pool(connector: TCPConnector) -> _core.SessionCore:
    """The connector's native pool, made on first use (sessions sharing it share the pool)."""
    return connector._get_core()


def close_now(connector: TCPConnector) -> None:
    """Close the pool from synchronous code (a session's close, interpreter exit)."""
    connector._close()
