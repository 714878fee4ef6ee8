"""Successful exchanges through the real proxy to the emulator, as Auth0 would post them."""

from __future__ import annotations

import base64
from urllib.parse import quote

import httpx

from devtools.proxy_process import ProxyProcess
from devtools.tiktok_emulator import TikTokEmulator
from tests.helpers import APP, REDIRECT_URI, auth0_token_form, new_code, secret_headers

TOKEN_FIELDS = {
    "access_token",
    "token_type",
    "expires_in",
    "refresh_token",
    "refresh_expires_in",
    "scope",
    "open_id",
}


def test_authorization_code_becomes_tiktok_tokens(proxy, emulator, http):
    code = new_code(emulator, ("user.info.basic", "user.info.profile"))
    response = http.post(proxy.token_url, data=auth0_token_form(code), headers=secret_headers())
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert tokens.keys() >= TOKEN_FIELDS
    assert tokens["token_type"] == "Bearer"
    assert tokens["scope"] == "user.info.basic,user.info.profile"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    assert response.headers["content-type"] == "application/json"


def test_code_is_forwarded_exactly_once_and_intact(proxy, emulator, http):
    code = new_code(emulator)
    assert "*" in code and "!" in code  # TikTok's codes need url-encoding
    http.post(proxy.token_url, data=auth0_token_form(code), headers=secret_headers())
    sent = emulator.token_requests(code=code)
    assert len(sent) == 1
    assert sent[0].form == {
        "client_key": APP.client_key,
        "client_secret": APP.client_secret,
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
    }


def test_caller_headers_and_extra_parameters_are_not_forwarded(proxy, emulator, http):
    code = new_code(emulator)
    form = auth0_token_form(code, code_verifier="v" * 43, scope="user.info.stats", extra="x")
    headers = {**secret_headers(), "X-Caller-Header": "leak-me", "Cookie": "session=leak"}
    assert http.post(proxy.token_url, data=form, headers=headers).status_code == 200
    (sent,) = emulator.token_requests(code=code)
    assert set(sent.form) == {
        "client_key",
        "client_secret",
        "grant_type",
        "code",
        "redirect_uri",
        "code_verifier",
    }
    assert sent.form["code_verifier"] == "v" * 43
    assert "x-caller-header" not in sent.headers
    assert "cookie" not in sent.headers
    assert "x-proxy-secret" not in sent.headers
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"


def test_json_body_is_accepted(proxy, emulator, http):
    code = new_code(emulator)
    response = http.post(proxy.token_url, json=auth0_token_form(code), headers=secret_headers())
    assert response.status_code == 200, response.text
    assert len(emulator.token_requests(code=code)) == 1


def test_http_basic_client_credentials(proxy, emulator, http):
    code = new_code(emulator)
    form = auth0_token_form(code)
    del form["client_id"], form["client_secret"]
    user = f"{quote(APP.client_key, safe='')}:{quote(APP.client_secret, safe='')}"
    basic = base64.b64encode(user.encode()).decode()
    headers = {**secret_headers(), "Authorization": f"Basic {basic}"}
    response = http.post(proxy.token_url, data=form, headers=headers)
    assert response.status_code == 200, response.text
    (sent,) = emulator.token_requests(code=code)
    assert sent.form["client_key"] == APP.client_key
    assert sent.form["client_secret"] == APP.client_secret


def test_root_route_serves_the_same_exchange(proxy, emulator, http):
    code = new_code(emulator)
    response = http.post(f"{proxy.url}/", data=auth0_token_form(code), headers=secret_headers())
    assert response.status_code == 200, response.text


def test_refresh_grant_rotates_tokens(proxy, emulator, http):
    code = new_code(emulator)
    first = http.post(proxy.token_url, data=auth0_token_form(code), headers=secret_headers())
    refresh = first.json()["refresh_token"]
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh,
        "client_id": APP.client_key,
        "client_secret": APP.client_secret,
    }
    second = http.post(proxy.token_url, data=form, headers=secret_headers())
    assert second.status_code == 200, second.text
    assert second.json()["refresh_token"] != refresh
    assert emulator.token_requests(refresh_token=refresh)[0].form["grant_type"] == "refresh_token"
    again = http.post(proxy.token_url, data=form, headers=secret_headers())
    assert again.status_code == 400  # the old refresh token died with the rotation
    assert again.json()["error"] == "invalid_grant"


def test_proxy_without_secret_or_allow_list_forwards_any_client(
    start_proxy, emulator: TikTokEmulator, http: httpx.Client
):
    open_proxy: ProxyProcess = start_proxy(TIKTOK_TOKEN_URL=emulator.token_url)
    code = new_code(emulator)
    response = http.post(open_proxy.token_url, data=auth0_token_form(code))
    assert response.status_code == 200, response.text


def test_a_missing_token_type_is_filled_in_as_bearer(proxy, emulator, http):
    emulator.inject("token", 200, {"access_token": "act.x", "open_id": "o", "expires_in": 60})
    response = http.post(
        proxy.token_url, data=auth0_token_form(new_code(emulator)), headers=secret_headers()
    )
    assert response.status_code == 200
    assert response.json() == {
        "access_token": "act.x",
        "open_id": "o",
        "expires_in": 60,
        "token_type": "Bearer",
    }
