"""Result rows and their writers (JSONL, Parquet) for `asiofetch fetch`, and the resume scan.

Rows are written whole: a writer collects encoded rows and writes them in one call per batch,
then flushes, so an interrupted job leaves only complete lines behind. A crash in the middle
of a write (SIGKILL, power loss) can still leave a partial last line; `scan_jsonl` finds it and
cuts the file back to the last complete row before a resumed job appends.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from .. import ClientResponse, Completed, _core
from .inputs import Item, key_text

COLUMNS = (
    "key",
    "line",
    "method",
    "url",
    "final_url",
    "status",
    "reason",
    "http_version",
    "headers",
    "bytes",
    "elapsed",
    "timings",
    "attempts",
    "error_type",
    "error_message",
    "body",
    "body_encoding",
    "body_path",
)


class BodyPolicy:
    """Bodies up to `inline_max` bytes go in the row; longer ones to `bodies_dir`, else dropped."""

    def __init__(self, inline_max: int, bodies_dir: Path | None) -> None:
        self.inline_max = inline_max
        self.bodies_dir = bodies_dir
        if bodies_dir is not None:
            bodies_dir.mkdir(parents=True, exist_ok=True)

    def place(self, key: str, body: bytes, row: dict[str, Any]) -> None:
        if len(body) <= self.inline_max:
            if not body:
                return
            try:
                row["body"] = body.decode("utf-8")
                row["body_encoding"] = "utf-8"
            except UnicodeDecodeError:
                row["body"] = base64.b64encode(body).decode("ascii")
                row["body_encoding"] = "base64"
        elif self.bodies_dir is not None:
            name = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:32]
            path = self.bodies_dir / name[:2] / name
            path.parent.mkdir(exist_ok=True)
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(body)
            os.replace(tmp, path)  # a body file is complete or absent
            row["body_path"] = str(path)


def make_row(
    item: Item, done: Completed, body: bytes, bodies: BodyPolicy, headers: bool = True
) -> dict[str, Any]:
    """The row of one finished request; `body` is the response's (already read) body.

    `headers=False` leaves the response headers out (a third of the row's cost).
    """
    req = item.request
    resp = done.response
    if resp is None:
        exc = done.exception
        return {
            "key": item.key, "line": item.line,
            "method": "GET" if isinstance(req, str) else req.method,
            "url": item.url, "final_url": None, "status": None, "reason": None,
            "http_version": None, "headers": None, "bytes": 0, "elapsed": None, "timings": None,
            "attempts": getattr(exc, "attempts", None), "error_type": type(exc).__name__,
            "error_message": str(exc), "body": None, "body_encoding": None, "body_path": None,
        }  # fmt: skip
    version = resp.version
    timings = resp.timings
    row = {
        "key": item.key, "line": item.line,
        "method": "GET" if isinstance(req, str) else req.method,
        "url": item.url,
        # The URL as requested unless redirected (resp.url costs a yarl parse per row).
        "final_url": str(resp.url) if resp.history else item.url,
        "status": resp.status, "reason": resp.reason,
        "http_version": f"{version.major}.{version.minor}",
        "headers": _headers(resp) if headers else None,
        "bytes": len(body), "elapsed": timings.get("total"), "timings": timings,
        "attempts": resp.attempts, "error_type": None, "error_message": None,
        "body": None, "body_encoding": None, "body_path": None,
    }  # fmt: skip
    if body:
        bodies.place(item.key, body, row)
    return row


def _headers(resp: ClientResponse) -> dict[str, str]:
    pairs = resp.headers
    headers = {name.lower(): value for name, value in pairs.items()}
    if len(headers) != len(pairs):  # a repeated header: its values joined, as HTTP allows
        headers = {}
        for name, value in pairs.items():
            low = name.lower()
            headers[low] = f"{headers[low]}, {value}" if low in headers else value
    return headers


_json_encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _dumps_json(row: dict[str, Any]) -> bytes:
    # surrogateescape: input bytes that were not UTF-8 go back out as they came in
    return _json_encode(row).encode("utf-8", "surrogateescape") + b"\n"


try:  # orjson (the `cli` extra) encodes a row in a tenth of the time
    import orjson

    def _dumps(row: dict[str, Any]) -> bytes:
        try:
            return orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)
        except TypeError:  # a lone surrogate (undecodable input): json can write it
            return _dumps_json(row)

except ImportError:  # pragma: no cover - without the extra
    _dumps = _dumps_json


class Writer(Protocol):
    def add(self, row: dict[str, Any]) -> None: ...
    def flush(self) -> None: ...
    def close(self) -> None: ...
    @property
    def pending(self) -> int: ...


class JsonlWriter:
    """Appends rows; `flush()` writes the pending ones in one write and flushes the file."""

    def __init__(self, path: str, append: bool, fields: tuple[str, ...] | None = None) -> None:
        self._fields = fields
        self._stdout = path == "-"
        self._f: Any = (
            os.fdopen(os.dup(1), "wb", buffering=0)
            if self._stdout
            else open(path, "ab" if append else "wb", buffering=0)  # noqa: SIM115
        )
        self._rows: list[bytes] = []
        self._dumps: Callable[[Any], bytes] = _dumps

    @property
    def pending(self) -> int:
        return len(self._rows)

    def add(self, row: dict[str, Any]) -> None:
        if self._fields is not None:
            row = {k: row[k] for k in self._fields}
        self._rows.append(self._dumps(row))

    def add_encoded(self, row: bytes) -> None:
        """A row already encoded (by the RowEncoder from `row_encoder`), newline included."""
        self._rows.append(row)

    def row_encoder(self, bodies: BodyPolicy) -> _core.RowEncoder | None:
        """A native encoder of this file's rows, or None when this writer's rows are not
        orjson's bytes (orjson missing: the json module writes floats another way)."""
        if self._dumps is not _dumps or _dumps is _dumps_json:
            return None
        return _core.RowEncoder(
            list(self._fields or COLUMNS), bodies.inline_max, bodies.bodies_dir is not None
        )

    def flush(self) -> None:
        if not self._rows:
            return
        data = memoryview(b"".join(self._rows))
        self._rows.clear()
        while data:  # an unbuffered file may take a partial write; finish it before returning
            n = self._f.write(data)
            data = data[n:]

    def close(self) -> None:
        self.flush()
        if not self._stdout:
            os.fsync(self._f.fileno())
        self._f.close()


class ParquetWriter:
    """One row group per flush; the footer is written on close (so close on every exit path)."""

    def __init__(self, path: str, fields: tuple[str, ...] | None = None) -> None:
        import pyarrow as pa  # type: ignore[import-untyped]
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        self._pa = pa
        self.schema = pa.schema(
            [
                ("key", pa.string()),
                ("line", pa.int64()),
                ("method", pa.string()),
                ("url", pa.string()),
                ("final_url", pa.string()),
                ("status", pa.int32()),
                ("reason", pa.string()),
                ("http_version", pa.string()),
                ("headers", pa.map_(pa.string(), pa.string())),
                ("bytes", pa.int64()),
                ("elapsed", pa.float64()),
                ("timings", pa.map_(pa.string(), pa.float64())),
                ("attempts", pa.int32()),
                ("error_type", pa.string()),
                ("error_message", pa.string()),
                ("body", pa.string()),
                ("body_encoding", pa.string()),
                ("body_path", pa.string()),
            ]
        )
        if fields is not None:
            self.schema = pa.schema([self.schema.field(f) for f in fields])
        self._fields = fields
        self._w = pq.ParquetWriter(path, self.schema)
        self._rows: list[dict[str, Any]] = []

    @property
    def pending(self) -> int:
        return len(self._rows)

    def add(self, row: dict[str, Any]) -> None:
        row = dict(row) if self._fields is None else {k: row[k] for k in self._fields}
        for m in ("headers", "timings"):
            if row.get(m) is not None:
                row[m] = list(row[m].items())
        self._rows.append(row)

    def flush(self) -> None:
        if self._rows:
            table = self._pa.Table.from_pylist(self._rows, schema=self.schema)
            self._rows.clear()
            self._w.write_table(table)

    def close(self) -> None:
        self.flush()
        self._w.close()


def scan_jsonl(path: str, keep: Callable[[str], None]) -> tuple[int, bool]:
    """Feeds every complete row's key to `keep`; cuts a partial or corrupt tail off the file.

    Returns (rows, truncated). Only the last line may be bad (rows are written whole, in
    order); a bad line before the last means the file is not ours and is an error.
    """
    rows = 0
    good_end = 0
    bad_at: int | None = None
    with open(path, "rb") as f:
        offset = 0
        for raw in f:
            end = offset + len(raw)
            ok = raw.endswith(b"\n")
            key = None
            if ok:
                try:
                    obj = json.loads(raw)
                    key = obj["key"] if isinstance(obj, dict) else None
                except (ValueError, KeyError):
                    ok = False
            if not ok or key is None:
                if bad_at is not None:
                    raise ValueError(f"{path}: line {bad_at} is not a result row")
                bad_at = rows + 1
            else:
                if bad_at is not None:
                    raise ValueError(f"{path}: line {bad_at} is not a result row")
                keep(key_text(key))
                rows += 1
                good_end = end
            offset = end
    truncated = bad_at is not None
    if truncated:
        with open(path, "r+b") as f:
            f.truncate(good_end)
            f.flush()
            os.fsync(f.fileno())
    return rows, truncated
