"""The proxy's environment: defaults, and a clear refusal of values it cannot use."""

from __future__ import annotations

import pytest

from devtools.proxy_process import ProxyProcess
from tokenproxy import DEFAULT_TOKEN_URL, ConfigError, Settings


def test_defaults():
    settings = Settings.from_env({})
    assert settings.token_url == DEFAULT_TOKEN_URL == "https://open.tiktokapis.com/v2/oauth/token/"
    assert settings.proxy_secret is None
    assert settings.proxy_secret_header == "X-Proxy-Secret"
    assert settings.allowed_client_keys == frozenset()
    assert settings.upstream_timeout == 10.0
    assert settings.max_body_bytes == 16 * 1024


def test_values_from_the_environment():
    settings = Settings.from_env(
        {
            "TIKTOK_TOKEN_URL": "http://127.0.0.1:1/t/",
            "PROXY_SECRET": "a-very-private-value",
            "PROXY_SECRET_HEADER": "X-H",
            "ALLOWED_CLIENT_KEYS": " a, b ,,",
            "UPSTREAM_TIMEOUT_SECONDS": "2.5",
            "REQUEST_BODY_TIMEOUT_SECONDS": "3",
        }
    )
    assert settings.body_timeout == 3.0
    assert settings.token_url == "http://127.0.0.1:1/t/"
    assert settings.proxy_secret == "a-very-private-value"
    assert settings.proxy_secret_header == "X-H"
    assert settings.allowed_client_keys == {"a", "b"}
    assert settings.upstream_timeout == 2.5
    assert "a-very-private-value" not in repr(settings)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"UPSTREAM_TIMEOUT_SECONDS": "soon"}, "UPSTREAM_TIMEOUT_SECONDS"),
        ({"UPSTREAM_TIMEOUT_SECONDS": "0"}, "UPSTREAM_TIMEOUT_SECONDS"),
        ({"TIKTOK_TOKEN_URL": "ftp://x"}, "TIKTOK_TOKEN_URL"),
    ],
)
def test_unusable_values_name_the_variable(env, named):
    with pytest.raises(ConfigError, match=named):
        Settings.from_env(env)


def test_a_misconfigured_proxy_does_not_start():
    with pytest.raises(RuntimeError, match="UPSTREAM_TIMEOUT_SECONDS must be greater than 0"):
        ProxyProcess({"UPSTREAM_TIMEOUT_SECONDS": "-1"}).start()
