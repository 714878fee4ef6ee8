"""The one place that talks to TikTok's token endpoint.

It uses aiohttp's client directly: measured under 64 concurrent callers on one core, httpx's own
async pool collapsed and httpx over an aiohttp transport spent half the proxy's CPU in request and
response models, while one tuned aiohttp session keeps the proxy ahead of an Express proxy.

Transport failures are translated into the ProxyError tree here and nowhere else. A request that
may have reached TikTok is never sent again (authorization codes are single-use); only a connection
that could not be established is tried once more.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlencode

import aiohttp
import yarl

from ._exceptions import UpstreamBadResponse, UpstreamTimeout, UpstreamUnreachable

__all__ = ["TikTokAnswer", "TikTokTokenClient"]

MAX_ANSWER_BYTES = 64 * 1024
# Shorter than the keep-alive of any sane server, so a pooled connection is never reused just as
# TikTok closes it (a POST on such a connection fails and must not be retried).
KEEPALIVE_SECONDS = 15.0
UPSTREAM_HEADERS = {
    "Content-Type": "application/x-www-form-urlencoded",
    "Accept": "application/json",
    "Cache-Control": "no-cache",
    "User-Agent": "tiktok-auth0-token-proxy/1",
}


@dataclass(frozen=True)
class TikTokAnswer:
    status: int
    body: bytes


class TikTokTokenClient:
    """Posts TikTok's token form and returns the raw answer; its session is made inside the loop."""

    def __init__(self, token_url: str, *, timeout: float, max_connections: int = 100) -> None:
        self._url = yarl.URL(token_url)
        self._timeout = timeout
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=self._max_connections, keepalive_timeout=KEEPALIVE_SECONDS
                ),
                cookie_jar=aiohttp.DummyCookieJar(),
                headers=UPSTREAM_HEADERS,
                timeout=aiohttp.ClientTimeout(total=None),  # the deadline is exchange()'s
                trust_env=False,
            )
        return self._session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def exchange(self, form: dict[str, str]) -> TikTokAnswer:
        """One token request; at most one extra attempt when no connection was made."""
        body = urlencode(form).encode("ascii")
        try:
            async with asyncio.timeout(self._timeout):
                try:
                    return await self._post(body)
                except aiohttp.ClientConnectorError:
                    return await self._post(body)
        except TimeoutError:
            raise UpstreamTimeout(
                f"TikTok's token endpoint did not answer within {self._timeout:g} seconds"
            ) from None
        except aiohttp.ClientConnectorError:
            raise UpstreamUnreachable("could not connect to TikTok's token endpoint") from None
        except aiohttp.ClientResponseError:
            raise UpstreamBadResponse(
                "TikTok's token endpoint answered with a malformed HTTP response"
            ) from None
        except aiohttp.ClientError:
            raise UpstreamUnreachable(
                "TikTok's token endpoint closed the connection before answering"
            ) from None

    async def _post(self, body: bytes) -> TikTokAnswer:
        session = self._get_session()
        async with session.post(self._url, data=body, allow_redirects=False) as response:
            if (response.content_length or 0) > MAX_ANSWER_BYTES:
                raise UpstreamBadResponse("TikTok's token answer is implausibly large")
            answer = bytearray()
            async for chunk in response.content.iter_any():
                answer += chunk
                if len(answer) > MAX_ANSWER_BYTES:
                    raise UpstreamBadResponse("TikTok's token answer is implausibly large")
            return TikTokAnswer(response.status, bytes(answer))
