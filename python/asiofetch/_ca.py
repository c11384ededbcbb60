"""certifi's bundle as the last source of trust anchors.

Requests without an ``ssl=`` context trust, in order: ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``,
the platform's bundle and hashed directory (probed at run time), and only when neither
exists, certifi (``pip install asiofetch[certifi]``). The native side computes this once
per process at the first request; the path is handed down at import so it is there first.
"""

from __future__ import annotations

from . import _core


def _install_certifi_fallback() -> None:
    try:
        import certifi
    except ImportError:
        return
    _core.set_ca_fallback(certifi.where())


_install_certifi_fallback()
