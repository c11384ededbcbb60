"""TCPConnector and per-request connection options (python/asiofetch/_connector.py):
aiohttp options the engine cannot honour are refused with an error naming them, never
accepted and ignored (issue 13)."""

from __future__ import annotations

import hashlib
import ssl

import aiohttp
import pytest

import asiofetch
from asiofetch import ClientSession, TCPConnector


def test_fingerprint_refused() -> None:
    fp = aiohttp.Fingerprint(hashlib.sha256(b"cert").digest())
    with pytest.raises(ValueError, match=r"Fingerprint.*cannot be enforced"):
        TCPConnector(ssl=fp)
    with pytest.raises(ValueError, match="cannot be enforced"):
        TCPConnector(fingerprint=hashlib.sha256(b"cert").digest())


async def test_fingerprint_refused_per_request(base_url: str) -> None:
    fp = aiohttp.Fingerprint(hashlib.sha256(b"cert").digest())
    async with ClientSession() as s:
        with pytest.raises(ValueError, match="cannot be enforced"):
            await s.get(base_url + "/json", ssl=fp)
        with pytest.raises(ValueError, match="cannot be enforced"):
            await s.get(base_url + "/json", fingerprint=b"x" * 32)


def test_custom_resolver_refused() -> None:
    class Resolver(aiohttp.abc.AbstractResolver):
        async def resolve(self, host: str, port: int = 0, family: int = 0) -> list:  # type: ignore[type-arg,override]
            return []

        async def close(self) -> None:
            return None

    with pytest.raises(ValueError, match=r"resolver=Resolver\(\.\.\.\)\) is not supported"):
        TCPConnector(resolver=Resolver())


async def test_getaddrinfo_resolver_accepted(base_url: str) -> None:
    """aiohttp's ThreadedResolver does what libcurl's resolver does: accepted, and used."""
    connector = TCPConnector(resolver=aiohttp.ThreadedResolver())
    async with ClientSession(connector=connector) as s:
        assert (await s.get(base_url + "/json")).status == 200


async def test_server_hostname_refused(base_url: str) -> None:
    async with ClientSession() as s:
        with pytest.raises(ValueError, match="server_hostname= is not supported"):
            await s.get(base_url + "/json", server_hostname="example.com")


def test_clear_dns_cache_refused() -> None:
    with pytest.raises(NotImplementedError, match="clear_dns_cache"):
        TCPConnector().clear_dns_cache()


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
