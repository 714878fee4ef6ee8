"""Requests the proxy refuses: a status, an RFC 6749 JSON body, and no call to TikTok."""

from __future__ import annotations

import base64
import json

import pytest

from devtools.proxy_process import REPO
from tests.helpers import APP, auth0_token_form, secret_headers


def assert_refused(response, status: int, error: str, emulator, mentions: str = "") -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["error"] == error
    assert mentions in body["error_description"]
    assert emulator.token_requests() == []


@pytest.mark.parametrize("path", ["/other", "/proxy", "/proxy/token/extra", "/v2/oauth/token/"])
def test_unknown_paths_are_404_json(proxy, emulator, http, path):
    response = http.post(proxy.url + path, data=auth0_token_form("c"), headers=secret_headers())
    assert_refused(response, 404, "invalid_request", emulator, path)


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
@pytest.mark.parametrize("path", ["/", "/proxy/token"])
def test_other_methods_are_405_with_allow_post(proxy, emulator, http, method, path):
    response = http.request(method, proxy.url + path, headers=secret_headers())
    assert_refused(response, 405, "invalid_request", emulator, method)
    assert response.headers["allow"] == "POST"


# The function URL is public: to a caller without the secret the proxy answers 401 and nothing
# else, so it reveals neither its routes nor their methods.
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/proxy/token"),
        ("PUT", "/"),
        ("DELETE", "/proxy/health"),
        ("POST", "/other"),
        ("GET", "/v2/oauth/token/"),
        ("OPTIONS", "/proxy"),
    ],
)
@pytest.mark.parametrize("header", [None, "wrong"], ids=["no-secret", "wrong-secret"])
def test_without_the_secret_every_path_and_method_is_401(
    proxy, emulator, http, method, path, header
):
    headers = {} if header is None else {"X-Proxy-Secret": header}
    response = http.request(method, proxy.url + path, headers=headers)
    assert_refused(response, 401, "invalid_client", emulator, "X-Proxy-Secret")
    assert "allow" not in response.headers
    assert path not in response.text


def test_without_a_secret_configured_paths_and_methods_are_checked(start_proxy, emulator, http):
    open_proxy = start_proxy(TIKTOK_TOKEN_URL=emulator.token_url)  # as make proxy, off Cloud Run
    assert_refused(http.post(open_proxy.url + "/other"), 404, "invalid_request", emulator, "/other")
    wrong_method = http.get(open_proxy.token_url)
    assert_refused(wrong_method, 405, "invalid_request", emulator, "GET")
    assert wrong_method.headers["allow"] == "POST"


@pytest.mark.parametrize("header", [None, "", "wrong", "proxy-secret-"])
def test_missing_or_wrong_proxy_secret_is_401_before_tiktok(proxy, emulator, http, header):
    headers = {} if header is None else {"X-Proxy-Secret": header}
    response = http.post(proxy.token_url, data=auth0_token_form("code-1"), headers=headers)
    assert_refused(response, 401, "invalid_client", emulator, "X-Proxy-Secret")
    assert response.headers["www-authenticate"].startswith(
        "Basic realm="
    )  # RFC 9110: 401s challenge


def test_proxy_secret_header_name_is_configurable(start_proxy, emulator, http):
    custom = start_proxy(
        TIKTOK_TOKEN_URL=emulator.token_url,
        PROXY_SECRET="s3",
        PROXY_SECRET_HEADER="X-Auth0-Connection",
    )
    wrong_header = http.post(
        custom.token_url, data=auth0_token_form("c"), headers={"X-Proxy-Secret": "s3"}
    )
    assert_refused(wrong_header, 401, "invalid_client", emulator, "X-Auth0-Connection")
    right = http.post(
        custom.token_url, data=auth0_token_form("c"), headers={"X-Auth0-Connection": "s3"}
    )
    assert right.status_code == 400  # reached TikTok, which refused the made-up code
    assert len(emulator.token_requests(code="c")) == 1


@pytest.mark.parametrize(
    ("missing", "grant_type"),
    [
        ("grant_type", "authorization_code"),
        ("code", "authorization_code"),
        ("redirect_uri", "authorization_code"),
        ("refresh_token", "refresh_token"),
    ],
)
def test_missing_fields_are_named(proxy, emulator, http, missing, grant_type):
    form = auth0_token_form("c", grant_type=grant_type, refresh_token="r")
    form.pop(missing)
    response = http.post(proxy.token_url, data=form, headers=secret_headers())
    assert_refused(response, 400, "invalid_request", emulator, missing)


@pytest.mark.parametrize("grant_type", ["client_credentials", "password", "implicit"])
def test_other_grants_are_unsupported(proxy, emulator, http, grant_type):
    form = auth0_token_form("c", grant_type=grant_type)
    response = http.post(proxy.token_url, data=form, headers=secret_headers())
    assert_refused(response, 400, "unsupported_grant_type", emulator, "authorization_code")


@pytest.mark.parametrize(
    "content_type", ["text/plain", "multipart/form-data; boundary=x", "application/xml", None]
)
def test_other_content_types_are_415(proxy, emulator, http, content_type):
    headers = {**secret_headers()}
    if content_type:
        headers["Content-Type"] = content_type
    response = http.post(proxy.token_url, content=b"grant_type=x", headers=headers)
    assert_refused(response, 415, "invalid_request", emulator, "content type")


def test_body_over_16_kib_is_413(proxy, emulator, http):
    form = auth0_token_form("c", padding="x" * (16 * 1024))
    response = http.post(proxy.token_url, data=form, headers=secret_headers())
    assert_refused(response, 413, "invalid_request", emulator, "16384")


def test_chunked_body_over_16_kib_is_413(proxy, emulator, http):
    def chunks():
        yield b"grant_type=authorization_code&padding="
        for _ in range(20):
            yield b"x" * 1024

    headers = {**secret_headers(), "Content-Type": "application/x-www-form-urlencoded"}
    response = http.post(proxy.token_url, content=chunks(), headers=headers)
    assert_refused(response, 413, "invalid_request", emulator, "16384")


def test_repeated_parameter_is_refused(proxy, emulator, http):
    body = "grant_type=authorization_code&code=a&code=b&redirect_uri=x&client_id=k&client_secret=s"
    headers = {**secret_headers(), "Content-Type": "application/x-www-form-urlencoded"}
    response = http.post(proxy.token_url, content=body, headers=headers)
    assert_refused(response, 400, "invalid_request", emulator, "code")


@pytest.mark.parametrize("body", [b"[]", b'{"code": 5}', b"{not json", b'"text"'])
def test_json_that_is_not_an_object_of_strings_is_refused(proxy, emulator, http, body):
    headers = {**secret_headers(), "Content-Type": "application/json"}
    response = http.post(proxy.token_url, content=body, headers=headers)
    assert_refused(response, 400, "invalid_request", emulator)


def test_basic_and_body_secret_together_are_refused(proxy, emulator, http):
    basic = base64.b64encode(f"{APP.client_key}:{APP.client_secret}".encode()).decode()
    headers = {**secret_headers(), "Authorization": f"Basic {basic}"}
    response = http.post(proxy.token_url, data=auth0_token_form("c"), headers=headers)
    assert_refused(response, 400, "invalid_request", emulator, "not both")


def test_refusals_carry_no_store(proxy, http):
    response = http.post(proxy.token_url, data={}, headers=secret_headers())
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("field", ["code", "redirect_uri", "client_secret"])
def test_json_strings_with_a_lone_surrogate_are_refused(proxy, emulator, http, field):
    # JSON's \ud800 escape decodes to a string that has no UTF-8 form, so it cannot be sent on.
    form = auth0_token_form("c")
    body = json.dumps({**form, field: "x"}).replace('"x"', '"\\ud800"').encode()
    headers = {**secret_headers(), "Content-Type": "application/json"}
    response = http.post(proxy.token_url, content=body, headers=headers)
    assert_refused(response, 400, "invalid_request", emulator, field)


# functions-framework routes these itself, ahead of the function (functions_framework/aio), and
# the README must say so: (method, path, status, how the README names it).
FRAMEWORK_ANSWERS = [
    ("GET", "/robots.txt", 404, "`GET /robots.txt`"),
    ("GET", "/favicon.ico", 404, "`GET /favicon.ico`"),
    ("TRACE", "/proxy/token", 405, "`TRACE`"),
]


def test_the_requests_functions_framework_answers_itself_are_the_readmes(proxy, emulator, http):
    section = (REPO / "README.md").read_text().split("## The token proxy (`proxy/`)")[1]
    section = section.split("\n## ")[0]
    assert "functions-framework answers these itself" in section
    assert "only the few requests functions-framework answers itself" in section  # the 401 row
    before = len(proxy.log_records())
    for method, path, status, named in FRAMEWORK_ANSWERS:
        for headers in (secret_headers(), {}):  # with the secret or without: never a 401
            response = http.request(method, proxy.url + path, headers=headers)
            assert response.status_code == status, (method, path, headers)
            assert response.headers["content-type"].startswith("text/plain")
        assert named in section, named
    assert proxy.log_records()[before:] == []  # the proxy never saw them
    assert emulator.token_requests() == []
