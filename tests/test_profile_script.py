"""profile_script.js, rendered per stack, run in Node against the emulator's user-info endpoint."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from devtools.profile_runner import run_profile_script
from tests.helpers import APP, REDIRECT_URI, new_code
from tiktok_auth0.profile_script import SCRIPT_PATH, render_profile_script
from tiktok_auth0.tiktok import SCOPE_FIELDS, USER_INFO_URL, user_info_fields

BASIC = ("user.info.basic",)
PROFILE = ("user.info.basic", "user.info.profile")
ALL = ("user.info.basic", "user.info.profile", "user.info.stats")


def access_token(emulator, http, scopes) -> dict:
    form = {
        "client_key": APP.client_key,
        "client_secret": APP.client_secret,
        "code": new_code(emulator, scopes),
        "grant_type": "authorization_code",
        "redirect_uri": REDIRECT_URI,
    }
    return http.post(emulator.token_url, data=form).json()


def script_for(emulator, scopes, user_id_field="union_id") -> str:
    return render_profile_script(scopes, user_id_field, user_info_url=emulator.user_info_url)


@pytest.mark.parametrize("scopes", [BASIC, PROFILE, ALL])
@pytest.mark.parametrize("user_id_field", ["union_id", "open_id"])
def test_profile_for_each_scope_set(emulator, http, scopes, user_id_field):
    tokens = access_token(emulator, http, scopes)
    answer = run_profile_script(
        script_for(emulator, scopes, user_id_field), tokens["access_token"], tokens
    )
    assert "error" not in answer, answer
    profile = answer["profile"]
    tiktok_user = emulator.user.profile(APP.client_key)
    assert profile["user_id"] == tiktok_user[user_id_field]
    assert profile["open_id"] == tokens["open_id"]
    assert profile["union_id"] == tiktok_user["union_id"]
    assert profile["picture"] == tiktok_user["avatar_large_url"]
    assert profile["name"] == "Ada Emulated"
    assert "email" not in profile
    if "user.info.profile" in scopes:
        assert profile["nickname"] == "ada.emulated"
        assert profile["bio_description"] == tiktok_user["bio_description"]
        assert profile["is_verified"] is False
    else:
        assert profile["nickname"] == "Ada Emulated"
        assert "username" not in profile
    assert ("follower_count" in profile) == ("user.info.stats" in scopes)
    assert asked_fields(emulator) == {f for s in scopes for f in SCOPE_FIELDS[s]}


def login(emulator, http, requested, consent) -> dict:
    """A TikTok login through the emulator's authorize step, the user ticking only `consent`."""
    emulator.consent = consent
    authorize = http.get(
        emulator.authorize_url,
        params={
            "client_key": APP.client_key,
            "scope": ",".join(requested),
            "redirect_uri": REDIRECT_URI,
            "response_type": "code",
        },
    )
    (code,) = parse_qs(urlsplit(authorize.headers["location"]).query)["code"]
    form = {
        "client_key": APP.client_key,
        "client_secret": APP.client_secret,
        "code": code,
        "grant_type": "authorization_code",
        "redirect_uri": REDIRECT_URI,
    }
    return http.post(emulator.token_url, data=form).json()


def asked_fields(emulator) -> set[str]:
    (request,) = [r for r in emulator.requests if r.path == "/v2/user/info/"]
    return set(request.query["fields"].split(","))


@pytest.mark.parametrize("user_id_field", ["union_id", "open_id"])
def test_a_user_who_grants_only_basic_of_basic_and_profile_logs_in(emulator, http, user_id_field):
    tokens = login(emulator, http, PROFILE, consent=BASIC)
    assert tokens["scope"] == "user.info.basic"
    answer = run_profile_script(
        script_for(emulator, PROFILE, user_id_field), tokens["access_token"], tokens
    )
    assert "error" not in answer, answer
    profile = answer["profile"]
    tiktok_user = emulator.user.profile(APP.client_key)
    assert profile["user_id"] == tiktok_user[user_id_field]
    assert profile["name"] == profile["nickname"] == "Ada Emulated"
    assert profile["picture"] == tiktok_user["avatar_large_url"]
    assert "username" not in profile
    assert "bio_description" not in profile
    assert asked_fields(emulator) == set(SCOPE_FIELDS["user.info.basic"])


def test_context_without_scope_asks_for_every_configured_field(emulator, http):
    tokens = login(emulator, http, PROFILE, consent=None)
    context = {k: v for k, v in tokens.items() if k != "scope"}
    answer = run_profile_script(script_for(emulator, PROFILE), tokens["access_token"], context)
    assert "error" not in answer, answer
    assert answer["profile"]["nickname"] == "ada.emulated"
    assert asked_fields(emulator) == set(user_info_fields(PROFILE))


@pytest.mark.parametrize("separator", [",", " "])
def test_granted_scopes_the_script_does_not_know_are_ignored(emulator, http, separator):
    requested = (*ALL, "video.list")
    tokens = login(emulator, http, requested, consent=(*PROFILE, "video.list"))
    assert tokens["scope"] == "user.info.basic,user.info.profile,video.list"
    granted = [*tokens["scope"].split(","), "artist.certification.read", "user.info.future"]
    context = {**tokens, "scope": separator.join(granted)}
    answer = run_profile_script(script_for(emulator, requested), tokens["access_token"], context)
    assert "error" not in answer, answer
    assert answer["profile"]["username"] == "ada.emulated"
    assert "follower_count" not in answer["profile"]
    assert asked_fields(emulator) == set(user_info_fields(PROFILE))


def test_a_grant_without_basic_fails_clearly_before_calling_tiktok(emulator):
    context = {"scope": "user.info.profile", "open_id": "x"}
    answer = run_profile_script(script_for(emulator, PROFILE), "act.x", context)
    assert "lacks user.info.basic" in answer["error"]
    assert "union_id" in answer["error"]
    assert [r for r in emulator.requests if r.path == "/v2/user/info/"] == []


def test_fields_beyond_the_tokens_scopes_fail_with_tiktoks_code_and_log_id(emulator, http):
    tokens = access_token(emulator, http, BASIC)
    answer = run_profile_script(script_for(emulator, PROFILE), tokens["access_token"])
    assert "scope_not_authorized" in answer["error"]
    assert "HTTP 401" in answer["error"]
    assert re.search(r"log_id \w{20,}", answer["error"])


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (
            429,
            {"error": {"code": "rate_limit_exceeded", "log_id": "LOG429"}},
            "rate_limit_exceeded",
        ),
        (500, {"error": {"code": "internal_error", "log_id": "LOG500"}}, "internal_error"),
        (
            200,
            {"data": {}, "error": {"code": "invalid_params", "log_id": "LOGP"}},
            "invalid_params",
        ),
        (502, b"<html>bad gateway</html>", "non_json_answer (HTTP 502"),
        (
            200,
            {"data": {"user": {"display_name": "x"}}, "error": {"code": "ok", "log_id": "L"}},
            "no union_id",
        ),
    ],
)
def test_tiktok_errors_become_callback_errors(emulator, http, status, body, expected):
    tokens = access_token(emulator, http, BASIC)
    emulator.inject("user_info", status, body)
    answer = run_profile_script(script_for(emulator, BASIC), tokens["access_token"])
    assert "profile" not in answer
    assert expected in answer["error"]
    if isinstance(body, dict):
        assert body["error"]["log_id"] in answer["error"]


def test_invalid_token_is_access_token_invalid(emulator):
    answer = run_profile_script(script_for(emulator, BASIC), "act.not-a-token")
    assert "access_token_invalid" in answer["error"]
    assert "HTTP 401" in answer["error"]


def test_unreachable_tiktok_is_an_error_not_a_hang(emulator):
    from devtools.proxy_process import free_port

    script = render_profile_script(
        BASIC, "union_id", user_info_url=f"http://127.0.0.1:{free_port()}/"
    )
    answer = run_profile_script(script, "act.x")
    assert "request failed" in answer["error"]


def test_committed_script_is_the_default_rendering_and_needs_no_modules():
    committed = SCRIPT_PATH.read_text()
    assert render_profile_script(BASIC, "union_id") == committed
    assert f'"{USER_INFO_URL}"' in committed
    assert "require(" not in committed
    assert committed.startswith("function fetchUserProfile(accessToken, context, callback) {")
