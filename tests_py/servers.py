"""Test servers for the pytest suite: the C++ fixture server, throwaway TLS certs, and nginx.

Helpers only (no fixtures here): conftest.py decides scopes. Every launcher is a context
manager that stops its process on exit, so a failing test never leaves a server behind.
"""

from __future__ import annotations

import os
import selectors
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FIXTURE_BINARY = (
    REPO_ROOT / "build" / "cpp" / "tests_cpp" / "fixture" / "asiofetch-fixture-server"
)
NGINX_BINARY = "/usr/sbin/nginx"
STARTUP_TIMEOUT = 10.0
STOP_GRACE = 5.0


def _stop_process(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=STOP_GRACE)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def free_port() -> int:
    """A loopback port that was free a moment ago (the OS may hand it out again: use it soon)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, proc: subprocess.Popen[bytes], deadline: float, what: str) -> None:
    while True:
        if proc.poll() is not None:
            raise RuntimeError(
                f"{what} exited with status {proc.returncode} before listening on {port}"
            )
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{what} did not listen on port {port} within {STARTUP_TIMEOUT}s"
                ) from None
            time.sleep(0.02)


class Certs(NamedTuple):
    ca_cert: Path
    server_cert: Path
    server_key: Path


_CA_CONFIG = """\
[req]
distinguished_name = dn
x509_extensions = v3_ca
prompt = no
[dn]
CN = asiofetch test CA
[v3_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""

# Key identifiers and a critical CA flag are what X509_STRICT verification (Python 3.13's
# default) insists on; without them the certs work today and fail on a newer interpreter.
_SERVER_EXT = """\
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid,issuer
"""


def make_test_certs(directory: str | os.PathLike[str]) -> Certs:
    """Create a CA and a localhost/127.0.0.1 server certificate signed by it (EC P-256)."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = d / "ca.key", d / "ca.pem"
    key, csr, cert = d / "server.key", d / "server.csr", d / "server.pem"
    (d / "ca.cnf").write_text(_CA_CONFIG)
    (d / "server.ext").write_text(_SERVER_EXT)

    def openssl(*args: str | Path) -> None:
        res = subprocess.run(["openssl", *map(str, args)], capture_output=True, cwd=d)
        if res.returncode != 0:
            raise RuntimeError(f"openssl {args[0]} failed: {res.stderr.decode(errors='replace')}")

    ec = ("-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1")
    openssl("genpkey", *ec, "-out", ca_key)
    openssl(
        "req",
        "-x509",
        "-new",
        "-key",
        ca_key,
        "-sha256",
        "-days",
        "3650",
        "-config",
        d / "ca.cnf",
        "-out",
        ca_cert,
    )
    openssl("genpkey", *ec, "-out", key)
    openssl("req", "-new", "-key", key, "-subj", "/CN=localhost", "-out", csr)
    openssl(
        "x509",
        "-req",
        "-in",
        csr,
        "-CA",
        ca_cert,
        "-CAkey",
        ca_key,
        "-set_serial",
        str(int.from_bytes(os.urandom(8), "big")),
        "-days",
        "825",
        "-sha256",
        "-extfile",
        d / "server.ext",
        "-out",
        cert,
    )
    return Certs(ca_cert=ca_cert, server_cert=cert, server_key=key)


def fixture_binary() -> Path:
    env = os.environ.get("ASIOFETCH_FIXTURE_SERVER")
    path = Path(env) if env else DEFAULT_FIXTURE_BINARY
    if not path.is_file() or not os.access(path, os.X_OK):
        raise RuntimeError(
            f"fixture server binary not found at {path}; run `make test` to build it "
            "(or point ASIOFETCH_FIXTURE_SERVER at a built asiofetch-fixture-server)"
        )
    return path


class FixtureServer:
    """The C++ fault-injecting server (tests_cpp/fixture) in a child process.

    Endpoints are listed in tests_cpp/fixture/README.md.
    """

    def __init__(self, certs: Certs | None = None) -> None:
        self._certs = certs
        self._proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.tls_port = 0
        self.silent_port = 0

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def https_url(self) -> str:
        if not self.tls_port:
            raise RuntimeError("FixtureServer was started without certs: no HTTPS port")
        return f"https://localhost:{self.tls_port}"

    @property
    def silent_addr(self) -> tuple[str, int]:
        return ("127.0.0.1", self.silent_port)

    def start(self) -> FixtureServer:
        if self._proc is not None:
            return self
        cmd = [str(fixture_binary())]
        if self._certs is not None:
            cmd += ["--cert", str(self._certs.server_cert), "--key", str(self._certs.server_key)]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
        try:
            line = self._read_ready_line(proc)
            fields = dict(item.split("=", 1) for item in line.split()[1:])
            self.port, self.tls_port, self.silent_port = (
                int(fields[k]) for k in ("http", "https", "silent")
            )
        except BaseException:
            _stop_process(proc)
            raise
        self._proc = proc
        return self

    @staticmethod
    def _read_ready_line(proc: subprocess.Popen[bytes]) -> str:
        assert proc.stdout is not None
        buf = b""
        deadline = time.monotonic() + STARTUP_TIMEOUT
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            while b"\n" not in buf:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise RuntimeError(
                        f"fixture server printed no READY line within {STARTUP_TIMEOUT}s"
                    )
                if not sel.select(remaining):
                    continue
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    raise RuntimeError(f"fixture server exited (status {proc.wait()}) before READY")
                buf += chunk
        line = buf.split(b"\n", 1)[0].decode()
        if not line.startswith("READY "):
            raise RuntimeError(f"unexpected fixture server output: {line!r}")
        return line

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        _stop_process(proc)
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> FixtureServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


_NGINX_CONF = """\
worker_processes 1;
pid {dir}/nginx.pid;
{user}
events {{
    worker_connections 4096;
}}
http {{
    access_log off;
    client_body_temp_path {dir}/tmp/client_body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    default_type application/octet-stream;
    sendfile on;
    tcp_nodelay on;
    keepalive_timeout 75s;
    # Also caps requests per HTTP/2 connection since nginx 1.19.7; the default (1000) would
    # make long benchmarks and reuse tests see GOAWAYs.
    keepalive_requests 100000;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;

    server {{
        listen 127.0.0.1:{http_port};
        listen 127.0.0.1:{h2c_port} http2;
        listen 127.0.0.1:{tls_port} ssl http2;
        server_name localhost;
        root {dir}/www;

        location = /conn {{
            default_type text/plain;
            return 200 "$connection $connection_requests\\n";
        }}
{upstream}
    }}
}}
"""

# Only with Nginx(upstream_port=...): /upstream/<path> proxies to 127.0.0.1:<port>/<path> and
# names the client connection in X-Connection, so a test can see which connection carries a
# response that is still streaming (HTTP/2 multiplexing proof).
_NGINX_UPSTREAM = """\
        location /upstream/ {{
            proxy_pass http://127.0.0.1:{port}/;
            proxy_buffering off;
            add_header X-Connection $connection always;
        }}
"""


class Nginx:
    """Debian's nginx on loopback: HTTP/1.1 keep-alive, h2c (prior knowledge) and TLS with h2.

    Static files: /small.txt (100 B), /1k.bin (1 KiB), /1m.bin (1 MiB); /conn answers
    "<connection serial> <requests on it>" so tests can prove keep-alive reuse.
    With `upstream_port`, /upstream/<path> is proxied to that loopback port (unbuffered) and
    carries `X-Connection: <connection serial>`.
    """

    def __init__(self, certs: Certs, upstream_port: int = 0) -> None:
        self._certs = certs
        self._upstream_port = upstream_port
        self._proc: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self.http_port = self.h2c_port = self.tls_port = 0

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def h2c_url(self) -> str:
        return f"http://127.0.0.1:{self.h2c_port}"

    @property
    def https_url(self) -> str:
        return f"https://localhost:{self.tls_port}"

    def start(self) -> Nginx:
        if self._proc is not None:
            return self
        if not os.access(NGINX_BINARY, os.X_OK):
            raise RuntimeError(f"{NGINX_BINARY} not found: install nginx-light (Debian)")
        self._dir = tempfile.TemporaryDirectory(prefix="asiofetch-nginx-")
        d = Path(self._dir.name)
        (d / "tmp").mkdir()
        www = d / "www"
        www.mkdir()
        (www / "small.txt").write_bytes((b"0123456789" * 10)[:99] + b"\n")
        (www / "1k.bin").write_bytes(bytes(range(256)) * 4)
        (www / "1m.bin").write_bytes(os.urandom(1 << 20))
        ports = [free_port() for _ in range(3)]
        while len(set(ports)) < 3:
            ports = [free_port() for _ in range(3)]
        self.http_port, self.h2c_port, self.tls_port = ports
        # As root, nginx workers drop to `nobody`, who cannot read a 0700 temp dir.
        user = "user root root;" if os.geteuid() == 0 else ""
        (d / "nginx.conf").write_text(
            _NGINX_CONF.format(
                dir=d,
                user=user,
                cert=self._certs.server_cert,
                key=self._certs.server_key,
                http_port=self.http_port,
                h2c_port=self.h2c_port,
                tls_port=self.tls_port,
                upstream=(
                    _NGINX_UPSTREAM.format(port=self._upstream_port) if self._upstream_port else ""
                ),
            )
        )
        # -e stderr: without it nginx first opens its compiled-in /var/log/nginx/error.log.
        cmd = [
            NGINX_BINARY,
            "-e",
            "stderr",
            "-p",
            str(d),
            "-c",
            str(d / "nginx.conf"),
            "-g",
            "daemon off; error_log stderr;",
        ]
        with open(d / "stderr.log", "wb") as log:
            self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + STARTUP_TIMEOUT
            for port in ports:
                wait_for_port(port, self._proc, deadline, "nginx")
        except BaseException as e:
            output = (d / "stderr.log").read_text(errors="replace")
            self.stop()
            raise RuntimeError(f"{e}\nnginx output:\n{output}") from None
        return self

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            _stop_process(proc)
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> Nginx:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["Certs", "FixtureServer", "Nginx", "fixture_binary", "free_port", "make_test_certs"]
