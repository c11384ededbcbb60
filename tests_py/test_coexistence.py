"""asiofetch's libcurl (and, in wheels, its static OpenSSL) shares a process with Python's
ssl module and with curl_cffi's own libcurl + BoringSSL: each copy keeps its own symbols,
so HTTPS through all three, interleaved in one process, verifies the same private CA."""

from __future__ import annotations

import ssl
import urllib.request

import curl_cffi
from curl_cffi import requests as curl_requests

import asiofetch
from asiofetch import _core
from servers import Certs, FixtureServer


async def test_https_through_asiofetch_stdlib_ssl_and_curl_cffi(
    fixture_server: FixtureServer, certs: Certs
) -> None:
    url = f"{fixture_server.https_url}/bytes/32"
    ctx = ssl.create_default_context(cafile=str(certs.ca_cert))
    statuses = []
    async with asiofetch.ClientSession() as session:
        for _ in range(2):  # interleaved, twice: state of one library must not leak into another
            r = await session.get(url, ssl=ctx)
            statuses.append(("asiofetch", r.status, len(await r.read())))
            with urllib.request.urlopen(url, context=ctx) as u:
                statuses.append(("ssl", u.status, len(u.read())))
            c = curl_requests.get(url, verify=str(certs.ca_cert))
            statuses.append(("curl_cffi", c.status_code, len(c.content)))
    assert statuses == [("asiofetch", 200, 32), ("ssl", 200, 32), ("curl_cffi", 200, 32)] * 2


def test_each_library_reports_its_own_tls_stack() -> None:
    ours = _core.curl_version()
    assert "OpenSSL/" in ours
    assert "BoringSSL" in curl_cffi.__curl_version__
    assert "BoringSSL" not in ours
    assert ssl.OPENSSL_VERSION.startswith("OpenSSL ")
