"""Per-round batch/per-request ratios and client-core use from a bench.run results.json.
usage: python ratios.py results.json [run_id]"""
import json, statistics, sys
doc = json.load(open(sys.argv[1]))
run_id = sys.argv[2] if len(sys.argv) > 2 else "1-c100"
rec = [r for r in doc["records"] if r["run_id"] == run_id and r["status"] in ("ok", "errors")]
by = {}
for r in rec:
    res = r["result"]
    util = res.get("cpu_util")
    if util is None and res.get("wall_s"):
        util = (res["cpu_user_s"] + res["cpu_sys_s"]) / res["wall_s"]
    by.setdefault(r["round"], {})[r["client"]] = (res["rps"], util, res.get("cpu_per_1k"), res.get("bad", 0))
def med(xs):
    xs = [x for x in xs if x is not None]
    return f"{statistics.median(xs):.3f} [{min(xs):.3f}-{max(xs):.3f}]" if xs else "n/a"
labels = sorted({c.split("@")[1] for r in by.values() for c in r if "@" in c})
print(f"{run_id}: {len(by)} rounds; load {doc['meta']['loadavg_start']} -> {doc['meta']['loadavg_end']}; burn {doc['meta']['machine'].get('burn_cpu')}")
print("| build | batch / per-request req/s | per-request core use | batch core use | per-request CPU-ms/1k | batch CPU-ms/1k |")
print("|---|---|---|---|---|---|")
for lab in ["", *labels]:
    suf = f"@{lab}" if lab else ""
    pr, bt = f"asiofetch{suf}", f"asiofetch-batch{suf}"
    ratios = [v[bt][0] / v[pr][0] for v in by.values() if pr in v and bt in v]
    up = [v[pr][1] for v in by.values() if pr in v]
    ub = [v[bt][1] for v in by.values() if bt in v]
    cp = [v[pr][2] for v in by.values() if pr in v]
    cb = [v[bt][2] for v in by.values() if bt in v]
    print(f"| {lab or 'this'} | {med(ratios)} | {med(up)} | {med(ub)} | {med(cp)} | {med(cb)} |")
if labels:
    lab = labels[0]
    for c in ("asiofetch", "asiofetch-batch"):
        r = [v[c][0] / v[f"{c}@{lab}"][0] for v in by.values() if c in v and f"{c}@{lab}" in v]
        print(f"{c}: this/{lab} req/s {med(r)}")
bad = sum(v[3] for r in by.values() for v in r.values())
print("failed responses:", bad)
