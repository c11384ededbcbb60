"""The built-in local HTTP/1.1 server behind `asiofetch serve` and the demo (no build tree needed).

An asyncio Protocol with keep-alive and pipelining. Routes:
  /bytes/N        N bytes of b"x" (N <= 16 MiB)
  /status/N       an empty response with status N
  /redirect/N     302 to /redirect/N-1; /redirect/0 answers 200
  /delay/MS       200 after MS milliseconds (<= 60 s)
  /echo           the request as JSON: method, target, headers (lower-case names), body
  /close          closes the connection without a response (a server-side disconnect)
  anything else   200 with a short text body naming the path
Request bodies (Content-Length) are read (echoed by /echo); chunked request bodies are refused
with 411, which nothing in asiofetch's job sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from http import HTTPStatus
from typing import Any, cast

_MAX_BYTES = 16 * 1024 * 1024
_MAX_HEAD = 64 * 1024


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


class _HttpProtocol(asyncio.Protocol):
    def __init__(self) -> None:
        self._buf = bytearray()
        self._transport: asyncio.Transport | None = None
        # (method, target, close, body length) of a request whose body is still arriving
        self._waiting: tuple[str, str, bool, int] | None = None
        self._busy = False  # a delayed response is pending: later requests wait (ordering)
        self._closed = False
        self._headers: dict[str, str] = {}  # of the request being answered (for /echo)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def connection_lost(self, exc: Exception | None) -> None:
        self._closed = True

    def data_received(self, data: bytes) -> None:
        self._buf += data
        self._process()

    def _process(self) -> None:
        transport = self._transport
        assert transport is not None
        while not self._busy and not self._closed:
            if self._waiting is not None:
                method, target, close, length = self._waiting
                if len(self._buf) < length:
                    return
                body = bytes(self._buf[:length])
                del self._buf[:length]
                self._waiting = None
                self._route(method, target, close, body)
                continue
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buf) > _MAX_HEAD:
                    self._send(431, b"", close=True)
                return
            head = bytes(self._buf[:end]).decode("latin-1")
            del self._buf[: end + 4]
            lines = head.split("\r\n")
            parts = lines[0].split(" ")
            if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
                self._send(400, b"bad request line\n", close=True)
                return
            method, target, version = parts
            headers = {}
            for line in lines[1:]:
                name, sep, value = line.partition(":")
                if not sep:
                    self._send(400, b"bad header line\n", close=True)
                    return
                headers[name.strip().lower()] = value.strip()
            if "chunked" in headers.get("transfer-encoding", "").lower():
                self._send(411, b"", close=True)
                return
            try:
                length = int(headers.get("content-length", "0"))
                if not 0 <= length <= _MAX_BYTES:
                    raise ValueError(length)
            except ValueError:
                self._send(400, b"bad content-length\n", close=True)
                return
            conn = headers.get("connection", "").lower()
            close = conn == "close" or (version == "HTTP/1.0" and conn != "keep-alive")
            self._headers = headers
            self._waiting = (method, target, close, length)

    def _route(self, method: str, target: str, close: bool, body: bytes) -> None:
        path = target.split("?", 1)[0]
        head_only = method == "HEAD"
        try:
            if path.startswith("/bytes/"):
                n = int(path[7:])
                if not 0 <= n <= _MAX_BYTES:
                    raise ValueError(n)
                self._send(200, b"x" * n, close=close, head_only=head_only)
            elif path.startswith("/status/"):
                status = int(path[8:])
                if not 100 <= status <= 599:
                    raise ValueError(status)
                self._send(status, b"", close=close, head_only=head_only)
            elif path.startswith("/delay/"):
                ms = int(path[7:])
                if not 0 <= ms <= 60_000:
                    raise ValueError(ms)
                self._busy = True
                asyncio.get_running_loop().call_later(ms / 1000, self._delayed, close, head_only)
            elif path.startswith("/redirect/"):
                hops = int(path[10:])
                if not 0 <= hops <= 100:
                    raise ValueError(hops)
                if hops == 0:
                    self._send(200, b"redirected\n", close=close, head_only=head_only)
                else:
                    self._send(
                        302,
                        b"",
                        close=close,
                        head_only=head_only,
                        extra=f"Location: /redirect/{hops - 1}\r\n",
                    )
            elif path == "/echo":
                echo = {
                    "method": method,
                    "target": target,
                    "headers": self._headers,
                    "body": body.decode("utf-8", "replace"),
                }
                self._send(200, json.dumps(echo).encode(), close=close, head_only=head_only)
            elif path == "/close":
                assert self._transport is not None
                self._transport.close()
                self._closed = True
            else:
                self._send(
                    200, f"asiofetch serve: {path}\n".encode(), close=close, head_only=head_only
                )
        except ValueError:
            self._send(400, b"bad route argument\n", close=close)

    def _delayed(self, close: bool, head_only: bool) -> None:
        self._busy = False
        if self._closed:
            return
        self._send(200, b"delayed\n", close=close, head_only=head_only)
        self._process()

    def _send(
        self, status: int, body: bytes, *, close: bool, head_only: bool = False, extra: str = ""
    ) -> None:
        transport = self._transport
        assert transport is not None
        head = (
            f"HTTP/1.1 {status} {_reason(status)}\r\n"
            f"Content-Length: {len(body)}\r\n"
            "Content-Type: application/octet-stream\r\n"
            f"{extra}"
            f"{'Connection: close' if close else 'Connection: keep-alive'}\r\n\r\n"
        ).encode()
        transport.write(head if head_only else head + body)
        if close:
            transport.close()
            self._closed = True


async def serve(host: str = "127.0.0.1", port: int = 0, ready: bool = True) -> None:
    """Runs until SIGTERM/SIGINT (or cancelled); prints `READY http://HOST:PORT` when listening."""
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_HttpProtocol, host, port, backlog=4096, reuse_address=True)
    bound = server.sockets[0].getsockname()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)  # main thread only; a thread cancels us
    if ready:
        print(f"READY http://{host}:{bound[1]}", flush=True)
    async with server:
        await stop.wait()


def run_server(host: str, port: int) -> int:
    """`asiofetch serve`: uvloop when installed (the server then keeps up with the client)."""
    runner: Callable[[Coroutine[Any, Any, None]], None] = asyncio.run
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:
        pass
    runner(serve(host, port))
    return 0


class LocalServer:
    """`asiofetch serve` in a child process (its own interpreter, so its own GIL and core)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self, timeout: float = 15.0) -> LocalServer:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "asiofetch", "serve", "--host", self.host, "--port", "0"],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + timeout
        line = b""
        os.set_blocking(self.proc.stdout.fileno(), True)
        # readline blocks; the child prints READY or dies (EOF), so this ends either way.
        line = self.proc.stdout.readline()
        if not line.startswith(b"READY ") or time.monotonic() > deadline:
            self.stop()
            raise RuntimeError(f"asiofetch serve did not start (got {line!r})")
        self.url = line.split()[1].decode()
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
