"""TikTok's rate limits and outages are conditions on TikTok's side whatever the body says, for
both grants: never a 4xx, which would tell Auth0 the code or refresh token is dead."""

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


RATE_LIMITED = {
    "error": "rate_limit_exceeded",
    "error_description": "Too many requests",
    "log_id": "LOG429",
}
FAILED = {"error": "internal_error", "error_description": "Try again", "log_id": "LOG503"}
# A refresh grant answered by TikTok with an error body would be a refusal; with 429/5xx it is not.
REFUSAL_SHAPED = {"error": "invalid_grant", "error_description": "x", "log_id": "LOG500"}


def token_form(emulator, grant_type: str) -> dict[str, str]:
    if grant_type == "authorization_code":
        return auth0_token_form(new_code(emulator))
    return {
        "grant_type": "refresh_token",
        "refresh_token": "rft.still-good",
        "client_id": APP.client_key,
        "client_secret": APP.client_secret,
    }


@pytest.mark.parametrize("grant_type", ["authorization_code", "refresh_token"])
@pytest.mark.parametrize(
    ("status", "body", "content_type", "expected_status", "expected_error", "log_id"),
    [
        (429, RATE_LIMITED, "", 503, "temporarily_unavailable", "LOG429"),
        (429, b"Too Many Requests", "text/plain", 503, "temporarily_unavailable", None),
        (503, FAILED, "", 502, "server_error", "LOG503"),
        (500, REFUSAL_SHAPED, "", 502, "server_error", "LOG500"),
        (502, b"<html>bad gateway</html>", "text/html", 502, "server_error", None),
    ],
)
def test_429_and_5xx_are_never_a_refusal(
    proxy,
    emulator,
    http,
    grant_type,
    status,
    body,
    content_type,
    expected_status,
    expected_error,
    log_id,
):
    emulator.inject("token", status, body, content_type)
    form = token_form(emulator, grant_type)
    response = http.post(proxy.token_url, data=form, headers=secret_headers())
    assert response.status_code == expected_status, response.text
    answer = response.json()
    assert answer["error"] == expected_error
    assert f"HTTP {status}" in answer["error_description"]
    assert answer.get("log_id") == log_id
    assert response.headers["cache-control"] == "no-store"
    (sent,) = emulator.token_requests(grant_type=grant_type)
    assert sent.form["client_key"] == APP.client_key
    record = proxy.log_records()[-1]
    assert record.get("tiktok_log_id") == log_id
    assert record["upstream_status"] == status
    assert record["status"] == expected_status
    assert record["grant_type"] == grant_type


def test_a_tiktok_error_code_in_a_5xx_is_named_in_the_description(proxy, emulator, http):
    emulator.inject("token", 503, FAILED)
    form = token_form(emulator, "refresh_token")
    answer = http.post(proxy.token_url, data=form, headers=secret_headers()).json()
    assert (
        answer["error_description"] == "TikTok's token endpoint failed (HTTP 503, internal_error)"
    )
