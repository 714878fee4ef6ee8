"""The TikTok client's retry rule, observed by counting connection attempts at the event loop:
a connection that could not be made is tried once more; a request that may have reached TikTok
never is."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from devtools.proxy_process import free_port
from tests.upstreams import RawUpstream
from tokenproxy import TikTokTokenClient, UpstreamUnreachable

FORM = {"client_key": "k", "client_secret": "s", "grant_type": "authorization_code", "code": "c*!"}


class CountingLoop(asyncio.SelectorEventLoop):
    """An ordinary event loop that counts the connections it is asked to open."""

    attempts = 0

    async def create_connection(self, *args: Any, **kwargs: Any) -> Any:
        self.attempts += 1
        return await super().create_connection(*args, **kwargs)


def exchange(url: str) -> tuple[int, BaseException | None]:
    loop = CountingLoop()
    client = TikTokTokenClient(url, timeout=3)
    try:
        loop.run_until_complete(client.exchange(FORM))
        error = None
    except UpstreamUnreachable as exc:
        error = exc
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
    return loop.attempts, error


def test_a_refused_connection_is_tried_exactly_once_more():
    attempts, error = exchange(f"http://127.0.0.1:{free_port()}/v2/oauth/token/")
    assert attempts == 2
    assert "could not connect" in str(error)


@pytest.mark.parametrize("mode", ["close", "partial"])
def test_an_established_connection_is_never_retried(mode):
    with RawUpstream(mode) as upstream:
        attempts, error = exchange(upstream.url)
    assert attempts == 1
    assert upstream.requests_seen == 1
    assert "closed the connection" in str(error)
