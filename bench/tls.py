"""TLS material for the HTTPS cases: a private CA and two server certificates (ECDSA P-256,
RSA-2048) for 127.0.0.1 and localhost, made with the openssl CLI into a temp directory.

Every client is pointed at the CA through its own option (never by turning verification
off), so each pays for a real chain check as its users would.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import NamedTuple


class TlsMaterial(NamedTuple):
    ca: Path
    ecdsa_cert: Path
    ecdsa_key: Path
    rsa_cert: Path
    rsa_key: Path


def _openssl(*args: str) -> None:
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def _leaf(d: Path, name: str, keyopt: list[str], ca: Path, ca_key: Path) -> tuple[Path, Path]:
    key, csr, crt, ext = d / f"{name}.key", d / f"{name}.csr", d / f"{name}.crt", d / f"{name}.ext"
    _openssl(
        "req",
        "-new",
        "-newkey",
        *keyopt,
        "-nodes",
        "-keyout",
        str(key),
        "-subj",
        "/CN=localhost",
        "-out",
        str(csr),
    )
    ext.write_text(
        "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
    )
    _openssl(
        "x509",
        "-req",
        "-in",
        str(csr),
        "-CA",
        str(ca),
        "-CAkey",
        str(ca_key),
        "-CAcreateserial",
        "-days",
        "2",
        "-sha256",
        "-extfile",
        str(ext),
        "-out",
        str(crt),
    )
    return crt, key


def make(directory: Path) -> TlsMaterial:
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    ca, ca_key = d / "ca.crt", d / "ca.key"
    _openssl(
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        str(ca_key),
        "-subj",
        "/CN=asiofetch bench CA",
        "-days",
        "2",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
        "-out",
        str(ca),
    )
    ecdsa = _leaf(d, "ecdsa", ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"], ca, ca_key)
    rsa = _leaf(d, "rsa", ["rsa:2048"], ca, ca_key)
    return TlsMaterial(ca, ecdsa[0], ecdsa[1], rsa[0], rsa[1])
