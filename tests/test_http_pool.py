"""The proxy's keep-alive HTTP/1.1 pool against real sockets: reuse, framing, and failures."""

from __future__ import annotations

import asyncio
import gzip

import pytest

from devtools.proxy_process import free_port
from tests.upstreams import RawUpstream
from tokenproxy import ConnectionPool
from tokenproxy._http import ConnectionBroken, ConnectionFailed, MalformedResponse, ResponseTooLarge

HEADERS = {"Content-Type": "application/x-www-form-urlencoded"}


def answer(body: bytes, *extra: bytes, status: bytes = b"200 OK") -> bytes:
    head = [b"HTTP/1.1 " + status, b"Content-Type: application/json", *extra]
    if not any(h.lower().startswith((b"transfer-encoding", b"content-length")) for h in extra):
        head.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(head) + b"\r\n\r\n" + body


def post_all(pool: ConnectionPool, count: int = 1, pause: float = 0.0):
    async def go():
        results = []
        for _ in range(count):
            results.append(await pool.post(b"a=1", HEADERS))
            await asyncio.sleep(pause)
        await pool.aclose()
        return results

    # A private loop: asyncio.run() would leave the main thread without one, which Pulumi's
    # mock runtime (used by later tests in the same process) relies on.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(go())
    finally:
        loop.close()


def test_connections_are_kept_alive_and_reused():
    with RawUpstream("script", [answer(b'{"n":%d}' % i) for i in range(10)]) as upstream:
        pool = ConnectionPool(upstream.url)
        responses = post_all(pool, 10)
    assert [r.body for r in responses] == [b'{"n":%d}' % i for i in range(10)]
    assert pool.connections_opened == 1
    assert upstream.connections == 1


def test_idle_connections_expire():
    with RawUpstream("script", [answer(b"{}")] * 2) as upstream:
        pool = ConnectionPool(upstream.url, keepalive=0.05)
        post_all(pool, 2, pause=0.2)
    assert pool.connections_opened == 2


def test_a_connection_the_server_closed_is_not_reused():
    answers = [answer(b"{}", b"Connection: close") + b"<close>", answer(b'{"second":1}')]
    with RawUpstream("script", answers) as upstream:
        pool = ConnectionPool(upstream.url)
        responses = post_all(pool, 2, pause=0.05)
    assert responses[1].body == b'{"second":1}'
    assert pool.connections_opened == 2


def test_chunked_and_gzip_bodies_are_decoded():
    chunked = answer(b'5\r\n{"a":\r\n2\r\n1}\r\n0\r\n\r\n', b"Transfer-Encoding: chunked")
    gzipped = gzip.compress(b'{"z":1}')
    with RawUpstream("script", [chunked, answer(gzipped, b"Content-Encoding: gzip")]) as upstream:
        first, second = post_all(ConnectionPool(upstream.url), 2)
    assert first.body == b'{"a":1}'
    assert second.body == b'{"z":1}'


def test_a_body_delimited_by_connection_close():
    raw = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"eof":true}<close>'
    with RawUpstream("script", [raw]) as upstream:
        (response,) = post_all(ConnectionPool(upstream.url))
    assert response.body == b'{"eof":true}'


def test_an_interim_100_is_skipped():
    raw = b"HTTP/1.1 100 Continue\r\n\r\n" + answer(b'{"ok":1}')
    with RawUpstream("script", [raw]) as upstream:
        (response,) = post_all(ConnectionPool(upstream.url))
    assert (response.status, response.body) == (200, b'{"ok":1}')


def test_status_and_body_of_an_error_answer():
    with RawUpstream("script", [answer(b"<html>", status=b"503 Service Unavailable")]) as upstream:
        (response,) = post_all(ConnectionPool(upstream.url))
    assert (response.status, response.body) == (503, b"<html>")


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (answer(b"x" * 2048), ResponseTooLarge),
        (b'HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\n{"cut"<close>', ConnectionBroken),
        (b"SMTP ready\r\n\r\n", MalformedResponse),
        (b"<close>", ConnectionBroken),
    ],
)
def test_broken_answers_raise_the_right_error(raw, error):
    with RawUpstream("script", [raw]) as upstream, pytest.raises(error):
        post_all(ConnectionPool(upstream.url, max_body=1024))


def test_refused_connection_is_connection_failed():
    with pytest.raises(ConnectionFailed):
        post_all(ConnectionPool(f"http://127.0.0.1:{free_port()}/"))


def test_request_line_host_and_length():
    with RawUpstream("script", [answer(b"{}")]) as upstream:
        pool = ConnectionPool(upstream.url)
        post_all(pool)
    assert pool.target == "/v2/oauth/token/"
    assert pool.host_header == f"127.0.0.1:{upstream.port}"


@pytest.mark.parametrize("url", ["ftp://x/", "http:///nohost", "not a url"])
def test_only_http_urls(url):
    with pytest.raises(ValueError, match="not an http"):
        ConnectionPool(url)
