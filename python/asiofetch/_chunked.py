"""aiohttp's `chunked=` on a request: the body goes with `Transfer-Encoding: chunked`.

aiohttp refuses it next to a `Content-Length` header or a `Transfer-Encoding: chunked` header
(ClientRequest.update_transfer_encoding) and warns on a chunk size (`chunked=1024`, deprecated
since aiohttp #1615; it then just means chunked). libcurl frames a body chunked when its length
is unknown, so a chunked request body is handed to the engine as a stream without a length.
"""

from __future__ import annotations

import warnings
from typing import Any

from multidict import CIMultiDict

from ._payload import BytesPayload

__all__ = ("chunk_body",)


def chunk_body(body: Any, chunked: Any, hdrs: CIMultiDict[str]) -> Any:
    """The prepared body (_body.Body) as sent under `chunked=` (unchanged when it is off)."""
    if chunked is None:
        return body
    if not isinstance(chunked, bool):
        warnings.warn("Chunk size is deprecated #1615", DeprecationWarning, stacklevel=4)
    if not chunked:
        return body
    if "chunked" in hdrs.get("Transfer-Encoding", "").lower():
        raise ValueError('chunked can not be set if "Transfer-Encoding: chunked" header is set')
    if "Content-Length" in hdrs:
        raise ValueError("chunked can not be set if Content-Length header is set")
    if body.stream is not None:
        return body._replace(size=None)
    if not body.data:
        return body  # nothing to frame
    return body._replace(data=None, stream=BytesPayload(body.data), size=None)
