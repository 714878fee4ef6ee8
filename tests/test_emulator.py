"""The TikTok emulator behaves like TikTok v2 as the reference documents it."""

from __future__ import annotations

import os
import sys
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from devtools.ports import free_port
from tests.helpers import APP, REDIRECT_URI, new_code
from tests.processes import Running
from tiktok_auth0.tiktok import LOGIN_SCOPES, SCOPE_FIELDS


def authorize(http: httpx.Client, emulator, **overrides: str) -> httpx.Response:
    params = {
        "client_key": APP.client_key,
        "scope": "user.info.basic,user.info.profile",
        "redirect_uri": REDIRECT_URI,
        "state": "st-1",
        "response_type": "code",
        **overrides,
    }
    return http.get(emulator.authorize_url, params=params)


def redirect_query(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT_URI
    return {k: v[0] for k, v in parse_qs(location.query).items()}


def redeem(http, emulator, code: str, **overrides: str) -> dict:
    form = {
        "client_key": APP.client_key,
        "client_secret": APP.client_secret,
        "code": code,
        "grant_type": "authorization_code",
        "redirect_uri": REDIRECT_URI,
        **overrides,
    }
    response = http.post(emulator.token_url, data=form)
    assert response.status_code == 200  # TikTok answers errors with 200 too
    return response.json()


def user_info(http, emulator, token: str, fields: str) -> httpx.Response:
    return http.get(
        emulator.user_info_url,
        params={"fields": fields},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_authorize_redirects_with_code_scopes_and_state(emulator, http):
    query = redirect_query(authorize(http, emulator))
    assert query["state"] == "st-1"
    assert query["scopes"] == "user.info.basic,user.info.profile"
    assert "*" in query["code"]


@pytest.mark.parametrize("scope", ["user.info.basic user.info.profile", "video.everything"])
def test_authorize_rejects_space_separated_or_unknown_scopes(emulator, http, scope):
    query = redirect_query(authorize(http, emulator, scope=scope))
    assert query["error"] == "invalid_scope"
    assert "code" not in query


@pytest.mark.parametrize("scope", [s for s in LOGIN_SCOPES if s != "user.info.basic"])
def test_authorize_accepts_every_login_scope_the_program_accepts(emulator, http, scope):
    query = redirect_query(authorize(http, emulator, scope=f"user.info.basic,{scope}"))
    assert "error" not in query, query
    tokens = redeem(http, emulator, query["code"])
    assert tokens["scope"] == f"user.info.basic,{scope}"


def test_a_user_can_grant_a_subset_of_the_scopes(emulator, http):
    emulator.consent = ("user.info.basic", "video.list")
    query = redirect_query(authorize(http, emulator, scope="user.info.basic,user.info.profile"))
    assert query["scopes"] == "user.info.basic"
    tokens = redeem(http, emulator, query["code"])
    assert tokens["scope"] == "user.info.basic"
    token = tokens["access_token"]
    assert user_info(http, emulator, token, "open_id,display_name").status_code == 200
    refused = user_info(http, emulator, token, "open_id,username")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "scope_not_authorized"


def test_a_user_who_grants_nothing_is_access_denied(emulator, http):
    emulator.consent = ()
    query = redirect_query(authorize(http, emulator))
    assert query["error"] == "access_denied"
    assert query["state"] == "st-1"
    assert "code" not in query


def test_token_lifetimes_are_tiktoks_current_ones(emulator, http):
    tokens = redeem(http, emulator, new_code(emulator))
    assert tokens["expires_in"] == 2 * 60 * 60  # 2 hours
    assert tokens["refresh_expires_in"] == 180 * 24 * 60 * 60  # 180 days


def test_authorize_never_redirects_to_an_unregistered_uri(emulator, http):
    response = authorize(http, emulator, redirect_uri="https://evil.test/cb")
    assert response.status_code == 400
    assert "location" not in response.headers


def test_code_is_single_use_and_bound_to_redirect_uri(emulator, http):
    code = redirect_query(authorize(http, emulator))["code"]
    assert redeem(http, emulator, code, redirect_uri="https://other.test/cb")["error"] == (
        "invalid_grant"
    )
    fresh = new_code(emulator)
    tokens = redeem(http, emulator, fresh)
    assert tokens["token_type"] == "Bearer"
    assert tokens["access_token"].startswith("act.")
    assert set(tokens) == {
        "access_token",
        "expires_in",
        "open_id",
        "refresh_expires_in",
        "refresh_token",
        "scope",
        "token_type",
    }
    again = redeem(http, emulator, fresh)
    assert again["error"] == "invalid_grant"
    assert again["log_id"]


def test_wrong_secret_and_unknown_grant(emulator, http):
    assert redeem(http, emulator, new_code(emulator), client_secret="x")["error"] == (
        "invalid_client"
    )
    assert redeem(http, emulator, "c", grant_type="password")["error"] == "unsupported_grant_type"


def test_token_path_without_trailing_slash_is_404(emulator, http):
    assert http.post(emulator.token_url.rstrip("/"), data={}).status_code == 404


def test_user_info_returns_only_requested_fields_in_the_envelope(emulator, http):
    tokens = redeem(http, emulator, new_code(emulator))
    response = user_info(http, emulator, tokens["access_token"], "open_id,display_name")
    assert response.status_code == 200
    body = response.json()
    assert body["error"]["code"] == "ok"
    assert set(body["data"]["user"]) == {"open_id", "display_name"}
    assert body["data"]["user"]["open_id"] == tokens["open_id"]


def test_user_info_fields_outside_the_scopes_are_401_scope_not_authorized(emulator, http):
    tokens = redeem(http, emulator, new_code(emulator))
    response = user_info(http, emulator, tokens["access_token"], "open_id,username")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "scope_not_authorized"


@pytest.mark.parametrize(
    ("fields", "token", "status", "code"),
    [
        ("", "valid", 400, "invalid_params"),
        ("open_id,shoe_size", "valid", 400, "invalid_params"),
        ("open_id", "act.unknown", 401, "access_token_invalid"),
    ],
)
def test_user_info_errors(emulator, http, fields, token, status, code):
    if token == "valid":
        token = redeem(http, emulator, new_code(emulator))["access_token"]
    response = user_info(http, emulator, token, fields)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["log_id"]


def test_every_scope_unlocks_its_fields(emulator, http):
    scopes = tuple(SCOPE_FIELDS)
    tokens = redeem(http, emulator, new_code(emulator, scopes))
    all_fields = ",".join(f for fields in SCOPE_FIELDS.values() for f in fields)
    user = user_info(http, emulator, tokens["access_token"], all_fields).json()["data"]["user"]
    assert user["username"] == "ada.emulated"
    assert user["follower_count"] == 42


def test_refresh_rotates_and_revoke_kills_the_access_token(emulator, http):
    tokens = redeem(http, emulator, new_code(emulator))
    form = {
        "client_key": APP.client_key,
        "client_secret": APP.client_secret,
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
    }
    rotated = http.post(emulator.token_url, data=form).json()
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert http.post(emulator.token_url, data=form).json()["error"] == "invalid_grant"
    revoke = {
        "client_key": APP.client_key,
        "client_secret": APP.client_secret,
        "token": rotated["access_token"],
    }
    assert http.post(f"{emulator.url}/v2/oauth/revoke/", data=revoke).json() == {}
    assert user_info(http, emulator, rotated["access_token"], "open_id").status_code == 401


def test_open_id_differs_per_app_union_id_does_not(emulator):
    profile_a = emulator.user.profile("app-a")
    profile_b = emulator.user.profile("app-b")
    assert profile_a["open_id"] != profile_b["open_id"]
    assert profile_a["union_id"] == profile_b["union_id"]


def test_runs_on_its_own_and_says_so_once_it_listens(http):
    """The banner is the signal people and scripts wait for: it must be written (flushed, even
    to a pipe, where Python buffers by default) once the emulator listens, and be true then."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    command = [sys.executable, "-m", "devtools.tiktok_emulator", "--port", str(port)]
    with Running(command, env=env) as emulator:
        banner = emulator.wait_for("TikTok emulator listening on")
        response = http.get(f"http://127.0.0.1:{port}/v2/auth/authorize/?client_key=nope")
    assert banner.startswith(f"TikTok emulator listening on http://127.0.0.1:{port} ")
    assert response.status_code == 400
