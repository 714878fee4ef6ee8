"""When TikTok cannot give a usable answer: 502/503/504 with a JSON error, never a retry.

Every test runs over plain HTTP and over TLS (a certificate made for the run, trusted through
UPSTREAM_CA_FILE), as production is HTTPS only."""

from __future__ import annotations

import time

import pytest

from devtools.proxy_process import free_port
from tests.helpers import (
    assert_no_secrets,
    auth0_token_form,
    new_code,
    proxy_env,
    secret_headers,
)
from tests.upstreams import RawUpstream


@pytest.fixture(params=["http", "https"])
def server_tls(request, tls):
    """None for plain HTTP, else a server context with the throwaway certificate."""
    return tls.server_context() if request.param == "https" else None


@pytest.fixture
def emulator(any_emulator):
    return any_emulator


@pytest.fixture
def proxy(any_proxy):
    return any_proxy


def proxy_for(start_proxy, tls, url: str, timeout: str = "1"):
    return start_proxy(
        **proxy_env(url, UPSTREAM_TIMEOUT_SECONDS=timeout, UPSTREAM_CA_FILE=tls.ca_file)
    )


def test_hanging_upstream_gives_504_within_the_timeout(start_proxy, tls, server_tls, http):
    with RawUpstream("hang", tls=server_tls) as upstream:
        proxy = proxy_for(start_proxy, tls, upstream.url, timeout="1")
        started = time.monotonic()
        response = http.post(proxy.token_url, data=auth0_token_form("c"), headers=secret_headers())
        elapsed = time.monotonic() - started
        assert response.status_code == 504
        assert response.json()["error"] == "temporarily_unavailable"
        assert "1 seconds" in response.json()["error_description"]
        assert elapsed < 5, "the proxy waited far beyond UPSTREAM_TIMEOUT_SECONDS"
        assert upstream.requests_seen == 1
        assert upstream.connections == 1
        assert_no_secrets(proxy.output(), response.text)


@pytest.mark.parametrize("mode", ["close", "partial", "garbage"])
def test_broken_answers_give_502_and_are_not_retried(start_proxy, tls, server_tls, http, mode):
    with RawUpstream(mode, tls=server_tls) as upstream:
        proxy = proxy_for(start_proxy, tls, upstream.url)
        response = http.post(proxy.token_url, data=auth0_token_form("c"), headers=secret_headers())
        assert response.status_code == 502, response.text
        assert response.json()["error"] == "server_error"
        time.sleep(0.2)
        assert upstream.requests_seen == 1, "a request that reached TikTok was sent again"
        assert upstream.connections == 1
        again = http.post(proxy.token_url, data=auth0_token_form("d"), headers=secret_headers())
        assert again.status_code == 502  # still serving, the same clear answer
        assert "Traceback" not in proxy.output()
        assert_no_secrets(proxy.output(), response.text, again.text)


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_refused_connection_gives_502(start_proxy, tls, http, scheme):
    proxy = proxy_for(start_proxy, tls, f"{scheme}://127.0.0.1:{free_port()}/v2/oauth/token/")
    response = http.post(proxy.token_url, data=auth0_token_form("c"), headers=secret_headers())
    assert response.status_code == 502
    assert response.json() == {
        "error": "server_error",
        "error_description": "could not connect to TikTok's token endpoint",
    }


@pytest.mark.parametrize(
    ("status", "body", "expected_status"),
    [
        (200, b"<html>maintenance</html>", 502),
        (502, b"<html>bad gateway</html>", 502),
        (200, b'{"access_token": "act.trunc', 502),
        (500, b"{}", 502),
        (429, b"{}", 503),
    ],
)
def test_unusable_answers(proxy, emulator, http, status, body, expected_status):
    emulator.inject(
        "token", status, body, "text/html" if body.startswith(b"<") else "application/json"
    )
    code = new_code(emulator)
    response = http.post(proxy.token_url, data=auth0_token_form(code), headers=secret_headers())
    assert response.status_code == expected_status, response.text
    assert response.json()["error"] in {"server_error", "temporarily_unavailable"}
    assert len(emulator.token_requests(code=code)) == 1
    follow_up = http.post(
        proxy.token_url, data=auth0_token_form(new_code(emulator)), headers=secret_headers()
    )
    assert follow_up.status_code == 200  # the proxy still serves the next request
    tokens = follow_up.json()
    assert_no_secrets(
        proxy.output(),
        response.text,
        values=(code, tokens["access_token"], tokens["refresh_token"]),
    )


def test_proxy_keeps_serving_after_faults(proxy, emulator, http):
    emulator.inject("token", 200, b"<html>", "text/html")
    form = auth0_token_form(new_code(emulator))
    assert http.post(proxy.token_url, data=form, headers=secret_headers()).status_code == 502
    form = auth0_token_form(new_code(emulator))
    assert http.post(proxy.token_url, data=form, headers=secret_headers()).status_code == 200
