"""One structured Cloud Logging line per request, and never a secret, code or token in it."""

from __future__ import annotations

from tests.helpers import APP, PROXY_SECRET, auth0_token_form, new_code, secret_headers


def records_after(proxy, count_before: int):
    return proxy.log_records()[count_before:]


def test_one_line_per_request_with_cloud_logging_fields(proxy, emulator, http):
    before = len(proxy.log_records())
    code = new_code(emulator)
    http.post(proxy.token_url, data=auth0_token_form(code), headers=secret_headers())
    http.post(proxy.token_url, data=auth0_token_form("bad-code"), headers=secret_headers())
    http.get(proxy.token_url, headers=secret_headers())
    ok, refused_by_tiktok, wrong_method = records_after(proxy, before)
    assert ok["severity"] == "INFO"
    assert ok["outcome"] == "success"
    assert ok["grant_type"] == "authorization_code"
    assert ok["upstream_status"] == 200
    assert ok["status"] == 200
    assert isinstance(ok["latency_ms"], float)
    assert ok["message"]
    assert refused_by_tiktok["outcome"] == "tiktok_error"
    assert refused_by_tiktok["severity"] == "WARNING"
    assert refused_by_tiktok["tiktok_log_id"]
    assert refused_by_tiktok["error"] == "invalid_grant"
    assert wrong_method["status"] == 405
    assert "upstream_status" not in wrong_method


def test_logs_and_bodies_hold_no_secret_code_or_token(proxy, emulator, http):
    before = len(proxy.output())
    code = new_code(emulator)
    exchanged = http.post(proxy.token_url, data=auth0_token_form(code), headers=secret_headers())
    tokens = exchanged.json()
    refresh_form = {
        "grant_type": "refresh_token",
        "refresh_token": tokens["refresh_token"],
        "client_id": APP.client_key,
        "client_secret": APP.client_secret,
    }
    refreshed = http.post(proxy.token_url, data=refresh_form, headers=secret_headers()).json()
    refused = http.post(
        proxy.token_url, data=auth0_token_form("used-" + code), headers=secret_headers()
    )
    wrong_secret = http.post(
        proxy.token_url, data=auth0_token_form(code), headers={"X-Proxy-Secret": "guess"}
    )
    logs = proxy.output()[before:]
    assert logs.count("\n") == 4
    secrets = [
        APP.client_secret,
        PROXY_SECRET,
        code,
        tokens["access_token"],
        tokens["refresh_token"],
        refreshed["access_token"],
        refreshed["refresh_token"],
        "guess",
    ]
    for secret in secrets:
        assert secret not in logs
        assert secret not in refused.text
        assert secret not in wrong_secret.text


def test_token_requests_are_logged_on_the_token_route_and_not_as_probes(proxy, emulator, http):
    before = len(proxy.log_records())
    http.post(proxy.token_url, data=auth0_token_form(new_code(emulator)), headers=secret_headers())
    http.post(proxy.url + "/", data=auth0_token_form("bad-code"), headers=secret_headers())
    http.post(proxy.url + "/elsewhere", data=auth0_token_form("c"), headers=secret_headers())
    login, root, unknown = records_after(proxy, before)
    assert login["route"] == root["route"] == "token"
    assert login["probe"] is root["probe"] is False
    assert login["secret_match"] == "current"
    assert "route" not in unknown
    assert unknown["probe"] is False


def test_a_method_that_is_not_the_routes_is_logged_without_a_route(proxy, http):
    # The metrics count by route: a GET on the token route (405 with the secret, 401 without)
    # or a POST on the health route is neither a token exchange nor a health check.
    before = len(proxy.log_records())
    http.get(proxy.token_url, headers=secret_headers())
    http.get(proxy.url + "/")
    http.post(proxy.health_url, headers=secret_headers())
    get_token, get_root, post_health = records_after(proxy, before)
    assert (get_token["status"], get_root["status"], post_health["status"]) == (405, 401, 405)
    for record in (get_token, get_root, post_health):
        assert "route" not in record, record
        assert record["probe"] is False
        assert record["message"].startswith("request rejected"), record


def test_an_authenticated_probe_is_marked_and_an_unauthenticated_one_is_not(proxy, http):
    before = len(proxy.log_records())
    form = auth0_token_form("doctor-dummy-code")
    http.post(proxy.url, data=form, headers={**secret_headers(), "X-Proxy-Probe": "doctor"})
    http.post(proxy.url, data=form, headers={"X-Proxy-Probe": "doctor"})
    authenticated, unauthenticated = records_after(proxy, before)
    assert (authenticated["route"], authenticated["probe"]) == ("token", True)
    assert authenticated["outcome"] == "tiktok_error"  # it still reached TikTok
    assert (unauthenticated["probe"], unauthenticated["error"]) == (False, "invalid_client")
