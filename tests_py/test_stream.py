"""Mirror of tests_cpp/test_stream.cpp: `async with session.get(...)` hands over the head first,
then the body through the engine's bounded buffer with backpressure."""

from __future__ import annotations

import asyncio

import pytest

import asiofetch
from asiofetch import _core
from conftest import eventually

# The engine's default stream high-water mark (Options.stream_high_water; the session has no
# knob for it) plus one libcurl write, the C++ case's bound: the engine pauses the transfer
# once the buffer is full, so it never holds more than the mark plus the write that filled it.
HIGH_WATER = 256 * 1024
BOUND = HIGH_WATER + 256 * 1024


def engine_idle() -> bool:
    return _core.engine_stats()["in_flight"] == 0


async def test_stream_delivers_head_then_body(base_url: str) -> None:
    # 5 chunks 200 ms apart: the body takes >= 800 ms, the head comes at once.
    async with (
        asiofetch.ClientSession() as s,
        s.get(f"{base_url}/drip?chunks=5&size=100&delay_ms=200") as r,
    ):
        assert r.status == 200
        # The head is here while the body is not: at most the first chunks are buffered.
        first = r.content.read_nowait()
        assert len(first) < 500
        rest = await r.content.read()
        assert len(first) + len(rest) == 500
        assert r.content.exception() is None
    assert await eventually(engine_idle)


async def test_stream_head_has_phase_timings_and_total_comes_with_the_end(base_url: str) -> None:
    # The head goes out 500 ms before the body ends (a margin for a loaded machine): it
    # carries every phase up to the first byte; `total` is 0 until the body has ended, like
    # httpx's `elapsed`, set on close.
    async with (
        asiofetch.ClientSession() as s,
        s.get(f"{base_url}/drip?chunks=3&size=10&delay_ms=250") as r,
    ):
        head = r.timings
        assert head["first_byte"] >= head["connect"] > 0.0
        assert head["total"] == 0.0
        assert len(await r.read()) == 30
        end = r.timings
    assert {k: end[k] for k in ("dns", "connect", "tls", "first_byte")} == {
        k: head[k] for k in ("dns", "connect", "tls", "first_byte")
    }
    assert end["total"] >= head["first_byte"] + 0.45


async def test_stream_backpressure_bounds_buffer(base_url: str) -> None:
    size = 8 * 1024 * 1024
    async with (
        asiofetch.ClientSession() as s,
        s.get(f"{base_url}/bytes/{size}") as r,
    ):
        # Nobody reads: the engine must stop at the high-water mark, not buffer 8 MiB.
        await asyncio.sleep(0.2)
        first = r.content.read_nowait()  # everything buffered right now
        assert len(first) <= BOUND, "buffer grew past high water plus one libcurl chunk"
        # Each readany() takes all that is buffered at that moment: its size is the peak.
        total, peak = len(first), len(first)
        async for chunk in r.content.iter_any():
            total += len(chunk)
            peak = max(peak, len(chunk))
        assert total == size
        assert peak <= BOUND


async def test_stream_abort_stops_transfer(base_url: str) -> None:
    connector = asiofetch.TCPConnector()
    # 1000 chunks 20 ms apart: 20 s of body unless the abort really stops the transfer.
    async with (
        asiofetch.ClientSession(connector=connector) as s,
        s.get(f"{base_url}/drip?chunks=1000&size=100&delay_ms=20") as r,
    ):
        assert connector.stats()["in_flight"] == 1
        r.release()
        assert await eventually(lambda: connector.stats()["in_flight"] == 0)
        # aiohttp's answer for reading a released body; an abort is not a payload error.
        with pytest.raises(asiofetch.ClientConnectionError):
            await r.content.read()
        assert not isinstance(r.content.exception(), asiofetch.ClientPayloadError)
    assert await eventually(engine_idle)


async def test_stream_error_after_head_reaches_reader(base_url: str) -> None:
    async with (
        asiofetch.ClientSession() as s,
        s.get(f"{base_url}/close-mid-body?size=100000") as r,
    ):
        assert r.status == 200  # the failure comes after the head, so the head is delivered
        with pytest.raises(asiofetch.ClientPayloadError):
            await r.content.read()


async def test_stream_head_request_ends_at_once(base_url: str) -> None:
    async with (
        asiofetch.ClientSession() as s,
        s.head(f"{base_url}/bytes/100") as r,
    ):
        assert r.status == 200
        assert await r.content.read() == b""
        assert r.content.at_eof()
