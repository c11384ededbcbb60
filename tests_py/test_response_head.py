"""The pure parts of a response head (`_response_head`): encoding, JSON content types,
Set-Cookie sources, as aiohttp's ClientResponse reports them. No I/O; the same behaviour
through real responses is in test_basic.py and the aiohttp compatibility suite."""

from __future__ import annotations

import pytest
from yarl import URL

from asiofetch._headers import content_disposition
from asiofetch._response_head import content_type_matches, encoding_of, set_cookie_sources


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("text/html; charset=UTF-8", "utf-8"),
        ("text/plain; charset=latin-1", "iso8859-1"),  # codecs' canonical name, as aiohttp
        ('text/plain; charset="cp1252"', "cp1252"),
        ("text/plain; charset=no-such-codec", "utf-8"),  # unknown: aiohttp's fallback
        ("application/json", "utf-8"),  # RFC 8259
        ("", "utf-8"),
    ],
)
def test_encoding_of(content_type: str, expected: str) -> None:
    assert encoding_of(content_type) == expected


@pytest.mark.parametrize(
    ("ctype", "expected", "matches"),
    [
        ("application/json", "application/json", True),
        ("application/json; charset=utf-8", "application/json", True),
        ("application/vnd.api+json", "application/json", True),
        ("application/problem+json", "application/json", True),
        ("text/json", "application/json", False),  # aiohttp's JSON_RE: application/ only
        ("application/jsonx", "application/json", True),  # a prefix match, as aiohttp's re
        ("text/plain", "application/json", False),
        ("text/x-json; charset=utf-8", "x-json", True),  # another type: a substring test
        ("text/plain", "x-json", False),
    ],
)
def test_content_type_matches(ctype: str, expected: str, matches: bool) -> None:
    assert content_type_matches(ctype, expected) is matches


def test_set_cookie_sources_name_the_url_of_each_hop() -> None:
    hops = [
        (302, "Found", "http://a.test/1", "GET", [("Set-Cookie", "a=1"), ("X", "y")]),
        (302, "Found", "http://b.test/2", "GET", [("Location", "/3")]),  # none: left out
        (301, "Moved", "http://c.test/3", "GET", [("set-cookie", "c=1"), ("SET-COOKIE", "d=2")]),
    ]
    final = [("Content-Type", "text/plain"), ("Set-Cookie", "e=5")]
    assert set_cookie_sources(hops, "http://d.test/4", final) == [
        (["a=1"], URL("http://a.test/1")),
        (["c=1", "d=2"], URL("http://c.test/3")),
        (["e=5"], URL("http://d.test/4")),
    ]
    assert set_cookie_sources([], "http://d.test/", [("X", "1")]) == []


def test_content_disposition_quotes_and_checks_tokens() -> None:
    assert content_disposition("form-data", name="f", filename="a b.txt") == (
        'form-data; name="f"; filename="a%20b.txt"'
    )
    assert content_disposition("attachment", quote_fields=False, filename='x"y') == (
        'attachment; filename="x\\"y"'
    )
    with pytest.raises(ValueError, match="bad content disposition type"):
        content_disposition("bad type")
    with pytest.raises(ValueError, match="bad content disposition parameter"):
        content_disposition("form-data", **{"na me": "v"})
