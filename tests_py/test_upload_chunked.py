"""`chunked=` on requests, as aiohttp does it: the body goes `Transfer-Encoding: chunked`
(bytes and streams alike), and it is refused next to a Content-Length or a
`Transfer-Encoding: chunked` header; a chunk size is deprecated. Cases from aiohttp 3.14's
tests (test_client_request.py test_chunked_explicit, test_chunked_length,
test_chunked_transfer_encoding, test_file_upload_force_chunked; test_client_functional.py
test_chunked_deprecated, test_POST_FILES)."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

import asiofetch
from wire_server import Seen, wire_server

# The reference first: aiohttp's own client sends the same way (or raises the same error).
BOTH = pytest.mark.parametrize("client", [aiohttp, asiofetch], ids=["aiohttp", "asiofetch"])


@pytest.fixture
async def wire() -> AsyncIterator[tuple[str, Seen]]:
    async with wire_server() as got:
        yield got


@BOTH
async def test_chunked_bytes_go_chunked(wire: tuple[str, Seen], client: Any) -> None:
    url, seen = wire
    async with client.ClientSession() as s:
        resp = await s.post(url, data=b"hello", chunked=True)
        assert resp.status == 200
    (req,) = seen
    assert req["headers"]["transfer-encoding"] == "chunked"
    assert "content-length" not in req["headers"]
    assert req["body"] == b"hello"
    assert req["headers"]["content-type"] == "application/octet-stream"


@BOTH
async def test_a_file_is_forced_chunked(
    wire: tuple[str, Seen], tmp_path: Path, client: Any
) -> None:
    url, seen = wire
    path = tmp_path / "f.bin"
    path.write_bytes(b"0123456789" * 1000)
    async with client.ClientSession() as s:
        with path.open("rb") as f:
            await s.post(url, data=f, chunked=True)
        with path.open("rb") as f:
            await s.post(url, data=f)  # aiohttp: a file of known size is not chunked
    assert seen[0]["headers"]["transfer-encoding"] == "chunked"
    assert seen[0]["body"] == path.read_bytes()
    assert "transfer-encoding" not in seen[1]["headers"]
    assert seen[1]["headers"]["content-length"] == "10000"


@BOTH
async def test_chunked_none_leaves_the_length(wire: tuple[str, Seen], client: Any) -> None:
    url, seen = wire
    async with client.ClientSession() as s:
        await s.post(url, data=b"abc", chunked=None)
        await s.post(url, data=io.BytesIO(b"abc"), chunked=None)
    assert [(r["headers"].get("content-length"), r["body"]) for r in seen] == [("3", b"abc")] * 2


async def test_chunked_false_leaves_the_length(wire: tuple[str, Seen]) -> None:
    # asiofetch only: aiohttp 3.14.5 sends `Content-Length: 3` and then the body chunk-framed
    # ("3\r\nabc\r\n0\r\n\r\n"), a request no server can read right.
    url, seen = wire
    async with asiofetch.ClientSession() as s:
        await s.post(url, data=b"abc", chunked=False)
    assert [(r["headers"].get("content-length"), r["body"]) for r in seen] == [("3", b"abc")]


async def test_a_chunked_body_is_replayed_by_a_retry(wire: tuple[str, Seen]) -> None:
    url, seen = wire
    retry = asiofetch.Retry(attempts=2, backoff=0.01, jitter=0, statuses=[200])
    async with asiofetch.ClientSession() as s:
        await s.put(url, data=b"again", chunked=True, retry=retry)
    assert [r["body"] for r in seen] == [b"again", b"again"]


@BOTH
async def test_chunked_with_content_length_is_refused(client: Any) -> None:
    async with client.ClientSession() as s:
        with pytest.raises(
            ValueError, match=r"^chunked can not be set if Content-Length header is set$"
        ):
            await s.post(
                "http://127.0.0.1:9/", data=b"x", chunked=True, headers={"Content-Length": "1"}
            )


@BOTH
async def test_chunked_with_a_chunked_header_is_refused(client: Any) -> None:
    async with client.ClientSession() as s:
        with pytest.raises(ValueError, match=r'^chunked can not be set if "Transfer-Encoding'):
            await s.post(
                "http://127.0.0.1:9/",
                data=b"x",
                chunked=True,
                headers={"Transfer-Encoding": "chunked"},
            )


@BOTH
async def test_a_chunk_size_is_deprecated(wire: tuple[str, Seen], client: Any) -> None:
    url, seen = wire
    async with client.ClientSession() as s:
        with pytest.warns(DeprecationWarning, match="^Chunk size is deprecated #1615$"):
            await s.post(url, data=b"abc", chunked=1024)
    assert seen[0]["headers"]["transfer-encoding"] == "chunked"
