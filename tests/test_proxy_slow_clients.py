"""Callers that send their body slowly or go away: a clear answer, no call to TikTok, no harm."""

from __future__ import annotations

import socket
import time

from tests.helpers import (
    PROXY_SECRET,
    assert_no_secrets,
    auth0_token_form,
    new_code,
    proxy_env,
    secret_headers,
)


def slow_proxy(start_proxy, emulator):
    return start_proxy(**proxy_env(emulator.token_url, REQUEST_BODY_TIMEOUT_SECONDS="1"))


def raw_request(body: bytes, declared: int) -> bytes:
    return (
        b"POST /proxy/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        + f"X-Proxy-Secret: {PROXY_SECRET}\r\nContent-Length: {declared}\r\n\r\n".encode()
        + body
    )


def encoded_form(code: str) -> bytes:
    import urllib.parse

    return urllib.parse.urlencode(auth0_token_form(code)).encode()


def read_response(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data or not data.rstrip().endswith(b"}"):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_a_slow_body_within_the_timeout_is_served(start_proxy, emulator, http):
    proxy = slow_proxy(start_proxy, emulator)
    code = new_code(emulator)
    body = encoded_form(code)
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(raw_request(body[:20], len(body)))
        time.sleep(0.4)
        sock.sendall(body[20:])
        answer = read_response(sock)
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert len(emulator.token_requests(code=code)) == 1
    assert_no_secrets(proxy.output(), values=(code,))


def test_a_body_that_never_arrives_gets_408_and_tiktok_is_not_called(start_proxy, emulator, http):
    proxy = slow_proxy(start_proxy, emulator)
    body = encoded_form(new_code(emulator))
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(raw_request(body[:20], len(body)))
        started = time.monotonic()
        answer = read_response(sock)
        assert time.monotonic() - started < 8
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert b'"error":"invalid_request"' in answer
    assert emulator.token_requests() == []
    follow_up = http.post(
        proxy.token_url, data=auth0_token_form(new_code(emulator)), headers=secret_headers()
    )
    assert follow_up.status_code == 200


def test_a_client_that_disconnects_mid_body_costs_nothing(start_proxy, emulator, http):
    proxy = slow_proxy(start_proxy, emulator)
    body = encoded_form(new_code(emulator))
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(raw_request(body[:30], len(body)))
    time.sleep(0.3)
    assert emulator.token_requests() == []
    follow_up = http.post(
        proxy.token_url, data=auth0_token_form(new_code(emulator)), headers=secret_headers()
    )
    assert follow_up.status_code == 200
    assert "Traceback" not in proxy.output()


def test_a_client_that_leaves_before_the_answer_still_spends_the_code_once(
    start_proxy, emulator, http
):
    proxy = slow_proxy(start_proxy, emulator)
    code = new_code(emulator)
    body = encoded_form(code)
    logged = len(proxy.log_records())
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(raw_request(body, len(body)))
    # The request was whole, so the proxy goes on: it calls TikTok, then logs the exchange.
    record = wait_for_log_record(proxy, after=logged)
    assert len(emulator.token_requests(code=code)) == 1
    assert record["outcome"] == "success", record
    follow_up = http.post(
        proxy.token_url, data=auth0_token_form(new_code(emulator)), headers=secret_headers()
    )
    assert follow_up.status_code == 200
    assert len(emulator.token_requests(code=code)) == 1  # and never again
    assert "Traceback" not in proxy.output()
    assert_no_secrets(proxy.output(), follow_up.text, values=(code,))


def wait_for_log_record(proxy, after: int, timeout: float = 30) -> dict:
    """The proxy's first log line after the first `after` ones (one per request it finished)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = proxy.log_records()
        if len(records) > after:
            return records[after]
        time.sleep(0.05)
    raise AssertionError(f"the proxy logged nothing within {timeout} s:\n{proxy.output()[-2000:]}")
