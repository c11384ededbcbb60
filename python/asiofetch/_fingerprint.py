"""aiohttp's Fingerprint (ssl=Fingerprint(digest), fingerprint=): certificate pinning by digest.

The engine checks the SHA-256 of the peer's DER certificate on the connection a request is
about to use, new or reused, before anything is sent (CURLOPT_PREREQFUNCTION with the
connection's SSL object), and fails the request with ServerFingerprintMismatch. As in aiohttp,
certificate verification is off with a fingerprint (the pin is the trust), http URLs are not
checked, and only SHA-256 digests are accepted.
"""

from __future__ import annotations

from typing import Any

__all__ = ("Fingerprint", "fingerprint_bytes")


class Fingerprint:
    """A SHA-256 digest (32 bytes) the server's certificate must have."""

    __slots__ = ("_fingerprint",)

    def __init__(self, fingerprint: bytes) -> None:
        if not isinstance(fingerprint, bytes):
            raise TypeError(f"fingerprint must be bytes, got {type(fingerprint).__name__}")
        n = len(fingerprint)
        if n in (16, 20):
            raise ValueError("md5 and sha1 are insecure and not supported. Use sha256.")
        if n != 32:
            raise ValueError("fingerprint has invalid length")
        self._fingerprint = fingerprint

    @property
    def fingerprint(self) -> bytes:
        return self._fingerprint

    def __repr__(self) -> str:
        return f"<Fingerprint sha256={self._fingerprint.hex()}>"


def fingerprint_bytes(value: Any) -> bytes | None:
    """The digest of asiofetch's Fingerprint or of aiohttp's (duck-typed: a migrating codebase
    passes its own), checked as Fingerprint() checks it; None when `value` is no fingerprint."""
    if isinstance(value, Fingerprint):
        return value.fingerprint
    if type(value).__name__ == "Fingerprint" and hasattr(value, "fingerprint"):
        return Fingerprint(value.fingerprint).fingerprint
    return None
