"""Request bodies beyond bytes: forms with files, multipart, payloads, files, async iterables
streamed through the engine's upload queue (aiohttp.web as the server, on both loops)."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import asiofetch
from asiofetch import _core


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    async def echo(req: web.Request) -> web.Response:
        body = await req.read()
        seen.append(
            {
                "method": req.method,
                "te": req.headers.get("Transfer-Encoding"),
                "len": req.headers.get("Content-Length"),
                "body": body,
            }
        )
        return web.json_response({"n": len(body)})

    async def form(req: web.Request) -> web.Response:
        out: dict[str, Any] = {}
        for k, v in (await req.post()).items():
            if isinstance(v, str):
                out[k] = v
            else:
                out[k] = [v.filename, v.content_type, v.file.read().decode()]
        return web.json_response(out)

    async def slow(req: web.Request) -> web.Response:
        n = 0
        while chunk := await req.content.read(16 * 1024):
            n += len(chunk)
            await asyncio.sleep(0.001)
        return web.json_response({"n": n})

    async def redirect(req: web.Request) -> web.Response:
        await req.read()
        return web.Response(status=int(req.match_info["code"]), headers={"Location": "/echo"})

    async def hang(req: web.Request) -> web.Response:
        await asyncio.sleep(30)
        return web.Response()

    app = web.Application(client_max_size=1 << 30)
    app.router.add_route("*", "/echo", echo)
    app.router.add_post("/form", form)
    app.router.add_post("/slow", slow)
    app.router.add_route("*", "/redirect/{code}", redirect)
    app.router.add_post("/hang", hang)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}", seen
    finally:
        await runner.cleanup()


async def chunks(n: int, size: int) -> AsyncIterator[bytes]:
    for i in range(n):
        yield bytes([65 + i % 26]) * size
        await asyncio.sleep(0)


async def test_async_generator_goes_chunked_and_complete(server: Any) -> None:
    base, seen = server
    async with asiofetch.ClientSession() as s:
        resp = await s.post(base + "/echo", data=chunks(20, 50_000))
        assert await resp.json() == {"n": 1_000_000}
    assert seen[0]["te"] == "chunked" and seen[0]["len"] is None
    assert seen[0]["body"] == b"".join([bytes([65 + i % 26]) * 50_000 for i in range(20)])


async def test_async_iterable_with_declared_length_is_not_chunked(server: Any) -> None:
    base, seen = server
    async with asiofetch.ClientSession() as s:
        resp = await s.put(base + "/echo", data=chunks(4, 1000), headers={"Content-Length": "4000"})
        assert resp.status == 200
    assert seen[0]["te"] is None and seen[0]["len"] == "4000" and len(seen[0]["body"]) == 4000


@pytest.mark.filterwarnings("ignore:In v4, passing bytes:DeprecationWarning")
@pytest.mark.parametrize("form_mod", [asiofetch, aiohttp])
async def test_formdata_with_files_is_multipart(server: Any, form_mod: Any) -> None:
    base, _ = server
    fd = form_mod.FormData()
    fd.add_field("name", "текст")
    fd.add_field("file", io.BytesIO(b"file body"), filename="a.txt", content_type="text/plain")
    fd.add_field("raw", b"bytes here")
    async with asiofetch.ClientSession() as s:
        got = await (await s.post(base + "/form", data=fd)).json()
    assert got == {
        "name": "текст",
        "file": ["a.txt", "text/plain", "file body"],
        "raw": ["raw", "application/octet-stream", "bytes here"],
    }


async def test_dict_with_open_file_is_multipart(server: Any, tmp_path: Path) -> None:
    base, _ = server
    p = tmp_path / "up.txt"
    p.write_bytes(b"from disk")
    async with asiofetch.ClientSession() as s:
        with p.open("rb") as f:
            got = await (await s.post(base + "/form", data={"f": f, "k": "v"})).json()
    assert got == {"f": ["up.txt", "text/plain", "from disk"], "k": "v"}


async def test_multipart_writer_nested_parts_and_json(server: Any) -> None:
    base, seen = server
    with asiofetch.MultipartWriter("mixed", boundary="b0und") as mw:
        mw.append("text part")
        mw.append_json({"a": 1})
    async with asiofetch.ClientSession() as s:
        await s.post(base + "/echo", data=mw)
    body = seen[0]["body"]
    head = b"--b0und\r\nContent-Type: text/plain; charset=utf-8\r\n\r\ntext part\r\n"
    assert body.startswith(head)
    assert body.endswith(b'\r\n\r\n{"a": 1}\r\n--b0und--\r\n')
    assert seen[0]["len"] == str(len(body)) == str(mw.size)


@pytest.mark.parametrize("mod", [asiofetch, aiohttp])
async def test_payload_objects(server: Any, mod: Any) -> None:
    base, seen = server
    async with asiofetch.ClientSession() as s:
        await s.post(base + "/echo", data=mod.BytesPayload(b"bp"))
        await s.post(base + "/echo", data=mod.StringPayload("sp"))
        await s.post(base + "/echo", data=mod.JsonPayload({"j": 1}))
        await s.post(base + "/echo", data=mod.AsyncIterablePayload(chunks(2, 3)))
    assert [x["body"] for x in seen] == [b"bp", b"sp", b'{"j": 1}', b"AAABBB"]
    assert seen[3]["te"] == "chunked"


async def test_large_file_streams_with_length(server: Any, tmp_path: Path) -> None:
    base, seen = server
    p = tmp_path / "big.bin"
    p.write_bytes(b"z" * (8 << 20))
    async with asiofetch.ClientSession() as s:
        resp = await s.post(base + "/echo", data=p)  # a pathlib path: opened, streamed, closed
        assert await resp.json() == {"n": 8 << 20}
    assert seen[0]["len"] == str(8 << 20) and seen[0]["te"] is None


async def test_feeder_exception_fails_the_request(server: Any) -> None:
    base, _ = server

    async def bad() -> AsyncIterator[bytes]:
        yield b"abc"
        raise RuntimeError("boom")

    # aiohttp's write_bytes wraps a payload's failure: ClientConnectionError("Failed to send
    # bytes into the underlying connection ...: RuntimeError('boom')"), the cause kept.
    async with asiofetch.ClientSession() as s:
        with pytest.raises(asiofetch.ClientConnectionError, match="boom") as info:
            await s.post(base + "/echo", data=bad())
    assert isinstance(info.value.__cause__, RuntimeError)


async def test_backpressure_keeps_the_native_queue_bounded(server: Any, monkeypatch: Any) -> None:
    base, _ = server
    sources: list[Any] = []
    real = _core.UploadSource

    def spy(*a: Any) -> Any:
        src = real(*a)
        sources.append(src)
        return src

    monkeypatch.setattr(_core, "UploadSource", spy)
    async with asiofetch.ClientSession() as s:
        # 300 KB chunks: each is split to the bound before it is queued.
        resp = await s.post(base + "/slow", data=chunks(20, 300_000))
        assert await resp.json() == {"n": 6_000_000}
    (src,) = sources
    assert src.total_read == 6_000_000
    assert 0 < src.peak <= src.high_water


async def test_cancel_mid_upload_ends_cleanly(server: Any) -> None:
    base, _ = server
    fed = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal fed
        while True:
            fed += 1
            yield b"q" * 10_000
            await asyncio.sleep(0.001)

    async with asiofetch.ClientSession() as s:
        task = asyncio.ensure_future(s.post(base + "/hang", data=endless()))
        while fed < 20:
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        stopped_at = fed
        await asyncio.sleep(0.05)
        assert fed == stopped_at  # the feeder stopped with the request


@pytest.mark.parametrize("code", [307, 308])
async def test_redirect_keeping_a_streamed_body_is_refused(server: Any, code: int) -> None:
    base, _ = server
    async with asiofetch.ClientSession() as s:
        # aiohttp 3.14's message and type (client.py, the 307/308 branch)
        with pytest.raises(
            asiofetch.ClientPayloadError,
            match=r"^Cannot follow redirect with a consumed request body\. Use bytes, a "
            r"seekable file-like object, or set allow_redirects=False\.$",
        ):
            await s.post(base + f"/redirect/{code}", data=chunks(2, 10))


async def test_small_payload_is_replayed_on_307(server: Any) -> None:
    base, seen = server
    async with asiofetch.ClientSession() as s:
        resp = await s.post(base + "/redirect/307", data=asiofetch.BytesPayload(b"again"))
        assert resp.status == 200
    assert [x["body"] for x in seen] == [b"again"]


async def test_303_turns_a_streamed_post_into_get(server: Any) -> None:
    base, seen = server
    async with asiofetch.ClientSession() as s:
        resp = await s.post(base + "/redirect/303", data=chunks(3, 10))
        assert resp.status == 200
    assert seen == [{"method": "GET", "te": None, "len": None, "body": b""}]


async def test_retry_with_a_stream_is_refused_at_the_call(server: Any) -> None:
    base, _ = server
    async with asiofetch.ClientSession() as s:
        with pytest.raises(ValueError, match="retry="):
            await s.post(base + "/echo", data=chunks(1, 1), retry=asiofetch.Retry(attempts=2))


async def test_batch_refuses_streamed_bodies(server: Any) -> None:
    base, _ = server
    async with asiofetch.ClientSession() as s:
        with pytest.raises(TypeError, match="streamed"):
            await s.gather([asiofetch.RequestSpec("POST", base + "/echo", data=chunks(1, 1))])


async def test_a_mock_route_sees_a_streamed_body(tmp_path: Path) -> None:
    # The mock transport answers before a transfer reads a body: a streamed one is read
    # whole first, so content= matching and router.calls see what would have been sent.
    from asiofetch.testing import MockRouter

    path = tmp_path / "big.bin"
    data = b"0123456789abcdef" * (80 * 1024)  # 1.25 MiB: above the inline limit
    path.write_bytes(data)
    with MockRouter() as router:
        router.put("https://api.test/up", content=data).respond(status=201)
        router.post("https://api.test/gen", content=b"AAAAAAAAAABBBBBBBBBB").respond(status=202)
        async with asiofetch.ClientSession() as s:
            with path.open("rb") as f:
                assert (await s.put("https://api.test/up", data=f)).status == 201
            assert (await s.post("https://api.test/gen", data=chunks(2, 10))).status == 202
        assert [c.body for c in router.calls] == [data, b"AAAAAAAAAABBBBBBBBBB"]


@pytest.mark.parametrize("client", [aiohttp, asiofetch])
async def test_aiohttp_streamer_body(server: Any, client: Any, tmp_path: Path) -> None:
    # aiohttp's test_POST_STREAM_DATA: a deprecated @aiohttp.streamer coroutine as data=.
    base, seen = server
    path = tmp_path / "f.bin"
    path.write_bytes(b"streamed " * 1000)
    with pytest.warns(DeprecationWarning):

        @aiohttp.streamer
        async def stream(writer: Any, p: Path) -> None:
            with p.open("rb") as f:
                while data := f.read(100):
                    await writer.write(data)

    size = str(path.stat().st_size)
    async with client.ClientSession() as s:
        resp = await s.post(base + "/echo", data=stream(path), headers={"Content-Length": size})
        assert resp.status == 200
    assert [(x["len"], x["te"], x["body"]) for x in seen] == [(size, None, path.read_bytes())]


@pytest.mark.parametrize("client", [aiohttp, asiofetch])
async def test_a_failed_request_closes_its_payload(server: Any, client: Any) -> None:
    # aiohttp's test_too_many_redirects_closes_payload.
    base, _ = server
    closed: list[bool] = []

    class Recording(client.payload.BytesPayload if client is aiohttp else asiofetch.BytesPayload):  # type: ignore[misc]
        async def close(self) -> None:
            closed.append(True)
            await super().close()

    async with client.ClientSession() as s:
        with pytest.raises(client.TooManyRedirects):
            await s.post(base + "/redirect/307", data=Recording(b"body"), max_redirects=1)
    # aiohttp closes it when it follows the 307 and again when it gives up; once is the point.
    assert closed == ([True, True] if client is aiohttp else [True])


@pytest.mark.parametrize("client", [aiohttp, asiofetch])
async def test_a_file_body_is_not_an_attachment(client: Any, tmp_path: Path) -> None:
    # aiohttp's test_POST_FILES_SINGLE: data=open(file) sends the bytes with a Content-Type
    # guessed from the name and no Content-Disposition (that is for multipart parts).
    from wire_server import wire_server

    path = tmp_path / "notes.txt"
    path.write_bytes(b"plain text\n")
    async with wire_server() as (url, seen), client.ClientSession() as s:
        with path.open("rb") as f:
            await s.post(url, data=f)
    (req,) = seen
    assert "content-disposition" not in req["headers"]
    assert req["headers"]["content-type"] == "text/plain"
    assert req["body"] == b"plain text\n"
