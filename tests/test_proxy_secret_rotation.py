"""PROXY_SECRET_PREVIOUS: during a rotation the proxy accepts the previous secret beside the
current one, in the same header, so a login that Auth0 started with either secret goes through."""

from __future__ import annotations

import secrets

import pytest

from tests.helpers import auth0_token_form, new_code, proxy_env, refused_start

NEW = f"new-proxy-secret-{secrets.token_hex(8)}"
OLD = f"old-proxy-secret-{secrets.token_hex(8)}"


@pytest.fixture
def rotating(start_proxy, make_emulator):
    """The function between the two steps of a rotation: the new secret and the previous one."""
    return start_proxy(
        **proxy_env(make_emulator.token_url, PROXY_SECRET=NEW, PROXY_SECRET_PREVIOUS=OLD)
    )


@pytest.mark.parametrize(
    ("secret", "match"), [(NEW, "current"), (OLD, "previous")], ids=["current", "previous"]
)
def test_a_login_with_either_secret_succeeds(rotating, emulator, http, secret, match):
    before = len(rotating.log_records())
    response = http.post(
        rotating.token_url,
        data=auth0_token_form(new_code(emulator)),
        headers={"X-Proxy-Secret": secret},
    )
    assert response.status_code == 200, response.text
    assert response.json()["access_token"]
    (record,) = rotating.log_records()[before:]
    assert record["secret_match"] == match
    assert NEW not in rotating.output() and OLD not in rotating.output()


@pytest.mark.parametrize("secret", [NEW, OLD], ids=["current", "previous"])
def test_the_health_route_accepts_either_secret(rotating, http, secret):
    assert http.get(rotating.health_url, headers={"X-Proxy-Secret": secret}).status_code == 200


@pytest.mark.parametrize(
    "header",
    [None, "", OLD[:-1], NEW + OLD, f"{NEW},{OLD}"],
    ids=["none", "empty", "truncated", "both-concatenated", "both-listed"],
)
def test_any_other_value_is_refused_before_tiktok(rotating, emulator, http, header):
    headers = {} if header is None else {"X-Proxy-Secret": header}
    response = http.post(rotating.token_url, data=auth0_token_form("c"), headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert emulator.token_requests() == []


def test_a_blank_previous_secret_is_ignored(start_proxy, make_emulator, emulator, http):
    blank = start_proxy(
        **proxy_env(make_emulator.token_url, PROXY_SECRET=NEW, PROXY_SECRET_PREVIOUS="   ")
    )
    empty = http.post(blank.token_url, data=auth0_token_form("c"), headers={"X-Proxy-Secret": ""})
    assert empty.status_code == 401
    assert http.get(blank.health_url).status_code == 401
    assert http.get(blank.health_url, headers={"X-Proxy-Secret": ""}).status_code == 401
    assert http.get(blank.health_url, headers={"X-Proxy-Secret": NEW}).status_code == 200
    assert emulator.token_requests() == []


def test_a_previous_secret_without_a_current_one_stops_the_proxy_at_start_up():
    record, output = refused_start({"PROXY_SECRET_PREVIOUS": OLD})
    assert "PROXY_SECRET_PREVIOUS is only accepted beside PROXY_SECRET" in record["message"]
    assert OLD not in output
