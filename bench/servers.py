"""Loopback servers the harness starts and stops: nginx (static bodies) and the fixture.

Both are pinned to the server core. nginx serves /100b, /1k and /1m over HTTP/1.1
keep-alive, over h2c and over TLS 1.3 (keep-alive with an ECDSA or an RSA certificate,
HTTP/2 over ALPN, and a port that closes after every response); the fixture (C++; a Python
stand-in when it is not built) serves /delay/{ms} and /flaky for cases 4-6.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import resource
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

from bench import pinning, tls

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FIXTURE_BIN = REPO / "build/cpp/tests_cpp/fixture/asiofetch-fixture-server"
BODIES = {"100b": 100, "1k": 1024, "1m": 1024 * 1024}


def free_ports(n: int) -> list[int]:
    """n distinct free ports. Every socket stays bound until all are picked: ports taken one
    after another can repeat once the first socket is closed, and nginx then refused its
    configuration ("duplicate listen options", a CI bench-quick failure)."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(n)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"nothing listening on 127.0.0.1:{port}") from None
            time.sleep(0.05)


def _stop(proc: subprocess.Popen[bytes] | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _drain(fd: int) -> None:
    while os.read(fd, 65536):
        pass


# nginx's listeners by the name cases use for them ("nginx", "nginx-h2", "nginx-tls", ...).
LISTENERS = ("h1", "h2", "tls", "tls-rsa", "tls-h2", "tls-new")


class Nginx:
    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.prefix = Path(tempfile.mkdtemp(prefix="asiofetch-bench-nginx-"))
        self.ports = dict(zip(LISTENERS, free_ports(len(LISTENERS)), strict=True))
        self.h1_port = self.ports["h1"]
        self.h2_port = self.ports["h2"]
        self.tls: tls.TlsMaterial | None = None
        self.version = ""

    def url(self, path: str, h2: bool = False, listener: str = "") -> str:
        name = listener or ("h2" if h2 else "h1")
        scheme = "https" if name.startswith("tls") else "http"
        host = "localhost" if scheme == "https" else "127.0.0.1"  # the certificate's name
        return f"{scheme}://{host}:{self.ports[name]}{path}"

    def tls_new_handshakes(self) -> tuple[int, int]:
        """(resumed, total) TLS handshakes logged so far on the new-connection port."""
        try:
            marks = (self.prefix / "tls_new.log").read_text().split()
        except OSError:
            return 0, 0
        return marks.count("r"), len(marks)

    def start(self) -> None:
        exe = shutil.which("nginx") or "/usr/sbin/nginx"
        www = self.prefix / "www"
        www.mkdir()
        for name, size in BODIES.items():
            (www / name).write_bytes(b"x" * size)
        self.tls = tls.make(self.prefix / "tls")
        nofile = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        conf = (HERE / "nginx.conf.template").read_text()
        for key, val in {
            "@@PREFIX@@": str(self.prefix),
            "@@H1_PORT@@": str(self.h1_port),
            "@@H2_PORT@@": str(self.h2_port),
            "@@TLS_PORT@@": str(self.ports["tls"]),
            "@@TLS_RSA_PORT@@": str(self.ports["tls-rsa"]),
            "@@TLS_H2_PORT@@": str(self.ports["tls-h2"]),
            "@@TLS_NEW_PORT@@": str(self.ports["tls-new"]),
            "@@ECDSA_CERT@@": str(self.tls.ecdsa_cert),
            "@@ECDSA_KEY@@": str(self.tls.ecdsa_key),
            "@@RSA_CERT@@": str(self.tls.rsa_cert),
            "@@RSA_KEY@@": str(self.tls.rsa_key),
            "@@NOFILE@@": str(nofile),
            "@@CONNS@@": str(max(1024, nofile - 64)),
            "@@USER@@": "user root;" if os.geteuid() == 0 else "",
        }.items():
            conf = conf.replace(key, val)
        (self.prefix / "nginx.conf").write_text(conf)
        cmd = [
            exe,
            "-p",
            str(self.prefix),
            "-e",
            str(self.prefix / "error.log"),
            "-c",
            str(self.prefix / "nginx.conf"),
        ]
        out = subprocess.run([exe, "-v"], capture_output=True, text=True)
        self.version = (out.stderr or out.stdout).strip().split("/")[-1]
        self.proc = subprocess.Popen(pinning.server_prefix() + cmd)
        for port in self.ports.values():
            wait_port(port)

    def accepts(self) -> int:
        """Connections nginx accepted so far (stub_status); -1 if unavailable."""
        try:
            with urllib.request.urlopen(self.url("/nginx_status"), timeout=2) as r:
                lines = r.read().decode().splitlines()
            return int(lines[2].split()[0]) - 1  # minus this status request's own connection
        except (OSError, ValueError, IndexError):
            return -1

    def stop(self) -> None:
        _stop(self.proc)
        shutil.rmtree(self.prefix, ignore_errors=True)


class Fixture:
    """The project's fixture server, or the Python stand-in when it is not built."""

    def __init__(self, binary: Path | None = None) -> None:
        self.binary = binary or FIXTURE_BIN
        self.stub = not (self.binary.is_file() and os.access(self.binary, os.X_OK))
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    @property
    def kind(self) -> str:
        return "stub (bench/stub_fixture.py)" if self.stub else str(self.binary)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def start(self) -> None:
        cmd = [sys.executable, str(HERE / "stub_fixture.py")] if self.stub else [str(self.binary)]
        self.proc = subprocess.Popen(pinning.server_prefix() + cmd, stdout=subprocess.PIPE)
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 15
        line = b""
        while not line.endswith(b"\n"):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                raise RuntimeError(f"fixture server printed no READY line: {line!r}")
            ch = os.read(self.proc.stdout.fileno(), 1)
            if not ch:
                raise RuntimeError(f"fixture server exited: {line!r}")
            line += ch
        fields = dict(f.split("=", 1) for f in line.decode().split()[1:] if "=" in f)
        self.port = int(fields["http"])
        # Keep draining stdout so a chatty server never blocks on a full pipe.
        threading.Thread(target=_drain, args=(self.proc.stdout.fileno(),), daemon=True).start()
        wait_port(self.port)

    def stop(self) -> None:
        _stop(self.proc)

    def attempts(self, keys: list[str]) -> int | None:
        """Sum of the fixture's per-key request counters (/counter?key=K): the attempts that
        reached the server, whoever made them. None when the counters cannot be read."""
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            total = 0
            for key in keys:
                conn.request("GET", f"/counter?key={key}")
                total += int(json.loads(conn.getresponse().read())["count"])
            conn.close()
            return total
        except (OSError, ValueError, KeyError, http.client.HTTPException):
            return None
