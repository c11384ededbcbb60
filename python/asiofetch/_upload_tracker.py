"""UploadTracker: aiohttp 3.14.4's per-request upload progress (`upload_tracker=`).

A tracker observes one request. Each time the request body is dispatched (the first send, a
redirect the engine follows, an engine retry, a middleware calling its handler again) is one
attempt; `bytes_written` is the payload bytes of the latest attempt (before compression,
without chunk framing), `upload_complete` settles once the request is over and the latest
attempt's body is fully handed over: None when it was, else the upload's error, else
UploadAbortedError (never sent, cut short, or the request failed first).

Where the bytes are counted: a bytes body is handed to libcurl whole, so it counts as written
when the response head arrives (the server answered after reading it, or at least after libcurl
sent it). A streamed body counts what its feeder has pushed into the engine's bounded upload
queue (at most the queue's HIGH_WATER ahead of the socket); aiohttp counts what left its
transport's buffer, which is likewise ahead of the kernel's socket buffer.

Nothing here runs for a request without a tracker: the session checks one keyword.
"""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

from ._errors import UploadAbortedError

__all__ = (
    "UploadTracker",
    "check_tracker",
    "response_output_size",
    "response_upload_complete",
)


class UploadTracker:
    """Upload progress of one request: pass a fresh one as `upload_tracker=`.

    Must be created inside a running event loop (upload_complete is a future of it). Passing it
    to a second request raises RuntimeError, as aiohttp does.
    """

    def __init__(self) -> None:
        self.attempts = 0
        self.upload_complete: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._bound = False
        self._final = False  # the request returned or raised: no attempt follows
        self._finished = False  # the latest attempt's body was handed over whole
        self._exc: BaseException | None = None  # the latest attempt's upload error
        self._bytes = 0  # settled payload bytes of the latest attempt
        self._size = 0  # the request's bytes body length (before compression)
        # The latest attempt's streamed body (an _upload.Upload) while its feeder runs.
        self._upload: Any = None

    def __repr__(self) -> str:
        return (
            f"<UploadTracker attempts={self.attempts} bytes_written={self.bytes_written} "
            f"done={self.upload_complete.done()}>"
        )

    @property
    def bytes_written(self) -> int:
        """Payload bytes of the latest attempt handed to the engine."""
        up = self._upload
        return self._bytes if up is None else up.written

    # ---- called by the session (only when a tracker was passed) -----------------------------

    def _bind(self) -> None:
        if self._bound:
            raise RuntimeError("UploadTracker is already bound to a request")
        self._bound = True

    def _attempt(self, upload: Any) -> None:
        """One dispatch of the request; `upload` is its streamed body (started) or None."""
        self.attempts += 1
        self._finished = False
        self._exc = None
        self._bytes = 0
        self._upload = upload
        if upload is not None:
            upload.notify = self._feeder_done  # the body handed over whole
            if upload.task is not None:  # or the feeder ended (failed, cut short)
                upload.task.add_done_callback(lambda _t, up=upload: self._feeder_done(up))

    def _answered(self, raw: Any, method: str, upload: Any) -> None:
        """The attempt's response head arrived. Each redirect the engine followed and each
        engine retry re-dispatched the request; a 303 (or 301/302 after a POST) turned it into
        a request without the body, so the latest attempt wrote nothing."""
        self.attempts += len(raw.history) + raw.attempts - 1
        dropped = raw.method != method
        if upload is None:
            self._bytes = 0 if dropped else self._size
            self._finished = True
        elif dropped:
            self._upload = None
            self._bytes = 0
            self._finished = True

    def _feeder_done(self, upload: Any) -> None:
        if upload is not self._upload:
            return  # a superseded attempt's feeder
        self._bytes = upload.written
        self._upload = None
        if upload.complete:
            self._finished = True
        else:
            self._exc = upload.wrapped_failure()
        if self._final:
            self._settle()

    def _finalize(self) -> None:
        """The request returned or raised: settle now unless a feeder is still writing."""
        self._final = True
        if self._upload is None:
            self._settle()

    def _settle(self) -> None:
        fut = self.upload_complete
        if fut.done():
            return
        if self._finished:
            fut.set_result(None)
            return
        fut.set_exception(self._exc or UploadAbortedError("The request body was not fully sent"))
        fut.exception()  # retrieved: a .done() poll must not log 'never retrieved'


def check_tracker(tracker: Any) -> UploadTracker:
    """The request's upload_tracker=, bound to it (TypeError for another kind of object)."""
    if not isinstance(tracker, UploadTracker):
        raise TypeError(
            f"upload_tracker must be an asiofetch.UploadTracker, got {type(tracker).__name__}"
        )
    tracker._bind()
    return tracker


# ---- ClientResponse.output_size / upload_complete (aiohttp deprecated them in 3.14.4) ---------

_DEPRECATED = "ClientResponse.{} is deprecated, use asiofetch.UploadTracker instead"


def response_output_size(resp: Any) -> int:
    """Body bytes sent for the response's request: a streamed body's count so far, else the
    Content-Length that went out (aiohttp's counter also held the request head)."""
    warnings.warn(_DEPRECATED.format("output_size"), DeprecationWarning, stacklevel=3)
    upload = getattr(resp, "_upload", None)
    if upload is not None:
        return int(upload.written)
    sent = resp.request_info.headers.get("Content-Length")
    return int(sent) if sent is not None and sent.isdigit() else 0


def response_upload_complete(resp: Any) -> asyncio.Future[None]:
    """A future set once the request body was handed over (the same one on every access)."""
    warnings.warn(_DEPRECATED.format("upload_complete"), DeprecationWarning, stacklevel=3)
    fut: asyncio.Future[None] | None = getattr(resp, "_upload_fut", None)
    if fut is not None:
        return fut
    fut = resp._upload_fut = asyncio.get_running_loop().create_future()
    upload: Any = getattr(resp, "_upload", None)
    if upload is None or upload.task is None or upload.task.done() or upload.complete:
        _settle_from(fut, upload)
    else:
        upload.task.add_done_callback(lambda _t: _settle_from(fut, upload))
    return fut


def _settle_from(fut: asyncio.Future[None], upload: Any) -> None:
    if fut.done():
        return
    if upload is None or upload.complete:
        fut.set_result(None)
        return
    fut.set_exception(
        upload.wrapped_failure() or UploadAbortedError("The request body was not fully sent")
    )
    fut.exception()
