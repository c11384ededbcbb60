"""One measured gather (batch) or per-request run; prints where the client's and nginx's
time went over the window, from /proc schedstat (run ns, runqueue-wait ns).
usage: python sched_client.py URL N CONC MODE NGINX_WORKER_PID"""
import asyncio, json, os, sys, time, resource
import asiofetch
url, n, conc, mode, ngpid = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
main_tid = os.getpid()
def tids():
    return [int(t) for t in os.listdir("/proc/self/task")]
def ss(path):
    try:
        run, wait, _ = map(int, open(path).read().split()); return run, wait
    except OSError:
        return 0, 0
def snap():
    d = {t: ss(f"/proc/self/task/{t}/schedstat") for t in tids()}
    d["nginx"] = ss(f"/proc/{ngpid}/schedstat")
    return d
async def main():
    async with asiofetch.Session(connector=asiofetch.TCPConnector(limit=conc)) as s:
        await s.gather([url] * max(1000, 2 * conc), concurrency=conc)
        last = [0.0]
        def prog(p):
            if p.done == p.total: last[0] = time.perf_counter()
        a = snap(); r0 = resource.getrusage(resource.RUSAGE_SELF); t0 = time.perf_counter()
        if mode == "batch":
            rs = await s.gather([url] * n, concurrency=conc, return_exceptions=True, progress=prog)
            t1 = time.perf_counter()
            ok = 0
            for r in rs:
                if not isinstance(r, BaseException) and r.status == 200 and len(await r.read()) == 100: ok += 1
        else:
            ok = 0; nxt = 0
            async def worker():
                nonlocal ok, nxt
                while nxt < n:
                    nxt += 1
                    r = await s.get(url)
                    if r.status == 200 and len(await r.read()) == 100: ok += 1
            await asyncio.gather(*(worker() for _ in range(conc)))
            t1 = last[0] = time.perf_counter()
        t2 = time.perf_counter(); b = snap(); r1 = resource.getrusage(resource.RUSAGE_SELF)
        wall = t2 - t0
        out = {"mode": mode, "ok": ok, "rps": n / wall, "wall": wall, "engine_phase": last[0] - t0, "after": t2 - last[0],
               "cpu_util": (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) / wall}
        for k in b:
            if k not in a: continue
            run = (b[k][0] - a[k][0]) / 1e9 / wall; wait = (b[k][1] - a[k][1]) / 1e9 / wall
            name = "nginx" if k == "nginx" else ("main" if k == main_tid else f"t{k}")
            if run > 0.005 or wait > 0.005:
                out[name] = f"run {run:.2f} runq {wait:.2f} off {1 - run - wait:.2f}"
        print(json.dumps(out))
asyncio.run(main())
