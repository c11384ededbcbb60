"""asyncio.timeout on 3.11+, and before it the backport aiohttp itself requires on 3.10
(async-timeout), so the suites keep the pattern users write on every supported Python.
Both raise asyncio.TimeoutError (the builtin TimeoutError only from 3.11 on)."""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    from asyncio import timeout
else:  # pragma: no cover - 3.10 only
    from async_timeout import timeout

__all__ = ["timeout"]
