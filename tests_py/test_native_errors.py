"""asiofetch._native_errors: a structured native failure becomes aiohttp's exception, with no
message text parsed (kind, sub-kind and URL are attributes the bindings hand over)."""

from __future__ import annotations

import asyncio

import pytest

import asiofetch
from asiofetch import _core
from asiofetch._native_errors import make_error

CASES = {
    _core.E_DNS: asiofetch.ClientConnectorDNSError,
    _core.E_CONNECT: asiofetch.ClientConnectorError,
    _core.E_TLS: asiofetch.ClientConnectorSSLError,
    _core.E_TLS_CERTIFICATE: asiofetch.ClientConnectorCertificateError,
    _core.E_CONNECT_TIMEOUT: asiofetch.ConnectionTimeoutError,
    _core.E_READ_TIMEOUT: asiofetch.SocketTimeoutError,
    _core.E_POOL_TIMEOUT: asiofetch.PoolTimeoutError,
    _core.E_SERVER_DISCONNECTED: asiofetch.ServerDisconnectedError,
    _core.E_PAYLOAD_INCOMPLETE: asiofetch.ClientPayloadError,
    _core.E_TOO_MANY_REDIRECTS: asiofetch.TooManyRedirects,
    _core.E_INVALID_URL: asiofetch.InvalidUrlClientError,
    _core.E_SESSION_CLOSED: asiofetch.SessionClosedError,
    _core.E_CANCELLED: asyncio.CancelledError,
    _core.E_PROXY: asiofetch.ClientProxyConnectionError,
    _core.E_OTHER: asiofetch.ClientError,
}


@pytest.mark.parametrize(("kind", "cls"), CASES.items(), ids=[c.__name__ for c in CASES.values()])
def test_kind_picks_the_class(kind: int, cls: type[BaseException]) -> None:
    e = make_error(_core.NativeError(kind, "detail", url="http://h.example:81/x", curl_code=7))
    assert type(e) is cls


def test_total_timeout_is_a_bare_timeout_error() -> None:
    # aiohttp: the `total` budget raises asyncio.TimeoutError, not a ClientError.
    e = make_error(_core.NativeError(_core.E_TOTAL_TIMEOUT, "total timeout"))
    assert type(e) is asyncio.TimeoutError
    assert not isinstance(e, asiofetch.ClientError)


def test_connector_error_reads_host_and_port_from_the_url_field() -> None:
    # The message names another host: only the structured URL counts.
    native = _core.NativeError(
        _core.E_CONNECT,
        "cannot connect (http://wrong.example:1/): refused",
        url="http://h.example:81/x",
    )
    e = make_error(native)
    assert isinstance(e, asiofetch.ClientConnectorError)
    assert (e.host, e.port, e.ssl) == ("h.example", 81, True)
    assert "refused" in str(e)
    tls = make_error(_core.NativeError(_core.E_TLS, "handshake", url="https://s.example/"))
    assert isinstance(tls, asiofetch.ClientConnectorSSLError)
    assert (tls.host, tls.port) == ("s.example", 443)


def test_redirect_sub_kinds_pick_the_redirect_classes() -> None:
    non_http = make_error(
        _core.NativeError(
            _core.E_INVALID_URL,
            "redirect to a non-HTTP URL",
            url="ftp://x.example/f",
            sub_kind=_core.SUB_REDIRECT_NON_HTTP,
        )
    )
    assert type(non_http) is asiofetch.NonHttpUrlRedirectClientError
    assert non_http.args == ("ftp://x.example/f",)
    bad = make_error(
        _core.NativeError(
            _core.E_INVALID_URL,
            "cannot follow redirect",
            url="http://[::1",
            sub_kind=_core.SUB_REDIRECT_INVALID_URL,
        )
    )
    assert type(bad) is asiofetch.InvalidUrlRedirectClientError
    assert (bad.url, bad.description) == ("http://[::1", "cannot follow redirect")


def test_unknown_kind_is_a_client_error() -> None:
    e = make_error(_core.NativeError(999, "x"))
    assert type(e) is asiofetch.ClientError
    assert str(e) == "x"


async def test_a_real_connect_failure_carries_its_url() -> None:
    # End to end: the engine fills the URL field (no text parsing on the way up).
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening: connection refused
        port = sock.getsockname()[1]
        async with asiofetch.ClientSession() as s:
            with pytest.raises(asiofetch.ClientConnectorError) as info:
                await s.get(f"http://127.0.0.1:{port}/path")
    assert (info.value.host, info.value.port) == ("127.0.0.1", port)
