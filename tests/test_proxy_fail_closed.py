"""On Cloud Run the proxy refuses to start without its secret: it admits the whole internet there.

Cloud Run sets K_SERVICE (for 2nd-gen Cloud Functions too). The proxy is started as Cloud Functions
starts it (functions-framework, a real server on 127.0.0.1): without PROXY_SECRET it exits before
listening, with one log line saying why, so the revision fails its start-up check and the deploy
fails visibly instead of serving anyone.
"""

from __future__ import annotations

import pytest

from tests.helpers import APP, PROXY_SECRET, auth0_token_form, proxy_env, refused_start
from tokenproxy import ConfigError, Settings

CLOUD_RUN = {"K_SERVICE": "tiktok-token-proxy-dev"}
REFUSAL = "PROXY_SECRET must be set on Cloud Run (K_SERVICE is set)"


def test_without_a_secret_on_cloud_run_the_settings_are_refused():
    with pytest.raises(ConfigError, match=r"PROXY_SECRET must be set on Cloud Run \(K_SERVICE"):
        Settings.from_env(CLOUD_RUN)
    with pytest.raises(ConfigError, match="PROXY_SECRET is set but blank"):
        Settings.from_env({**CLOUD_RUN, "PROXY_SECRET": "   "})  # refused everywhere, see below
    assert Settings.from_env({**CLOUD_RUN, "PROXY_SECRET": PROXY_SECRET}).proxy_secret
    assert Settings.from_env({}).proxy_secret is None  # locally (make proxy, make dev) it may run


def test_the_proxy_does_not_start_on_cloud_run_without_its_secret(make_emulator):
    env = {**proxy_env(make_emulator.token_url), **CLOUD_RUN}
    del env["PROXY_SECRET"]
    record, _ = refused_start(env)
    assert REFUSAL in record["message"]


def test_with_its_secret_it_serves_and_refuses_callers_without_it(start_proxy, make_emulator, http):
    proxy = start_proxy(**proxy_env(make_emulator.token_url), **CLOUD_RUN)
    response = http.post(proxy.token_url, data=auth0_token_form("any-code"))
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert APP.client_secret not in response.text


# A set-but-blank PROXY_SECRET (`PROXY_SECRET=' ' make proxy`) or an ALLOWED_CLIENT_KEYS that
# names no key (`ALLOWED_CLIENT_KEYS=,`) was meant to narrow the callers; read as unset, either
# would admit everyone, so the proxy refuses to start on either, off Cloud Run too. Unset, both
# stay allowed locally (the deployed function always has both: its secret and its one key).
@pytest.mark.parametrize("blank", ["", " \t"])
def test_a_blank_secret_stops_the_proxy_off_cloud_run_too(make_emulator, blank):
    record, _ = refused_start(proxy_env(make_emulator.token_url, PROXY_SECRET=blank))
    assert "PROXY_SECRET is set but blank" in record["message"]
    assert "unset it to run without one" in record["message"]


@pytest.mark.parametrize("listed", ["", " , ,"])
def test_an_allow_list_naming_no_key_stops_the_proxy(make_emulator, listed):
    record, _ = refused_start(proxy_env(make_emulator.token_url, ALLOWED_CLIENT_KEYS=listed))
    assert "ALLOWED_CLIENT_KEYS is set but names no client key" in record["message"]
    assert "unset it to forward any key" in record["message"]


def test_unset_both_still_run_locally(start_proxy, make_emulator, http):
    env = proxy_env(make_emulator.token_url)
    del env["PROXY_SECRET"], env["ALLOWED_CLIENT_KEYS"]
    proxy = start_proxy(**env)
    assert http.get(proxy.health_url).status_code == 200
