"""The proxy's environment: defaults, and a clear refusal of values it cannot use."""

from __future__ import annotations

import pytest

from devtools.proxy_process import ProxyProcess
from tests.helpers import refused_start
from tokenproxy import DEFAULT_TOKEN_URL, PROBE_HEADER, ConfigError, Settings


def test_defaults():
    settings = Settings.from_env({})
    assert settings.token_url == DEFAULT_TOKEN_URL == "https://open.tiktokapis.com/v2/oauth/token/"
    assert settings.proxy_secret is None
    assert settings.proxy_secret_previous is None
    assert settings.proxy_secret_header == "X-Proxy-Secret"
    assert settings.allowed_client_keys == frozenset()
    assert settings.upstream_timeout == 10.0
    assert settings.max_body_bytes == 16 * 1024
    assert settings.upstream_connections == 32
    assert settings.upstream_ca_file is None
    assert settings.upstream_proxy is None


def test_upstream_settings_from_the_environment(tls):
    settings = Settings.from_env(
        {
            "UPSTREAM_MAX_CONNECTIONS": "8",
            "UPSTREAM_CA_FILE": tls.ca_file,
            "UPSTREAM_PROXY_URL": "http://user:pw@proxy.internal:3128",
        }
    )
    assert settings.upstream_connections == 8
    assert settings.upstream_ca_file == tls.ca_file
    assert settings.upstream_proxy == "http://user:pw@proxy.internal:3128"


def test_values_from_the_environment():
    settings = Settings.from_env(
        {
            "TIKTOK_TOKEN_URL": "http://127.0.0.1:1/t/",
            "PROXY_SECRET": "a-very-private-value",
            "PROXY_SECRET_PREVIOUS": " the-previous-private-value ",
            "PROXY_SECRET_HEADER": "X-H",
            "ALLOWED_CLIENT_KEYS": " a, b ,,",
            "UPSTREAM_TIMEOUT_SECONDS": "2.5",
            "REQUEST_BODY_TIMEOUT_SECONDS": "3",
        }
    )
    assert settings.body_timeout == 3.0
    assert settings.token_url == "http://127.0.0.1:1/t/"
    assert settings.proxy_secret == "a-very-private-value"
    assert settings.proxy_secret_previous == "the-previous-private-value"
    assert settings.proxy_secret_header == "X-H"
    assert settings.allowed_client_keys == {"a", "b"}
    assert settings.upstream_timeout == 2.5
    assert "a-very-private-value" not in repr(settings)
    assert "the-previous-private-value" not in repr(settings)


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_a_blank_previous_secret_means_none(blank):
    settings = Settings.from_env({"PROXY_SECRET": "current", "PROXY_SECRET_PREVIOUS": blank})
    assert settings.proxy_secret_previous is None


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        ({"UPSTREAM_TIMEOUT_SECONDS": "soon"}, "UPSTREAM_TIMEOUT_SECONDS must be a number"),
        ({"UPSTREAM_TIMEOUT_SECONDS": "0"}, "UPSTREAM_TIMEOUT_SECONDS must be greater than 0"),
        ({"UPSTREAM_TIMEOUT_SECONDS": "nan"}, "UPSTREAM_TIMEOUT_SECONDS must be greater than 0"),
        ({"REQUEST_BODY_TIMEOUT_SECONDS": "inf"}, "REQUEST_BODY_TIMEOUT_SECONDS must be greater"),
        ({"REQUEST_BODY_TIMEOUT_SECONDS": "-3"}, "REQUEST_BODY_TIMEOUT_SECONDS must be greater"),
        ({"TIKTOK_TOKEN_URL": "ftp://x"}, "TIKTOK_TOKEN_URL must be an http(s) URL"),
        ({"TIKTOK_TOKEN_URL": "https://"}, "TIKTOK_TOKEN_URL must name a host"),
        ({"TIKTOK_TOKEN_URL": "open.tiktokapis.com/v2/"}, "TIKTOK_TOKEN_URL must be an http(s)"),
        ({"TIKTOK_TOKEN_URL": "https://h:99999/t/"}, "TIKTOK_TOKEN_URL must be a URL with a valid"),
        ({"TIKTOK_TOKEN_URL": "http://[::1/t/"}, "TIKTOK_TOKEN_URL must be a URL with a valid"),
        ({"TIKTOK_TOKEN_URL": "https://h/t/#x"}, "TIKTOK_TOKEN_URL must not have a fragment"),
        ({"TIKTOK_TOKEN_URL": "https://h/a b/"}, "TIKTOK_TOKEN_URL must not contain spaces"),
        ({"PROXY_SECRET_HEADER": "X Proxy"}, "PROXY_SECRET_HEADER must be an HTTP header name"),
        ({"PROXY_SECRET_HEADER": "X-Proxy:"}, "PROXY_SECRET_HEADER must be an HTTP header name"),
        ({"PROXY_SECRET_HEADER": "authorization"}, "PROXY_SECRET_HEADER must not be"),
        ({"ALLOWED_CLIENT_KEYS": "a,b c"}, "ALLOWED_CLIENT_KEYS must be client keys separated"),
        ({"PROXY_SECRET": "two words"}, "PROXY_SECRET must be visible ASCII"),
        ({"UPSTREAM_MAX_CONNECTIONS": "0"}, "UPSTREAM_MAX_CONNECTIONS must be a whole number"),
        ({"UPSTREAM_MAX_CONNECTIONS": "many"}, "UPSTREAM_MAX_CONNECTIONS must be a whole number"),
        ({"UPSTREAM_CA_FILE": "/nonexistent/ca.pem"}, "UPSTREAM_CA_FILE must be a readable PEM"),
        ({"UPSTREAM_CA_FILE": __file__}, "UPSTREAM_CA_FILE must be a readable PEM"),
        ({"UPSTREAM_PROXY_URL": "socks5://p:1080"}, "UPSTREAM_PROXY_URL must be an http(s) URL"),
        (
            {"PROXY_SECRET": "s", "PROXY_SECRET_PREVIOUS": "two words"},
            "PROXY_SECRET_PREVIOUS must be visible ASCII",
        ),
        ({"PROXY_SECRET_PREVIOUS": "old"}, "PROXY_SECRET_PREVIOUS is only accepted beside"),
    ],
)
def test_unusable_values_name_the_variable(env, problem):
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    assert problem in str(caught.value)


def test_every_problem_is_reported_at_once_without_repeating_secrets():
    env = {
        "TIKTOK_TOKEN_URL": "https://user:hunter2-password@h/t/",
        "PROXY_SECRET": "secret with spaces",
        "UPSTREAM_TIMEOUT_SECONDS": "0",
        "PROXY_SECRET_HEADER": "Content-Type",
    }
    with pytest.raises(ConfigError) as caught:
        Settings.from_env(env)
    message = str(caught.value)
    assert message.count("\n  - ") == 4
    assert "TIKTOK_TOKEN_URL must not carry credentials" in message
    assert "hunter2-password" not in message
    assert "secret with spaces" not in message


@pytest.mark.parametrize(
    "url", ["https://open.tiktokapis.com/v2/oauth/token/", "http://127.0.0.1:8081/t/?x=1"]
)
def test_usable_urls_are_kept(url):
    assert Settings.from_env({"TIKTOK_TOKEN_URL": url}).token_url == url


def test_a_misconfigured_proxy_does_not_start():
    proxy = ProxyProcess({"UPSTREAM_TIMEOUT_SECONDS": "-1"})
    try:
        with pytest.raises(RuntimeError, match="UPSTREAM_TIMEOUT_SECONDS must be greater than 0"):
            proxy.start()
    finally:
        proxy.stop()


def test_an_unusable_token_url_stops_the_proxy_at_start_up_with_one_log_line():
    record, _ = refused_start({"TIKTOK_TOKEN_URL": "https://", "WORKERS": "2"})
    assert "TIKTOK_TOKEN_URL must name a host" in record["message"]


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        # Hosts urllib parses but httpx refuses: every exchange would end in a 500.
        (
            {"TIKTOK_TOKEN_URL": "https://999.1.1.1/v2/oauth/token/"},
            "TIKTOK_TOKEN_URL must be a URL with a valid host",
        ),
        ({"TIKTOK_TOKEN_URL": "https://[v1.x]/t/"}, "TIKTOK_TOKEN_URL must be a URL with a valid"),
        ({"TIKTOK_TOKEN_URL": "https://xn--zz/t/"}, "TIKTOK_TOKEN_URL must be a URL with a valid"),
        (
            {"UPSTREAM_PROXY_URL": "http://256.0.0.1:3128"},
            "UPSTREAM_PROXY_URL must be a URL with a valid host",
        ),
        # A digit to str.isdigit() that int() does not read.
        ({"UPSTREAM_MAX_CONNECTIONS": "²"}, "UPSTREAM_MAX_CONNECTIONS must be a whole number"),
    ],
)
def test_values_the_client_cannot_use_stop_the_proxy_at_start_up(make_emulator, env, problem):
    record, _ = refused_start({"TIKTOK_TOKEN_URL": make_emulator.token_url, **env})
    assert problem in record["message"]


def test_the_probe_header_cannot_carry_the_proxy_secret(make_emulator):
    # Every request that passed the secret check would carry it, so every login would be
    # logged as a probe and vanish from the login metrics and alerts.
    record, _ = refused_start(
        {
            "TIKTOK_TOKEN_URL": make_emulator.token_url,
            "PROXY_SECRET": "s3",
            "PROXY_SECRET_HEADER": PROBE_HEADER.lower(),
        }
    )
    assert f"PROXY_SECRET_HEADER must not be {PROBE_HEADER.lower()!r}" in record["message"]
