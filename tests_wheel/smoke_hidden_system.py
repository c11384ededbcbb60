"""The wheel as a user on another distribution gets it: in a mount namespace where the system
libcurl and the Debian CA store are hidden, `import asiofetch` works and SSL_CERT_FILE is the
only trust for a real HTTPS request to a server signed by a private CA.

Run with the interpreter of a venv holding the installed wheel (scripts/test-wheels.sh), as
root or where unprivileged user namespaces are allowed. Exits non-zero on any failure.
"""

from __future__ import annotations

import glob
import http.server
import json
import os
import ssl
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests_py"))
from servers import make_test_certs  # the openssl CLI; imports no asiofetch

HIDDEN_LIBS = sorted(glob.glob("/usr/lib/x86_64-linux-gnu/libcurl.so.4*"))
HIDDEN_DIRS = ["/etc/ssl/certs"]

CHILD = r"""
import asyncio, ctypes, json, sys
out = {}
try:
    ctypes.CDLL("libcurl.so.4")
    out["system_libcurl"] = "loadable"
except OSError as e:
    out["system_libcurl"] = "hidden"
import asiofetch
from asiofetch import _core
out["file"] = asiofetch.__file__
out["curl"] = _core.curl_version()
out["maps_libcurl"] = [l.split()[-1] for l in open("/proc/self/maps") if "libcurl" in l]

async def main():
    async with asiofetch.ClientSession() as s:
        r = await s.get(sys.argv[1])
        return r.status, await r.text()
try:
    status, body = asyncio.run(main())
    out["result"] = f"{status} {body}"
except Exception as e:
    out["result"] = type(e).__name__
out["trust"] = list(_core.ca_trust())
print(json.dumps(out))
"""


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"hello from the private CA"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def run_hidden(url: str, env: dict[str, str], empty_file: Path, empty_dir: Path) -> dict[str, str]:
    mounts = [f'mount --bind "{empty_file}" "{lib}"' for lib in HIDDEN_LIBS]
    mounts += [f'mount --bind "{empty_dir}" "{d}"' for d in HIDDEN_DIRS]
    script = " && ".join([*mounts, 'exec "$0" -c "$1" "$2"'])
    unshare = ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "-r", "--mount"]
    res = subprocess.run(
        [*unshare, "sh", "-c", script, sys.executable, CHILD, url],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if res.returncode != 0:
        raise SystemExit(f"child failed ({res.returncode}):\n{res.stderr}")
    out: dict[str, str] = json.loads(res.stdout.strip().splitlines()[-1])
    return out


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        certs = make_test_certs(d)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(certs.server_cert, certs.server_key)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"https://127.0.0.1:{server.server_address[1]}/"
        empty_file, empty_dir = d / "empty", d / "empty.d"
        empty_file.touch()
        empty_dir.mkdir()
        base = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
        try:
            with_ca = {**base, "SSL_CERT_FILE": str(certs.ca_cert)}
            trusted = run_hidden(url, with_ca, empty_file, empty_dir)
            untrusted = run_hidden(url, base, empty_file, empty_dir)
        finally:
            server.shutdown()
    print(json.dumps({"with_SSL_CERT_FILE": trusted, "without": untrusted}, indent=2))
    failures = []
    if not HIDDEN_LIBS:
        failures.append("no system libcurl.so.4 found to hide (is this the Debian build host?)")
    for name, out in (("with", trusted), ("without", untrusted)):
        if out["system_libcurl"] != "hidden" or out["maps_libcurl"]:
            failures.append(f"{name}: the system libcurl was reachable: {out}")
        if "site-packages" not in out["file"]:
            failures.append(f"{name}: asiofetch came from {out['file']}")
    if trusted["result"] != "200 hello from the private CA":
        failures.append(f"SSL_CERT_FILE request: {trusted['result']}")
    if trusted["trust"] != [str(certs.ca_cert), "", "file=SSL_CERT_FILE dir=none"]:
        failures.append(f"SSL_CERT_FILE trust: {trusted['trust']}")
    if untrusted["result"] != "ClientConnectorCertificateError":
        failures.append(f"no trust configured: {untrusted['result']}")
    for f in failures:
        print("FAIL:", f)
    print("wheel smoke: 1 passed, 0 failed" if not failures else "wheel smoke: 0 passed, 1 failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
