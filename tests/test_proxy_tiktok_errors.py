"""TikTok's answers that are errors, whatever their HTTP status, become RFC 6749 errors."""

from __future__ import annotations

import pytest

from tests.helpers import APP, auth0_token_form, new_code, secret_headers


# Every test here runs against TikTok's stand-in over plain HTTP and over TLS (a certificate
# made for the run, trusted through UPSTREAM_CA_FILE), as production is HTTPS only.
@pytest.fixture
def emulator(any_emulator):
    return any_emulator


@pytest.fixture
def proxy(any_proxy):
    return any_proxy


def test_tiktok_200_with_error_becomes_400_with_its_code_and_log_id(proxy, emulator, http):
    response = http.post(
        proxy.token_url, data=auth0_token_form("not-a-real-code"), headers=secret_headers()
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_grant"
    assert body["error_description"]
    assert body["log_id"]
    (sent,) = emulator.token_requests(code="not-a-real-code")
    assert sent is not None
    assert response.headers["cache-control"] == "no-store"


def test_code_used_twice_is_refused_the_second_time(proxy, emulator, http):
    code = new_code(emulator)
    form = auth0_token_form(code)
    assert http.post(proxy.token_url, data=form, headers=secret_headers()).status_code == 200
    second = http.post(proxy.token_url, data=form, headers=secret_headers())
    assert second.status_code == 400
    assert second.json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_tiktoks_invalid_client_as_401(proxy, emulator, http):
    form = auth0_token_form(new_code(emulator), client_secret="wrong-secret")
    response = http.post(proxy.token_url, data=form, headers=secret_headers())
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.json()["log_id"]


def test_redirect_uri_mismatch_is_invalid_grant(proxy, emulator, http):
    form = auth0_token_form(new_code(emulator), redirect_uri="https://elsewhere.test/cb")
    response = http.post(proxy.token_url, data=form, headers=secret_headers())
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize("status", [200, 400, 403])
def test_error_body_wins_over_any_2xx_or_4xx_status(proxy, emulator, http, status):
    error = {"error": "invalid_scope", "error_description": "bad scope", "log_id": "LOG123"}
    emulator.inject("token", status, error)
    form = auth0_token_form(new_code(emulator))
    response = http.post(proxy.token_url, data=form, headers=secret_headers())
    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_scope",
        "error_description": "bad scope",
        "log_id": "LOG123",
    }


def test_200_without_access_token_is_a_failure(proxy, emulator, http):
    emulator.inject("token", 200, {"open_id": "x", "log_id": "LOG9"})
    form = auth0_token_form(new_code(emulator))
    response = http.post(proxy.token_url, data=form, headers=secret_headers())
    assert response.status_code == 400
    assert response.json()["log_id"] == "LOG9"
    assert "access_token" not in response.json()


def test_client_key_outside_allow_list_never_reaches_tiktok(proxy, emulator, http):
    form = auth0_token_form("some-code", client_id="someone-else")
    response = http.post(proxy.token_url, data=form, headers=secret_headers())
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert emulator.token_requests() == []
    assert APP.client_key != "someone-else"
