"""The test servers themselves, checked with the standard library only (never asiofetch)."""

from __future__ import annotations

import gzip
import http.client
import json
import socket
import ssl
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from servers import Certs, FixtureServer, Nginx


# certs, fixture_server and nginx are the session fixtures from conftest.py (built on servers.py).
@pytest.fixture
def server(fixture_server: FixtureServer) -> FixtureServer:
    return fixture_server


def client_tls(certs: Certs) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certs.ca_cert))


def get(url: str, context: ssl.SSLContext | None = None) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=5, context=context) as resp:
        return int(resp.status), dict(resp.headers), resp.read()


def test_bytes_and_connection_headers(server: FixtureServer) -> None:
    status, headers, body = get(server.http_url + "/bytes/30")
    assert status == 200
    assert body == b"abcdefghijklmnopqrstuvwxyzabcd"
    assert headers["Content-Type"] == "application/octet-stream"
    assert int(headers["X-Connection-Id"]) >= 1
    assert headers["X-Request-Count"] == "1"


def test_keep_alive_reuses_the_connection(server: FixtureServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    seen = []
    for _ in range(3):
        conn.request("GET", "/json")
        resp = conn.getresponse()
        assert json.loads(resp.read()) == {"hello": "world", "n": 1}
        seen.append((resp.getheader("X-Connection-Id"), resp.getheader("X-Request-Count")))
    conn.close()
    assert len({cid for cid, _ in seen}) == 1
    assert [n for _, n in seen] == ["1", "2", "3"]


def test_echo_keeps_header_order_case_and_raw_body(server: FixtureServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.putrequest("PUT", "/echo?a=1&b=%20", skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", "example")
    conn.putheader("X-Dup", "1")
    conn.putheader("x-dup", "2")
    conn.putheader("Content-Length", "3")
    conn.endheaders(b"a\xffz")
    doc = json.loads(conn.getresponse().read())
    conn.close()
    assert doc["method"] == "PUT"
    assert (doc["path"], doc["query"]) == ("/echo", "a=1&b=%20")
    assert doc["headers"][:3] == [["Host", "example"], ["X-Dup", "1"], ["x-dup", "2"]]
    assert (doc["body"], doc["body_length"]) == ("a\u00ffz", 3)


def test_counter_counts_before_faults_and_resets(server: FixtureServer) -> None:
    get(server.http_url + "/counter/reset?key=k1")
    for _ in range(2):
        get(server.http_url + "/bytes/1?key=k1")
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        get(server.http_url + "/reset?key=k1")
    assert json.loads(get(server.http_url + "/counter?key=k1")[2]) == {"key": "k1", "count": 3}
    get(server.http_url + "/counter/reset?key=k1")
    assert json.loads(get(server.http_url + "/counter?key=k1")[2])["count"] == 0


def test_redirect_chain_is_followed(server: FixtureServer) -> None:
    with urllib.request.urlopen(server.http_url + "/redirect/3?x=1", timeout=5) as resp:
        assert resp.read() == b"done"
        assert resp.url.endswith("/redirect/0?x=1")


def test_flaky_fails_then_succeeds(server: FixtureServer) -> None:
    url = server.http_url + "/flaky?key=flaky-py&fail=2&status=503&retry_after=7"
    for _ in range(2):
        with pytest.raises(urllib.error.HTTPError) as err:
            get(url)
        assert err.value.code == 503 and err.value.headers["Retry-After"] == "7"
    assert get(url)[2] == b"ok"


def test_gzip_body(server: FixtureServer) -> None:
    _, headers, body = get(server.http_url + "/gzip")
    assert headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(body)) == {"compressed": "gzip"}


def test_hang_and_silent_ports_never_answer(server: FixtureServer) -> None:
    with socket.create_connection(server.silent_addr, timeout=0.2) as s:
        s.sendall(b"GET / HTTP/1.1\r\n\r\n")
        with pytest.raises(TimeoutError):
            s.recv(1)
    with socket.create_connection(("127.0.0.1", server.port), timeout=0.2) as s:
        s.sendall(b"GET /hang HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(TimeoutError):
            s.recv(1)


def test_stop_closes_hung_connections() -> None:
    with FixtureServer() as srv:
        s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
        s.sendall(b"GET /hang HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.05)
        srv.stop()
        with s:
            assert s.recv(1) == b""


def test_tls_with_generated_ca(server: FixtureServer, certs: Certs) -> None:
    status, headers, body = get(server.https_url + "/json", context=client_tls(certs))
    assert (status, json.loads(body)) == (200, {"hello": "world", "n": 1})
    assert "X-Connection-Id" in headers


def test_nginx_http1_static_and_keep_alive(nginx: Nginx) -> None:
    assert len(get(nginx.http_url + "/small.txt")[2]) == 100
    conn = http.client.HTTPConnection("127.0.0.1", nginx.http_port, timeout=5)
    answers = []
    for _ in range(2):
        conn.request("GET", "/conn")
        answers.append(conn.getresponse().read().decode().split())
    conn.close()
    assert answers[0][0] == answers[1][0]
    assert [a[1] for a in answers] == ["1", "2"]


def test_nginx_tls_and_h2c(nginx: Nginx, certs: Certs) -> None:
    assert len(get(nginx.https_url + "/1m.bin", context=client_tls(certs))[2]) == 1 << 20
    # h2c with prior knowledge: after the client preface nginx must answer with a SETTINGS frame.
    with socket.create_connection(("127.0.0.1", nginx.h2c_port), timeout=5) as s:
        s.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        frame = s.recv(9)
        assert len(frame) == 9 and frame[3] == 0x04


def test_missing_binary_says_how_to_build(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASIOFETCH_FIXTURE_SERVER", str(tmp_path / "nope"))
    with pytest.raises(RuntimeError, match="make test"):
        FixtureServer().start()
