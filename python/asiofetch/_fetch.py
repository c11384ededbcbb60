"""fetch(): one-off requests through a shared default session per event loop."""

from __future__ import annotations

import asyncio
import atexit
import weakref
from typing import TYPE_CHECKING, Any

from ._response import ClientResponse
from ._session import ClientSession, close_session_now, unowned_session

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from ._request_options import RequestOptions

__all__ = ("fetch",)

_sessions: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, ClientSession] = (
    weakref.WeakKeyDictionary()
)


def _default_session(loop: asyncio.AbstractEventLoop) -> ClientSession:
    session = _sessions.get(loop)
    if session is None or session.closed:
        # Nobody can close this session but us: no "Unclosed client session" warning.
        session = unowned_session()
        _sessions[loop] = session
        # When the loop goes away, so does its session (and its native pool).
        weakref.finalize(loop, close_session_now, session)
    return session


async def fetch(
    url: Any, *, method: str = "GET", **kwargs: Unpack[RequestOptions]
) -> ClientResponse:
    """One request with the loop's shared session; the body is read before this returns.

    Takes the same keyword arguments as ClientSession.request().
    """
    session = _default_session(asyncio.get_running_loop())
    resp = await session.request(method, url, **kwargs)
    # The response comes at its head; fetch() promises the body too (its errors raise here).
    await resp.read()
    return resp


@atexit.register
def _close_all() -> None:
    for session in list(_sessions.values()):
        close_session_now(session)
    _sessions.clear()
