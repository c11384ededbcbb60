"""Retries of streamed request bodies: a replayable one (seekable file, BytesIO, multipart of
those) is fed again from its start; a one-shot one (async generator) under a retry policy
that would apply is refused at the call, never retried or skipped silently (aiohttp.web as
the server, on both loops)."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

import asiofetch

BIG = 3 * 1024 * 1024 + 17  # above the 1 MiB inline limit: streamed, not bytes


class Flaky:
    """Answers 503 to the first `fails` requests (after reading `read_first` bytes, or all of
    the body when None), then 200 with the body's length and digest."""

    def __init__(self) -> None:
        self.fails = 0
        self.read_first: int | None = None
        self.seen: list[tuple[str, int, str]] = []  # (method, bytes read, sha256)

    async def handle(self, req: web.Request) -> web.Response:
        if req.path.startswith("/to/"):
            body = await req.read()
            self.seen.append((req.method, len(body), hashlib.sha256(body).hexdigest()))
            return web.Response(status=int(req.path[4:]), headers={"Location": "/up"})
        if self.fails > 0:
            self.fails -= 1
            if self.read_first is None:
                body = await req.read()
            else:
                body = await req.content.readexactly(self.read_first)
            self.seen.append((req.method, len(body), hashlib.sha256(body).hexdigest()))
            return web.Response(status=503, headers={"Connection": "close"})
        body = await req.read()
        digest = hashlib.sha256(body).hexdigest()
        self.seen.append((req.method, len(body), digest))
        return web.json_response({"n": len(body), "sha": digest})


@pytest.fixture
async def flaky() -> AsyncIterator[tuple[str, Flaky]]:
    f = Flaky()
    app = web.Application(client_max_size=1 << 30)
    app.router.add_route("*", "/up", f.handle)
    app.router.add_route("*", "/to/{code}", f.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/up", f
    finally:
        await runner.cleanup()


def payload(n: int = BIG) -> bytes:
    return bytes(i * 7 % 251 for i in range(256)) * (n // 256) + b"z" * (n % 256)


def retrying_session() -> asiofetch.ClientSession:
    return asiofetch.ClientSession(retry=asiofetch.Retry(attempts=3, backoff=0.01, jitter=0))


async def gen(n: int) -> AsyncIterator[bytes]:
    for _ in range(n):
        yield b"x" * 1000
        await asyncio.sleep(0)


async def test_session_retry_resends_a_large_file_from_its_start(
    flaky: tuple[str, Flaky], tmp_path: Path
) -> None:
    url, f = flaky
    data = payload()
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    f.fails = 2
    async with retrying_session() as s:
        with path.open("rb") as fh:
            resp = await s.put(url, data=fh)
            body = await resp.json()
    sha = hashlib.sha256(data).hexdigest()
    assert resp.status == 200
    assert body == {"n": len(data), "sha": sha}
    assert f.seen == [("PUT", len(data), sha)] * 3


async def test_a_file_opened_mid_way_is_resent_from_where_it_was(
    flaky: tuple[str, Flaky], tmp_path: Path
) -> None:
    url, f = flaky
    data = payload()
    path = tmp_path / "big.bin"
    path.write_bytes(b"HEADER" + data)
    f.fails = 1
    async with retrying_session() as s:
        with path.open("rb") as fh:
            fh.seek(6)  # aiohttp sends a file from its position at the call
            resp = await s.put(url, data=fh)
    sha = hashlib.sha256(data).hexdigest()
    assert resp.status == 200
    assert f.seen == [("PUT", len(data), sha)] * 2


async def test_a_retry_mid_body_drops_what_was_queued_and_starts_over(
    flaky: tuple[str, Flaky],
) -> None:
    # The server answers 503 after 64 KiB, while the feeder is still pushing: the retry
    # must carry the whole body once, not the first pass's leftovers.
    url, f = flaky
    data = payload()
    f.fails = 1
    f.read_first = 64 * 1024
    async with retrying_session() as s:
        resp = await s.put(url, data=io.BytesIO(data))
        body = await resp.json()
    assert resp.status == 200
    assert body == {"n": len(data), "sha": hashlib.sha256(data).hexdigest()}
    assert [n for _, n, _ in f.seen] == [64 * 1024, len(data)]


async def test_a_multipart_form_of_files_is_replayed(
    flaky: tuple[str, Flaky], tmp_path: Path
) -> None:
    url, f = flaky
    path = tmp_path / "big.bin"
    path.write_bytes(payload())
    f.fails = 1
    async with retrying_session() as s:
        with path.open("rb") as fh:
            form = asiofetch.FormData()
            form.add_field("name", "v")
            form.add_field("file", fh, filename="big.bin")
            resp = await s.put(url, data=form)
    assert resp.status == 200
    assert len(f.seen) == 2
    assert f.seen[0][1:] == f.seen[1][1:]  # the same multipart bytes both times
    assert f.seen[0][1] > BIG


async def test_an_explicit_retry_replays_a_seekable_stream(flaky: tuple[str, Flaky]) -> None:
    url, f = flaky
    data = payload()
    f.fails = 1
    async with asiofetch.ClientSession() as s:
        resp = await s.put(
            url, data=io.BytesIO(data), retry=asiofetch.Retry(attempts=2, backoff=0.01, jitter=0)
        )
    assert resp.status == 200
    assert len(f.seen) == 2


async def test_session_retry_with_a_one_shot_stream_is_refused_at_the_call(
    flaky: tuple[str, Flaky],
) -> None:
    url, f = flaky
    async with retrying_session() as s:
        g = gen(5)
        with pytest.raises(ValueError, match=r"retry=None") as info:
            await s.put(url, data=g)
        assert "session's retry policy" in str(info.value)
        await g.aclose()
    assert f.seen == []  # refused before anything was sent


async def test_retry_none_opts_a_one_shot_stream_out(flaky: tuple[str, Flaky]) -> None:
    url, f = flaky
    async with retrying_session() as s:
        resp = await s.put(url, data=gen(5), retry=None)
        assert resp.status == 200
    assert f.seen == [("PUT", 5000, hashlib.sha256(b"x" * 5000).hexdigest())]


async def test_a_method_the_policy_does_not_retry_is_not_refused(
    flaky: tuple[str, Flaky],
) -> None:
    # POST is not in the default policy's methods: the policy would never re-send it.
    url, f = flaky
    f.fails = 1
    async with retrying_session() as s:
        resp = await s.post(url, data=gen(3))
    assert resp.status == 503
    assert len(f.seen) == 1


async def test_an_explicit_retry_with_a_one_shot_stream_is_refused(
    flaky: tuple[str, Flaky],
) -> None:
    url, _ = flaky
    async with asiofetch.ClientSession() as s:
        g = gen(1)
        with pytest.raises(ValueError, match="retry= cannot be used"):
            await s.put(url, data=g, retry=asiofetch.Retry(attempts=2))
        await g.aclose()


async def test_a_session_hedge_with_a_streamed_get_is_refused(flaky: tuple[str, Flaky]) -> None:
    url, f = flaky
    async with asiofetch.ClientSession(hedge=asiofetch.Hedge(after=0.05)) as s:
        with pytest.raises(ValueError, match="hedge=None"):
            await s.get(url, data=io.BytesIO(payload()))
        resp = await s.get(url, data=io.BytesIO(payload()), hedge=None)
        assert resp.status == 200
        # a POST is never hedged: nothing to refuse
        resp = await s.post(url, data=io.BytesIO(payload()))
        assert resp.status == 200
    assert len(f.seen) == 2


@pytest.mark.parametrize("code", [307, 308])
async def test_a_redirect_keeping_the_body_re_reads_a_seekable_file(
    flaky: tuple[str, Flaky], tmp_path: Path, code: int
) -> None:
    # aiohttp follows 307/308 with a seekable file (it re-reads it from its start position).
    url, f = flaky
    data = payload()
    path = tmp_path / "big.bin"
    path.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    async with asiofetch.ClientSession() as s:
        with path.open("rb") as fh:
            resp = await s.post(url.replace("/up", f"/to/{code}"), data=fh)
            assert await resp.json() == {"n": len(data), "sha": sha}
    assert [h.status for h in resp.history] == [code]
    assert f.seen == [("POST", len(data), sha)] * 2


async def test_a_fallback_url_gets_a_seekable_stream_again(flaky: tuple[str, Flaky]) -> None:
    url, f = flaky
    data = payload()
    f.fails = 1  # the first URL answers 503 (after reading the body), the fallback 200
    async with asiofetch.ClientSession() as s:
        resp = await s.put(url, data=io.BytesIO(data), fallback=[url + "?second"])
        assert resp.status == 200
    sha = hashlib.sha256(data).hexdigest()
    assert f.seen == [("PUT", len(data), sha)] * 2


async def test_a_fallback_with_a_one_shot_stream_is_refused(flaky: tuple[str, Flaky]) -> None:
    url, f = flaky
    async with asiofetch.ClientSession() as s:
        g = gen(1)
        with pytest.raises(ValueError, match="fallback= cannot be used here"):
            await s.put(url, data=g, fallback=[url])
        await g.aclose()
    assert f.seen == []


async def test_aiohttp_payload_objects_are_replayable_as_aiohttp_replays_them(
    tmp_path: Path,
) -> None:
    # aiohttp's payloads carry no `reusable`: their write() starts over (a file payload seeks
    # back to where the file stood), except the async-iterable ones, which consume a source.
    import os

    from aiohttp import payload as aio_payload

    from asiofetch._upload import replayable

    async def gen() -> AsyncIterator[bytes]:
        yield b"x"

    path = tmp_path / "f.bin"
    path.write_bytes(b"data")
    read_end, write_end = os.pipe()
    os.close(write_end)
    with path.open("rb") as f, os.fdopen(read_end, "rb") as pipe:
        assert replayable(aio_payload.BytesPayload(b"x"))
        assert replayable(aio_payload.StringPayload("x"))
        assert replayable(aio_payload.BytesIOPayload(io.BytesIO(b"x")))
        assert replayable(aio_payload.BufferedReaderPayload(f))
        assert not replayable(aio_payload.BufferedReaderPayload(pipe))
        assert not replayable(aio_payload.AsyncIterablePayload(gen()))
    assert replayable(asiofetch.BytesPayload(b"x"))
    assert not replayable(asiofetch.AsyncIterablePayload(gen()))
