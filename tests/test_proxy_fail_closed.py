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
    with pytest.raises(ConfigError, match="PROXY_SECRET must be set on Cloud Run"):
        Settings.from_env({**CLOUD_RUN, "PROXY_SECRET": "   "})  # blank is unset
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
