"""Mirror of tests_cpp/unit/test_jsonl_row.cpp through `_core.RowEncoder`: the bulk-fetch job's
natively built rows are, byte for byte, what orjson writes for make_row's dict of the same
response (real responses from the fixture server), and the rows only Python can write the
same way are left to it."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes

import orjson  # the `cli` extra: the format the native rows must match
import pytest

import asiofetch
from asiofetch import _core
from asiofetch.cli.inputs import Item
from asiofetch.cli.outputs import COLUMNS, BodyPolicy, _dumps, make_row
from asiofetch.cli.progress import Stats


def raw_url(base: str, head: bytes, fill: int = 0) -> str:
    return f"{base}/raw?head={quote_from_bytes(head, safe='')}&fill={fill}&tail=&byte_delay_ms=0"


async def fetch_entries(urls: list[str], **kw: Any) -> list[tuple[Item, Any, Any]]:
    """(Item, raw value, the value as as_completed gives it) per URL, in input order."""
    items = [Item(n, f'k"é\n{n}', u, u) for n, u in enumerate(urls, 1)]
    out: list[tuple[Item, Any, Any]] = []
    async with asiofetch.ClientSession(cookie_jar=asiofetch.DummyCookieJar()) as s:
        stream = s._completed_chunks(urls, concurrency=8, **kw)
        assert stream.raw_is_final
        try:
            async for chunk in stream:
                stream.release(len(chunk))
                for pos, _key, value, sent in chunk:
                    out.append((items[pos], value, stream.wrap(value, sent)))
        finally:
            await stream.aclose()
    out.sort(key=lambda e: e[0].line)
    return out


async def python_row(item: Item, wrapped: Any, bodies: BodyPolicy) -> dict[str, Any]:
    if isinstance(wrapped, BaseException):
        done = asiofetch.Completed(item.line - 1, item.key, None, wrapped)
        return make_row(item, done, b"", bodies)
    done = asiofetch.Completed(item.line - 1, item.key, wrapped, None)
    return make_row(item, done, await wrapped.read(), bodies)


def encode(enc: _core.RowEncoder, entries: list[tuple[Item, Any, Any]]) -> list[bytes | None]:
    return enc.encode(
        [
            (it.key, it.line, "GET", it.url, raw) if isinstance(raw, _core.RawResponse) else None
            for it, raw, _ in entries
        ]
    )


async def test_rows_are_the_bytes_orjson_writes(base_url: str) -> None:
    redirected = f"{base_url}/redirect/2"
    head = b"HTTP/1.1 200 OK\r\nX-Bytes: \xff\r\nContent-Length: 2\r\n\r\n"
    bad_header = raw_url(base_url, head, 2)
    urls = [
        *(f"{base_url}/bytes/{n}" for n in (0, 1, 100, 65536, 70000)),
        f"{base_url}/text",  # UTF-8 text
        f"{base_url}/text?charset=latin-1",  # not UTF-8: base64
        f"{base_url}/json",
        f"{base_url}/echo?q=%22quoted%22",  # quotes and backslashes in the body
        f"{base_url}/headers-dup",  # a repeated header: joined
        f"{base_url}/status/404",
        f"{base_url}/gzip",
        redirected,
        bad_header,
        f"{base_url}/close-before-response",  # an error: Python's row
    ]
    entries = await fetch_entries(urls)
    bodies = BodyPolicy(65536, None)
    enc = _core.RowEncoder(list(COLUMNS), 65536, False)
    encoded = encode(enc, entries)
    left_to_python = set()
    for (item, _raw, wrapped), native in zip(entries, encoded, strict=True):
        expected = _dumps(await python_row(item, wrapped, bodies))
        if native is None:
            left_to_python.add(item.url)
        else:
            assert native == expected, item.url
    assert left_to_python == {redirected, bad_header, f"{base_url}/close-before-response"}
    assert orjson.loads(encoded[5])["body"] == "héllo wörld"
    assert orjson.loads(encoded[6])["body_encoding"] == "base64"
    assert orjson.loads(encoded[3])["body_encoding"] == "utf-8"  # exactly inline_max: inline
    assert orjson.loads(encoded[4])["body"] is None  # over it: left out
    assert orjson.loads(encoded[9])["headers"]["x-dup"] == "a, b"


async def test_selected_columns_small_inline_max_and_bodies_dir(
    base_url: str, tmp_path: Path
) -> None:
    urls = [f"{base_url}/bytes/{n}" for n in (0, 8, 9, 500)]
    entries = await fetch_entries(urls)
    fields = ["key", "status", "bytes", "elapsed", "error_type", "body"]
    enc = _core.RowEncoder(fields, 8, False)
    for (item, _raw, wrapped), native in zip(entries, encode(enc, entries), strict=True):
        row = await python_row(item, wrapped, BodyPolicy(8, None))
        assert native == _dumps({k: row[k] for k in fields})
    # With a bodies directory, rows whose body goes to a file are Python's (it writes the file).
    spill = _core.RowEncoder(list(COLUMNS), 8, True)
    assert [n is None for n in encode(spill, entries)] == [False, False, True, True]


async def test_redirect_settings_reach_the_rows(base_url: str) -> None:
    entries = await fetch_entries([f"{base_url}/redirect/1"], allow_redirects=False)
    enc = _core.RowEncoder(list(COLUMNS), 65536, False)
    (native,) = encode(enc, entries)
    assert native is not None  # not followed: no history, the 302 is the row
    row = orjson.loads(native)
    assert row["status"] == 302 and row["final_url"] == f"{base_url}/redirect/1"
    (over,) = await fetch_entries([f"{base_url}/redirect/2"], max_redirects=2)
    assert isinstance(over[2], asiofetch.TooManyRedirects)


async def test_stats_match_the_python_summary(base_url: str) -> None:
    urls = [f"{base_url}/bytes/{n}" for n in range(0, 300, 7)] + [f"{base_url}/status/503"]
    entries = await fetch_entries(urls)
    enc = _core.RowEncoder(list(COLUMNS), 65536, False)
    assert all(n is not None for n in encode(enc, entries))
    python = Stats()
    for item, _raw, wrapped in entries:
        python.add(await python_row(item, wrapped, BodyPolicy(65536, None)))
    rows, nbytes, by_class, latency = enc.take_stats()
    assert (rows, nbytes, by_class, latency) == (
        python.rows,
        python.bytes,
        dict(python.by_class),
        dict(python.histogram()),
    )
    assert enc.take_stats() == (0, 0, {}, {})  # taken: reset


def test_bad_arguments_are_refused_at_the_call() -> None:
    with pytest.raises(ValueError, match="columns must not be empty"):
        _core.RowEncoder([], 10, False)
    with pytest.raises(ValueError, match="unknown column nope"):
        _core.RowEncoder(["key", "nope"], 10, False)
    with pytest.raises(ValueError, match="inline_max must be >= 0"):
        _core.RowEncoder(["key"], -1, False)
    enc = _core.RowEncoder(["key"], 10, False)
    with pytest.raises(TypeError, match="rows are"):
        enc.encode([("k", 1, "GET")])
    with pytest.raises(TypeError, match="must be a RawResponse"):
        enc.encode([("k", 1, "GET", "u", object())])
    with pytest.raises(TypeError, match="must be str"):
        enc.encode([(1, 1, "GET", "u", object())])
    assert enc.encode([None]) == [None]
