"""`asiofetch fetch` end to end: a child process against the built-in local server."""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from asiofetch.cli.outputs import BodyPolicy
from asiofetch.cli.server import LocalServer
from cli_helpers import ENV, read_rows, run_cli, write_lines


@pytest.fixture(scope="module")
def srv() -> Iterator[str]:
    with LocalServer() as server:
        yield server.url


def by_key(rows: list[dict]) -> dict[str, dict]:
    out = {r["key"]: r for r in rows}
    assert len(out) == len(rows), "a key appears twice"
    return out


# ---- input formats and rows ---------------------------------------------------------------


def test_url_lines_give_one_complete_row_each(srv: str, tmp_path: Path) -> None:
    urls = [f"{srv}/bytes/{n}" for n in (0, 1, 100, 5000)] + [f"{srv}/redirect/2"]
    inp = write_lines(tmp_path / "in.txt", ["# a comment", *urls[:2], "", *urls[2:]])
    out = tmp_path / "out.jsonl"
    p = run_cli("fetch", inp, "-o", out, "--progress", "none")
    assert p.returncode == 0, p.stderr_text
    rows = by_key(read_rows(out))
    assert set(rows) == set(urls)
    for n in (0, 1, 100, 5000):
        r = rows[f"{srv}/bytes/{n}"]
        assert r["status"] == 200 and r["reason"] == "OK" and r["method"] == "GET"
        assert r["bytes"] == n
        assert r["body"] == ("x" * n if n else None)
        assert r["headers"]["content-length"] == str(n)
        assert r["attempts"] == 1
        assert r["error_type"] is None and r["error_message"] is None
        assert r["final_url"] == r["url"]
        assert r["timings"]["total"] == r["elapsed"] > 0
        assert r["http_version"] == "1.1"
    assert rows[f"{srv}/bytes/1"]["line"] == 3  # the comment and the blank line count
    redirected = rows[f"{srv}/redirect/2"]
    assert redirected["status"] == 200
    assert redirected["final_url"] == f"{srv}/redirect/0"


def test_jsonl_rows_carry_method_headers_body_and_key(srv: str, tmp_path: Path) -> None:
    lines = [
        json.dumps(
            {
                "url": f"{srv}/echo",
                "method": "POST",
                "body": "héllo",
                "key": "a",
                "headers": {"X-Job": "1"},
            }
        ),
        json.dumps({"url": f"{srv}/echo", "method": "put", "json": {"n": 1}, "key": 7}),
        json.dumps({"url": f"{srv}/echo"}),
    ]
    inp = write_lines(tmp_path / "in.jsonl", lines)
    out = tmp_path / "out.jsonl"
    p = run_cli("fetch", inp, "-o", out, "-H", "X-All: yes", "--progress", "none")
    assert p.returncode == 0, p.stderr_text
    rows = by_key(read_rows(out))
    assert set(rows) == {"a", "7", f"{srv}/echo"}
    a = json.loads(rows["a"]["body"])
    assert a["method"] == "POST" and a["body"] == "héllo"
    assert a["headers"]["x-job"] == "1" and a["headers"]["x-all"] == "yes"
    assert rows["a"]["method"] == "POST"
    seven = json.loads(rows["7"]["body"])
    assert seven["method"] == "PUT" and json.loads(seven["body"]) == {"n": 1}
    assert seven["headers"]["content-type"] == "application/json"
    plain = json.loads(rows[f"{srv}/echo"]["body"])
    assert plain["method"] == "GET" and plain["headers"]["x-all"] == "yes"


def test_csv_column_by_name_and_stdin(srv: str, tmp_path: Path) -> None:
    csv_text = f'id,link\n1,{srv}/bytes/3\n2,"{srv}/bytes/4"\n'
    out = tmp_path / "out.jsonl"
    p = run_cli(
        "fetch",
        "-",
        "-o",
        out,
        "--csv-column",
        "link",
        "--progress",
        "none",
        stdin=csv_text.encode(),
    )
    assert p.returncode == 0, p.stderr_text
    rows = by_key(read_rows(out))
    assert {k: r["bytes"] for k, r in rows.items()} == {f"{srv}/bytes/3": 3, f"{srv}/bytes/4": 4}
    assert {r["line"] for r in rows.values()} == {2, 3}

    missing = run_cli(
        "fetch", "-", "-o", tmp_path / "o2.jsonl", "--csv-column", "url", stdin=csv_text.encode()
    )
    assert missing.returncode == 1
    assert "--csv-column 'url' is not in the header ['id', 'link']" in missing.stderr_text


def test_bad_input_lines_are_reported_by_line_and_skipped(srv: str, tmp_path: Path) -> None:
    lines = [
        f"{srv}/bytes/1",
        "{not json",
        "ftp://example.org/x",
        json.dumps({"url": f"{srv}/bytes/2", "method": "BREW"}),
        "http:///nohost",
        json.dumps({"url": f"{srv}/bytes/2", "extra": 1}),
        # libcurl refuses these; one of them in a native batch would fail the whole batch
        "http://[::1::2]/",
        "http://[1.2.3.4]/",
        "http://h:65536/",
        "http://h%20x/",
        f"{srv}/bytes/3",
    ]
    inp = write_lines(tmp_path / "in.txt", lines)
    out = tmp_path / "out.jsonl"
    p = run_cli("fetch", inp, "-o", out, "--progress", "none")
    assert p.returncode == 1  # the job ran, but not every line was fetched
    assert set(by_key(read_rows(out))) == {f"{srv}/bytes/1", f"{srv}/bytes/3"}
    reported = re.findall(r"input line (\d+): ", p.stderr_text)
    assert reported == ["2", "3", "4", "5", "6", "7", "8", "9", "10"]
    assert "invalid JSON" in p.stderr_text and "not an http(s) url" in p.stderr_text
    assert "unknown field(s) ['extra']" in p.stderr_text
    assert "invalid IPv6 address: 'http://[::1::2]/'" in p.stderr_text
    assert "port out of range: 'http://h:65536/'" in p.stderr_text
    assert "0 skipped (already in the output), 9 bad lines" in p.stderr_text


def test_errors_and_summary_counts(srv: str, tmp_path: Path) -> None:
    urls = (
        [f"{srv}/bytes/10?i={i}" for i in range(10)]
        + [f"{srv}/status/404?i={i}" for i in range(3)]
        + [f"{srv}/status/503?i={i}" for i in range(2)]
        + [f"{srv}/close", "http://127.0.0.1:9/refused"]
    )
    inp = write_lines(tmp_path / "in.txt", urls)
    out = tmp_path / "out.jsonl"
    p = run_cli("fetch", inp, "-o", out, "--progress", "none")
    assert p.returncode == 0, p.stderr_text
    rows = by_key(read_rows(out))
    assert rows[f"{srv}/close"]["error_type"] == "ServerDisconnectedError"
    refused = rows["http://127.0.0.1:9/refused"]
    assert refused["error_type"] == "ClientConnectorError" and refused["status"] is None
    assert refused["error_message"]
    assert "fetched   17 requests" in p.stderr_text
    assert "status    2xx 10  4xx 3  5xx 2  error 2" in p.stderr_text
    errors = re.search(r"errors    (.*)", p.stderr_text)
    assert errors is not None
    assert sorted(errors.group(1).split("  ")) == [
        "ClientConnectorError 1",
        "ServerDisconnectedError 1",
    ]
    assert re.search(r"latency   p50 [\d.]+ ms  p95 [\d.]+ ms  p99 [\d.]+ ms", p.stderr_text)
    assert "100 B of bodies" in p.stderr_text


def test_retries_are_counted_in_attempts(srv: str, tmp_path: Path) -> None:
    inp = write_lines(tmp_path / "in.txt", [f"{srv}/status/503"])
    out = tmp_path / "out.jsonl"
    p = run_cli(
        "fetch", inp, "-o", out, "--retries", "2", "--backoff", "0.01", "--progress", "none"
    )
    assert p.returncode == 0, p.stderr_text
    (row,) = read_rows(out)
    assert row["status"] == 503 and row["attempts"] == 3


def test_bodies_over_inline_max_go_to_files(srv: str, tmp_path: Path) -> None:
    inp = write_lines(tmp_path / "in.txt", [f"{srv}/bytes/10", f"{srv}/bytes/11"])
    out = tmp_path / "out.jsonl"
    bodies = tmp_path / "bodies"
    p = run_cli(
        "fetch",
        inp,
        "-o",
        out,
        "--body-inline-max",
        "10",
        "--bodies-dir",
        bodies,
        "--progress",
        "none",
    )
    assert p.returncode == 0, p.stderr_text
    rows = by_key(read_rows(out))
    small, big = rows[f"{srv}/bytes/10"], rows[f"{srv}/bytes/11"]
    assert small["body"] == "x" * 10 and small["body_path"] is None
    assert big["body"] is None and Path(big["body_path"]).read_bytes() == b"x" * 11
    assert Path(big["body_path"]).is_relative_to(bodies)


def test_body_policy_inlines_utf8_text_and_base64_otherwise(tmp_path: Path) -> None:
    policy = BodyPolicy(4, None)
    row: dict = {}
    policy.place("k", "é!".encode(), row)
    assert row == {"body": "é!", "body_encoding": "utf-8"}
    row = {}
    policy.place("k", b"\xff\x00", row)
    assert row == {"body": base64.b64encode(b"\xff\x00").decode(), "body_encoding": "base64"}
    row = {}
    policy.place("k", b"12345", row)  # over the limit and no bodies dir: left out
    assert row == {}


def test_parquet_output(srv: str, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    urls = [f"{srv}/bytes/{n}" for n in range(1, 6)]
    inp = write_lines(tmp_path / "in.txt", urls)
    out = tmp_path / "out.parquet"
    p = run_cli("fetch", inp, "-o", out, "--progress", "none")
    assert p.returncode == 0, p.stderr_text
    table = pq.read_table(out).to_pylist()
    assert sorted((r["key"], r["bytes"], r["status"]) for r in table) == [
        (u, n, 200) for n, u in enumerate(urls, 1)
    ]
    assert all(dict(r["headers"])["content-length"] == str(r["bytes"]) for r in table)


# ---- redirects ----------------------------------------------------------------------------


def test_redirects_followed_up_to_the_limit_or_not_at_all(srv: str, tmp_path: Path) -> None:
    # aiohttp's counting, as the session's: --max-redirects 3 follows two, the third is an error.
    urls = [f"{srv}/redirect/2", f"{srv}/redirect/3", f"{srv}/redirect/0"]
    inp = write_lines(tmp_path / "in.txt", urls)
    out = tmp_path / "limited.jsonl"
    p = run_cli("fetch", inp, "-o", out, "--max-redirects", "3", "--progress", "none")
    assert p.returncode == 0, p.stderr_text
    rows = by_key(read_rows(out))
    followed = rows[f"{srv}/redirect/2"]
    assert followed["status"] == 200 and followed["final_url"] == f"{srv}/redirect/0"
    over = rows[f"{srv}/redirect/3"]
    assert over["status"] is None and over["error_type"] == "TooManyRedirects"
    assert "errors    TooManyRedirects 1" in p.stderr_text
    assert rows[f"{srv}/redirect/0"]["status"] == 200

    out = tmp_path / "off.jsonl"
    p = run_cli("fetch", inp, "-o", out, "--no-redirects", "--progress", "none")
    assert p.returncode == 0, p.stderr_text
    rows = by_key(read_rows(out))
    for n in (2, 3):
        r = rows[f"{srv}/redirect/{n}"]
        assert r["status"] == 302 and r["error_type"] is None
        assert r["final_url"] == r["url"] == f"{srv}/redirect/{n}"
        assert r["headers"]["location"] == f"/redirect/{n - 1}"
    assert rows[f"{srv}/redirect/0"]["status"] == 200

    default = tmp_path / "default.jsonl"
    deep = write_lines(tmp_path / "deep.txt", [f"{srv}/redirect/9", f"{srv}/redirect/10"])
    p = run_cli("fetch", deep, "-o", default, "--progress", "none")
    rows = by_key(read_rows(default))
    assert rows[f"{srv}/redirect/9"]["status"] == 200  # the default: 10, as aiohttp's
    assert rows[f"{srv}/redirect/10"]["error_type"] == "TooManyRedirects"


# ---- arguments ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--concurrency", "0"], "argument -c/--concurrency: must be >= 1, got 0"),
        (["--rate-limit", "-3"], "argument --rate-limit: must be a finite number > 0"),
        (["-H", "NoColon"], "argument -H/--header: expected 'Name: value'"),
        (["--timeout", "nan"], "argument --timeout: must be a finite number > 0"),
        (["--no-redirects", "--max-redirects", "3"], "--no-redirects and --max-redirects exclude"),
        (["--max-redirects", "0"], "argument --max-redirects: must be >= 1, got 0"),
        (["--per-host", "200"], "--per-host cannot exceed --concurrency"),
        (["--proxy", "nowhere"], "--proxy must be an http(s):// or socks URL"),
        (["--resume", "--overwrite"], "--resume and --overwrite exclude each other"),
    ],
)
def test_bad_arguments_are_argparse_errors(tmp_path: Path, args: list[str], message: str) -> None:
    inp = write_lines(tmp_path / "in.txt", ["http://127.0.0.1:9/"])
    p = run_cli("fetch", inp, "-o", tmp_path / "out.jsonl", *args)
    assert p.returncode == 2
    assert p.stderr_text.startswith("usage: asiofetch fetch")
    assert message in p.stderr_text
    assert not (tmp_path / "out.jsonl").exists()


def test_missing_input_and_existing_output(tmp_path: Path) -> None:
    p = run_cli("fetch", tmp_path / "nope.txt", "-o", tmp_path / "out.jsonl")
    assert p.returncode == 2 and "is not a file" in p.stderr_text
    inp = write_lines(tmp_path / "in.txt", ["http://127.0.0.1:9/"])
    out = write_lines(tmp_path / "out.jsonl", ['{"key": "x"}'])
    p = run_cli("fetch", inp, "-o", out)
    assert p.returncode == 2 and "exists: pass --resume to continue it or --overwrite" in (
        p.stderr_text
    )
    assert out.read_text() == '{"key": "x"}\n'


# ---- fail-fast, progress --------------------------------------------------------------------


def test_fail_fast_stops_at_the_first_failure(srv: str, tmp_path: Path) -> None:
    urls = [f"{srv}/bytes/1?i={i}" for i in range(5)] + [f"{srv}/status/500"]
    urls += [f"{srv}/bytes/1?j={i}" for i in range(50)]
    inp = write_lines(tmp_path / "in.txt", urls)
    out = tmp_path / "out.jsonl"
    p = run_cli("fetch", inp, "-o", out, "--fail-fast", "-c", "1", "--progress", "none")
    assert p.returncode == 1
    rows = read_rows(out)
    # One request at a time: the rows are the input up to the failure, in order.
    assert [r["key"] for r in rows] == urls[:6]
    assert f"stopped by --fail-fast at: {srv}/status/500" in p.stderr_text


def test_progress_lines_when_stderr_is_not_a_tty(srv: str, tmp_path: Path) -> None:
    urls = [f"{srv}/delay/20?i={i}" for i in range(60)]
    inp = write_lines(tmp_path / "in.txt", urls)
    p = run_cli("fetch", inp, "-o", tmp_path / "out.jsonl", "-c", "2", "--progress-interval", "0.1")
    assert p.returncode == 0, p.stderr_text
    assert "\r" not in p.stderr_text and "\x1b" not in p.stderr_text
    progress = [ln for ln in p.stderr_text.splitlines() if ln.startswith("asiofetch: ")]
    pattern = re.compile(
        r"asiofetch: ([\d,]+)/60 \(([\d.]+)%\)  [\d,]+ req/s  errors 0  elapsed [\d.,]+s"
    )
    done = []
    for line in progress:
        m = pattern.match(line)
        assert m, line
        done.append(int(m.group(1).replace(",", "")))
    assert len(done) >= 3  # 60 x 20 ms over 2 connections: about 0.6 s at 0.1 s per line
    assert done == sorted(done) and done[-1] == 60
    assert progress[-1].startswith("asiofetch: 60/60 (100.0%)")


# ---- interruption and resume ----------------------------------------------------------------


def _start(args: list[str | Path]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "asiofetch", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
    )


def _wait_for_rows(out: Path, proc: subprocess.Popen[bytes], at_least: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and out.read_bytes().count(b"\n") >= at_least:
            return
        time.sleep(0.05)
    raise AssertionError(f"no {at_least} rows before the job ended (rc={proc.poll()})")


def test_sigint_stops_cleanly_and_resume_fetches_the_rest(srv: str, tmp_path: Path) -> None:
    n = 3000
    urls = [f"{srv}/bytes/64?i={i}" for i in range(n)]
    inp = write_lines(tmp_path / "in.txt", urls)
    out = tmp_path / "out.jsonl"
    # A rate limit makes the job take ~3 s, so SIGINT lands in the middle.
    proc = _start(["fetch", inp, "-o", out, "--rate-limit", "1000", "--progress", "none"])
    _wait_for_rows(out, proc, 300)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err.decode()
    assert b"interrupted: every row written is complete" in err
    first = read_rows(out)  # every line whole
    assert 300 <= len(first) < n
    assert len(by_key(first)) == len(first)

    p = run_cli("fetch", inp, "-o", out, "--resume", "--progress", "none")
    assert p.returncode == 0, p.stderr_text
    assert f"resuming: {len(first):,} rows already in" in p.stderr_text
    assert f"{len(first):,} skipped (already in the output)" in p.stderr_text
    rows = read_rows(out)
    assert Counter(r["key"] for r in rows) == Counter(urls)  # every URL exactly once
    assert rows[: len(first)] == first  # the resumed job only appended


def test_sigterm_stops_cleanly_with_143(srv: str, tmp_path: Path) -> None:
    urls = [f"{srv}/delay/20?i={i}" for i in range(500)]
    inp = write_lines(tmp_path / "in.txt", urls)
    out = tmp_path / "out.jsonl"
    proc = _start(["fetch", inp, "-o", out, "-c", "2", "--progress", "none"])
    _wait_for_rows(out, proc, 10)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err.decode()
    rows = read_rows(out)
    assert 10 <= len(rows) < 500
    assert {r["key"] for r in rows} <= set(urls)


def test_resume_drops_a_half_written_last_line(srv: str, tmp_path: Path) -> None:
    urls = [f"{srv}/bytes/5?i={i}" for i in range(20)]
    inp = write_lines(tmp_path / "in.txt", urls)
    out = tmp_path / "out.jsonl"
    assert run_cli("fetch", inp, "-o", out, "--progress", "none").returncode == 0
    data = out.read_bytes().splitlines(keepends=True)
    cut_row = json.loads(data[12])
    # A crash (SIGKILL, power loss) in the middle of a write: 12 rows and half of one.
    out.write_bytes(b"".join(data[:12]) + data[12][: len(data[12]) // 2])
    p = run_cli("fetch", inp, "-o", out, "--resume", "--progress", "none")
    assert p.returncode == 0, p.stderr_text
    assert "resuming: 12 rows already in" in p.stderr_text
    assert "a partial last line was cut off" in p.stderr_text
    rows = read_rows(out)
    assert Counter(r["key"] for r in rows) == Counter(urls)
    assert cut_row["key"] in {r["key"] for r in rows[12:]}


def test_resume_refuses_a_file_that_is_not_ours(tmp_path: Path) -> None:
    inp = write_lines(tmp_path / "in.txt", ["http://127.0.0.1:9/"])
    out = write_lines(tmp_path / "out.jsonl", ["not json", '{"key": "a"}'])
    p = run_cli("fetch", inp, "-o", out, "--resume")
    assert p.returncode == 2 and "line 1 is not a result row" in p.stderr_text
    assert out.read_text() == 'not json\n{"key": "a"}\n'


# ---- demo, serve, get ---------------------------------------------------------------------


def test_demo_runs_against_its_own_server(tmp_path: Path) -> None:
    out = tmp_path / "demo.jsonl"
    p = run_cli("demo", "-n", "2000", "-o", out, "--progress", "lines")
    assert p.returncode == 0, p.stderr_text
    rows = read_rows(out)
    assert len(rows) == 2000 == len(by_key(rows))
    # demo_items: per 1000 URLs, one /close, ten 404s and ten 503s.
    assert "status    2xx 1,958  4xx 20  5xx 20  error 2" in p.stderr_text
    assert "errors    ServerDisconnectedError 2" in p.stderr_text
    assert "asiofetch: 2,000/2,000 (100.0%)" in p.stderr_text


def test_get_still_prints_one_response(srv: str) -> None:
    p = run_cli("get", f"{srv}/bytes/3")
    assert p.returncode == 0
    assert p.stdout_text.startswith("HTTP/1.1 200 OK\n")
    assert p.stdout_text.endswith("\n\nxxx")


def test_stdout_output(srv: str) -> None:
    p = run_cli("fetch", "-", "-o", "-", "--progress", "none", stdin=f"{srv}/bytes/2\n".encode())
    assert p.returncode == 0
    (row,) = [json.loads(x) for x in p.stdout_text.splitlines()]
    assert row["body"] == "xx"


def test_console_script_is_installed() -> None:
    script = Path(sys.executable).with_name("asiofetch")
    assert script.exists()
    p = subprocess.run([script, "fetch", "--help"], capture_output=True, env=ENV, timeout=30)
    assert p.returncode == 0 and b"--resume" in p.stdout
    assert os.access(script, os.X_OK)


def test_fields_select_the_columns(srv: str, tmp_path: Path) -> None:
    inp = write_lines(tmp_path / "in.txt", [f"{srv}/bytes/3"])
    out = tmp_path / "out.jsonl"
    p = run_cli("fetch", inp, "-o", out, "--fields", "status,bytes", "--progress", "none")
    assert p.returncode == 0, p.stderr_text
    assert read_rows(out) == [{"key": f"{srv}/bytes/3", "status": 200, "bytes": 3}]
    bad = run_cli("fetch", inp, "-o", tmp_path / "o2.jsonl", "--fields", "status,nope")
    assert bad.returncode == 2 and "--fields: unknown column(s) ['nope']" in bad.stderr_text


def test_http2_prior_knowledge_on_nginx(nginx: Any, tmp_path: Path) -> None:
    inp = write_lines(tmp_path / "in.txt", [f"{nginx.h2c_url}/small.txt?i={i}" for i in range(3)])
    out = tmp_path / "out.jsonl"
    p = run_cli("fetch", inp, "-o", out, "--http2", "--progress", "none")
    assert p.returncode == 0, p.stderr_text
    rows = read_rows(out)
    assert [(r["status"], r["http_version"], r["bytes"]) for r in rows] == [(200, "2.0", 100)] * 3
