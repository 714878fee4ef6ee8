"""The TikTok client (httpx) against real sockets on 127.0.0.1: the retry rule counted at the
event loop and at the upstream (a connection that could not be made is tried once more; a request
that may have reached TikTok never is), connections growing to the limit, and httpcore's sniffio
lookup."""

from __future__ import annotations

import asyncio
import gzip
import importlib.abc
import sys
import time
from collections.abc import Sequence
from typing import Any

import pytest

from devtools.proxy_process import free_port
from tests.upstreams import RawUpstream
from tokenproxy import TikTokTokenClient, UpstreamBadResponse, UpstreamError, UpstreamUnreachable

FORM = {"client_key": "k", "client_secret": "s", "grant_type": "authorization_code", "code": "c*!"}
TOKEN = b'{"access_token":"act.1","token_type":"Bearer"}'
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
    len(TOKEN),
    TOKEN,
)


class CountingLoop(asyncio.SelectorEventLoop):
    """An ordinary event loop that counts the connections it is asked to open."""

    attempts = 0

    async def create_connection(self, *args: Any, **kwargs: Any) -> Any:
        self.attempts += 1
        return await super().create_connection(*args, **kwargs)


def exchange(url: str, ca_file: str | None = None) -> tuple[int, BaseException | None]:
    """One exchange on a fresh loop: (connection attempts, the UpstreamError raised or None)."""
    loop = CountingLoop()
    client = TikTokTokenClient(url, timeout=3, ca_file=ca_file)
    error: BaseException | None = None
    try:
        loop.run_until_complete(client.exchange(FORM))
    except UpstreamError as exc:
        error = exc
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()
    return loop.attempts, error


def test_a_refused_connection_is_tried_exactly_once_more():
    attempts, error = exchange(f"http://127.0.0.1:{free_port()}/v2/oauth/token/")
    assert attempts == 2
    assert isinstance(error, UpstreamUnreachable)
    assert "could not connect" in str(error)


def test_a_failed_tls_handshake_is_tried_exactly_once_more_and_sends_nothing(tls):
    # The proxy does not trust this certificate: the handshake fails before any request byte.
    with RawUpstream("hang", tls=tls.server_context()) as upstream:
        attempts, error = exchange(upstream.url)
        time.sleep(0.2)  # let the upstream's threads finish counting
        assert (attempts, upstream.connections, upstream.requests_seen) == (2, 2, 0)
    assert "could not connect" in str(error)


@pytest.mark.parametrize("mode", ["close", "partial", "garbage"])
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_request_that_may_have_reached_tiktok_is_never_retried(tls, mode, scheme):
    server_tls = tls.server_context() if scheme == "https" else None
    with RawUpstream(mode, tls=server_tls) as upstream:
        attempts, error = exchange(upstream.url, ca_file=tls.ca_file)
        time.sleep(0.2)
        assert (attempts, upstream.connections, upstream.requests_seen) == (1, 1, 1)
    assert isinstance(error, UpstreamBadResponse | UpstreamUnreachable)
    assert (error.status, error.error) == (502, "server_error")


def test_a_stale_keep_alive_connection_is_not_used_for_the_next_request():
    # The upstream answers, then closes the idle connection: the next request must go out on
    # a new connection (httpcore sees the closed socket as readable and drops it), exactly once.
    with RawUpstream("script", [OK + b"<close>", OK]) as upstream:
        loop = CountingLoop()
        client = TikTokTokenClient(upstream.url, timeout=3)

        async def twice() -> list[int]:
            first = await client.exchange(FORM)
            await asyncio.sleep(0.2)
            second = await client.exchange(FORM)
            await client.aclose()
            return [first.status, second.status]

        try:
            assert loop.run_until_complete(twice()) == [200, 200]
        finally:
            loop.close()
        assert (loop.attempts, upstream.connections, upstream.requests_seen) == (2, 2, 2)


def test_connections_open_as_needed_up_to_the_limit_and_are_reused():
    # 12 callers at once, 8 connections allowed, TikTok taking 0.3 s: 8 requests go out on 8
    # connections (two lanes of 4), the other 4 wait and then reuse them.
    with RawUpstream("script", [OK] * 12, delay=0.3) as upstream:
        client = TikTokTokenClient(upstream.url, timeout=5, max_connections=8)

        async def burst() -> list[int]:
            answers = await asyncio.gather(*(client.exchange(FORM) for _ in range(12)))
            await client.aclose()
            return [answer.status for answer in answers]

        loop = asyncio.new_event_loop()
        try:
            assert loop.run_until_complete(burst()) == [200] * 12
        finally:
            loop.close()
    assert (upstream.connections, upstream.requests_seen) == (8, 12)


def one_exchange(upstream: RawUpstream):
    client = TikTokTokenClient(upstream.url, timeout=3)
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(client.exchange(FORM))
    finally:
        loop.run_until_complete(client.aclose())
        loop.close()


def gzip_answer(body: bytes) -> bytes:
    packed = gzip.compress(body)
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\n"
    return head + b"Content-Length: %d\r\n\r\n" % len(packed) + packed


def test_a_gzip_answer_is_asked_for_and_decoded():
    with RawUpstream("script", [gzip_answer(TOKEN)]) as upstream:
        answer = one_exchange(upstream)
        (head,) = upstream.heads
    assert (answer.status, answer.body) == (200, TOKEN)
    assert b"\r\naccept-encoding: gzip, deflate" in head.lower()


def test_an_answer_too_large_once_decoded_is_refused_as_such():
    # 1 MiB of JSON-looking bytes in about 1 KiB of gzip: the limit applies to what it decodes to.
    bomb = b'{"access_token":"' + b"0" * (1 << 20) + b'"}'
    with (
        RawUpstream("script", [gzip_answer(bomb)]) as upstream,
        pytest.raises(UpstreamBadResponse) as caught,
    ):
        one_exchange(upstream)
    assert "more than 65536 bytes" in str(caught.value)


class ImportRecorder(importlib.abc.MetaPathFinder):
    """Sees every import the module cache cannot answer."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: Any = None) -> None:
        self.asked.append(fullname)


def test_httpcore_finds_sniffio_once_not_on_every_request():
    """encode/httpcore#1103: without sniffio installed, httpcore's `import sniffio` misses the
    module cache and searches sys.path on every lock and event (about 450 us per request)."""
    with RawUpstream("script", [OK] * 6) as upstream:
        client = TikTokTokenClient(upstream.url, timeout=3)
        recorder = ImportRecorder()

        async def run() -> None:
            await client.exchange(FORM)  # warm: the first import of everything
            sys.meta_path.insert(0, recorder)
            try:
                for _ in range(5):
                    await client.exchange(FORM)
            finally:
                sys.meta_path.remove(recorder)
            await client.aclose()

        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(run())
        finally:
            loop.close()
    assert "sniffio" not in recorder.asked
