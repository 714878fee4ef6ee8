"""The proxy-secret header has exactly one value: sent twice it is refused whatever the order (a
proxy in front might read either copy), and the whitespace HTTP puts around a field value (RFC
9110 section 5.5) is not part of the secret."""

from __future__ import annotations

import json
import socket

import pytest

from tests.helpers import PROXY_SECRET, auth0_token_form


def raw_get(proxy, *header_lines: str) -> tuple[int, dict]:
    """GET the health route with these header lines written byte for byte (httpx would refuse
    a value ending in whitespace); the status and the JSON body."""
    head = ["GET /proxy/health HTTP/1.1", "Host: 127.0.0.1", *header_lines, "Connection: close"]
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), json.loads(rest.partition(b"\r\n\r\n")[2])


@pytest.mark.parametrize(
    "values",
    [(PROXY_SECRET, "nope"), ("nope", PROXY_SECRET), (PROXY_SECRET, PROXY_SECRET)],
    ids=["right-then-wrong", "wrong-then-right", "right-twice"],
)
def test_a_secret_header_sent_twice_is_refused(proxy, emulator, http, values):
    headers = [("X-Proxy-Secret", value) for value in values]
    response = http.get(proxy.health_url, headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Basic realm=")
    body = response.json()
    assert body["error"] == "invalid_client"
    assert body["error_description"] == "the X-Proxy-Secret header is sent 2 times; send it once"
    assert PROXY_SECRET not in response.text
    assert emulator.requests == []


def test_a_secret_header_sent_twice_is_logged_as_a_refused_caller(proxy, http):
    before = len(proxy.log_records())
    headers = [("X-Proxy-Secret", PROXY_SECRET)] * 2
    http.post(proxy.token_url, data=auth0_token_form("c"), headers=headers)
    (record,) = proxy.log_records()[before:]
    assert (record["route"], record["probe"]) == ("token", False)  # counted in refused_calls
    assert (record["outcome"], record["error"], record["status"]) == (
        "rejected",
        "invalid_client",
        401,
    )
    assert "secret_match" not in record


@pytest.mark.parametrize(
    "line",
    [
        f"X-Proxy-Secret: {PROXY_SECRET}  ",
        f"X-Proxy-Secret: {PROXY_SECRET}\t",
        f"X-Proxy-Secret:\t {PROXY_SECRET} \t",
    ],
    ids=["trailing-spaces", "trailing-tab", "both-sides"],
)
def test_whitespace_around_the_secret_is_not_part_of_it(proxy, emulator, line):
    assert raw_get(proxy, line) == (200, {"status": "ok"})


@pytest.mark.parametrize(
    "line",
    [f"X-Proxy-Secret: {PROXY_SECRET[:5]} {PROXY_SECRET[5:]}", f"X-Proxy-Secret: {PROXY_SECRET}x "],
    ids=["space-inside", "extended-then-space"],
)
def test_whitespace_inside_the_value_still_counts(proxy, line):
    status, body = raw_get(proxy, line)
    assert (status, body["error"]) == (401, "invalid_client")
