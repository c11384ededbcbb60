"""Mirror of tests_cpp/test_ca_trust.cpp: CA trust without ssl= follows Python's ssl
(SSL_CERT_FILE / SSL_CERT_DIR, the platform's bundle, then certifi), computed once per process.

The trust is fixed at the first request of a process, so each case runs a fresh interpreter
against the fixture server's HTTPS port (signed by the session's private CA). Every case
also asks Python's own ssl module, with the same environment, and expects the same verdict.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from servers import Certs, FixtureServer

# Runs in the child: one asiofetch request and one stdlib ssl handshake to the same server.
_CHILD = textwrap.dedent(
    """
    import asyncio, json, os, socket, ssl, sys
    from urllib.parse import urlsplit
    import asiofetch
    from asiofetch import _core

    url, mode = sys.argv[1], sys.argv[2]
    out = {"asiofetch_file": asiofetch.__file__}

    async def fetch(**kw):
        async with asiofetch.ClientSession() as s:
            r = await s.get(url, **kw)
            await r.read()
            return r.status

    def attempt(**kw):
        try:
            return str(asyncio.run(fetch(**kw)))
        except Exception as e:
            return type(e).__name__

    def stdlib():
        u = urlsplit(url)
        ctx = ssl.create_default_context()
        try:
            with socket.create_connection((u.hostname, u.port), timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname=u.hostname):
                    return "ok"
        except ssl.SSLCertVerificationError:
            return "rejected"

    if mode == "ssl-context":
        out["asiofetch"] = attempt(ssl=ssl.create_default_context(cafile=sys.argv[3]))
    else:
        out["asiofetch"] = attempt()
        out["stdlib"] = stdlib()
    out["trust"] = list(_core.ca_trust())
    if mode == "env-changes":
        os.environ["SSL_CERT_FILE"] = "/nonexistent/ca.pem"
        out["again"] = attempt()
        out["trust_after"] = list(_core.ca_trust())
    print(json.dumps(out))
    """
)


def _child_env(**overrides: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SSL_CERT_FILE", "SSL_CERT_DIR")}
    env.update(overrides)
    return env


def _run(
    cmd_prefix: list[str], url: str, mode: str, env: dict[str, str], *extra: str
) -> dict[str, Any]:
    res = subprocess.run(
        [*cmd_prefix, sys.executable, "-c", _CHILD, url, mode, *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert res.returncode == 0, res.stderr
    result: dict[str, Any] = json.loads(res.stdout.strip().splitlines()[-1])
    return result


def run_child(url: str, mode: str = "plain", *extra: str, **env: str) -> dict[str, Any]:
    return _run([], url, mode, _child_env(**env), *extra)


@pytest.fixture(scope="module")
def url(fixture_server: FixtureServer) -> str:
    return f"{fixture_server.https_url}/bytes/16"


def test_private_ca_rejected_without_configuration(url: str) -> None:
    out = run_child(url)
    assert out["asiofetch"] == "ClientConnectorCertificateError"
    assert out["stdlib"] == "rejected"


def test_ssl_cert_file_trusts_private_ca(url: str, certs: Certs) -> None:
    out = run_child(url, SSL_CERT_FILE=str(certs.ca_cert))
    assert out["asiofetch"] == "200"
    assert out["stdlib"] == "ok"
    assert out["trust"][0] == str(certs.ca_cert)
    assert out["trust"][2].startswith("file=SSL_CERT_FILE ")


def test_ssl_cert_dir_with_hashed_ca_trusts_private_ca(
    url: str, certs: Certs, tmp_path: Path
) -> None:
    # OpenSSL finds CAs in a directory by subject-hash name (what `openssl rehash` makes).
    subject_hash = subprocess.run(
        ["openssl", "x509", "-hash", "-noout", "-in", str(certs.ca_cert)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    shutil.copy(certs.ca_cert, tmp_path / f"{subject_hash}.0")
    out = run_child(url, SSL_CERT_DIR=str(tmp_path))
    assert out["asiofetch"] == "200"
    assert out["stdlib"] == "ok"
    assert out["trust"][1] == str(tmp_path)
    assert out["trust"][2].endswith(" dir=SSL_CERT_DIR")


def test_ssl_cert_file_missing_is_a_certificate_error(url: str, tmp_path: Path) -> None:
    # Named but absent: nothing else is trusted in its place (as with Python's ssl).
    out = run_child(url, SSL_CERT_FILE=str(tmp_path / "missing.pem"))
    assert out["asiofetch"] == "ClientConnectorCertificateError"
    assert out["stdlib"] == "rejected"


def test_ssl_context_wins_over_environment(url: str, certs: Certs, tmp_path: Path) -> None:
    out = run_child(
        url, "ssl-context", str(certs.ca_cert), SSL_CERT_FILE=str(tmp_path / "missing.pem")
    )
    assert out["asiofetch"] == "200"


def test_trust_is_computed_once_per_process(url: str, certs: Certs) -> None:
    out = run_child(url, "env-changes", SSL_CERT_FILE=str(certs.ca_cert))
    assert out["asiofetch"] == "200"
    assert out["again"] == "200"
    assert out["trust_after"] == out["trust"]


def _hide_platform_store(tmp_path: Path) -> list[str]:
    """A private mount namespace with an empty directory over /etc/ssl/certs (the Debian
    bundle and hashed directory live there)."""
    empty = tmp_path / "empty"
    empty.mkdir()
    unshare = ["unshare", "--mount"] if os.geteuid() == 0 else ["unshare", "-r", "--mount"]
    script = 'mount --bind "$0" /etc/ssl/certs && exec "$@"'
    return [*unshare, "sh", "-c", script, str(empty)]


def _fake_certifi(tmp_path: Path, bundle: Path) -> Path:
    """A stand-in for the certifi distribution whose where() is our private CA (the real
    certifi's bundle cannot vouch for a test server)."""
    pkg = tmp_path / "site" / "certifi"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text(f"def where():\n    return {str(bundle)!r}\n")
    return pkg.parent


def test_certifi_is_the_fallback_when_the_platform_has_no_store(
    url: str, certs: Certs, tmp_path: Path
) -> None:
    site = _fake_certifi(tmp_path, certs.ca_cert)
    env = _child_env(PYTHONPATH=os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]))
    out = _run(_hide_platform_store(tmp_path), url, "plain", env)
    assert out["trust"] == [str(certs.ca_cert), "", "file=certifi dir=none"]
    assert out["asiofetch"] == "200"


def test_certifi_is_not_used_while_the_platform_has_a_store(
    url: str, certs: Certs, tmp_path: Path
) -> None:
    site = _fake_certifi(tmp_path, certs.ca_cert)
    out = run_child(url, PYTHONPATH=str(site))
    assert out["trust"][2] == "file=platform dir=none"  # the bundle alone, not its directory
    assert out["asiofetch"] == "ClientConnectorCertificateError"
