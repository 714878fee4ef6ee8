"""The one place that talks to TikTok's token endpoint.

Transport failures are translated into the ProxyError tree here and nowhere else. A request that
may have reached TikTok is never sent again (authorization codes are single-use); only a connection
that could not be established is tried once more.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport

from ._exceptions import UpstreamBadResponse, UpstreamTimeout, UpstreamUnreachable

__all__ = ["TikTokAnswer", "TikTokTokenClient"]

MAX_ANSWER_BYTES = 64 * 1024
UPSTREAM_HEADERS = {
    "Accept": "application/json",
    "Cache-Control": "no-cache",
    "User-Agent": "tiktok-auth0-token-proxy/1",
}


@dataclass(frozen=True)
class TikTokAnswer:
    status: int
    body: bytes


def default_transport() -> httpx.AsyncBaseTransport:
    # httpx's own async pool collapses under 64 concurrent callers on a small instance;
    # aiohttp's connector keeps connections alive and reused without that cost.
    return AiohttpTransport(limits=httpx.Limits(max_connections=100, keepalive_expiry=60.0))


class TikTokTokenClient:
    """Posts TikTok's token form and returns the raw answer; created lazily inside the loop."""

    def __init__(
        self,
        token_url: str,
        *,
        timeout: float,
        transport_factory: Callable[[], httpx.AsyncBaseTransport] = default_transport,
    ) -> None:
        self._token_url = token_url
        self._timeout = timeout
        self._transport_factory = transport_factory
        self._client: httpx.AsyncClient | None = None

    def _get_client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                transport=self._transport_factory(),
                timeout=self._timeout,
                trust_env=False,
                follow_redirects=False,
                headers=UPSTREAM_HEADERS,
            )
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def exchange(self, form: dict[str, str]) -> TikTokAnswer:
        """One token request; at most one extra attempt when no connection was made."""
        try:
            async with asyncio.timeout(self._timeout):
                try:
                    return await self._post(form)
                except _NotConnected:
                    return await self._post(form)
        except _NotConnected:
            raise UpstreamUnreachable("could not connect to TikTok's token endpoint") from None
        except TimeoutError:
            raise UpstreamTimeout(
                f"TikTok's token endpoint did not answer within {self._timeout:g} seconds"
            ) from None

    async def _post(self, form: dict[str, str]) -> TikTokAnswer:
        client = self._get_client()
        try:
            async with client.stream("POST", self._token_url, data=form) as response:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_ANSWER_BYTES:
                        raise UpstreamBadResponse("TikTok's token answer is implausibly large")
                return TikTokAnswer(response.status_code, bytes(body))
        except httpx.HTTPError as exc:
            # httpx-aiohttp keeps the aiohttp exception as the cause; its mapping to httpx types
            # is coarse (a refused connection arrives as ConnectTimeout), so decide on the cause.
            raise _translate(exc.__cause__ or exc) from None
        except (
            aiohttp.ClientError
        ) as exc:  # what httpx-aiohttp does not map, e.g. a bad status line
            raise _translate(exc) from None


class _NotConnected(Exception):
    """No connection was established, so TikTok cannot have seen the request."""


def _translate(exc: BaseException) -> Exception:
    if isinstance(exc, aiohttp.ClientConnectorError | httpx.ConnectError):
        return _NotConnected()
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return TimeoutError()
    if isinstance(exc, aiohttp.ClientResponseError):
        return UpstreamBadResponse(
            "TikTok's token endpoint answered with a malformed HTTP response"
        )
    return UpstreamUnreachable("TikTok's token endpoint closed the connection before answering")
