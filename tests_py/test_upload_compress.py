"""`compress=` on requests, as aiohttp does it: Content-Encoding set, the body deflate- or
gzip-encoded (bytes and streamed bodies), empty bodies left alone, clashing headers refused.
Cases from aiohttp 3.14's tests (test_POST_DATA_DEFLATE, test_POST_FILES_DEFLATE,
test_GET_DEFLATE_no_body) and ClientRequest.update_content_encoding; the raw wire bytes are
read by a loopback server that does not decode them."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import io
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import asiofetch
from wire_server import Seen, wire_server

# The reference first: aiohttp's own client sends the same way (or raises the same error).
BOTH = pytest.mark.parametrize("client", [aiohttp, asiofetch], ids=["aiohttp", "asiofetch"])


@pytest.fixture
async def wire() -> AsyncIterator[tuple[str, Seen]]:
    async with wire_server() as got:
        yield got


@pytest.fixture
async def web_server() -> AsyncIterator[str]:
    async def form(req: web.Request) -> web.Response:
        out: dict[str, Any] = {}
        for k, v in (await req.post()).items():
            out[k] = (
                v if isinstance(v, str) else [v.filename, hashlib.sha256(v.file.read()).hexdigest()]
            )
        return web.json_response(out)

    app = web.Application(client_max_size=1 << 30)
    app.router.add_post("/form", form)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@BOTH
async def test_compress_true_is_zlib_deflate(wire: tuple[str, Seen], client: Any) -> None:
    url, seen = wire
    body = b"hello world " * 500
    async with client.ClientSession() as s:
        resp = await s.post(url, data=body, compress=True)
        assert resp.status == 200
    (req,) = seen
    assert req["headers"]["content-encoding"] == "deflate"
    raw = req["body"]
    assert raw[0] == 0x78  # zlib framing, as aiohttp's ZLibCompressor writes "deflate"
    assert len(raw) < len(body)
    assert zlib.decompress(raw) == body


@BOTH
async def test_compress_gzip(wire: tuple[str, Seen], client: Any) -> None:
    url, seen = wire
    body = b"abc" * 1000
    async with client.ClientSession() as s:
        await s.put(url, data=body, compress="gzip")
    (req,) = seen
    assert req["headers"]["content-encoding"] == "gzip"
    assert req["body"][:2] == b"\x1f\x8b"
    assert gzip.decompress(req["body"]) == body


@BOTH
@pytest.mark.parametrize("data", [None, b""])
async def test_an_empty_body_is_not_compressed(
    wire: tuple[str, Seen], data: Any, client: Any
) -> None:
    url, seen = wire
    async with client.ClientSession() as s:
        resp = await s.get(url, data=data, compress=True)
        assert resp.status == 200
    (req,) = seen
    assert "content-encoding" not in req["headers"]
    assert req["body"] == b""


@BOTH
async def test_a_streamed_body_is_compressed_chunk_by_chunk(
    wire: tuple[str, Seen], client: Any
) -> None:
    url, seen = wire

    async def gen() -> AsyncIterator[bytes]:
        for i in range(50):
            yield bytes([97 + i % 26]) * 4000
            await asyncio.sleep(0)

    async with client.ClientSession() as s:
        await s.post(url, data=gen(), compress="deflate")
    (req,) = seen
    assert req["headers"]["content-encoding"] == "deflate"
    assert req["headers"]["transfer-encoding"] == "chunked"
    expected = b"".join(bytes([97 + i % 26]) * 4000 for i in range(50))
    assert zlib.decompress(req["body"]) == expected


@BOTH
async def test_post_data_deflate_form(web_server: str, client: Any) -> None:
    # aiohttp's test_POST_DATA_DEFLATE: the server decodes the form.
    async with client.ClientSession() as s:
        resp = await s.post(web_server + "/form", data={"some": "data"}, compress=True)
        assert resp.status == 200
        assert await resp.json() == {"some": "data"}


@BOTH
async def test_post_files_deflate(web_server: str, tmp_path: Path, client: Any) -> None:
    # aiohttp's test_POST_FILES_DEFLATE, with a file large enough to be streamed.
    path = tmp_path / "big.bin"
    data = bytes(range(256)) * 8192 + b"tail"
    path.write_bytes(data)
    async with client.ClientSession() as s:
        with path.open("rb") as f:
            resp = await s.post(
                web_server + "/form", data={"some": f}, chunked=True, compress="deflate"
            )
        assert resp.status == 200
        assert await resp.json() == {"some": ["big.bin", hashlib.sha256(data).hexdigest()]}


async def test_a_compressed_seekable_stream_is_replayed(wire: tuple[str, Seen]) -> None:
    url, seen = wire
    data = bytes(range(256)) * 8192
    retry = asiofetch.Retry(attempts=2, backoff=0.01, jitter=0, statuses=[200])
    async with asiofetch.ClientSession() as s:
        await s.put(url, data=io.BytesIO(data), compress="gzip", retry=retry)
    assert len(seen) == 2
    assert [gzip.decompress(r["body"]) for r in seen] == [data, data]


@BOTH
async def test_compress_with_a_content_encoding_header_is_refused(client: Any) -> None:
    async with client.ClientSession() as s:
        with pytest.raises(ValueError, match=r"^compress can not be set if Content-Encoding"):
            await s.post(
                "http://127.0.0.1:9/", data=b"x", compress=True, headers={"Content-Encoding": "br"}
            )


@BOTH
async def test_compress_with_a_content_length_header_is_refused(client: Any) -> None:
    async with client.ClientSession() as s:
        with pytest.raises(ValueError, match=r"^chunked can not be set if Content-Length"):
            await s.post(
                "http://127.0.0.1:9/", data=b"x", compress="gzip", headers={"Content-Length": "1"}
            )


@pytest.mark.parametrize("bad", ["br", "identity"])
async def test_an_encoding_zlib_cannot_make_is_refused(bad: str) -> None:
    # aiohttp would label deflate bytes with that name; a server could not decode them.
    async with asiofetch.ClientSession() as s:
        with pytest.raises(ValueError, match=f"compress='{bad}' is not supported"):
            await s.post("http://127.0.0.1:9/", data=b"x", compress=bad)
