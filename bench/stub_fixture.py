"""Stand-in for the C++ fixture server (delayed and flaky endpoints) when it is not built.

Only the endpoints the benchmark uses: /delay/{ms}, /bytes/{n}, /counter?key=K and
/flaky?key=K&fail=N&status=S&mode=status|reset. HTTP/1.1 keep-alive, GET only. Results taken
against it are marked "stub" because its own speed (pure Python) can bound case 4.
Prints `READY http=<port> https=0 silent=0` like the real fixture.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import sys
from collections import Counter
from typing import cast
from urllib.parse import parse_qs, urlsplit

_counts: Counter[str] = Counter()
_REASONS = {200: "OK", 404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable"}


def _response(status: int, body: bytes) -> bytes:
    head = (
        f"HTTP/1.1 {status} {_REASONS.get(status, 'X')}\r\nContent-Length: {len(body)}\r\n"
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    return head.encode() + body


class Conn(asyncio.Protocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.t = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        self.buf = b""
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()
        self.task = asyncio.ensure_future(self.serve())

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while (i := self.buf.find(b"\r\n\r\n")) >= 0:
            head, self.buf = self.buf[:i], self.buf[i + 4 :]
            self.queue.put_nowait(head)

    def connection_lost(self, exc: Exception | None) -> None:
        self.task.cancel()

    async def serve(self) -> None:
        while True:  # one request at a time, in order (no pipelining surprises)
            head = await self.queue.get()
            target = head.split(b"\r\n", 1)[0].split(b" ")[1].decode()
            u = urlsplit(target)
            q = {k: v[0] for k, v in parse_qs(u.query).items()}
            path = u.path
            if path.startswith("/delay/"):
                await asyncio.sleep(int(path[7:]) / 1000)
                self.t.write(_response(200, b"ok"))
            elif path.startswith("/bytes/"):
                self.t.write(_response(200, b"x" * int(path[7:])))
            elif path == "/counter":
                key = q.get("key", "")
                self.t.write(
                    _response(200, json.dumps({"key": key, "count": _counts[key]}).encode())
                )
            elif path == "/flaky":
                key = q.get("key", "")
                _counts[key] += 1
                if _counts[key] <= int(q.get("fail", "1")):
                    if q.get("mode") == "reset":
                        sock = self.t.get_extra_info("socket")
                        with contextlib.suppress(OSError):
                            sock.setsockopt(
                                socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                            )
                        self.t.abort()
                        return
                    self.t.write(_response(int(q.get("status", "503")), b"fail"))
                else:
                    self.t.write(_response(200, b"ok"))
            else:
                self.t.write(_response(404, b""))


async def main() -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(Conn, "127.0.0.1", 0, backlog=16384)
    port = server.sockets[0].getsockname()[1]
    print(f"READY http={port} https=0 silent=0", flush=True)
    await server.serve_forever()


if __name__ == "__main__":
    try:
        import uvloop
    except ImportError:
        asyncio.run(main())
        sys.exit(0)
    uvloop.run(main())
