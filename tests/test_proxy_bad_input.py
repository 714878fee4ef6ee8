"""Property-based bad input against the real proxy: never a 5xx, never a crash, TikTok never called
for a request the proxy refuses, and no secret in the answers or in the proxy's logs."""

from __future__ import annotations

import base64
import json
import os
import time
from urllib.parse import quote_from_bytes

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import APP, PROXY_SECRET

EXAMPLES = int(os.environ.get("BAD_INPUT_EXAMPLES", "150"))
FIELDS = [
    "grant_type",
    "code",
    "redirect_uri",
    "client_id",
    "client_secret",
    "refresh_token",
    "code_verifier",
    "scope",
]
values = st.one_of(
    st.sampled_from(
        [
            "authorization_code",
            "refresh_token",
            APP.client_key,
            APP.client_secret,
            "https://x/cb",
            "",
        ]
    ),
    st.text(max_size=40),
    st.builds(lambda n, c: c * n, st.integers(8_000, 17_000), st.sampled_from(["a", "%", "é"])),
)
pairs = st.lists(
    st.tuples(st.one_of(st.sampled_from(FIELDS), st.text(max_size=10)), values), max_size=8
)


def form_bytes(items: list[tuple[str, str]], encoding: str) -> bytes:
    def enc(text: str) -> str:
        return quote_from_bytes(text.encode(encoding, errors="replace"))

    return "&".join(f"{enc(k)}={enc(v)}" for k, v in items).encode()


bodies = st.one_of(
    st.builds(form_bytes, pairs, st.sampled_from(["utf-8", "latin-1", "utf-16"])),
    st.builds(lambda items: json.dumps(dict(items)).encode(), pairs),
    st.builds(lambda items: json.dumps(items).encode(), pairs),  # a list, duplicates kept
    st.binary(max_size=2048),
    st.just(b"%zz%%&=&&=="),
)
content_types = st.one_of(
    st.sampled_from(
        [
            "application/x-www-form-urlencoded",
            "application/x-www-form-urlencoded; charset=latin-1",
            "application/json",
            "APPLICATION/JSON; charset=utf-8",
            "text/plain",
            "multipart/form-data; boundary=zz",
            "",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=40),
)
basic = st.builds(
    lambda user, password: "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode(),
    st.text(max_size=20),
    st.text(max_size=20),
)
header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=40)
authorization = st.one_of(
    st.none(),
    basic,
    header_text.map(str.strip),  # what a client can send: no surrounding whitespace
)
secret_header = st.one_of(
    st.just(PROXY_SECRET),
    st.none(),
    st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=40),
)
paths = st.sampled_from(["/proxy/token", "/", "/proxy/token/", "/other"])
methods = st.sampled_from(["POST", "POST", "POST", "PUT", "GET", "DELETE"])


@pytest.fixture(scope="module")
def client():
    with httpx.Client(timeout=30, trust_env=False) as http:
        yield http


def test_malformed_requests_get_a_4xx_json_answer_never_reach_tiktok_and_leak_nothing(
    proxy, make_emulator, client
):
    logged, sent = len(proxy.log_records()), 0

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        body=bodies,
        content_type=content_types,
        auth=authorization,
        secret=secret_header,
        path=paths,
        method=methods,
    )
    def one_request(body, content_type, auth, secret, path, method):
        nonlocal sent
        headers = {"Content-Type": content_type} if content_type else {}
        if auth is not None:
            headers["Authorization"] = auth
        if secret is not None:
            headers["X-Proxy-Secret"] = secret
        before = len(make_emulator.requests)
        response = client.request(method, proxy.url + path, content=body, headers=headers)
        sent += 1
        assert response.status_code < 500, response.text
        answer = response.json()
        reached_tiktok = len(make_emulator.requests) > before
        if response.status_code == 200:
            assert "access_token" in answer
        else:
            assert set(answer) >= {"error", "error_description"}
            # An error that did not come from TikTok (no log_id) means TikTok was never called.
            assert reached_tiktok == ("log_id" in answer)
        assert PROXY_SECRET not in response.text
        assert APP.client_secret not in response.text

    one_request()
    # Then the proxy's logs of those requests (one line each, written as each one ends).
    deadline = time.monotonic() + 30
    while len(proxy.log_records()) < logged + sent and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(proxy.log_records()) >= logged + sent > logged
    logs = proxy.output()
    assert PROXY_SECRET not in logs
    assert APP.client_secret not in logs
    assert "Traceback" not in logs
