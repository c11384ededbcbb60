"""Mirror of tests_cpp/test_tls.cpp: verification on by default, a custom CA, turning
verification off, handshake timing and TLS connection reuse."""

from __future__ import annotations

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
