"""The pytest plugin as users load it (the pytest11 entry point): the asiofetch_mock fixture
and marker under pytest-asyncio's strict and auto modes and under anyio's plugin, each in a
separate pytest process."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

BODY = """
import asiofetch
import pytest
{marker}
async def test_mocked(asiofetch_mock):
    asiofetch_mock.get("http://svc.test/item/{{id}}").respond(json={{"ok": True}})
    async with asiofetch.ClientSession() as s:
        r = await s.get("http://svc.test/item/3")
        assert await r.json() == {{"ok": True}}
        results = await s.gather(["http://svc.test/item/4"])
        assert results[0].status == 200
    assert asiofetch_mock.routes[0].call_count == 2

@pytest.mark.asiofetch_mock(assert_all_called=False)
{marker}
async def test_marker_configures_the_router(asiofetch_mock):
    asiofetch_mock.get("http://svc.test/unused").respond()
    assert asiofetch_mock.assert_all_called is False

{marker}
async def test_unused_route_fails_teardown(asiofetch_mock):
    asiofetch_mock.get("http://svc.test/never").respond()
"""

CASES = {
    "strict": ("asyncio_mode = strict", "@pytest.mark.asyncio"),
    "auto": ("asyncio_mode = auto", ""),
    "anyio": ("asyncio_mode = strict", "@pytest.mark.anyio"),
}


@pytest.mark.parametrize("mode", sorted(CASES))
def test_fixture_under_each_async_plugin(tmp_path: Path, mode: str) -> None:
    ini, marker = CASES[mode]
    (tmp_path / "pytest.ini").write_text(
        f"[pytest]\n{ini}\nasyncio_default_fixture_loop_scope = function\n"
        "filterwarnings = ignore:Module already imported so cannot be rewritten\n"
    )
    conftest = "import pytest\n"
    if mode == "anyio":
        conftest += textwrap.dedent(
            """
            @pytest.fixture
            def anyio_backend():
                return "asyncio"
            """
        )
    (tmp_path / "conftest.py").write_text(conftest)
    (tmp_path / "test_user.py").write_text(BODY.format(marker=marker))
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rA"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = proc.stdout + proc.stderr
    assert "3 passed, 1 error" in out, out  # the unused route fails at teardown
    assert "PASSED test_user.py::test_mocked" in out, out
    assert "PASSED test_user.py::test_marker_configures_the_router" in out, out
    assert "ERROR test_user.py::test_unused_route_fails_teardown" in out, out
    assert "routes never called:" in out and "GET http://svc.test/never" in out, out
