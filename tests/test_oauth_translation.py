"""The pure translation layer, without servers: what becomes TikTok's form, what is refused."""

from __future__ import annotations

import pytest

from tokenproxy import (
    RequestRejected,
    TikTokRefused,
    UpstreamBadResponse,
    parse_body,
    parse_token_request,
    read_tiktok_answer,
)

FORM = "application/x-www-form-urlencoded"


def test_client_id_becomes_client_key_and_only_grant_fields_pass():
    params = parse_body(
        FORM + "; charset=utf-8",
        b"grant_type=authorization_code&code=a%2Ab%21c&redirect_uri=https%3A%2F%2Fx%2Fcb"
        b"&client_id=ck&client_secret=cs&scope=ignored&state=ignored",
    )
    request = parse_token_request(params, None)
    assert request.to_tiktok_form() == {
        "client_key": "ck",
        "client_secret": "cs",
        "grant_type": "authorization_code",
        "code": "a*b!c",
        "redirect_uri": "https://x/cb",
    }


def test_repr_hides_secrets_and_codes():
    request = parse_token_request(
        {
            "grant_type": "refresh_token",
            "refresh_token": "rft.SECRET",
            "client_id": "ck",
            "client_secret": "cs-SECRET",
        },
        None,
    )
    assert "SECRET" not in repr(request)
    assert "SECRET" not in str(request)


def test_basic_credentials_are_form_decoded():
    # RFC 6749 2.3.1: "a+b%3Ac" is the form-encoding of "a b:c".
    import base64

    header = "Basic " + base64.b64encode(b"key%2B1:a+b%3Ac").decode()
    request = parse_token_request({"grant_type": "refresh_token", "refresh_token": "r"}, header)
    assert (request.client_key, request.client_secret) == ("key+1", "a b:c")


@pytest.mark.parametrize(
    "header",
    ["Bearer abc", "Basic !!!", "Basic " + "bm9jb2xvbg=="],  # "nocolon"
)
def test_bad_authorization_headers_are_refused(header):
    with pytest.raises(RequestRejected):
        parse_token_request({"grant_type": "refresh_token", "refresh_token": "r"}, header)


@pytest.mark.parametrize(
    "body",
    [b"a=%ff", b"[" * 5000 + b"]" * 5000, b"\xff\xfe", b'{"a": "1", "a": "2"}'],
)
def test_malformed_bodies_are_request_errors_not_crashes(body):
    for content_type in (FORM, "application/json"):
        try:
            parse_body(content_type, body)
        except RequestRejected as exc:
            assert exc.status == 400


def test_tiktok_error_keeps_code_description_and_log_id():
    with pytest.raises(TikTokRefused) as caught:
        read_tiktok_answer(
            200, b'{"error":"invalid_grant","error_description":"expired","log_id":"L1"}'
        )
    assert caught.value.status == 400
    assert caught.value.body() == {
        "error": "invalid_grant",
        "error_description": "expired",
        "log_id": "L1",
    }


def test_invalid_client_is_401():
    with pytest.raises(TikTokRefused) as caught:
        read_tiktok_answer(200, b'{"error":"invalid_client","log_id":"L2"}')
    assert caught.value.status == 401
    assert "invalid_client" in caught.value.description
    assert caught.value.headers["WWW-Authenticate"].startswith("Basic realm=")


@pytest.mark.parametrize("body", [b"", b"null", b"[1]", b"<html/>", b'{"access_token": "x'])
def test_non_object_answers_are_bad_responses(body):
    with pytest.raises(UpstreamBadResponse) as caught:
        read_tiktok_answer(200, body)
    assert caught.value.status == 502


def test_success_passes_tiktoks_fields_through():
    tokens = read_tiktok_answer(
        200, b'{"access_token":"act.1","open_id":"o","scope":"user.info.basic","expires_in":86400}'
    )
    assert tokens == {
        "access_token": "act.1",
        "open_id": "o",
        "scope": "user.info.basic",
        "expires_in": 86400,
    }


@pytest.mark.parametrize("status", [301, 302, 304])
def test_a_status_neither_2xx_nor_4xx_is_no_answer_even_with_an_error_body(status):
    with pytest.raises(UpstreamBadResponse) as caught:
        read_tiktok_answer(status, b'{"error":"invalid_grant","log_id":"L3"}')
    assert caught.value.status == 502
    assert caught.value.log_id == "L3"
