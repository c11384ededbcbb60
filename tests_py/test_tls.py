"""Mirror of tests_cpp/test_tls.cpp: verification on by default, a custom CA, turning
verification off, handshake timing, TLS connection reuse and session resumption on
reconnects (the fixture reports it in X-TLS-Session-Reused)."""

from __future__ import annotations

import asyncio
import ssl

import pytest

import asiofetch
from servers import Certs, FixtureServer


@pytest.fixture(scope="module")
def ca_context(certs: Certs) -> ssl.SSLContext:
    """aiohttp's way to trust a private CA: an SSLContext (exported to libcurl as a PEM file)."""
    return ssl.create_default_context(cafile=str(certs.ca_cert))


async def test_tls_verified_with_custom_ca(
    fixture_server: FixtureServer, ca_context: ssl.SSLContext
) -> None:
    async with asiofetch.ClientSession() as s:
        r = await s.get(f"{fixture_server.https_url}/bytes/10", ssl=ca_context)
    assert r.status == 200
    assert r.timings["tls"] > 0.0


async def test_streamed_head_before_its_body_has_the_handshake_time(
    fixture_server: FixtureServer, ca_context: ssl.SSLContext
) -> None:
    # The head comes 300 ms before the body ends: the phases up to it are known, total not yet.
    url = f"{fixture_server.https_url}/drip?chunks=2&size=10&delay_ms=300"
    async with asiofetch.ClientSession() as s, s.get(url, ssl=ca_context) as r:
        t = r.timings
        assert t["tls"] > t["connect"] > 0.0
        assert t["first_byte"] >= t["tls"]
        assert t["total"] == 0.0
        assert len(await r.read()) == 20
        assert r.timings["total"] >= t["first_byte"] + 0.25


async def test_tls_unknown_ca_rejected(fixture_server: FixtureServer) -> None:
    # Default verification against the system store: the test CA is unknown there.
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.ClientConnectorCertificateError):
            await s.get(f"{fixture_server.https_url}/bytes/10")


async def test_tls_verification_can_be_disabled(fixture_server: FixtureServer) -> None:
    async with asiofetch.ClientSession() as s:
        r = await s.get(f"{fixture_server.https_url}/bytes/10", ssl=False)
        assert len(await r.read()) == 10


async def test_tls_connection_is_reused(
    fixture_server: FixtureServer, ca_context: ssl.SSLContext
) -> None:
    async with asiofetch.ClientSession() as s:
        a = await s.get(f"{fixture_server.https_url}/bytes/1", ssl=ca_context)
        b = await s.get(f"{fixture_server.https_url}/bytes/1", ssl=ca_context)
    assert a.headers["X-Connection-Id"] == b.headers["X-Connection-Id"]


async def test_reconnect_resumes_tls_session(
    fixture_server: FixtureServer, ca_context: ssl.SSLContext
) -> None:
    conn = asiofetch.TCPConnector(force_close=True, ssl=ca_context)
    async with asiofetch.ClientSession(connector=conn) as s:
        a = await s.get(f"{fixture_server.https_url}/bytes/1")
        b = await s.get(f"{fixture_server.https_url}/bytes/1")
    assert a.headers["X-Connection-Id"] != b.headers["X-Connection-Id"]
    assert (a.headers["X-TLS-Session-Reused"], b.headers["X-TLS-Session-Reused"]) == ("0", "1")


@pytest.mark.parametrize("native", [False, True], ids=["per-request", "gather"])
async def test_concurrent_reconnects_all_resume(
    fixture_server: FixtureServer, ca_context: ssl.SSLContext, native: bool
) -> None:
    # A new connection per request, 24 at once, twice: the first wave's handshakes leave a
    # ticket for every connection of the second (libcurl's own cache held two per host).
    url = f"{fixture_server.https_url}/bytes/1"
    conn = asiofetch.TCPConnector(limit=48, force_close=True, ssl=ca_context)
    async with asiofetch.ClientSession(connector=conn) as s:
        for _ in range(2):
            if native:
                rs = await s.gather([url] * 24)
            else:
                rs = await asyncio.gather(*(s.get(url) for _ in range(24)))
    assert [r.headers["X-TLS-Session-Reused"] for r in rs] == ["1"] * 24


async def test_session_not_resumed_without_verification(
    fixture_server: FixtureServer, ca_context: ssl.SSLContext
) -> None:
    # A resumed session skips the certificate check: one made with ssl=False is not offered
    # to a request that verifies.
    url = f"{fixture_server.https_url}/bytes/1"
    async with asiofetch.ClientSession(connector=asiofetch.TCPConnector(force_close=True)) as s:
        await s.get(url, ssl=False)
        b = await s.get(url, ssl=ca_context)
        c = await s.get(url, ssl=ca_context)
    assert (b.headers["X-TLS-Session-Reused"], c.headers["X-TLS-Session-Reused"]) == ("0", "1")


def test_ca_file_from_context_is_private_and_removed_at_exit(certs: Certs) -> None:
    # The PEM written for libcurl must not sit at a shared, predictable /tmp name (another
    # local user could plant a CA there first) and must not outlive the process.
    import os
    import stat
    import subprocess
    import sys

    script = (
        "import os, ssl, sys\n"
        "from asiofetch import _connector\n"
        "ctx = ssl.create_default_context(cafile=sys.argv[1])\n"
        "path = _connector.tls_settings(ctx)[1]\n"
        "d = os.path.dirname(path)\n"
        "st = os.stat(d)\n"
        "n = open(path).read().count('BEGIN')\n"
        "print(path, oct(st.st_mode & 0o777), st.st_uid == os.getuid(), n)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(certs.ca_cert)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    path, mode, owned, n_certs = out
    assert mode == oct(0o700) and owned == "True" and int(n_certs) >= 1
    assert os.path.basename(os.path.dirname(path)).startswith("asiofetch-ca-")
    assert not os.path.exists(os.path.dirname(path)), "the directory outlived its process"
    assert stat.S_ISDIR(os.stat(os.path.dirname(os.path.dirname(path))).st_mode)


async def test_paused_https_stream_resumes_and_connection_is_reused(
    fixture_server: FixtureServer, ca_context: ssl.SSLContext
) -> None:
    # HTTP/1.1 over TLS reads whole records ahead (tls_sessions.cpp): a body read slowly in
    # small steps pauses the transfer many times with bytes held in OpenSSL's buffer; each
    # resume must find them (libcurl re-reads on resume, no socket event needed), and the
    # connection stays clean for the next request.
    n = 2_000_000
    expected = (b"abcdefghijklmnopqrstuvwxyz" * (n // 26 + 1))[:n]
    timeout = asiofetch.ClientTimeout(total=60)
    async with asiofetch.ClientSession(read_bufsize=4096, timeout=timeout) as s:
        async with s.get(f"{fixture_server.https_url}/bytes/{n}", ssl=ca_context) as r:
            got = bytearray()
            async for chunk in r.content.iter_chunked(1000):
                got += chunk
                await asyncio.sleep(0)
            first = r.headers["X-Connection-Id"]
        b = await s.get(f"{fixture_server.https_url}/bytes/100", ssl=ca_context)
        assert (await b.read()) == expected[:100]
    assert bytes(got) == expected
    assert b.headers["X-Connection-Id"] == first
