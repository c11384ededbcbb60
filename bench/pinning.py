"""CPU pinning: servers on one core, every client process (all its threads) on another.

`taskset -c` sets the affinity before exec, and Linux threads inherit it, so a client's
engine/runtime threads share its core. With fewer than two CPUs pinning is disabled (noted
in the results) rather than putting server and client on the same core.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys

SERVER_CPU = 0
CLIENT_CPU = 1


def available() -> bool:
    cpus = os.sched_getaffinity(0)
    return shutil.which("taskset") is not None and {SERVER_CPU, CLIENT_CPU} <= cpus


def server_prefix() -> list[str]:
    return ["taskset", "-c", str(SERVER_CPU)] if available() else []


def client_prefix() -> list[str]:
    return ["taskset", "-c", str(CLIENT_CPU)] if available() else []


def raise_nofile() -> None:
    """Raise this process's fd limit (inherited by servers and clients): 10,000 connections
    need more than 10,000 descriptors on each side."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for want in (max(hard, 65536), hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, want))
            return
        except (ValueError, OSError):
            continue


def describe() -> dict[str, object]:
    return {
        "enabled": available(),
        "server_cpu": SERVER_CPU,
        "client_cpu": CLIENT_CPU,
        "nofile": resource.getrlimit(resource.RLIMIT_NOFILE),
    }


class Burner:
    """A CPU burner for the loaded case (`--burn CPU`): one busy-looping process pinned to
    `cpu` at nice 0, for the measured rounds. It competes with whatever is pinned there (the
    servers on SERVER_CPU, the client on CLIENT_CPU) as any other runnable task would."""

    def __init__(self, cpu: int) -> None:
        self.cpu = cpu
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        def nice0() -> None:  # whatever the harness runs at, the burner runs at nice 0
            os.setpriority(os.PRIO_PROCESS, 0, 0)

        self.proc = subprocess.Popen(
            ["taskset", "-c", str(self.cpu), sys.executable, "-c", "while True: pass"],
            preexec_fn=nice0,
            stdin=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)

    def describe(self) -> dict[str, object]:
        nice = None
        if self.proc is not None and self.proc.poll() is None:
            nice = os.getpriority(os.PRIO_PROCESS, self.proc.pid)
        return {"burn_cpu": self.cpu, "burn_nice": nice, "burn_cmd": "python -c 'while True: pass'"}
