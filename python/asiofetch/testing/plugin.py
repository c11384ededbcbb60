"""The pytest plugin (entry point `pytest11`): the `asiofetch_mock` fixture and marker.

    def test_users(asiofetch_mock):
        asiofetch_mock.get("https://api.test/users").respond(json=[])

    @pytest.mark.asiofetch_mock(assert_all_called=False, passthrough_unmatched=True)
    def test_partial(asiofetch_mock): ...

The fixture is synchronous and the router engine-wide, so it works the same under
pytest-asyncio (strict or auto mode), anyio's plugin, or plain synchronous tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ._router import MockRouter

__all__ = ("asiofetch_mock", "pytest_configure")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "asiofetch_mock(**kwargs): MockRouter keywords for the asiofetch_mock fixture "
        "(assert_all_called, passthrough_unmatched, base_url)",
    )


@pytest.fixture
def asiofetch_mock(request: pytest.FixtureRequest) -> Iterator[MockRouter]:
    """An active MockRouter for the test; unused routes fail it (assert_all_called)."""
    marker = request.node.get_closest_marker("asiofetch_mock")
    router = MockRouter(**(marker.kwargs if marker else {}))
    router.start()
    try:
        yield router
    finally:
        # The check runs only when the test itself passed: its own failure says more.
        report = getattr(request.node, "_asiofetch_call_failed", False)
        router.stop(check=not report)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    if call.when == "call" and getattr(report, "failed", False):
        item._asiofetch_call_failed = True  # type: ignore[attr-defined]
    return report
