import asyncio, sys, time
sys.path.insert(0, "/work/wt-batch2")
from bench import servers
import asiofetch
ng = servers.Nginx(); ng.start()
async def main():
    url = ng.url("/100b")
    async with asiofetch.ClientSession(connector=asiofetch.TCPConnector(limit=100)) as s:
        await s.gather([url]*2000, concurrency=100)
        for _ in range(3):
            last = [0.0]
            def prog(p):
                if p.done == p.total: last[0] = time.perf_counter()
            t0 = time.perf_counter()
            rs = await s.gather([url]*30000, concurrency=100, progress=prog)
            t1 = time.perf_counter()
            for r in rs: await r.read()
            t2 = time.perf_counter()
            print(f"engine phase {last[0]-t0:.3f}s ({30000/(last[0]-t0):.0f}/s)  wrap {t1-last[0]:.3f}s  read loop {t2-t1:.3f}s  total {t2-t0:.3f}s ({30000/(t2-t0):.0f}/s)")
try: asyncio.run(main())
finally: ng.stop()
