"""Start the bench nginx, run one client job (optionally under a wrapper), print its result.
usage: drive.py PYTHON MODE LISTENER PATH N CONC [wrapper words...]"""
import json, subprocess, sys, os
sys.path.insert(0, "/work/wt-batch2")
from bench import servers, pinning
py, mode, listener, path, n, conc, *wrap = sys.argv[1:]
ng = servers.Nginx(); ng.start()
try:
    spec = {"url": ng.url(path, listener=listener), "n": int(n), "warmup": max(100, 2*int(conc)), "concurrency": int(conc),
            "expect_bytes": 100, "client": "x", "mode": mode}
    if listener.startswith("tls"):
        spec["ca_file"] = str(ng.tls.ca)
    if mode != "batch": spec.pop("mode")
    cmd = [*pinning.client_prefix(), *wrap, py, "-m", "bench.clients.asiofetch", json.dumps(spec)]
    p = subprocess.run(cmd, cwd="/work/wt-batch2", capture_output=True, text=True)
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if lines:
        r = json.loads(lines[-1]); r.pop("latencies", None)
        print(json.dumps({k: r.get(k) for k in ("status","good","bad","errors","error_samples","rps","cpu_per_1k","wall_s","lat_p99_ms","conns")})[:3000])
    else:
        print("FAILED", p.returncode, p.stderr[-2000:])
    print("tls", ng.tls_new_handshakes())
finally:
    ng.stop()
