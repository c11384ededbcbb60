"""Route: what one mocked route matches and answers, and the calls it answered.

Its criteria and answers go to the router's native table; what the engine cannot decide
(json=, a form dict, match=, a regex only Python reads, a callable side effect) is decided
by `_decide` on the router's helper thread.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qsl

from yarl import URL

from .. import _core
from ._answers import Answer, MockResponse, exception_answer, to_native
from ._request import MockRequest

if TYPE_CHECKING:
    from ._router import MockRouter

__all__ = ("PATH_PARAM", "Route", "SideEffect")

_URL_ANY, _URL_EXACT, _URL_PREFIX, _URL_REGEX = 0, 1, 2, 3
PATH_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
# Python regex syntax the engine's ECMAScript regex reads differently or not at all: such a
# pattern (or one with flags) is checked by Python instead, never silently mis-matched.
_PY_ONLY_REGEX = re.compile(r"\(\?[^:=!]|\\[AZz]")

SideEffect = Answer | Iterable[Answer] | Callable[[MockRequest], Any]


def _pairs(
    what: str, v: Mapping[str, Any] | Iterable[tuple[str, Any]] | None
) -> list[tuple[str, str]]:
    if v is None:
        return []
    items = v.items() if isinstance(v, Mapping) else v
    out = []
    for k, x in items:
        if not isinstance(k, str):
            raise TypeError(f"{what} names must be str, got {k!r}")
        out.append((k, x if isinstance(x, str) else str(x)))
    return out


def _is_exception(x: object) -> bool:
    return isinstance(x, BaseException) or (isinstance(x, type) and issubclass(x, BaseException))


class Route:
    """One route: what it matches, what it answers, and the calls it answered.

    Made by `MockRouter.route()` / `.get()` / `.post()` ...; configure the answer with
    `respond()`, `mock(return_value=..., side_effect=...)`, or `pass_through()`.
    """

    def __init__(
        self,
        router: MockRouter,
        method: str | None,
        url: str | URL | re.Pattern[str] | None,
        *,
        prefix: str | None,
        params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None,
        params_exact: bool,
        headers: Mapping[str, str] | None,
        content: bytes | None,
        json: Any,
        data: Mapping[str, Any] | bytes | str | None,
        match: Callable[[MockRequest], bool] | None,
        name: str | None,
    ) -> None:
        if method is not None and (not isinstance(method, str) or not method):
            raise TypeError(f"method must be a non-empty str or None, got {method!r}")
        if url is not None and prefix is not None:
            raise TypeError("give url= or prefix=, not both")
        self._router = router
        self.method = method.upper() if method else None
        self.name = name
        self._url_mode = _URL_ANY
        self._url = ""
        self._py_regex: re.Pattern[str] | None = None  # path params, and Python-only regexes
        self._regex_in_python = False
        self._shown_url = ""  # the URL criterion as the caller wrote it (error messages)
        self._params = _pairs("params", params)
        self._params_exact = params_exact
        if isinstance(url, re.Pattern):
            self._url_mode, self._url, self._py_regex = _URL_REGEX, url.pattern, url
            self._shown_url = f"re:{url.pattern}"
            extra_flags = url.flags & ~re.UNICODE
            self._regex_in_python = bool(extra_flags) or bool(_PY_ONLY_REGEX.search(url.pattern))
        elif isinstance(url, (str, URL)):
            text = str(url)
            self._shown_url = text
            if PATH_PARAM.search(text):
                self._url_mode = _URL_REGEX
                self._url, py = _pattern_regexes(text)
                self._py_regex = re.compile(py)
            else:
                u = URL(text) if isinstance(url, str) else url
                if not u.absolute:
                    raise ValueError(f"a route URL must be absolute, got {text!r}")
                self._params = [*list(u.query.items()), *self._params]
                self._url_mode, self._url = _URL_EXACT, str(u.with_query(None).with_fragment(None))
        elif url is not None:
            raise TypeError(f"url must be str, yarl.URL or re.Pattern, got {type(url).__name__}")
        if prefix is not None:
            if not isinstance(prefix, str):
                raise TypeError(f"prefix must be str, got {type(prefix).__name__}")
            self._url_mode, self._url = _URL_PREFIX, prefix
        self._headers = _pairs("headers", headers)
        self._content: bytes | None = None
        self._form: list[tuple[str, str]] | None = None
        if content is not None:
            if not isinstance(content, (bytes, bytearray)):
                raise TypeError(f"content must be bytes, got {type(content).__name__}")
            self._content = bytes(content)
        if isinstance(data, (bytes, bytearray, str)):
            self._content = data.encode() if isinstance(data, str) else bytes(data)
        elif data is not None:
            self._form = sorted(_pairs("data", data))
        self._json = json
        self._has_json = json is not None
        self._match = match
        self._return_value: Answer | None = None
        self._side_effect: SideEffect | None = None
        self._passthrough = False
        self._index: int | None = None  # in the router's live table
        self._calls: list[tuple[str, str, list[tuple[str, str]], bytes]] = []

    # -- answers ----------------------------------------------------------------------------
    def respond(self, status: int = 200, **kwargs: Any) -> Route:
        """Answers every call with `MockResponse(status, **kwargs)`."""
        return self.mock(return_value=MockResponse(status, **kwargs))

    def mock(
        self, return_value: Answer | None = None, side_effect: SideEffect | None = None
    ) -> Route:
        """Sets the answer: `return_value` for every call, or `side_effect`: an exception, a
        sequence answered in order (then the route stops matching), or a callable given the
        `MockRequest` that returns an answer (None: the return_value)."""
        if return_value is not None:
            to_native(return_value)  # checked now, not at the first request
        self._return_value = return_value
        self._side_effect = side_effect
        self._passthrough = False
        self._sync()
        return self

    def pass_through(self) -> Route:
        """Sends this route's requests to the network."""
        self._passthrough = True
        self._sync()
        return self

    @property
    def return_value(self) -> Answer | None:
        return self._return_value

    @return_value.setter
    def return_value(self, value: Answer | None) -> None:
        self.mock(return_value=value, side_effect=self._side_effect)

    @property
    def side_effect(self) -> SideEffect | None:
        return self._side_effect

    @side_effect.setter
    def side_effect(self, value: SideEffect | None) -> None:
        self.mock(return_value=self._return_value, side_effect=value)

    # -- calls ------------------------------------------------------------------------------
    @property
    def calls(self) -> list[MockRequest]:
        """Every attempt this route answered, in order (retries and hedges count)."""
        table = self._router._table
        raw = (
            table.calls(self._index)
            if table is not None and self._index is not None
            else self._calls
        )
        return [self._request(*c) for c in raw]

    @property
    def call_count(self) -> int:
        table = self._router._table
        if table is not None and self._index is not None:
            return table.call_count(self._index)
        return len(self._calls)

    @property
    def called(self) -> bool:
        return self.call_count > 0

    def __repr__(self) -> str:
        return f"<Route {self.describe()}>"

    def describe(self) -> str:
        parts = [self.method or "*"]
        if self._url_mode == _URL_EXACT:
            parts.append(self._url)
        elif self._url_mode == _URL_PREFIX:
            parts.append(self._url + "*")
        elif self._url_mode == _URL_REGEX:
            parts.append(self._shown_url)
        else:
            parts.append("*")
        if self._params:
            parts.append(f"params={dict(self._params)}")
        if self._headers:
            parts.append(f"headers={dict(self._headers)}")
        if self._has_json:
            parts.append(f"json={self._json!r}")
        if self._form is not None:
            parts.append(f"data={dict(self._form)}")
        if self._content is not None:
            parts.append(f"content={self._content[:40]!r}")
        if self._match is not None:
            parts.append("match=<callable>")
        text = " ".join(parts)
        return f"{self.name}: {text}" if self.name else text

    # -- native side ------------------------------------------------------------------------
    def _request(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes
    ) -> MockRequest:
        params: dict[str, str] = {}
        if self._py_regex is not None and (m := self._py_regex.search(url)):
            params = {k: v for k, v in m.groupdict().items() if v is not None}
        return MockRequest(method, url, headers, body, params)

    def _needs_python(self) -> bool:
        return (
            self._regex_in_python
            or self._has_json
            or self._form is not None
            or self._match is not None
            or (callable(self._side_effect) and not _is_exception(self._side_effect))
        )

    def _install(self, table: _core.MockTable) -> None:
        if not self._regex_in_python:
            try:
                self._index = self._add_to(table, self._url_mode, self._url)
            except RuntimeError:  # std::regex_error: Python-only syntax, so Python checks it
                self._regex_in_python = True
        if self._regex_in_python:
            # The native table matches any URL; the Python regex decides (_needs_python).
            self._index = self._add_to(table, _URL_ANY, "")
        self._sync()

    def _add_to(self, table: _core.MockTable, url_mode: int, url: str) -> int:
        return table.add_route(
            self.describe(),
            self.method or "",
            url_mode,
            url,
            self._params,
            self._params_exact,
            self._headers,
            self._content,
        )

    def _sync(self) -> None:
        table = self._router._table
        if table is None or self._index is None:
            return
        answers, repeat = self._native_answers()
        # Mode first: a route added while requests run has no answers (it never matches)
        # until set_answers, and by then its Python checks are on.
        table.set_mode(self._index, self._needs_python(), self._passthrough)
        table.set_answers(self._index, answers, repeat)

    def _native_answers(self) -> tuple[list[_core.MockAnswer], bool]:
        se = self._side_effect
        if se is not None and _is_exception(se):
            return [exception_answer(cast(BaseException, se))], True
        if se is not None and not callable(se):
            items = list(cast(Iterable[Answer], se))
            return [to_native(a) for a in items], False
        return [to_native(self._return_value if self._return_value is not None else 200)], True

    def _decide(
        self, method: str, url: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[bool, Any]:
        """On the helper thread: does this request match, and with which answer (None: the
        route's next native one)."""
        if self._regex_in_python and (self._py_regex is None or not self._py_regex.search(url)):
            return False, None
        request = self._request(method, url, headers, body)
        if self._has_json:
            try:
                if request.json() != self._json:
                    return False, None
            except ValueError:
                return False, None
        if self._form is not None:
            try:
                got = sorted(parse_qsl(body.decode(), keep_blank_values=True))
            except UnicodeDecodeError:
                return False, None
            if got != self._form:
                return False, None
        if self._match is not None and not self._match(request):
            return False, None
        se = self._side_effect
        if callable(se) and not _is_exception(se):
            try:
                result = se(request)
            except Exception as exc:  # the callable's exception is the mocked failure
                return True, exception_answer(exc)
            if result is None:
                result = self._return_value if self._return_value is not None else 200
            return True, to_native(result)
        return True, None

    def _snapshot(self) -> None:
        table = self._router._table
        if table is not None and self._index is not None:
            self._calls = list(table.calls(self._index))
        self._index = None


def _pattern_regexes(text: str) -> tuple[str, str]:
    """(ECMAScript regex for the engine, Python regex with named groups) for a URL pattern
    such as "https://api.test/users/{id}"; the query, if any, is not part of the match."""
    native, py, pos = ["^"], ["^"], 0
    for m in PATH_PARAM.finditer(text):
        lit = re.escape(text[pos : m.start()])
        native.append(lit)
        py.append(lit)
        native.append("([^/?#]+)")
        py.append(f"(?P<{m.group(1)}>[^/?#]+)")
        pos = m.end()
    lit = re.escape(text[pos:])
    native.append(lit + "(?:[?#].*)?$")
    py.append(lit + "(?:[?#].*)?$")
    return "".join(native), "".join(py)
