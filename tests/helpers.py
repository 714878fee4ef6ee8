"""Values and builders shared by the tests: the emulated TikTok app and Auth0's token request,
and a proxy's refusal to start."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from devtools.proxy_process import ProxyProcess
from devtools.tiktok_emulator import EmulatedApp, TikTokEmulator

# Fresh per run, so a leak check can search the logs for exactly these strings.
APP = EmulatedApp(client_secret=f"test-secret-{secrets.token_hex(8)}")
REDIRECT_URI = APP.redirect_uris[0]
PROXY_SECRET = f"proxy-secret-{secrets.token_hex(8)}"


def proxy_env(token_url: str, **overrides: str) -> dict[str, str]:
    """The proxy's environment as deployed (a proxy secret, one allowed client key)."""
    return {
        "TIKTOK_TOKEN_URL": token_url,
        "PROXY_SECRET": PROXY_SECRET,
        "ALLOWED_CLIENT_KEYS": APP.client_key,
        **overrides,
    }


def auth0_token_form(code: str, **overrides: str) -> dict[str, str]:
    """The token request Auth0's oauth2 strategy posts (passport-oauth2 style, form-encoded)."""
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": APP.client_key,
        "client_secret": APP.client_secret,
    }
    form.update(overrides)
    return form


def secret_headers() -> dict[str, str]:
    return {"X-Proxy-Secret": PROXY_SECRET}


def new_code(emulator: TikTokEmulator, scopes: tuple[str, ...] = ("user.info.basic",)) -> str:
    return emulator.issue_code(APP.client_key, REDIRECT_URI, scopes)


def assert_no_secrets(logs: str, *texts: str, values: tuple[str, ...] = ()) -> None:
    """None of the secrets, nor any given code or token, in the logs or response bodies."""
    for secret in (APP.client_secret, PROXY_SECRET, *values):
        assert secret not in logs
        for text in texts:
            assert secret not in text


def refused_start(env: dict[str, str]) -> tuple[dict[str, Any], str]:
    """Start a proxy with `env` expecting it to refuse its configuration: it exits with 3 before
    listening, with no traceback and exactly one log line, CRITICAL with outcome config_error.
    That record, and everything the process wrote."""
    proxy = ProxyProcess(env)
    try:
        with pytest.raises(RuntimeError, match="exited with 3 before listening"):
            proxy.start()
    finally:
        proxy.stop()  # should the check ever let it start, leave no server behind
    output = proxy.output()
    assert "Traceback" not in output, output
    (record,) = proxy.log_records()
    assert (record["severity"], record["outcome"]) == ("CRITICAL", "config_error"), record
    return record, output
