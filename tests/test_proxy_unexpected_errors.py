"""An exception no code path expects still gets an RFC 6749 JSON answer and one log line that
says where it happened, without its message (which may hold request data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from devtools.proxy_process import REPO, ProxyProcess
from tests.helpers import APP, PROXY_SECRET, auth0_token_form, proxy_env, secret_headers

SCENARIO = Path(__file__).with_name("scenario_failing_client.py")


@pytest.fixture(scope="module")
def failing_proxy():
    env = proxy_env("http://127.0.0.1:9/v2/oauth/token/", PYTHONPATH=str(REPO / "proxy"))
    with ProxyProcess(env, source=SCENARIO) as proxy:
        yield proxy


def test_an_unexpected_exception_is_a_json_server_error(failing_proxy, http):
    code = "code-that-must-not-leak"
    response = http.post(
        failing_proxy.token_url, data=auth0_token_form(code), headers=secret_headers()
    )
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"error", "error_description"}
    assert body["error"] == "server_error"
    assert body["error_description"].startswith("the token proxy failed unexpectedly")
    for secret in (APP.client_secret, PROXY_SECRET, code):
        assert secret not in response.text


def test_it_writes_one_log_line_naming_the_place_and_no_secret(failing_proxy, http):
    before = failing_proxy.output()
    code = "another-code-that-must-not-leak"
    http.post(failing_proxy.token_url, data=auth0_token_form(code), headers=secret_headers())
    written = failing_proxy.output()[len(before) :]
    (line,) = written.splitlines()
    record = failing_proxy.log_records()[-1]
    assert record["severity"] == "ERROR"
    assert record["outcome"] == "internal_error"
    assert record["error"] == "server_error"
    assert record["status"] == 500
    assert record["grant_type"] == "authorization_code"
    assert record["exception"].startswith("RuntimeError at scenario_failing_client.py:")
    assert record["exception"].endswith(" in exchange")
    for secret in (APP.client_secret, PROXY_SECRET, code, "unforeseen"):
        assert secret not in line
    assert "Traceback" not in failing_proxy.output()


def test_the_proxy_keeps_serving_after_it(failing_proxy, http):
    for _ in range(3):
        response = http.post(
            failing_proxy.token_url, data=auth0_token_form("c"), headers=secret_headers()
        )
        assert response.status_code == 500
        assert response.json()["error"] == "server_error"
    refused = http.post(failing_proxy.token_url, data=auth0_token_form("c"))
    assert refused.status_code == 401  # requests that never reach the client are unaffected
