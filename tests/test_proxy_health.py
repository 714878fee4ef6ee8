"""GET /proxy/health: 200 with the proxy secret, 401 `invalid_client` without, TikTok never called;
one log line marked as a probe, so that uptime checks are not counted as logins."""

from __future__ import annotations

import pytest

from tests.helpers import PROXY_SECRET, secret_headers


def new_records(proxy, before: int) -> list[dict]:
    return proxy.log_records()[before:]


@pytest.mark.parametrize("path", ["/proxy/health", "/proxy/health/"])
def test_the_health_route_answers_200_with_the_secret(proxy, emulator, http, path):
    response = http.get(proxy.url + path, headers=secret_headers())
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ok"}
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert emulator.requests == []  # never calls TikTok


@pytest.mark.parametrize(
    "header",
    [None, "", "wrong", PROXY_SECRET[:-1], PROXY_SECRET + "x"],
    ids=["none", "empty", "wrong", "truncated", "extended"],
)
def test_the_health_route_refuses_a_missing_or_wrong_secret(proxy, emulator, http, header):
    headers = {} if header is None else {"X-Proxy-Secret": header}
    response = http.get(proxy.health_url, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.headers["www-authenticate"].startswith("Basic realm=")
    body = response.json()
    assert body["error"] == "invalid_client"
    assert "X-Proxy-Secret" in body["error_description"]
    assert PROXY_SECRET not in response.text
    assert emulator.requests == []


def test_the_health_route_does_not_depend_on_tiktok(start_proxy, http):
    unreachable = start_proxy(
        TIKTOK_TOKEN_URL="http://127.0.0.1:9/v2/oauth/token/", PROXY_SECRET=PROXY_SECRET
    )
    assert http.get(unreachable.health_url, headers=secret_headers()).status_code == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "HEAD"])
def test_other_methods_on_the_health_route_are_405_with_allow_get(proxy, emulator, http, method):
    response = http.request(method, proxy.health_url, headers=secret_headers())
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"
    if method != "HEAD":
        assert response.json()["error"] == "invalid_request"
    assert emulator.requests == []


def test_health_checks_log_one_line_each_marked_as_probes(proxy, http):
    before = len(proxy.log_records())
    http.get(proxy.health_url, headers=secret_headers())
    http.get(proxy.health_url)
    ok, refused = new_records(proxy, before)
    assert ok["route"] == refused["route"] == "health"
    assert ok["probe"] is refused["probe"] is True
    assert (ok["outcome"], ok["status"], ok["severity"]) == ("success", 200, "INFO")
    assert ok["message"] == "health check success (200)"
    assert ok["secret_match"] == "current"
    assert (refused["outcome"], refused["error"], refused["status"]) == (
        "rejected",
        "invalid_client",
        401,
    )
    assert "secret_match" not in refused
    assert "upstream_status" not in ok
