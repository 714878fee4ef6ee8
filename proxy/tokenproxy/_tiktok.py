"""The one place that talks to TikTok's token endpoint, over httpx.

httpx's exceptions become the ProxyError tree in `_upstream_error()` and nowhere else. A request
that may have reached TikTok is never sent again (authorization codes are single-use): only a
connection that could not be established is tried once more, by httpcore itself
(`AsyncHTTPTransport(retries=1)` retries `ConnectError`/`ConnectTimeout` raised while opening the
TCP connection or its TLS handshake, before any byte of the request is written).
"""

from __future__ import annotations

import asyncio
import re
import ssl
from dataclasses import dataclass
from urllib.parse import quote

import httpx

from ._exceptions import UpstreamBadResponse, UpstreamError, UpstreamTimeout, UpstreamUnreachable

__all__ = ["TikTokAnswer", "TikTokTokenClient", "encode_form"]

MAX_ANSWER_BYTES = 64 * 1024
# Shorter than the keep-alive of any sane server, so a pooled connection is not reused just as
# TikTok closes it (a POST on such a connection fails and must not be retried).
KEEPALIVE_SECONDS = 15.0
# Per phase, each capped by the whole exchange's deadline (UPSTREAM_TIMEOUT_SECONDS). Opening a
# connection (TCP and TLS) to TikTok's edge takes well under a second from GCP; 3 s rides out a
# lost SYN (Linux retransmits it after 1 s) and leaves room for the one retry. Writing a 300-byte
# form never waits unless the peer is stuck. Reading waits for TikTok to decide: the deadline.
CONNECT_SECONDS = 3.0
WRITE_SECONDS = 3.0
# Connections per httpx client ("lane"); see TikTokTokenClient for why several small pools.
LANE_CONNECTIONS = 4
UPSTREAM_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded",
    "Accept": "application/json",
    "Cache-Control": "no-cache",
    "User-Agent": "tiktok-auth0-token-proxy/1",
}
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


def encode_form(form: dict[str, str]) -> bytes:
    """application/x-www-form-urlencoded, as urlencode() writes it, without its per-call cost."""
    return "&".join(f"{_quote(name)}={_quote(value)}" for name, value in form.items()).encode(
        "ascii"
    )


def _quote(text: str) -> str:
    return text if _UNRESERVED.fullmatch(text) else quote(text, safe="").replace("%20", "+")


@dataclass(frozen=True)
class TikTokAnswer:
    """TikTok's HTTP status and body (decoded from gzip/deflate, at most MAX_ANSWER_BYTES)."""

    status: int
    body: bytes


class _Lane:
    """One small httpx pool and the line of requests waiting for it."""

    __slots__ = ("client", "queued", "slots")

    def __init__(self, client: httpx.AsyncClient, size: int) -> None:
        self.client = client
        self.slots = asyncio.Semaphore(size)
        self.queued = 0  # requests in flight or waiting on this lane


class TikTokTokenClient:
    """Posts TikTok's token form over httpx; one set of clients (lanes) per worker process.

    `token_url`: TikTok's token endpoint. `timeout`: seconds for the whole exchange, retry
    included. `max_connections`: connections to TikTok, and so requests in flight at once; more
    callers wait in line (asyncio.Semaphore). `ca_file`: a PEM bundle to trust instead of
    certifi's public roots. `proxy`: an http(s) proxy URL, used only when given (the
    environment's HTTP(S)_PROXY never applies: `trust_env=False`).

    The connections are split into lanes of LANE_CONNECTIONS, each its own `httpx.AsyncClient`
    behind a semaphore of the same size, and a request takes the least busy lane: httpcore's
    pool walks all its connections, several times over, at every request start and end
    (encode/httpx#3215), so one pool of 32 costs far more CPU and p99 than eight of 4
    (README, "Performance"). Lanes open as they are needed, inside the worker's running event
    loop, so after gunicorn forked the worker.

    Nothing closes them at shutdown, because nothing can: functions-framework's ASGI app has no
    lifespan hook for function code, and on SIGTERM uvicorn finishes the requests in flight,
    then re-raises the signal with its default action, ending the worker before any pending
    task or `atexit` handler runs (uvicorn `Server.capture_signals`). The connections are idle
    by then, and the kernel closes them as the worker exits: for HTTP/1.1 (and TLS as httpcore
    uses it, without close_notify) that is what `aclose()` would send.
    """

    def __init__(
        self,
        token_url: str,
        *,
        timeout: float,
        max_connections: int = 32,
        ca_file: str | None = None,
        proxy: str | None = None,
    ) -> None:
        self._token_url = token_url
        self._deadline = timeout
        self._max_connections = max_connections
        self._ca_file = ca_file
        self._proxy = proxy
        self._lanes: list[_Lane] = []
        self._tls: ssl.SSLContext | None = None

    def _open_lane(self) -> _Lane:
        """A new lane (httpx client) of up to LANE_CONNECTIONS; the first also makes the TLS
        context, which loads the CA bundle (about 16 ms)."""
        if self._tls is None:
            self._tls = (
                ssl.create_default_context(cafile=self._ca_file)
                if self._ca_file
                else httpx.create_ssl_context(trust_env=False)  # certifi's roots, httpx's default
            )
        size = min(LANE_CONNECTIONS, self._max_connections - LANE_CONNECTIONS * len(self._lanes))
        transport = httpx.AsyncHTTPTransport(
            verify=self._tls,
            http1=True,
            http2=False,
            limits=httpx.Limits(
                max_connections=size,
                max_keepalive_connections=size,
                keepalive_expiry=KEEPALIVE_SECONDS,
            ),
            proxy=self._proxy,
            trust_env=False,
            retries=1,
        )
        client = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(
                connect=min(CONNECT_SECONDS, self._deadline),
                write=min(WRITE_SECONDS, self._deadline),
                read=self._deadline,
                pool=self._deadline,
            ),
            follow_redirects=False,
            trust_env=False,
            headers=UPSTREAM_HEADERS,
        )
        lane = _Lane(client, size)
        self._lanes.append(lane)
        return lane

    def _lane(self) -> _Lane:
        """The least busy lane; a new one while every lane is full and connections remain."""
        lane = min(self._lanes, key=_queued, default=None)
        if lane is None or (
            lane.queued >= LANE_CONNECTIONS
            and LANE_CONNECTIONS * len(self._lanes) < self._max_connections
        ):
            lane = self._open_lane()
        return lane

    async def aclose(self) -> None:
        """Close every connection (tests and tools; see the class docstring for served proxies)."""
        lanes, self._lanes, self._tls = self._lanes, [], None
        await asyncio.gather(*(lane.client.aclose() for lane in lanes))

    async def exchange(self, form: dict[str, str]) -> TikTokAnswer:
        """One token request, sent at most once; raise UpstreamError when no answer came."""
        lane = self._lane()
        lane.queued += 1
        try:
            async with asyncio.timeout(self._deadline), lane.slots:
                return await self._post(lane.client, encode_form(form))
        except TimeoutError:
            raise self._timeout() from None
        except httpx.HTTPError as exc:
            raise self._upstream_error(exc) from None
        finally:
            lane.queued -= 1

    async def _post(self, client: httpx.AsyncClient, body: bytes) -> TikTokAnswer:
        async with client.stream("POST", self._token_url, content=body) as response:
            answer = bytearray()
            async for chunk in response.aiter_bytes():
                answer += chunk
                if len(answer) > MAX_ANSWER_BYTES:
                    raise UpstreamBadResponse(
                        f"TikTok's token endpoint answered more than {MAX_ANSWER_BYTES} bytes"
                    )
            return TikTokAnswer(response.status_code, bytes(answer))

    def _timeout(self) -> UpstreamTimeout:
        return UpstreamTimeout(
            f"TikTok's token endpoint did not answer within {self._deadline:g} seconds"
        )

    def _upstream_error(self, exc: httpx.HTTPError) -> UpstreamError:
        """The one translation of httpx's exceptions into the proxy's answers."""
        if isinstance(exc, httpx.TimeoutException):  # connect, write, read or pool: 504
            return self._timeout()
        if isinstance(exc, httpx.ConnectError):  # refused, unreachable, DNS, TLS: tried twice
            return UpstreamUnreachable("could not connect to TikTok's token endpoint")
        if isinstance(exc, httpx.NetworkError):  # reset or failed mid-exchange
            return UpstreamUnreachable(
                "the connection to TikTok's token endpoint failed before a complete answer"
            )
        if isinstance(exc, httpx.RemoteProtocolError):
            # "Server disconnected without sending a response", a body cut short, or bytes that
            # are not HTTP/1.1: the request may have reached TikTok either way.
            return UpstreamBadResponse(
                "TikTok's token endpoint closed the connection early "
                "or answered with something other than HTTP"
            )
        if isinstance(exc, httpx.DecodingError):
            return UpstreamBadResponse("TikTok's token endpoint sent a corrupt compressed body")
        return UpstreamBadResponse(
            f"TikTok's token endpoint: unusable answer ({type(exc).__name__})"
        )


def _queued(lane: _Lane) -> int:
    return lane.queued
