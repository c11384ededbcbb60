"""Lazy input readers for `asiofetch fetch`: URL lines, JSONL request rows or a CSV column.

A reader is a generator over an open text stream: it never holds more than the line at hand,
so the job's memory does not grow with the input. Bad lines are reported (with their line
number) through a callback and skipped; they never end the job.
"""

from __future__ import annotations

import csv
import io
import ipaddress
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .. import RequestSpec

_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass
class Item:
    """One input row: what to send, its identity (key) and where it came from."""

    line: int
    key: str
    url: str
    request: str | RequestSpec  # a bare URL str takes the engine's fast path


@dataclass
class InputCounts:
    """What the reader met besides requests (the progress bar counts these as done too)."""

    read: int = 0  # rows yielded as requests
    skipped: int = 0  # keys the output already holds (--resume)
    bad: int = 0
    blank: int = 0
    bad_lines: list[tuple[int, str]] = field(default_factory=list)  # first few, for the summary


class BadLine(ValueError):
    pass


# What libcurl's URL parser accepts for http(s), checked here because one URL the engine
# refuses fails a whole native batch (as_completed raises it), not just its own row: no
# whitespace or control characters, a host without curl's forbidden characters (or an IPv6
# literal), a decimal port up to 65535.
_URL = re.compile(
    r"(?i:https?)://"
    r"(?:[^/?#@]*@)?"
    r"(?P<host>\[[0-9A-Fa-f:.]+(?:%25[\w.~-]+)?\]|[^/?#@:\[\]\\%{}<>^`'\"*=;,+&()!$|]+)"
    r"(?::(?P<port>[0-9]{0,5}))?"
    r"(?:[/?#]|$)"
)
_BAD_CHARS = re.compile(r"[\s\x00-\x1f\x7f]")
# The common case in one match (a plain host name or IPv4, printable ASCII after it), a subset
# of what the checks below accept: the job reads millions of lines, and the full checks cost
# several times this.
_PLAIN_URL = re.compile(r"(?i:https?)://[A-Za-z0-9.-]+(?::([0-9]{1,5}))?(?:[/?#][!-~]*)?")


def check_url(url: Any) -> str:
    """An absolute http(s) URL the engine takes, else BadLine."""
    if not isinstance(url, str) or not url:
        raise BadLine("url must be a non-empty string")
    plain = _PLAIN_URL.fullmatch(url)
    if plain is not None and (plain.group(1) is None or int(plain.group(1)) <= 65535):
        return url
    if _BAD_CHARS.search(url):
        raise BadLine(f"url contains whitespace or control characters: {url!r}")
    m = _URL.match(url)
    if m is None:
        if not url.lower().startswith(("http://", "https://")):
            raise BadLine(f"not an http(s) url: {url!r}")
        raise BadLine(f"url has no valid host: {url!r}")
    host = m.group("host")
    if host.startswith("["):
        try:
            ipaddress.IPv6Address(host[1:-1].split("%25", 1)[0])
        except ValueError:
            raise BadLine(f"url has an invalid IPv6 address: {url!r}") from None
    port = m.group("port")
    if port and int(port) > 65535:
        raise BadLine(f"url port out of range: {url!r}")
    return url


def key_text(key: Any) -> str:
    """A row's identity as text: strings as they are, anything else as its JSON."""
    return key if isinstance(key, str) else json.dumps(key, sort_keys=True)


def _from_json(obj: Any) -> tuple[str, str | RequestSpec, str]:
    if not isinstance(obj, dict):
        raise BadLine("a JSON row must be an object")
    unknown = set(obj) - {"url", "method", "headers", "body", "json", "key"}
    if unknown:
        raise BadLine(f"unknown field(s) {sorted(unknown)}")
    url = check_url(obj.get("url"))
    method = obj.get("method", "GET")
    if not isinstance(method, str) or method.upper() not in _METHODS:
        raise BadLine(f"method must be one of {sorted(_METHODS)}, got {method!r}")
    headers = obj.get("headers")
    if headers is not None and not (
        isinstance(headers, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
    ):
        raise BadLine("headers must be an object of string values")
    body = obj.get("body")
    if body is not None and not isinstance(body, str):
        raise BadLine('body must be a string (use "json" for a JSON body)')
    if body is not None and "json" in obj:
        raise BadLine("give body or json, not both")
    key = key_text(obj["key"]) if obj.get("key") is not None else url
    if method.upper() == "GET" and not headers and body is None and "json" not in obj:
        return key, url, url
    spec = RequestSpec(
        method,
        url,
        headers=headers,
        data=body.encode() if body is not None else None,
        json=obj.get("json"),
        key=key,
    )
    return key, spec, url


def read_items(
    stream: io.TextIOBase | Any,
    *,
    csv_column: str | None,
    skip: Callable[[str], bool],
    counts: InputCounts,
    on_bad: Callable[[int, str], None],
) -> Iterator[Item]:
    """Items in input order. `skip(key)` drops rows the output already holds."""
    if csv_column is not None:
        yield from _read_csv(stream, csv_column, skip, counts, on_bad)
        return
    for lineno, raw in enumerate(stream, 1):
        text = raw.strip()
        if not text or text.startswith("#"):
            counts.blank += 1
            continue
        try:
            if text.startswith("{"):
                try:
                    obj = json.loads(text)
                except json.JSONDecodeError as e:
                    raise BadLine(f"invalid JSON: {e.msg} at column {e.colno}") from None
                key, request, url = _from_json(obj)
            else:
                url = check_url(text)
                key, request = url, url
        except BadLine as e:
            counts.bad += 1
            on_bad(lineno, str(e))
            continue
        if skip(key):
            counts.skipped += 1
            continue
        counts.read += 1
        yield Item(lineno, key, url, request)


def _read_csv(
    stream: Any,
    column: str,
    skip: Callable[[str], bool],
    counts: InputCounts,
    on_bad: Callable[[int, str], None],
) -> Iterator[Item]:
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as e:
        raise SystemExit(f"asiofetch fetch: error: CSV header: {e}") from None
    if column.isdigit() and column not in header:
        idx = int(column)
    elif column in header:
        idx = header.index(column)
    else:
        raise SystemExit(
            f"asiofetch fetch: error: --csv-column {column!r} is not in the header {header}"
        )
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            counts.bad += 1
            on_bad(reader.line_num, f"CSV: {e}")
            continue
        lineno = reader.line_num
        if not row or all(not c.strip() for c in row):
            counts.blank += 1
            continue
        try:
            if idx >= len(row):
                raise BadLine(f"row has {len(row)} columns, the url is column {idx}")
            url = check_url(row[idx].strip())
        except BadLine as e:
            counts.bad += 1
            on_bad(lineno, str(e))
            continue
        if skip(url):
            counts.skipped += 1
            continue
        counts.read += 1
        yield Item(lineno, url, url, url)


def count_lines(path: str) -> int | None:
    """Lines of a regular file, counted in 1 MiB blocks (nothing kept): the progress total."""
    try:
        n = 0
        last = b"\n"
        with open(path, "rb") as f:
            while block := f.read(1 << 20):
                n += block.count(b"\n")
                last = block[-1:]
        return n + (last != b"\n")
    except OSError:
        return None
