"""RFC 6749 section 5.2: a client that fails to authenticate gets 401 `invalid_client` with a
`WWW-Authenticate: Basic` challenge, whether it sent no credentials, unusable ones, or ones that
TikTok or the allow list refused."""

from __future__ import annotations

import base64

import pytest

from tests.helpers import APP, auth0_token_form, new_code, secret_headers


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def assert_invalid_client(response, mentions: str = "") -> dict:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["www-authenticate"] == (
        'Basic realm="tiktok-token-proxy", charset="UTF-8"'
    )
    body = response.json()
    assert body["error"] == "invalid_client"
    assert mentions in body["error_description"]
    return body


@pytest.mark.parametrize(
    ("dropped", "mentions"),
    [
        (("client_id", "client_secret"), "no client authentication"),
        (("client_id",), "client_id"),
        (("client_secret",), "client_secret"),
    ],
)
def test_missing_client_credentials_are_invalid_client(proxy, emulator, http, dropped, mentions):
    form = auth0_token_form("c")
    for name in dropped:
        form.pop(name)
    response = http.post(proxy.token_url, data=form, headers=secret_headers())
    assert_invalid_client(response, mentions)
    assert emulator.token_requests() == []


def test_a_basic_client_that_tiktok_refuses_gets_a_basic_challenge(proxy, emulator, http):
    form = auth0_token_form(new_code(emulator))
    del form["client_id"], form["client_secret"]
    headers = {**secret_headers(), "Authorization": basic(APP.client_key, "wrong-secret")}
    response = http.post(proxy.token_url, data=form, headers=headers)
    body = assert_invalid_client(response)
    assert body["log_id"]  # TikTok's own refusal
    (sent,) = emulator.token_requests(client_key=APP.client_key)
    assert sent.form["client_secret"] == "wrong-secret"


def test_a_basic_client_outside_the_allow_list_gets_a_basic_challenge(proxy, emulator, http):
    form = {"grant_type": "refresh_token", "refresh_token": "rft.x"}
    headers = {**secret_headers(), "Authorization": basic("someone-else", "secret")}
    response = http.post(proxy.token_url, data=form, headers=headers)
    assert_invalid_client(response, "unknown client_id")
    assert emulator.token_requests() == []


NO_COLON = "Basic " + base64.b64encode(b"nocolon").decode()


@pytest.mark.parametrize("authorization", ["Bearer abc", "Basic !!!", NO_COLON])
def test_unusable_authorization_headers_are_invalid_client(proxy, emulator, http, authorization):
    headers = {**secret_headers(), "Authorization": authorization}
    response = http.post(proxy.token_url, data=auth0_token_form("c"), headers=headers)
    assert_invalid_client(response)
    assert emulator.token_requests() == []


# HTTP lets a field value carry bytes beyond ASCII (obs-text, RFC 9110 section 5.5); base64
# never does, and Basic credentials must then be refused like any other unusable ones.
@pytest.mark.parametrize("authorization", [b"Basic \xe9\xe9\xe9\xe9", b"Basic YQ==\xff"])
def test_basic_credentials_with_bytes_beyond_ascii_are_invalid_client(
    proxy, emulator, http, authorization
):
    headers = {**secret_headers(), "Authorization": authorization}
    response = http.post(proxy.token_url, data=auth0_token_form("c"), headers=headers)
    assert_invalid_client(response, "not valid base64")
    assert emulator.token_requests() == []
