"""A complete example: testing code that uses asiofetch, without a server or a network.

`WeatherClient` is the code under test; the tests mock its API with the `asiofetch_mock`
fixture (installed with asiofetch, no conftest needed). CI runs this file (`make test-py`).
Run it alone with `pytest examples/test_weather_client.py`.
"""

from __future__ import annotations

import asyncio

import pytest

import asiofetch
from asiofetch.testing import MockResponse, MockRouter, aioresponses

API = "https://weather.example"


class WeatherClient:
    def __init__(self, session: asiofetch.ClientSession) -> None:
        self.session = session

    async def temperature(self, city: str) -> float:
        r = await self.session.get(f"{API}/cities/{city}", params={"units": "metric"})
        r.raise_for_status()
        return float((await r.json())["temp"])

    async def temperatures(self, cities: list[str]) -> dict[str, float | None]:
        """Every city in one native batch; a failed city maps to None."""
        urls = [f"{API}/cities/{c}?units=metric" for c in cities]
        results = await self.session.gather(urls, return_exceptions=True)
        out: dict[str, float | None] = {}
        for city, r in zip(cities, results, strict=True):
            ok = isinstance(r, asiofetch.ClientResponse) and r.status == 200
            out[city] = float((await r.json())["temp"]) if ok else None
        return out


async def test_temperature(asiofetch_mock: MockRouter) -> None:
    route = asiofetch_mock.get(f"{API}/cities/{{city}}", params={"units": "metric"})
    route.respond(json={"temp": 21.5})
    async with asiofetch.ClientSession() as session:
        assert await WeatherClient(session).temperature("oslo") == 21.5
    assert route.calls[0].path_params == {"city": "oslo"}


async def test_batch_with_a_failing_city(asiofetch_mock: MockRouter) -> None:
    asiofetch_mock.get(f"{API}/cities/oslo").respond(json={"temp": 3})
    asiofetch_mock.get(f"{API}/cities/rome").mock(side_effect=asiofetch.ClientConnectorError)
    async with asiofetch.ClientSession() as session:
        temps = await WeatherClient(session).temperatures(["oslo", "rome"])
    assert temps == {"oslo": 3.0, "rome": None}


async def test_retries_a_busy_server(asiofetch_mock: MockRouter) -> None:
    busy = MockResponse(503, headers={"Retry-After": "0"})
    route = asiofetch_mock.get(f"{API}/cities/oslo")
    route.mock(side_effect=[busy, MockResponse(json={"temp": 4})])
    retry = asiofetch.Retry(attempts=3, backoff=0)
    async with asiofetch.ClientSession(retry=retry) as session:
        assert await WeatherClient(session).temperature("oslo") == 4.0
    assert route.call_count == 2  # the engine retried natively


async def test_slow_answer_times_out(asiofetch_mock: MockRouter) -> None:
    asiofetch_mock.get(f"{API}/cities/oslo").respond(json={"temp": 1}, delay=10)
    timeout = asiofetch.ClientTimeout(total=0.05)
    async with asiofetch.ClientSession(timeout=timeout) as session:
        with pytest.raises(asyncio.TimeoutError):
            await WeatherClient(session).temperature("oslo")


async def test_with_the_aioresponses_api() -> None:
    with aioresponses() as m:
        m.get(f"{API}/cities/oslo?units=metric", payload={"temp": 7})
        async with asiofetch.ClientSession() as session:
            assert await WeatherClient(session).temperature("oslo") == 7.0
        m.assert_called_once_with(f"{API}/cities/oslo", params={"units": "metric"})
