"""asiofetch.dask on a distributed.LocalCluster (two worker processes) and the local server."""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

distributed = pytest.importorskip("distributed")  # the `dask` extra; `make install` has it
db = pytest.importorskip("dask.bag")

from asiofetch.cli.job import JobConfig  # noqa: E402
from asiofetch.cli.server import LocalServer  # noqa: E402
from asiofetch.dask import PartitionResult, fetch, split_limits  # noqa: E402
from cli_helpers import run_cli, write_lines  # noqa: E402

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def srv() -> Iterator[str]:
    with LocalServer() as server:
        yield server.url


def _cluster() -> Any:
    return distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with _cluster() as cluster, distributed.Client(cluster) as c:
        yield c


def output_keys(out: Path) -> Counter[str]:
    keys: Counter[str] = Counter()
    for part in sorted(out.glob("part-*.jsonl")):
        data = part.read_bytes()
        assert data.endswith(b"\n")
        for line in data.splitlines():
            row = json.loads(line)
            assert row["status"] == 200, row
            keys[row["key"]] += 1
    return keys


def test_100k_urls_each_exactly_once(srv: str, client: Any, tmp_path: Path) -> None:
    n = 100_000
    urls = (f"{srv}/bytes/16?i={i}" for i in range(n))  # a generator: read lazily
    out = tmp_path / "out"
    report = fetch(urls, out, client=client, partition_size=5_000)
    assert report.rows == n
    assert [p.part for p in report.partitions] == list(range(20))
    assert output_keys(out) == Counter(f"{srv}/bytes/16?i={i}" for i in range(n))
    manifest = json.loads((out / "_manifest.json").read_text())
    assert manifest == {"format": "jsonl", "partitions": [[i, 5000] for i in range(20)]}
    assert not list(out.glob(".*.tmp"))
    assert report.stats().by_class == {"2xx": n}


def _die_if_busy(dask_worker: Any) -> bool:
    """Runs on a worker: exits the process at once if it is running a partition."""
    if dask_worker.state.executing_count:
        os._exit(1)
    return False


def test_a_killed_worker_loses_no_url_and_doubles_none(srv: str, tmp_path: Path) -> None:
    n = 100_000
    urls = [f"{srv}/bytes/16?i={i}" for i in range(n)]
    out = tmp_path / "out"
    killed: list[str] = []
    with _cluster() as cluster, distributed.Client(cluster) as client:
        victim = sorted(client.scheduler_info()["workers"])[0]

        def kill_one(p: PartitionResult) -> None:
            # After the first partition, kill the victim while it runs one (not between two).
            deadline = time.monotonic() + 30
            while not killed and time.monotonic() < deadline:
                try:
                    client.run(_die_if_busy, workers=[victim])
                except Exception:  # the worker died under the call: that was the kill
                    killed.append(victim)
                else:
                    time.sleep(0.005)

        report = fetch(urls, out, client=client, partition_size=5_000, on_partition=kill_one)
        assert killed == [victim]
        assert victim not in client.scheduler_info()["workers"]
    assert report.rows == n
    assert output_keys(out) == Counter(urls)  # every URL exactly once
    assert not list(out.glob(".*.tmp"))  # the dead attempt's file was cleaned up


def test_a_bag_is_fetched_by_its_partitions(srv: str, client: Any, tmp_path: Path) -> None:
    urls = [f"{srv}/bytes/4?i={i}" for i in range(1000)]
    out = tmp_path / "out"
    report = fetch(db.from_sequence(urls, npartitions=4), out, client=client)
    assert [(p.part, p.rows) for p in report.partitions] == [(i, 250) for i in range(4)]
    assert output_keys(out) == Counter(urls)


def test_parquet_partitions(srv: str, client: Any, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    urls = [f"{srv}/bytes/4?i={i}" for i in range(300)]
    out = tmp_path / "out"
    fetch(urls, out, client=client, partition_size=100, fmt="parquet")
    parts = sorted(out.glob("part-*.parquet"))
    assert [p.name for p in parts] == [f"part-00000{i}.parquet" for i in range(3)]
    keys = [k for p in parts for k in pq.read_table(p, columns=["key"]).column("key").to_pylist()]
    assert Counter(keys) == Counter(urls)


def test_rerun_on_the_same_output_fetches_only_missing_partitions(
    srv: str, client: Any, tmp_path: Path
) -> None:
    urls = [f"{srv}/bytes/4?i={i}" for i in range(1000)]
    out = tmp_path / "out"
    fetch(urls, out, client=client, partition_size=250)
    (out / "part-000002.jsonl").unlink()
    report = fetch(urls, out, client=client, partition_size=250)
    assert [p.reused for p in report.partitions] == [True, True, False, True]
    assert output_keys(out) == Counter(urls)


def test_limits_are_divided_across_task_slots() -> None:
    cfg = split_limits(JobConfig(per_host=10, rate_limit=90.0, concurrency=50), 4)
    assert (cfg.per_host, cfg.rate_limit, cfg.concurrency) == (3, 22.5, 50)
    assert split_limits(JobConfig(per_host=0, rate_limit=None), 4).per_host == 0


def test_redirect_settings_reach_the_workers(srv: str, client: Any, tmp_path: Path) -> None:
    urls = [f"{srv}/redirect/1", f"{srv}/redirect/2"]

    def rows(out: Path) -> dict[str, dict[str, Any]]:
        found = {}
        for part in sorted(out.glob("part-*.jsonl")):
            for line in part.read_bytes().splitlines():
                row = json.loads(line)
                found[row["key"]] = row
        return found

    off = tmp_path / "off"
    fetch(urls, off, client=client, config=JobConfig(follow_redirects=False), partition_size=1)
    assert {k: r["status"] for k, r in rows(off).items()} == {u: 302 for u in urls}
    limited = tmp_path / "limited"
    fetch(urls, limited, client=client, config=JobConfig(max_redirects=2), partition_size=1)
    got = rows(limited)
    assert got[urls[0]]["status"] == 200 and got[urls[0]]["final_url"] == f"{srv}/redirect/0"
    assert got[urls[1]]["error_type"] == "TooManyRedirects"


def test_bad_arguments(client: Any, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="partition_size must be >= 1"):
        fetch([], tmp_path, client=client, partition_size=0)
    with pytest.raises(ValueError, match="fmt must be 'jsonl' or 'parquet'"):
        fetch([], tmp_path, client=client, fmt="csv")


def test_cli_dask(srv: str, client: Any, tmp_path: Path) -> None:
    urls = [f"{srv}/bytes/4?i={i}" for i in range(2000)]
    inp = write_lines(tmp_path / "in.txt", [*urls[:1000], "not a url", *urls[1000:]])
    out = tmp_path / "out"
    address = client.scheduler.address
    args = ["fetch", inp, "-o", out, "--dask", address, "--partition-size", "500"]
    p = run_cli(*args, "--progress", "lines")
    assert p.returncode == 1  # one bad input line, reported
    assert (
        "input line 1001: url contains whitespace or control characters: 'not a url'"
        in p.stderr_text
    )
    assert "fetched   2,000 requests" in p.stderr_text
    assert re.search(r"asiofetch: 2,001/2,001 \(100.0%\)", p.stderr_text)
    assert output_keys(out) == Counter(urls)
    again = run_cli(*args, "--progress", "none")
    assert "2,000 skipped (already in the output)" in again.stderr_text
    assert output_keys(out) == Counter(urls)
    stdin = run_cli("fetch", "-", "-o", out, "--dask", address)
    assert stdin.returncode == 2 and "INPUT must be a file" in stdin.stderr_text
    for extra, message in [
        ("--fail-fast", "--fail-fast is not supported with --dask"),
        ("--overwrite", "--overwrite with --dask: remove the directory"),
    ]:
        p = run_cli(*args, extra)
        assert p.returncode == 2 and message in p.stderr_text
