"""Drop-in figure: aiohttp's own client tests, run once with aiohttp and once with asiofetch.

Issue 13 asks that "the same test bodies written for aiohttp's client, with only the import
changed" pass for at least 95 % of the client-behaviour cases. This script measures that on
aiohttp's public client functional tests. It never ships aiohttp's tests: fetch them yourself.

How to run (the tests are not in this repo; CI has no network, so there is no make target):

    make install
    # aiohttp's tests ship in its sdist on PyPI: take the sdist of the aiohttp installed in
    # .venv and unpack it outside the repo (tests/ is inside; no git clone needed):
    V=$(.venv/bin/python -c 'import aiohttp; print(aiohttp.__version__)')
    .venv/bin/pip download "aiohttp==$V" --no-binary :all: --no-deps -d /tmp
    tar -xzf "/tmp/aiohttp-$V.tar.gz" -C /tmp
    # what aiohttp's tests import besides aiohttp (pytest-timeout gives the per-test limit):
    .venv/bin/pip install pytest-mock pytest-timeout trustme
    T=/tmp/aiohttp-$V/tests
    .venv/bin/python scripts/aiohttp_compat.py $T/test_client_functional.py \
        $T/test_client_session.py $T/test_client_middleware.py \
        $T/test_client_middleware_digest_auth.py --out docs/compat/$(date -u +%Y%m%d-%H%M%S)

The script refuses to run when the tests' aiohttp/__init__.py names another version than the
installed aiohttp (a control pass against other code is no control): unpack the sdist of the
installed version, or pin the installed aiohttp to the tests you have (`pip install
aiohttp==3.14.5`). `--from-records` re-classifies a finished run after a rule change; `-k` runs
a subset. Both passes of the four files take about 6 minutes on 2 busy cores.

Each test file is run by pytest twice, with `-p no:cacheprovider -p no:asyncio` (aiohttp's
pytest plugin runs the coroutines), without `-x`, a per-test timeout (--timeout, default 20 s),
warnings not turned into errors (aiohttp's `filterwarnings = error` would count asiofetch's
warning texts, not its behaviour):

1. control: unchanged, against aiohttp;
2. swapped: the client side is asiofetch, the server side stays aiohttp.web. This module is
   loaded as a pytest plugin (`-p aiohttp_compat`) and, with ASIOFETCH_COMPAT_MODE=asiofetch,
   does the import change and nothing else:
   - in each test module's globals, `aiohttp` becomes a module whose attributes are asiofetch's
     where asiofetch has the name (ClientSession, request, ClientTimeout, TCPConnector,
     CookieJar, BasicAuth, the client exceptions...) and aiohttp's otherwise (web, hdrs,
     FormData, TraceConfig, ...: what a migrating user without an asiofetch equivalent keeps);
     every other global that is one of aiohttp's public objects (`from aiohttp import X`,
     `from aiohttp.client_exceptions import X`) becomes asiofetch's X when asiofetch has X;
     parametrize values are swapped the same way (they were evaluated at import);
   - aiohttp's test client (`aiohttp_client` fixture, `TestClient`) keeps aiohttp.test_utils'
     class and its server handling but its session is an asiofetch.ClientSession (cookie jar
     `asiofetch.CookieJar(unsafe=True)` as aiohttp's default; `loop=` is not passed on), and
     its verbs return asiofetch's request context managers.

Classification (per test id, written to summary.json and summary.md in --out):
- pass: passes with both;
- environment: does not pass with aiohttp itself (failed, skipped, xfailed): excluded;
- internals: the test function's source matches INTERNALS_RULES (private attributes, patches
  of aiohttp code, connector / protocol / request-class internals): excluded as the issue
  allows, listed;
- no_server: in a file other than test_client_functional.py (test_client_session.py,
  test_client_response.py...), a test that neither requests aiohttp_client / aiohttp_server /
  aiohttp_raw_server (directly or through its fixtures) nor builds a TestServer: excluded, as
  those files mostly drive aiohttp's objects without a server;
- swap_missed: built aiohttp's own ClientSession during the asiofetch pass (a guard: the
  swap must leave no aiohttp client in play): excluded, listed;
- fail: passes with aiohttp, fails with asiofetch: counted, with exception type, first line
  and a cause group (EXC_CAUSES, else NAME_CAUSES).
Figure = pass / (pass + fail).
"""

from __future__ import annotations

import argparse
import collections.abc
import datetime as _dt
import inspect
import json
import os
import re
import subprocess
import sys
import tempfile
import types
from pathlib import Path
from typing import Any

MODE_ENV = "ASIOFETCH_COMPAT_MODE"
# Test files (basenames, comma separated) whose tests count only when they run a real server.
SERVER_ONLY_ENV = "ASIOFETCH_COMPAT_SERVER_ONLY"
FUNCTIONAL_FILES = ("test_client_functional.py",)
SERVER_FIXTURES = frozenset({"aiohttp_client", "aiohttp_server", "aiohttp_raw_server"})
SERVER_SOURCE = r"\b(TestServer|RawTestServer)\(|\bweb\.(TCPSite|AppRunner)\b"
RECORD_ENV = "ASIOFETCH_COMPAT_RECORD"

# A test is "internals" when its own source matches one of these: it asserts on or patches
# aiohttp's implementation, not on behaviour a user sees through the public client API.
INTERNALS_RULES: list[tuple[str, str]] = [
    # Patching aiohttp's code; a Mock used only as a callback recorder is not internals.
    (
        "patches aiohttp code",
        r"\bmock\.patch|\bmocker\.(patch|spy)|\bmonkeypatch\.setattr|create_autospec",
    ),
    ("private attribute", r"(?<![\w])(?:\w+|\))\._[a-z]\w*"),
    # ClientRequest as a middleware's annotation is public API; built or subclassed it is not.
    (
        "request/connection internals",
        r"\bClientRequest\(|\(ClientRequest\)|\b(StreamWriter|ResponseHandler|"
        r"request_class|response_class)\b|\bConnection\(",
    ),
    ("client transport / protocol", r"\b(resp|response|conn|connection)\.(transport|protocol)\b"),
    (
        "aiohttp internal modules",
        r"aiohttp\.(connector|client_reqrep|client_proto|http_writer|"
        r"helpers|http_parser)\b",
    ),
]

# Matches of INTERNALS_RULES that are not aiohttp internals: attributes of the test's own
# helper classes (self._x), and TestClient._session, which is TestClient.session.
NOT_INTERNALS = r"self\._\w+|client\._session"

# Cause groups for asiofetch-only failures, a triage aid: the first EXC_CAUSES pattern that
# matches "exception type: first line", else the first NAME_CAUSES pattern matching the test id.
EXC_CAUSES: list[tuple[str, str]] = [
    ("request body types refused", r"data must be|Payload\b|FormData|MultipartWriter"),
    ("option refused (unexpected keyword)", r"unexpected keyword argument"),
    ("resolver= ignored (test hosts resolved by DNS)", r"^(?!.*invalid).*Could not resolve host"),
    (
        "response model: body errors surface at `await get()`, not at `read()`",
        r"ClientPayloadError",
    ),
    ("API missing (attribute)", r"has no attribute"),
]
NAME_CAUSES: list[tuple[str, str]] = [
    ("middlewares", r"middleware"),
    ("tracing", r"trace|tracing"),
    (
        "request body types",
        r"payload|formdata|multipart|(?<![a-z])files?(?![a-z])|async_?gen|iterable|aiter|"
        r"stream_request|data_stream|post_data|bytes_?io|string_?io|chunked|expect100|"
        r"100_continue|upload|_body|body_",
    ),
    ("redirects", r"redirect"),
    ("cookies", r"cookie"),
    ("TLS / fingerprint", r"ssl|tls|fingerprint|https|cert"),
    ("proxy", r"proxy"),
    ("timeouts", r"timeout"),
    ("compression", r"compress|deflate|gzip|brotli|zstd"),
    ("auth", r"auth|netrc"),
    ("headers", r"header|user_agent|skip_auto|content_length|max_line|max_field"),
    ("URL handling", r"url|query|params|encod|path|port|idna|host"),
    ("streaming (resp.content)", r"content|iter_|readline|readany|read_buf|chunk|stream"),
    (
        "connection handling",
        r"keepalive|keep_alive|connection|disconnect|close|conn|pool|"
        r"limit|dns|resolv",
    ),
    ("response state", r"raise_for_status|release|closed|read|json|text|status|response"),
]


# ---------------------------------------------------------------------------------------------
# pytest plugin part (loaded with -p aiohttp_compat in both passes)
# ---------------------------------------------------------------------------------------------

_records: dict[str, dict[str, Any]] = {}


def _internals_reason(func: Any) -> str | None:
    try:
        src = inspect.getsource(func)
    except (OSError, TypeError):
        return None
    for name, pattern in INTERNALS_RULES:
        for m in re.finditer(pattern, src):
            if not re.fullmatch(NOT_INTERNALS, m.group(0)):
                return f"{name}: {m.group(0)!r}"
    return None


def _uses_server(item: Any, func: Any) -> bool:
    """True when the test (or a fixture it pulls in) starts an aiohttp.web server."""
    if SERVER_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    try:
        return re.search(SERVER_SOURCE, inspect.getsource(func)) is not None
    except (OSError, TypeError):
        return False


def _asiofetch_twin(obj: Any) -> Any:
    """asiofetch's object of the same public name as aiohttp's `obj`, or `obj` itself."""
    import aiohttp

    import asiofetch

    name = getattr(obj, "__name__", None)
    if not isinstance(name, str) or not hasattr(asiofetch, name):
        return obj
    try:
        if getattr(aiohttp, name, None) is not obj:
            return obj
    except Exception:
        return obj
    return getattr(asiofetch, name)


def _swapped_aiohttp_module() -> types.ModuleType:
    import aiohttp

    import asiofetch

    mod = types.ModuleType("aiohttp")
    mod.__dict__.update(vars(aiohttp))
    for name in dir(asiofetch):
        if not name.startswith("_"):
            setattr(mod, name, getattr(asiofetch, name))
    return mod


def _swap_module(module: types.ModuleType, fake: types.ModuleType) -> None:
    if getattr(module, "__asiofetch_swapped__", False):
        return
    import aiohttp

    g = module.__dict__
    for key, value in list(g.items()):
        if value is aiohttp:
            g[key] = fake
        elif key == "TestClient":
            g[key] = _asiofetch_test_client_class()
        elif not isinstance(value, types.ModuleType) and key in fake.__dict__:
            g[key] = _asiofetch_twin(value)
    module.__asiofetch_swapped__ = True  # type: ignore[attr-defined]


_TEST_CLIENT_CLS: Any = None


def _asiofetch_test_client_class() -> Any:
    """aiohttp's TestClient (server lifecycle, make_url, close) with an asiofetch session."""
    global _TEST_CLIENT_CLS
    if _TEST_CLIENT_CLS is not None:
        return _TEST_CLIENT_CLS
    from aiohttp import test_utils

    import asiofetch

    class _Tracked:
        """asiofetch's request context manager, remembering the response for close(). A
        coroutine like aiohttp's manager (tests pass it to asyncio.create_task())."""

        def __init__(self, cm: Any, responses: list[Any]) -> None:
            self._cm = cm
            self._responses = responses
            self._gen: Any = None

        def __await__(self) -> Any:
            resp = yield from self._cm.__await__()
            self._responses.append(resp)
            return resp

        def send(self, value: Any) -> Any:
            if self._gen is None:
                self._gen = self.__await__()
            return self._gen.send(value)

        def throw(self, *args: Any) -> Any:
            if self._gen is None:
                self._gen = self.__await__()
            return self._gen.throw(*args)

        def close(self) -> None:
            if self._gen is not None:
                self._gen.close()

        async def __aenter__(self) -> Any:
            resp = await self._cm.__aenter__()
            self._responses.append(resp)
            return resp

        async def __aexit__(self, *exc: Any) -> Any:
            return await self._cm.__aexit__(*exc)

    collections.abc.Coroutine.register(_Tracked)

    class AsiofetchTestClient(test_utils.TestClient[Any, Any]):
        # Tests subscript it in fixture code: TestClient[web.Request, web.Application].
        def __class_getitem__(cls, _item: Any) -> Any:
            return cls

        def __init__(
            self, server: Any, *, cookie_jar: Any = None, loop: Any = None, **kwargs: Any
        ) -> None:
            if not isinstance(server, test_utils.BaseTestServer):
                raise TypeError(f"server must be TestServer instance, found type: {server!r}")
            self._server = server
            self._loop = loop
            if cookie_jar is None:
                cookie_jar = asiofetch.CookieJar(unsafe=True)
            self._session = asiofetch.ClientSession(cookie_jar=cookie_jar, **kwargs)  # type: ignore[assignment]
            self._closed = False
            self._responses = []
            self._websockets = []

        async def _request(self, method: str, path: Any, **kwargs: Any) -> Any:
            return await self.request(method, path, **kwargs)

        def request(self, method: str, path: Any, **kwargs: Any) -> Any:
            cm = self._session.request(method, self.make_url(path), **kwargs)
            return _Tracked(cm, self._responses)

        def get(self, path: Any, **kw: Any) -> Any:
            return self.request("GET", path, **kw)

        def post(self, path: Any, **kw: Any) -> Any:
            return self.request("POST", path, **kw)

        def put(self, path: Any, **kw: Any) -> Any:
            return self.request("PUT", path, **kw)

        def patch(self, path: Any, **kw: Any) -> Any:
            return self.request("PATCH", path, **kw)

        def delete(self, path: Any, **kw: Any) -> Any:
            return self.request("DELETE", path, **kw)

        def head(self, path: Any, **kw: Any) -> Any:
            return self.request("HEAD", path, **kw)

        def options(self, path: Any, **kw: Any) -> Any:
            return self.request("OPTIONS", path, **kw)

    _TEST_CLIENT_CLS = AsiofetchTestClient
    return AsiofetchTestClient


_current_test: str | None = None


def _serve_asiofetch_bytes_payloads() -> None:
    """The swap also rebinds payload names the tests' *server* code uses
    (`web.Response(body=aiohttp.JsonPayload(data))`); aiohttp.web cannot send asiofetch's
    object, so the server would answer 500 and the test would measure the swap. Registering
    asiofetch's in-memory payloads with aiohttp's payload registry keeps the server side
    aiohttp's as the test meant; the client side still gets asiofetch's classes."""
    from aiohttp import payload as aio_payload

    import asiofetch

    def to_aiohttp(value: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("content_type", value.content_type)
        return aio_payload.BytesPayload(bytes(value._value), *args, **kwargs)

    aio_payload.PAYLOAD_REGISTRY.register(to_aiohttp, asiofetch.BytesPayload)


def pytest_configure(config: Any) -> None:
    if os.environ.get(MODE_ENV) == "asiofetch":
        import aiohttp
        from aiohttp import pytest_plugin

        pytest_plugin.TestClient = _asiofetch_test_client_class()  # type: ignore[attr-defined]
        _serve_asiofetch_bytes_payloads()
        # Guard against a pass that is aiohttp's: a swapped test must never build aiohttp's
        # client session (a fixture or an import the swap missed would).
        original_init = aiohttp.ClientSession.__init__

        def flagging_init(self: Any, *args: Any, **kwargs: Any) -> None:
            if _current_test is not None:
                _records.setdefault(_current_test, {"outcome": "not run", "internals": None})[
                    "aiohttp_session_built"
                ] = True
            original_init(self, *args, **kwargs)

        aiohttp.ClientSession.__init__ = flagging_init  # type: ignore[method-assign]


def pytest_runtest_setup(item: Any) -> None:
    global _current_test
    _current_test = item.nodeid


def pytest_collection_finish(session: Any) -> None:
    swap = os.environ.get(MODE_ENV) == "asiofetch"
    fake = _swapped_aiohttp_module() if swap else None
    server_only = set(filter(None, os.environ.get(SERVER_ONLY_ENV, "").split(",")))
    for item in session.items:
        func = getattr(item, "function", None)
        _records[item.nodeid] = {
            "outcome": "not run",
            "internals": _internals_reason(func) if func is not None else None,
        }
        if Path(str(item.fspath)).name in server_only and not _uses_server(item, func):
            _records[item.nodeid]["no_server"] = True
        if not swap:
            continue
        module = getattr(item, "module", None)
        if module is not None:
            _swap_module(module, fake)  # type: ignore[arg-type]
        callspec = getattr(item, "callspec", None)
        if callspec is not None:
            for k, v in list(callspec.params.items()):
                callspec.params[k] = _asiofetch_twin(v)
            if hasattr(item, "funcargs"):
                for k in callspec.params:
                    if k in item.funcargs:
                        item.funcargs[k] = callspec.params[k]


def pytest_runtest_makereport(item: Any, call: Any) -> None:
    rec = _records.setdefault(item.nodeid, {"outcome": "not run", "internals": None})
    if call.excinfo is not None and "exc_type" not in rec:
        exc = call.excinfo.value
        text = str(exc).strip().splitlines()
        rec["exc_type"] = type(exc).__module__ + "." + type(exc).__qualname__
        rec["exc_line"] = (text[0] if text else "")[:300]
        rec["phase"] = call.when


def pytest_runtest_logreport(report: Any) -> None:
    rec = _records.setdefault(report.nodeid, {"outcome": "not run", "internals": None})
    if hasattr(report, "wasxfail"):
        outcome = "xfailed" if report.skipped else "xpassed"
    else:
        outcome = report.outcome
    # setup -> call -> teardown: the first non-pass decides; a teardown error fails a pass.
    if rec["outcome"] in ("not run", "passed") and (report.when == "call" or outcome != "passed"):
        rec["outcome"] = outcome if outcome != "failed" or report.when == "call" else "error"


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    path = os.environ.get(RECORD_ENV)
    if path:
        Path(path).write_text(json.dumps(_records, indent=1, sort_keys=True))


# ---------------------------------------------------------------------------------------------
# runner part
# ---------------------------------------------------------------------------------------------


def _run_pass(
    mode: str, files: list[str], rootdir: str, args: argparse.Namespace, workdir: Path
) -> dict[str, dict[str, Any]]:
    record = workdir / f"{mode}.json"
    ini = workdir / "pytest.ini"
    ini.write_text(
        "[pytest]\n"
        "addopts = -m 'not dev_mode and not autobahn and not internal'\n"
        "markers =\n  autobahn: x\n  dev_mode: x\n  internal: x\n  skip_blockbuster: x\n"
        "xfail_strict = true\n"
    )
    env = dict(os.environ)
    env[MODE_ENV] = mode
    env[RECORD_ENV] = str(record)
    env[SERVER_ONLY_ENV] = ",".join(
        Path(f).name for f in files if Path(f).name not in FUNCTIONAL_FILES
    )
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(__file__).resolve().parent), env.get("PYTHONPATH", "")]
    )
    cmd = [
        args.python,
        "-m",
        "pytest",
        *files,
        "-c",
        str(ini),
        "--rootdir",
        rootdir,
        "-p",
        "aiohttp_compat",
        "-p",
        "no:cacheprovider",
        "-p",
        "no:asyncio",
        f"--timeout={args.timeout}",
        "-q",
        "-rN",
        "--no-header",
        "-o",
        "console_output_style=count",
    ]
    if args.k:
        cmd += ["-k", args.k]
    log = workdir / f"{mode}.log"
    print(f"[{mode}] {' '.join(cmd)}  (log: {log})", flush=True)
    with log.open("w") as fh:
        subprocess.run(cmd, env=env, stdout=fh, stderr=subprocess.STDOUT, cwd=workdir, check=False)
    if not record.exists():
        raise SystemExit(f"[{mode}] pytest wrote no record; see {log}")
    return json.loads(record.read_text())  # type: ignore[no-any-return]


def _cause(nodeid: str, rec: dict[str, Any]) -> str:
    name = nodeid.split("::")[-1].lower()
    exc = f"{name} || {rec.get('exc_type', '')}: {rec.get('exc_line', '')}"
    for group, pattern in EXC_CAUSES:
        if re.search(pattern, exc):
            return group
    for group, pattern in NAME_CAUSES:
        if re.search(pattern, name):
            return group
    return "other"


def classify(control: dict[str, Any], swapped: dict[str, Any]) -> dict[str, Any]:
    classes: dict[str, list[dict[str, Any]]] = {
        "pass": [],
        "fail": [],
        "environment": [],
        "internals": [],
        "no_server": [],
        "swap_missed": [],
    }
    for nodeid in sorted(control):
        c = control[nodeid]
        s = swapped.get(nodeid, {"outcome": "not collected"})
        entry = {"test": nodeid, "aiohttp": c["outcome"], "asiofetch": s["outcome"]}
        if c["outcome"] != "passed":
            entry["reason"] = f"{c['outcome']} with aiohttp: {c.get('exc_line', '')}".strip()
            classes["environment"].append(entry)
        elif c.get("no_server"):
            entry["reason"] = "no real server (only functional files count without one)"
            classes["no_server"].append(entry)
        elif c.get("internals"):
            entry["reason"] = c["internals"]
            classes["internals"].append(entry)
        elif s.get("aiohttp_session_built"):
            entry["reason"] = "built aiohttp's ClientSession in the asiofetch pass (swap missed)"
            classes["swap_missed"].append(entry)
        elif s["outcome"] == "passed":
            classes["pass"].append(entry)
        else:
            entry["exc_type"] = s.get("exc_type", "")
            entry["exc_line"] = s.get("exc_line", "")
            entry["phase"] = s.get("phase", "")
            entry["cause"] = _cause(nodeid, s)
            classes["fail"].append(entry)
    n_pass, n_fail = len(classes["pass"]), len(classes["fail"])
    internals_pass = sum(1 for e in classes["internals"] if e["asiofetch"] == "passed")
    return {
        "counts": {k: len(v) for k, v in classes.items()},
        "figure_percent": round(100.0 * n_pass / max(1, n_pass + n_fail), 1),
        "figure_with_internals_percent": round(
            100.0 * (n_pass + internals_pass) / max(1, n_pass + n_fail + len(classes["internals"])),
            1,
        ),
        "per_file": _per_file(classes),
        "classes": classes,
    }


def _per_file(classes: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    files: dict[str, dict[str, Any]] = {}
    for cls, entries in classes.items():
        for e in entries:
            f = files.setdefault(e["test"].split("::", 1)[0].rsplit("/", 1)[-1], {})
            f[cls] = f.get(cls, 0) + 1
    for f in files.values():
        counted = f.get("pass", 0) + f.get("fail", 0)
        f["percent"] = round(100.0 * f.get("pass", 0) / counted, 1) if counted else None
    return files


BIASES = [
    "Names asiofetch lacks (FormData, MultipartWriter, payload classes, TraceConfig, "
    "Fingerprint, DigestAuthMiddleware...) stay aiohttp's, so those tests measure whether "
    "asiofetch accepts aiohttp's objects; importing only asiofetch would fail them too "
    "(AttributeError), so the count is the same.",
    "The test client is aiohttp's TestClient with an asiofetch session; aiohttp's own sets "
    "the private `_retry_connection = False` (no retry on a dropped keep-alive connection), "
    "which has no asiofetch equivalent.",
    "asiofetch's in-memory payload classes (BytesPayload, StringPayload, JsonPayload) are "
    "registered with aiohttp's payload registry in the swapped pass, so test servers that "
    "answer `web.Response(body=aiohttp.JsonPayload(...))` (the swap rebinds that name too) "
    "send them as aiohttp would instead of failing with 500.",
    "Rebinding happens after import: values computed at import time other than parametrize "
    "arguments (default arguments, class bodies) keep aiohttp's objects.",
    "The internals and no-server rules are regexes on the test's source; the lists below "
    "show what they caught. The figure counting internals-only tests is given too.",
    "Warnings are not errors (aiohttp's own suite runs with filterwarnings=error); tests "
    "that expect a warning with pytest.warns still count.",
    "Every parametrized case counts as one test: test_invalid_redirect_url alone has 18 "
    "cases. A test stops at its first failing assertion, so one cause can hide another.",
    "Tests skipped with aiohttp (isal, zlib_ng, blockbuster not installed) do not count.",
    "A test over the per-test timeout fails; under heavy load a slow but correct test could.",
]


def _markdown(summary: dict[str, Any]) -> str:
    c = summary["counts"]
    m = summary["meta"]
    out = [
        f"# aiohttp client tests with asiofetch as the client ({m['when']})",
        "",
        f"- aiohttp {m['aiohttp']} (tests from its sdist, aiohttp-{m['aiohttp']}/tests), "
        f"asiofetch {m['asiofetch']} "
        f"(commit {m['commit']}), Python {m['python']}",
        f"- command: `{m['command']}`",
        f"- files: {', '.join(m['files'])}",
        f"- per-test timeout {m['timeout_s']} s; 1-min load average {m['load_1min'][0]} at the "
        f"start, {m['load_1min'][1]} at the end, on {m['cpus']} CPUs",
        "",
        f"**{summary['figure_percent']} %** of the client-behaviour cases pass with asiofetch "
        f"({c['pass']} pass / {c['pass'] + c['fail']} counted).",
        "",
        "| class | tests | counted |",
        "|---|---|---|",
        f"| passes with both | {c['pass']} | yes |",
        f"| fails with asiofetch only | {c['fail']} | yes |",
        f"| internals-only (rule below) | {c['internals']} | no |",
        f"| does not pass with aiohttp itself (environment) | {c['environment']} | no |",
        f"| no real server, in a non-functional file | {c['no_server']} | no |",
        f"| swap missed: built aiohttp's ClientSession with asiofetch swapped in "
        f"| {c['swap_missed']} | no |",
        "",
        f"Counting the internals-only tests too: {summary['figure_with_internals_percent']} %.",
        "",
        "| file | pass | fail | internals | environment | no server | pass % |",
        "|---|---|---|---|---|---|---|",
    ]
    out += [
        f"| {name} | {f.get('pass', 0)} | {f.get('fail', 0)} | {f.get('internals', 0)} "
        f"| {f.get('environment', 0)} | {f.get('no_server', 0)} | {f['percent']} |"
        for name, f in sorted(summary["per_file"].items())
    ]
    out += [
        "",
        "Internals rule (first match in the test function's source):",
        "",
    ]
    out += [f"- {name}: `{pat}`" for name, pat in INTERNALS_RULES]
    fails = summary["classes"]["fail"]
    groups: dict[str, list[dict[str, Any]]] = {}
    for e in fails:
        groups.setdefault(e["cause"], []).append(e)
    out += [
        "",
        "## asiofetch-only failures by cause",
        "",
        "Cause = first of EXC_CAUSES (on test id + exception) else NAME_CAUSES (on the test id) in "
        "scripts/aiohttp_compat.py: a triage aid, not a diagnosis.",
        "",
        "| cause | tests |",
        "|---|---|",
    ]
    ordered = sorted(groups.items(), key=lambda kv: -len(kv[1]))
    out += [f"| {g} | {len(v)} |" for g, v in ordered]
    for g, entries in ordered:
        out += ["", f"### {g} ({len(entries)})", ""]
        for e in entries:
            name = e["test"].split("::", 1)[-1]
            line = e["exc_line"].replace("|", "\\|").replace("`", "'")
            phase = "" if e["phase"] in ("call", "") else f" [{e['phase']}]"
            out.append(f"- `{name}`: {e['asiofetch']}{phase} `{e['exc_type']}`: {line}")
    out += ["", "## What can bias this figure", ""]
    out += [f"- {b}" for b in BIASES]
    out += ["", "## Excluded: internals-only", ""]
    out += [
        f"- `{e['test'].split('::', 1)[-1]}` ({e['reason']}; asiofetch: {e['asiofetch']})"
        for e in summary["classes"]["internals"]
    ]
    out += ["", "## Excluded: swap missed (aiohttp's client used in the asiofetch pass)", ""]
    out += [f"- `{e['test'].split('::', 1)[-1]}`" for e in summary["classes"]["swap_missed"]]
    out += ["", "## Excluded: does not pass with aiohttp here", ""]
    out += [
        f"- `{e['test'].split('::', 1)[-1]}`: {e['reason'][:200]}"
        for e in summary["classes"]["environment"]
    ]
    return "\n".join(out) + "\n"


def _check_version(python: str, root: Path, allow: bool) -> None:
    """The control pass is only a control when the tests match the installed aiohttp."""
    init = root / "aiohttp" / "__init__.py"
    m = re.search(r'__version__\s*=\s*"([^"]+)"', init.read_text()) if init.exists() else None
    installed = subprocess.run(
        [python, "-c", "import aiohttp; print(aiohttp.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if m is None:
        print(
            f"note: cannot tell the tests' aiohttp version ({init} missing); "
            f"installed: {installed}",
            flush=True,
        )
    elif m.group(1) != installed and not allow:
        raise SystemExit(
            f"tests are from aiohttp {m.group(1)}, installed is {installed}: "
            f"unpack the sdist of aiohttp {installed} (pip download aiohttp=={installed} "
            f"--no-binary :all: --no-deps) or pip install aiohttp=={m.group(1)}"
        )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument(
        "files",
        nargs="+",
        help="aiohttp test files, e.g. /tmp/aiohttp-3.14.5/tests/test_client_functional.py",
    )
    ap.add_argument("--out", required=True, help="directory for summary.json / summary.md")
    ap.add_argument("--timeout", type=int, default=20, help="per-test timeout in seconds")
    ap.add_argument("--python", default=sys.executable, help="interpreter with both packages")
    ap.add_argument(
        "--allow-version-mismatch",
        action="store_true",
        help="run although the tests' aiohttp differs from the installed one",
    )
    ap.add_argument(
        "--from-records",
        action="store_true",
        help="re-classify aiohttp.json / asiofetch.json already in --out, no pytest",
    )
    ap.add_argument("-k", default=None, help="pytest -k expression (for a partial run)")
    args = ap.parse_args()

    files = [str(Path(f).resolve()) for f in args.files]
    rootdir = str(Path(files[0]).parent.parent)
    _check_version(args.python, Path(rootdir), args.allow_version_mismatch)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    load_start = os.getloadavg()[0]
    if args.from_records:
        # Re-classify the per-test records of an earlier run (after changing the rules).
        control = json.loads((out / "aiohttp.json").read_text())
        swapped = json.loads((out / "asiofetch.json").read_text())
    else:
        with tempfile.TemporaryDirectory(prefix="aiohttp-compat-") as tmp:
            work = Path(tmp)
            control = _run_pass("aiohttp", files, rootdir, args, work)
            swapped = _run_pass("asiofetch", files, rootdir, args, work)
            for mode in ("aiohttp", "asiofetch"):
                (out / f"{mode}.json").write_text((work / f"{mode}.json").read_text())
                (out / f"{mode}.log").write_text((work / f"{mode}.log").read_text())

    probe = subprocess.run(
        [
            args.python,
            "-c",
            "import aiohttp, asiofetch, sys; "
            "print(aiohttp.__version__, asiofetch.__version__, sys.version.split()[0])",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent,
        check=False,
    ).stdout.strip()
    summary = classify(control, swapped)
    summary["meta"] = {
        "when": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "aiohttp": probe[0],
        "asiofetch": probe[1],
        "python": probe[2],
        "commit": commit,
        "files": [f"tests/{Path(f).name}" for f in files],
        "timeout_s": args.timeout,
        "load_1min": [round(load_start, 1), round(os.getloadavg()[0], 1)],
        "cpus": os.cpu_count(),
        "command": "python scripts/aiohttp_compat.py "
        + " ".join(f"/tmp/aiohttp-{probe[0]}/tests/{Path(f).name}" for f in files)
        + f" --timeout {args.timeout}"
        + (f" -k '{args.k}'" if args.k else ""),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    (out / "summary.md").write_text(_markdown(summary))
    c = summary["counts"]
    print(f"{summary['figure_percent']} % pass ({c}); see {out / 'summary.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
