"""How the proxy reaches TikTok: never through a proxy the environment happens to name
(HTTP(S)_PROXY), and through UPSTREAM_PROXY_URL when an operator configures one on purpose."""

from __future__ import annotations

from devtools.proxy_process import free_port
from tests.helpers import auth0_token_form, new_code, proxy_env, secret_headers
from tests.test_tiktok_client import OK
from tests.upstreams import RawUpstream


def test_proxy_variables_in_the_environment_are_ignored(start_proxy, emulator, http):
    dead = f"http://127.0.0.1:{free_port()}"
    proxy = start_proxy(
        **proxy_env(
            emulator.token_url, HTTP_PROXY=dead, HTTPS_PROXY=dead, ALL_PROXY=dead, NO_PROXY=""
        )
    )
    code = new_code(emulator)
    response = http.post(proxy.token_url, data=auth0_token_form(code), headers=secret_headers())
    assert response.status_code == 200, response.text
    assert len(emulator.token_requests(code=code)) == 1


def test_a_configured_upstream_proxy_carries_the_request(start_proxy, http):
    with RawUpstream("script", [OK]) as forward_proxy:
        target = "http://tiktok.invalid/v2/oauth/token/"  # resolvable only by the proxy
        proxy = start_proxy(
            **proxy_env(target, UPSTREAM_PROXY_URL=f"http://127.0.0.1:{forward_proxy.port}")
        )
        response = http.post(proxy.token_url, data=auth0_token_form("c"), headers=secret_headers())
        assert response.status_code == 200, response.text
        (head,) = forward_proxy.heads
    assert head.startswith(b"POST http://tiktok.invalid/v2/oauth/token/ HTTP/1.1\r\n")
