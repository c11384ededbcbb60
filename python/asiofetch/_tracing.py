"""Request tracing: aiohttp's `trace_configs=` signals fired from what a finished request reports.

aiohttp fires its signals from inside its connector and protocol. Here the engine runs the
whole request (connect, TLS, redirects, body) natively, so the request-level signals fire
from Python around the native request, with the data it reports:

- on_request_start: before the request is submitted.
- on_request_headers_sent: once per hop (redirects included), with the headers asiofetch
  handed to libcurl (libcurl adds Host and Accept-Encoding itself: they are not listed).
- on_request_chunk_sent: once, with the whole request body, when there is one.
- on_request_redirect: once per redirect of the response's history, after the response came.
- on_response_chunk_received: once, with the whole (decoded) body. A request traced with
  this signal is buffered even under `async with` (the body is not streamed).
- on_request_end / on_request_exception: as in aiohttp, after raise_for_status.

The connection and DNS signals (on_connection_queued_*, on_connection_create_*,
on_connection_reuseconn, on_dns_*) cannot fire: libcurl's pool and resolver do that work on
the engine thread and report no per-request events. A config with callbacks on one of them
is refused when the session is made (`ValueError` naming the signal), never ignored.

aiohttp's own `TraceConfig` objects are accepted: each config is called with the parameter
classes of the module that defines it, so `aiohttp.TraceRequestEndParams(...) == params`
holds in code written for aiohttp.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, SupportsIndex

from multidict import CIMultiDict
from yarl import URL

__all__ = (
    "RequestTrace",
    "TraceConfig",
    "TraceRequestChunkSentParams",
    "TraceRequestEndParams",
    "TraceRequestExceptionParams",
    "TraceRequestHeadersSentParams",
    "TraceRequestRedirectParams",
    "TraceRequestStartParams",
    "TraceResponseChunkReceivedParams",
    "check_trace_configs",
)

_Callback = Callable[[Any, SimpleNamespace, Any], Awaitable[None]]

# Signals that fire (see the module docstring) and those the engine cannot report.
_FIRED = (
    "on_request_start",
    "on_request_chunk_sent",
    "on_response_chunk_received",
    "on_request_end",
    "on_request_exception",
    "on_request_redirect",
    "on_request_headers_sent",
)
UNSUPPORTED_SIGNALS = (
    "on_connection_queued_start",
    "on_connection_queued_end",
    "on_connection_create_start",
    "on_connection_create_end",
    "on_connection_reuseconn",
    "on_dns_resolvehost_start",
    "on_dns_resolvehost_end",
    "on_dns_cache_hit",
    "on_dns_cache_miss",
)


class Signal(list):  # type: ignore[type-arg]
    """A list of async callbacks, frozen when a session takes its config (aiosignal's rules)."""

    __slots__ = ("_frozen", "_owner")

    def __init__(self, owner: object) -> None:
        super().__init__()
        self._owner = owner
        self._frozen = False

    @property
    def frozen(self) -> bool:
        return self._frozen

    def freeze(self) -> None:
        self._frozen = True

    def _check(self) -> None:
        if self._frozen:
            raise RuntimeError("Cannot modify frozen list.")

    def append(self, item: _Callback) -> None:
        self._check()
        super().append(item)

    def extend(self, items: Iterable[_Callback]) -> None:
        self._check()
        super().extend(items)

    def insert(self, index: SupportsIndex, item: _Callback) -> None:
        self._check()
        super().insert(index, item)

    def remove(self, item: _Callback) -> None:
        self._check()
        super().remove(item)

    def pop(self, index: SupportsIndex = -1) -> _Callback:
        self._check()
        return super().pop(index)  # type: ignore[no-any-return]

    def clear(self) -> None:
        self._check()
        super().clear()

    def __setitem__(self, index: Any, value: Any) -> None:
        self._check()
        super().__setitem__(index, value)

    def __delitem__(self, index: Any) -> None:
        self._check()
        super().__delitem__(index)

    def __iadd__(self, items: Iterable[_Callback]) -> Signal:  # type: ignore[override,misc]
        self._check()
        return super().__iadd__(items)

    async def send(self, *args: Any) -> None:
        if not self._frozen:
            raise RuntimeError("Cannot send non-frozen signal.")
        for callback in self:
            await callback(*args)


class TraceConfig:
    """aiohttp's TraceConfig: lists of async callbacks `(session, ctx, params)` per signal."""

    def __init__(
        self, trace_config_ctx_factory: Callable[..., SimpleNamespace] = SimpleNamespace
    ) -> None:
        self._factory = trace_config_ctx_factory
        self._signals = {name: Signal(self) for name in (*_FIRED, *UNSUPPORTED_SIGNALS)}

    def trace_config_ctx(self, trace_request_ctx: Any = None) -> SimpleNamespace:
        """The per-request context object handed to every callback of this config."""
        return self._factory(trace_request_ctx=trace_request_ctx)

    def freeze(self) -> None:
        for signal in self._signals.values():
            signal.freeze()

    def __getattr__(self, name: str) -> Signal:
        # on_request_start, ... and aiohttp's private spellings (_on_request_start).
        signals: dict[str, Signal] | None = self.__dict__.get("_signals")
        if signals is not None:
            signal = signals.get(name.removeprefix("_"))
            if signal is not None:
                return signal
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


@dataclass(frozen=True, slots=True)
class TraceRequestStartParams:
    method: str
    url: URL
    headers: CIMultiDict[str]


@dataclass(frozen=True, slots=True)
class TraceRequestChunkSentParams:
    method: str
    url: URL
    chunk: bytes


@dataclass(frozen=True, slots=True)
class TraceResponseChunkReceivedParams:
    method: str
    url: URL
    chunk: bytes


@dataclass(frozen=True, slots=True)
class TraceRequestEndParams:
    method: str
    url: URL
    headers: CIMultiDict[str]
    response: Any


@dataclass(frozen=True, slots=True)
class TraceRequestExceptionParams:
    method: str
    url: URL
    headers: CIMultiDict[str]
    exception: BaseException


@dataclass(frozen=True, slots=True)
class TraceRequestRedirectParams:
    method: str
    url: URL
    headers: CIMultiDict[str]
    response: Any


@dataclass(frozen=True, slots=True)
class TraceRequestHeadersSentParams:
    method: str
    url: URL
    headers: CIMultiDict[str]


def check_trace_configs(configs: Any) -> tuple[Any, ...]:
    """A session's `trace_configs=`: frozen, each with callbacks only on signals that fire."""
    if configs is None:
        return ()
    if isinstance(configs, (str, bytes)) or not isinstance(configs, Sequence):
        raise TypeError(
            f"trace_configs must be a list of TraceConfig, got {type(configs).__name__}"
        )
    out = []
    for config in configs:
        if not callable(getattr(config, "trace_config_ctx", None)) or not hasattr(
            config, "on_request_start"
        ):
            raise TypeError(
                f"trace_configs must hold TraceConfig objects, got {type(config).__name__}"
            )
        config.freeze()
        for name in UNSUPPORTED_SIGNALS:
            if len(getattr(config, name, ())):
                raise ValueError(
                    f"trace_configs: {name} cannot fire in asiofetch (libcurl connects and "
                    "resolves on the engine thread and reports no such event); remove its "
                    "callbacks"
                )
        out.append(config)
    return tuple(out)


def _params_ns(config: Any) -> Any:
    """The module whose Trace*Params classes this config's callbacks expect."""
    module = sys.modules.get(type(config).__module__)
    if module is not None and hasattr(module, "TraceRequestEndParams"):
        return module
    return sys.modules[__name__]


class RequestTrace:
    """The traces of one request: each config with its context, fired in config order."""

    __slots__ = ("_headers", "_method", "_session", "_traces", "_url")

    def __init__(
        self,
        session: Any,
        configs: tuple[Any, ...],
        trace_request_ctx: Any,
        method: str,
        url: URL,
        headers: CIMultiDict[str],
    ) -> None:
        self._session = session
        self._traces = [
            (
                config,
                config.trace_config_ctx(trace_request_ctx=trace_request_ctx),
                _params_ns(config),
            )
            for config in configs
        ]
        self._method = method
        self._url = url
        self._headers = headers

    def wants_response_chunks(self) -> bool:
        return any(len(config.on_response_chunk_received) for config, _, _ in self._traces)

    async def _send(self, signal: str, params: str, *args: Any) -> None:
        for config, ctx, ns in self._traces:
            callbacks = getattr(config, signal)
            if len(callbacks):
                await callbacks.send(self._session, ctx, getattr(ns, params)(*args))

    async def start(self) -> None:
        """on_request_start, config by config. A callback raising ends the request there:
        the configs whose start completed get on_request_exception (aiohttp 3.14.5), the one
        that failed and those after it get nothing more."""
        traces = self._traces
        for i, (config, ctx, ns) in enumerate(traces):
            callbacks = config.on_request_start
            if not len(callbacks):
                continue
            params = ns.TraceRequestStartParams(self._method, self._url, self._headers)
            try:
                await callbacks.send(self._session, ctx, params)
            except BaseException as e:
                self._traces = traces[:i]
                await self.exception(e)
                raise

    async def sent(self, resp: Any, sent_headers: CIMultiDict[str], body: Any) -> None:
        """What happened on the wire, reported once the response came: one headers-sent per
        hop, the body once, one redirect per history entry, then the body received."""
        method, url = self._method, self._url
        history = tuple(getattr(resp, "history", ()))
        for hop in history:
            hop_method = getattr(hop, "method", method)
            await self._send(
                "on_request_headers_sent",
                "TraceRequestHeadersSentParams",
                hop_method,
                url,
                sent_headers,
            )
            if hop is history[0] and body:
                await self._chunk(hop_method, url, body)
            await self._send(
                "on_request_redirect",
                "TraceRequestRedirectParams",
                hop_method,
                url,
                self._headers,
                hop,
            )
            url = _next_url(hop, url)
        self._url = url
        final_method = self._method = getattr(resp, "method", method)
        await self._send(
            "on_request_headers_sent",
            "TraceRequestHeadersSentParams",
            final_method,
            url,
            sent_headers,
        )
        if not history and body:
            await self._chunk(final_method, url, body)
        if self.wants_response_chunks():
            chunk = await resp.read()
            if chunk:
                await self._send(
                    "on_response_chunk_received",
                    "TraceResponseChunkReceivedParams",
                    final_method,
                    url,
                    chunk,
                )

    def wants_chunks_sent(self) -> bool:
        return any(len(config.on_request_chunk_sent) for config, _, _ in self._traces)

    def chunk_sender(self) -> Callable[[bytes], Awaitable[None]]:
        """on_request_chunk_sent for each chunk a streamed body's feeder hands to the engine
        (set on the Upload only when a config listens, so an untraced upload calls nothing)."""

        async def sent(chunk: bytes) -> None:
            await self._send(
                "on_request_chunk_sent",
                "TraceRequestChunkSentParams",
                self._method,
                self._url,
                chunk,
            )

        return sent

    async def _chunk(self, method: str, url: URL, body: Any) -> None:
        if isinstance(body, (bytes, bytearray, memoryview)):
            await self._send(
                "on_request_chunk_sent", "TraceRequestChunkSentParams", method, url, bytes(body)
            )

    async def end(self, resp: Any) -> None:
        await self._send(
            "on_request_end", "TraceRequestEndParams", self._method, self._url, self._headers, resp
        )

    async def exception(self, exc: BaseException) -> None:
        await self._send(
            "on_request_exception",
            "TraceRequestExceptionParams",
            self._method,
            self._url,
            self._headers,
            exc,
        )


def _next_url(hop: Any, url: URL) -> URL:
    """The URL the redirect `hop` led to (its Location resolved against its own URL)."""
    location = hop.headers.get("Location") or hop.headers.get("URI")
    if not location:
        return url
    base: URL = getattr(hop, "url", url)
    return base.join(URL(location))
