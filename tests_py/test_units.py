"""Mirror of tests_cpp/test_units.cpp, for the cases a Python caller can observe.

Mirrored through the public API: url_checks (URLs and header values the session accepts or
rejects), url_normalization (what goes on the wire) and redirect_resolution (Location forms
resolved against the request URL).

Not mirrored, because they test C++ internals with no Python surface:
- error_mapping_by_phase: map_curl_error() itself; the exception each phase yields is
  asserted end to end in test_errors.py (ServerDisconnectedError vs ClientPayloadError,
  ConnectionTimeoutError vs the total TimeoutError) and test_tls.py (certificate errors).
- mailbox_signals_once_per_burst, mailbox_deferred_push_signals_on_wake: the Mailbox eventfd
  protocol (asiofetch._core, private).
- stream_buffer_backpressure_and_resume, stream_buffer_wakes_waiter_once: StreamBuffer;
  its backpressure and wake-ups are asserted end to end in test_stream.py.
"""

from __future__ import annotations

import pytest

import asiofetch
from servers import FixtureServer


async def test_url_checks(fixture_server: FixtureServer) -> None:
    port = fixture_server.port
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.NonHttpUrlClientError, match="ftp"):
            await s.get("ftp://x/")
        with pytest.raises(asiofetch.InvalidUrlClientError):
            await s.get("http://")

        # CR/LF/NUL in a header value would allow header injection: refused at the call.
        for bad in ("a\r\nb", "a\0b"):
            with pytest.raises(ValueError):
                await s.get(f"{fixture_server.http_url}/echo", headers={"X-Bad": bad})
        # An ordinary value with separators goes out verbatim.
        r = await s.get(f"{fixture_server.http_url}/echo", headers={"X-Ok": "text/html; q=1"})
        assert ["X-Ok", "text/html; q=1"] in (await r.json())["headers"]

        # Scheme and host are case-insensitive; the response URL is the normalized one
        # (what aiohttp/yarl report).
        r = await s.get(f"HTTP://LOCALHOST:{port}/bytes/1?b")
        assert r.status == 200
        assert str(r.url) == f"http://localhost:{port}/bytes/1?b"


async def test_url_normalization(fixture_server: FixtureServer) -> None:
    """Mirror of url_normalization: what goes on the wire, seen by the fixture's /echo."""
    base = fixture_server.http_url
    async with asiofetch.ClientSession() as s:
        # Encoded where yarl/aiohttp encode: a NUL in the path never truncates the request.
        cases = {
            "/echo/\x00x": "/echo/%00x",
            "/echo?q=é&b=%zz": "/echo?q=%C3%A9&b=%25zz",
            "/echo?q=a b": "/echo?q=a+b",
            "/echo/a b": "/echo/a%20b",
            "/echo/a\tb": "/echo/ab",
        }
        for given, sent in cases.items():
            r = await s.get(base + given)
            doc = await r.json()
            target = doc["path"] + (("?" + doc["query"]) if doc["query"] else "")
            assert target == sent, given
        # Refused where a byte would make libcurl read another host than the string shows.
        port = fixture_server.port
        for bad in (
            f"http://127.0.0.1:{port}\x00.evil.invalid/echo",
            f"http://u:p@127.0.0.1\x00.evil:{port}/echo",
            f"http://ho st:{port}/echo",
        ):
            with pytest.raises(asiofetch.InvalidUrlClientError, match="host part"):
                await s.get(bad)
            with pytest.raises(asiofetch.InvalidUrlClientError, match="host part"):
                await s.gather([bad])
        # The same for a Location header: a control character in its host fails the
        # redirect. (A NUL never gets that far: libcurl refuses a header line holding one.)
        with pytest.raises(asiofetch.InvalidUrlRedirectClientError):
            await s.get(f"{base}/redirect-to", params={"url": f"http://127.0.0.1\x01.evil:{port}/"})


async def test_redirect_resolution(fixture_server: FixtureServer) -> None:
    base, port = fixture_server.http_url, fixture_server.port
    cases = {
        # relative path: resolved against the directory of /redirect-to, query dropped
        "bytes/3": f"{base}/bytes/3",
        # absolute path: same scheme and authority
        "/bytes/2": f"{base}/bytes/2",
        # absolute URL: taken as is (another origin here)
        f"http://localhost:{port}/bytes/4": f"http://localhost:{port}/bytes/4",
        # network-path reference: the request's scheme, the new authority
        f"//localhost:{port}/bytes/5": f"http://localhost:{port}/bytes/5",
    }
    async with asiofetch.ClientSession() as s:
        for location, expected in cases.items():
            r = await s.get(f"{base}/redirect-to", params={"url": location})
            assert str(r.url) == expected, location
            assert r.status == 200
            assert len(await r.read()) == int(expected.rsplit("/", 1)[1])
