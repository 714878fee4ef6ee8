"""The one place that talks to TikTok's token endpoint.

Transport failures are translated into the ProxyError tree here and nowhere else. A request that
may have reached TikTok is never sent again (authorization codes are single-use); only a connection
that could not be established is tried once more, within the same deadline.
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import quote

from ._exceptions import UpstreamBadResponse, UpstreamTimeout, UpstreamUnreachable
from ._http import (
    ConnectionBroken,
    ConnectionFailed,
    ConnectionPool,
    HTTPResponse,
    MalformedResponse,
    ResponseTooLarge,
)

__all__ = ["TikTokTokenClient", "encode_form"]

MAX_ANSWER_BYTES = 64 * 1024
# Shorter than the keep-alive of any sane server, so a pooled connection is not reused just as
# TikTok closes it (a POST on such a connection fails and must not be retried).
KEEPALIVE_SECONDS = 15.0
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


class TikTokTokenClient:
    """Posts TikTok's token form and returns the raw answer; its pool is made inside the loop."""

    def __init__(self, token_url: str, *, timeout: float, max_connections: int = 100) -> None:
        self._token_url = token_url
        self._timeout = timeout
        self._max_connections = max_connections
        self._pool: ConnectionPool | None = None

    @property
    def pool(self) -> ConnectionPool:
        if self._pool is None:
            self._pool = ConnectionPool(
                self._token_url,
                max_connections=self._max_connections,
                keepalive=KEEPALIVE_SECONDS,
                max_body=MAX_ANSWER_BYTES,
            )
        return self._pool

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()

    async def exchange(self, form: dict[str, str]) -> HTTPResponse:
        """One token request; at most one extra attempt when no connection was made."""
        body = encode_form(form)
        try:
            async with asyncio.timeout(self._timeout):
                try:
                    return await self.pool.post(body, UPSTREAM_HEADERS)
                except ConnectionFailed:
                    return await self.pool.post(body, UPSTREAM_HEADERS)
        except TimeoutError:
            raise UpstreamTimeout(
                f"TikTok's token endpoint did not answer within {self._timeout:g} seconds"
            ) from None
        except ConnectionFailed:
            raise UpstreamUnreachable("could not connect to TikTok's token endpoint") from None
        except ConnectionBroken:
            raise UpstreamUnreachable(
                "TikTok's token endpoint closed the connection before answering"
            ) from None
        except (MalformedResponse, ResponseTooLarge) as exc:
            raise UpstreamBadResponse(f"TikTok's token endpoint: {exc}") from None
