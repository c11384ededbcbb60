"""One command for the whole benchmark: `python -m bench.run [--quick] [--cases ...]`.

Starts nginx and the fixture server pinned to the server core, runs every (case, client)
pair in its own pinned subprocess, in a freshly shuffled order each round, then writes
bench/results/<timestamp>/results.json (raw rounds + medians + targets), PNG charts and
bench/results/latest.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/run.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import ab, cases, ceilings, charts, machine, pinning, report, targets
from bench.servers import LISTENERS, REPO, Fixture, Nginx

RESULTS = REPO / "bench" / "results"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    p.add_argument(
        "--quick",
        action="store_true",
        help="CI mode: tiny request counts, 1 round, a few clients; no numbers asserted",
    )
    p.add_argument(
        "--cases",
        default="",
        help="comma list of case numbers or run ids (e.g. 1,3 or 1-c100,5-soak); default all",
    )
    p.add_argument(
        "--clients",
        default="",
        help="comma list of clients; default all "
        f"({', '.join(cases.CLIENTS)}); quick: {', '.join(cases.QUICK_CLIENTS)}",
    )
    p.add_argument("--rounds", type=int, default=0, help="rounds (default 3, quick 1)")
    p.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="multiply request counts (e.g. 0.2 for a shorter full run)",
    )
    p.add_argument("--no-ceilings", action="store_true", help="skip wrk and h2load")
    p.add_argument("--fixture", type=Path, default=None, help="fixture server binary")
    p.add_argument("--seed", type=int, default=None, help="shuffle seed (default random)")
    p.add_argument("--timeout", type=float, default=0, help="per-job timeout seconds")
    p.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    p.add_argument(
        "--burn",
        type=int,
        default=None,
        metavar="CPU",
        help="the loaded case: run a CPU burner at nice 0 pinned to this core for the "
        f"measured rounds (servers on {pinning.SERVER_CPU}, clients on {pinning.CLIENT_CPU})",
    )
    p.add_argument(
        "--ab",
        action="append",
        default=[],
        metavar="LABEL=PYTHON",
        help="also run every chosen asiofetch client as CLIENT@LABEL under this interpreter "
        "(another build), shuffled into the same rounds; the report adds per-round ratios",
    )
    return p.parse_args(argv)


def _select_runs(args: argparse.Namespace) -> list[cases.Run]:
    runs = cases.build(args.quick, args.scale)
    if args.cases:
        want = {w.strip() for w in args.cases.split(",") if w.strip()}
        runs = [r for r in runs if r.case in want or r.run_id in want]
    return runs


def _env() -> dict[str, str]:
    env = dict(os.environ)
    paths = [str(REPO)]
    pkg = REPO / "python" / "asiofetch"
    if any(pkg.glob("_core*.so")):  # an in-place build: use it over any installed copy
        paths.insert(0, str(REPO / "python"))
    env["PYTHONPATH"] = os.pathsep.join([*paths, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


class Harness:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.nginx = Nginx()
        self.fixture = Fixture(args.fixture)
        self.skipped: dict[str, str] = {}
        self.versions: dict[str, dict[str, str]] = {}
        self.env = _env()
        self.timeout = args.timeout or (60.0 if args.quick else 900.0)
        self.ab_variants = ab.parse(args.ab)
        ab.register(self.ab_variants)
        self.ab_labels = list(self.ab_variants)

    def _url(self, ref: Any) -> Any:
        if isinstance(ref, list | tuple) and len(ref) == 2 and isinstance(ref[0], str):
            where, path = ref
            if where == "nginx":
                return self.nginx.url(path)
            if where == "nginx-h2":
                return self.nginx.url(path, h2=True)
            if where == "nginx-ca":  # the private CA the HTTPS listeners' certificates chain to
                assert self.nginx.tls is not None
                return str(self.nginx.tls.ca)
            if where.startswith("nginx-"):
                return self.nginx.url(path, listener=where.removeprefix("nginx-"))
            if where == "fixture":
                return self.fixture.url(path)
        if isinstance(ref, dict):
            return {k: self._url(v) for k, v in ref.items()}
        return ref

    def run_client(self, run: cases.Run, client: str) -> dict[str, Any]:
        if client in self.skipped:
            return {"status": "skipped", "error": self.skipped[client]}
        module, extra = cases.CLIENTS[client]
        spec = {k: self._url(v) for k, v in run.spec.items()}
        spec.update(extra, client=client)
        python = spec.pop("python", sys.executable)  # an --ab variant runs another build
        if "flaky" in spec:  # fresh keys: every fault fires once per job
            spec["flaky"]["prefix"] = f"{client}-{uuid.uuid4().hex[:12]}"
        url = str(spec.get("url", ""))
        on_nginx = url.startswith(tuple(self.nginx.url("", listener=n) for n in LISTENERS))
        before = self.nginx.accepts() if on_nginx else -1
        tls_before = self.nginx.tls_new_handshakes()
        cmd = [
            *pinning.client_prefix(),
            python,
            "-m",
            f"bench.clients.{module}",
            json.dumps(spec),
        ]
        try:
            proc = subprocess.run(
                cmd, cwd=REPO, env=self.env, capture_output=True, text=True, timeout=self.timeout
            )
        except subprocess.TimeoutExpired:
            return {"status": "failed", "error": f"timed out after {self.timeout:.0f} s"}
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if not lines:
            err = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
            return {"status": "failed", "error": f"exit {proc.returncode}: {' | '.join(err)}"}
        res: dict[str, Any] = json.loads(lines[-1])
        if res.get("versions"):
            self.versions.setdefault(client, res["versions"])
        if res["status"] == "skipped":
            self.skipped[client] = res.get("error", "not installed")
        if "flaky" in spec and res["status"] in ("ok", "errors"):
            keys = cases.flaky_keys(spec["flaky"], int(spec["n"]))
            seen = self.fixture.attempts(keys)
            if seen is not None:
                res["server_extra_attempts"] = seen - len(keys)
        if before >= 0 and res["status"] in ("ok", "errors"):
            res["conns"] = self.nginx.accepts() - before - 1  # minus the first status poll
        resumed, total = (
            a - b for a, b in zip(self.nginx.tls_new_handshakes(), tls_before, strict=True)
        )
        if total > 0 and res["status"] in ("ok", "errors"):
            # Warm-up included: its first handshake per connection slot is a full one.
            res["tls_resumed"] = resumed / total
        return res

    def run_ceiling(self, run: cases.Run) -> dict[str, Any]:
        c = run.ceiling
        assert c is not None
        secs, warm = (1.0, 0.0) if self.args.quick else (6.0, 2.0)
        try:
            if c["tool"] == "wrk":
                return ceilings.wrk(
                    self.nginx.url(c["path"], listener=c.get("listener", "h1")),
                    c["connections"],
                    secs,
                    c["body"],
                    warm,
                )
            return ceilings.h2load(
                self.nginx.url(c["path"], listener=c.get("listener", "h2")),
                c["connections"],
                c["streams"],
                secs,
                c["body"],
                warm,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            return {"status": "failed", "error": f"{type(exc).__name__}: {exc}"}

    def jobs(self, runs: list[cases.Run], rnd: int) -> list[tuple[cases.Run, str]]:
        chosen = [c.strip() for c in self.args.clients.split(",") if c.strip()]
        if not chosen:
            chosen = cases.QUICK_CLIENTS if self.args.quick else list(cases.CLIENTS)
        unknown = set(chosen) - set(cases.CLIENTS)
        if unknown:
            raise SystemExit(f"unknown clients: {', '.join(sorted(unknown))}")
        out: list[tuple[cases.Run, str]] = []
        for run in runs:
            if run.max_rounds and rnd >= run.max_rounds:
                continue
            for c in run.clients:
                if c in chosen:
                    out += [(run, c), *((run, v) for v in ab.variants_of(c, self.ab_labels))]
            if run.ceiling and not self.args.no_ceilings:
                out.append((run, run.ceiling["tool"]))
        return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    pinning.raise_nofile()
    runs = _select_runs(args)
    rounds = args.rounds or (1 if args.quick else 3)
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    h = Harness(args)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    outdir = args.out / stamp
    outdir.mkdir(parents=True, exist_ok=True)
    records: list[dict[str, Any]] = []
    t_start = time.monotonic()
    load_start = machine.loadavg()
    if load_start[0] > 0.5:
        print(
            f"warning: machine not idle (load average {load_start}); numbers will be noisy",
            file=sys.stderr,
        )
    need_fixture = any(str(r.spec.get("url", ("",))[0]) == "fixture" for r in runs)
    burner = pinning.Burner(args.burn) if args.burn is not None else None
    burn_info: dict[str, object] = {}
    h.nginx.start()
    try:
        if need_fixture:
            h.fixture.start()
        if burner is not None:
            burner.start()
            burn_info = burner.describe()
        for rnd in range(rounds):
            jobs = h.jobs(runs, rnd)
            rng.shuffle(jobs)
            for i, (run, client) in enumerate(jobs):
                t0 = time.monotonic()
                is_ceiling = client in ("wrk", "h2load")
                res = h.run_ceiling(run) if is_ceiling else h.run_client(run, client)
                report.derive({"spec": run.spec}, res)
                records.append(
                    {
                        "round": rnd,
                        "order": i,
                        "run_id": run.run_id,
                        "case": run.case,
                        "client": client,
                        "status": res.get("status", "failed"),
                        "error": res.get("error", ""),
                        "result": res,
                        "elapsed_s": time.monotonic() - t0,
                    }
                )
                _progress(rnd, i, len(jobs), run, client, res)
    finally:
        if burner is not None:
            burner.stop()
        h.fixture.stop()
        h.nginx.stop()

    run_dicts = [vars(r) for r in runs]
    metric_of = {r.run_id: r.metric for r in runs}
    summary = report.summarize(records, metric_of)
    meta = {
        "timestamp": stamp,
        "mode": "quick" if args.quick else "full",
        "rounds": rounds,
        "seed": seed,
        # The burner (the loaded case) is part of the machine state the numbers saw.
        "machine": {**machine.info(), **burn_info},
        "pinning": pinning.describe(),
        "fixture": h.fixture.kind if need_fixture else "not used",
        "tools": {
            "nginx": h.nginx.version,
            "wrk": ceilings.version("wrk"),
            "h2load": ceilings.version("h2load"),
        },
        "versions": h.versions,
        "skipped": h.skipped,
        "results_json": f"bench/results/{stamp}/results.json",
        "duration_s": round(time.monotonic() - t_start, 1),
        "argv": sys.argv[1:],
        "loadavg_start": load_start,
        "loadavg_end": machine.loadavg(),
    }
    tgt = targets.evaluate(summary, meta)
    try:
        made = charts.render(run_dicts, summary, outdir)
    except ImportError as exc:
        print(f"charts skipped: {exc}", file=sys.stderr)
        made = []
    ab_rows = ab.table(records, h.ab_labels)
    meta["ab"] = h.ab_variants
    doc = {
        "meta": meta,
        "runs": run_dicts,
        "records": records,
        "summary": summary,
        "targets": tgt,
        "ab": ab_rows,
    }
    (outdir / "results.json").write_text(json.dumps(doc, indent=1, default=str))
    rel = os.path.relpath(outdir, args.out)
    md = report.markdown(meta, run_dicts, summary, tgt, [f"{rel}/{c}" for c in made])
    md += "\n".join(ab.markdown(ab_rows)) + ("\n" if ab_rows else "")
    (args.out / "latest.md").write_text(md)
    # Chart links relative to the run's own directory; the JSON path keeps its full form.
    here = md.replace(f"({rel}/", "(").replace(f"[{rel}/", "[")
    (outdir / "results.md").write_text(here)
    print(md)
    print(f"results: {outdir / 'results.json'}  ({meta['duration_s']} s)", file=sys.stderr)
    return 0


def _progress(rnd: int, i: int, n: int, run: cases.Run, client: str, res: dict[str, Any]) -> None:
    m = run.metric
    val = res.get(m)
    shown = f"{m}={val:.4g}" if isinstance(val, int | float) else ""
    err = "" if res.get("status") == "ok" else f" {str(res.get('error', ''))[:100]}"
    print(
        f"[round {rnd + 1} {i + 1}/{n}] {run.run_id:<16} {client:<24} "
        f"{res.get('status', '?'):<8} {shown}{err}",
        file=sys.stderr,
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
