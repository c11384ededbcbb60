"""TCPConnector and per-request connection options (python/asiofetch/_connector.py,
_resolve.py, _fingerprint.py): aiohttp options are honoured, or refused with an error naming
them, never accepted and ignored (issue 13). End-to-end behaviour side by side with aiohttp is
in test_compat_aiohttp.py."""

from __future__ import annotations

import hashlib
import ssl

import aiohttp
import pytest

import asiofetch
from asiofetch import ClientSession, TCPConnector


def test_fingerprint_settings() -> None:
    """ssl=Fingerprint (asiofetch's or aiohttp's) and fingerprint=: verification off, the
    digest handed to the engine (aiohttp's semantics: the pin is the trust)."""
    digest = hashlib.sha256(b"cert").digest()
    for value in (aiohttp.Fingerprint(digest), asiofetch.Fingerprint(digest)):
        assert TCPConnector(ssl=value).tls == (False, "", "", "", digest)
    assert TCPConnector(fingerprint=digest).tls == (False, "", "", "", digest)
    with pytest.raises(ValueError, match="md5 and sha1 are insecure"):
        TCPConnector(fingerprint=hashlib.sha1(b"cert").digest())
    with pytest.raises(TypeError, match="fingerprint must be bytes"):
        asiofetch.Fingerprint("00" * 32)  # type: ignore[arg-type]


async def test_fingerprint_per_request_plain_http_unchecked(base_url: str) -> None:
    async with ClientSession() as s:
        resp = await s.get(base_url + "/json", fingerprint=b"x" * 32)
        assert resp.status == 200


def test_resolver_without_the_protocol_refused() -> None:
    with pytest.raises(TypeError, match=r"async resolve\(host, port, family\) and close\(\)"):
        TCPConnector(resolver=object())


async def test_custom_resolver_refuses_native_batches_and_hedges(base_url: str) -> None:
    class Resolver(aiohttp.abc.AbstractResolver):
        async def resolve(self, host: str, port: int = 0, family: int = 0) -> list:  # type: ignore[type-arg,override]
            return []

        async def close(self) -> None:
            return None

    connector = TCPConnector(resolver=Resolver())
    assert connector.resolve_hook is not None
    async with ClientSession(connector=connector) as s:
        with pytest.raises(ValueError, match="custom resolver cannot run native batches"):
            await s.gather([base_url + "/json"])
        with pytest.raises(ValueError, match="cannot run hedged requests or fallback"):
            await s.get(base_url + "/json", fallback=[base_url + "/bytes/1"])
        # An address is never given to the resolver (which knows no host here).
        assert (await s.get(base_url + "/json")).status == 200


async def test_getaddrinfo_resolver_accepted(base_url: str) -> None:
    """aiohttp's ThreadedResolver does what libcurl's resolver does: accepted, and used."""
    connector = TCPConnector(resolver=aiohttp.ThreadedResolver())
    async with ClientSession(connector=connector) as s:
        assert (await s.get(base_url + "/json")).status == 200


async def test_server_hostname_refused(base_url: str) -> None:
    async with ClientSession() as s:
        with pytest.raises(ValueError, match="server_hostname= is not supported"):
            await s.get(base_url + "/json", server_hostname="example.com")


def test_clear_dns_cache_arguments() -> None:
    connector = TCPConnector()
    connector.clear_dns_cache()
    connector.clear_dns_cache("localhost", 80)
    with pytest.raises(ValueError, match="either both host and port or none"):
        connector.clear_dns_cache(port=80)


def test_skip_auto_headers_native_ones_refused() -> None:
    with pytest.raises(ValueError, match="accept-encoding is added by libcurl"):
        ClientSession(skip_auto_headers=["Accept-Encoding"])
    with pytest.raises(ValueError, match="host is added by libcurl"):
        ClientSession(skip_auto_headers=["Host"])


async def test_content_length_longer_than_body_refused(base_url: str) -> None:
    async with ClientSession() as s:
        with pytest.raises(ValueError, match="says 10 bytes but the body has 3"):
            await s.post(base_url + "/echo", data=b"abc", headers={"Content-Length": "10"})
        with pytest.raises(ValueError, match="non-negative integer"):
            await s.post(base_url + "/echo", data=b"abc", headers={"Content-Length": "x"})


def test_ssl_context_still_accepted() -> None:
    assert TCPConnector(ssl=ssl.create_default_context()).tls[0] is True
    assert asiofetch.TCPConnector(ssl=False).tls[0] is False
