"""Start the bench nginx (pinned like the harness), run sched_client.py under the given
pythons alternately, optionally with a burner. usage: sched_drive.py N CONC BURN(-1 none) REPS PY..."""
import subprocess, sys, time
sys.path.insert(0, "/work/wt-batchfill")
from bench import servers, pinning
n, conc, burn, reps, *pys = sys.argv[1:]
ng = servers.Nginx(); ng.start()
time.sleep(0.5)
master = ng.proc.pid
kids = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()
worker = kids[0] if kids else str(master)
b = None
if int(burn) >= 0:
    b = pinning.Burner(int(burn)); b.start()
try:
    for rep in range(int(reps)):
        for py in pys:
            for mode in ("get", "batch"):
                p = subprocess.run([*pinning.client_prefix(), py, "/tmp/bf/sched_client.py", ng.url("/100b"), n, conc, mode, worker],
                                   capture_output=True, text=True, cwd="/tmp")
                print(py.split("/")[2], p.stdout.strip() or p.stderr[-500:], flush=True)
finally:
    if b: b.stop()
    ng.stop()
