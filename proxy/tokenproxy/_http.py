"""A small HTTP/1.1 client for one upstream: a keep-alive connection pool on asyncio protocols,
with responses parsed by httptools (the parser uvicorn already loads in the same worker).

Why not a client library: measured on the target machines (bench/), aiohttp's import alone
costs ~150 ms of a cold start whose whole budget over a bare functions-framework function is
~15 ms, and httpx/httpcore fall to ~300 requests/s under 64 concurrent callers. This module does
the one thing the proxy needs, POST a small form and read a small JSON answer, and nothing else:
no redirects, cookies, proxies or compression negotiation.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import httptools

if TYPE_CHECKING:
    import ssl

__all__ = [
    "ConnectionBroken",
    "ConnectionFailed",
    "ConnectionPool",
    "HTTPResponse",
    "MalformedResponse",
    "ResponseTooLarge",
]


class ConnectionFailed(Exception):
    """No connection could be made: the request was never sent, so trying again is safe."""


class ConnectionBroken(Exception):
    """The connection closed after the request may have been sent."""


class MalformedResponse(Exception):
    """The upstream answered with something that is not HTTP/1.1."""


class ResponseTooLarge(Exception):
    """The answer's body exceeds the pool's limit."""


class HTTPResponse:
    __slots__ = ("body", "status")

    def __init__(self, status: int, body: bytes) -> None:
        self.status = status
        self.body = body


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection; serves one request at a time."""

    def __init__(self, max_body: int) -> None:
        self.max_body = max_body
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.idle_since = 0.0
        self._parser: httptools.HttpResponseParser | None = None
        self._waiter: asyncio.Future[HTTPResponse] | None = None
        self._body = bytearray()
        self._status = 0
        self._headers_done = False
        self._framed = False  # a Content-Length or chunked encoding says where the body ends
        self._encoding = b""
        self._keep_alive = False

    # -- asyncio.Protocol ----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self._waiter is None or self._waiter.done():
            return
        if self._headers_done and not self._framed:
            self._finish(keep_alive=False)  # a body delimited by the end of the connection
        else:
            self._fail(ConnectionBroken("the connection closed before the answer was complete"))

    def data_received(self, data: bytes) -> None:
        if self._parser is None:  # nothing was asked: the connection cannot be trusted
            self.close()
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail(MalformedResponse("the upstream tried to upgrade the connection"))
        except httptools.HttpParserError as exc:
            self._fail(MalformedResponse(f"malformed HTTP response: {exc}"))

    # -- httptools callbacks -------------------------------------------------------------------
    def on_header(self, name: bytes, value: bytes) -> None:
        lowered = name.lower()
        if lowered == b"content-length" or (
            lowered == b"transfer-encoding" and b"chunked" in value.lower()
        ):
            self._framed = True
        elif lowered == b"content-encoding":
            self._encoding = value.strip().lower()

    def on_headers_complete(self) -> None:
        assert self._parser is not None
        self._status = self._parser.get_status_code()
        self._headers_done = True
        self._keep_alive = self._parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self._body += body
        if len(self._body) > self.max_body:
            self._fail(ResponseTooLarge(f"the answer exceeds {self.max_body} bytes"))

    def on_message_complete(self) -> None:
        if 100 <= self._status < 200:  # an interim answer; the real one follows
            self._reset_message()
            return
        self._finish(keep_alive=self._keep_alive)

    # -- requests ------------------------------------------------------------------------------
    async def request(self, data: bytes) -> HTTPResponse:
        assert self.transport is not None
        self._reset_message()
        self._parser = httptools.HttpResponseParser(self)
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        try:
            return await self._waiter
        finally:
            self._parser = self._waiter = None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _reset_message(self) -> None:
        self._body = bytearray()
        self._status = 0
        self._headers_done = self._framed = False
        self._encoding = b""

    def _finish(self, *, keep_alive: bool) -> None:
        assert self._waiter is not None
        body = bytes(self._body)
        if self._encoding in (b"gzip", b"deflate"):
            try:
                body = zlib.decompressobj(wbits=47).decompress(body, self.max_body + 1)
            except zlib.error:
                self._fail(MalformedResponse("the answer's compressed body is corrupt"))
                return
        if not keep_alive:
            self.close()
        if not self._waiter.done():
            self._waiter.set_result(HTTPResponse(self._status, body))

    def _fail(self, exc: Exception) -> None:
        self.close()
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc)


class ConnectionPool:
    """Keep-alive connections to one origin, at most `max_connections` at a time.

    An idle connection is reused while younger than `keepalive` seconds; one the server has
    closed is noticed (connection_lost) and dropped, never reused.
    """

    def __init__(
        self,
        url: str,
        *,
        max_connections: int = 100,
        keepalive: float = 15.0,
        max_body: int = 64 * 1024,
        ssl_context: Callable[[], ssl.SSLContext] | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        default_port = self.port == (443 if parts.scheme == "https" else 80)
        self.host_header = self.host if default_port else f"{self.host}:{self.port}"
        self.keepalive = keepalive
        self.max_body = max_body
        self.connections_opened = 0
        self._ssl_factory = ssl_context or _default_ssl_context
        self._ssl: ssl.SSLContext | None = None
        self._slots = asyncio.Semaphore(max_connections)
        self._idle: list[_Connection] = []

    async def post(self, body: bytes, headers: dict[str, str]) -> HTTPResponse:
        lines = [f"POST {self.target} HTTP/1.1", f"Host: {self.host_header}"]
        lines += [f"{name}: {value}" for name, value in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        async with self._slots:
            connection = self._take_idle() or await self._connect()
            try:
                response = await connection.request(data)
            except BaseException:
                connection.close()  # a half-read answer: the connection is unusable
                raise
            if not connection.closed:
                connection.idle_since = time.monotonic()
                self._idle.append(connection)
            return response

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().close()

    def _take_idle(self) -> _Connection | None:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()  # the most recently used: least likely closed
            if not connection.closed and now - connection.idle_since < self.keepalive:
                return connection
            connection.close()
        return None

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        tls = self.scheme == "https"
        if tls and self._ssl is None:
            self._ssl = self._ssl_factory()
        try:
            _, connection = await loop.create_connection(
                lambda: _Connection(self.max_body),
                self.host,
                self.port,
                ssl=self._ssl if tls else None,
                server_hostname=self.host if tls else None,
            )
        except OSError as exc:  # refused, unreachable, DNS, TLS handshake
            raise ConnectionFailed(f"could not connect to {self.host}:{self.port}") from exc
        self.connections_opened += 1
        return connection


def _default_ssl_context() -> ssl.SSLContext:
    import ssl  # loaded only for https: it costs start-up time a plain-http run does not need

    context = ssl.create_default_context()
    context.set_alpn_protocols(["http/1.1"])
    return context
