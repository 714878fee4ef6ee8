"""Pure translation between Auth0's standard token request and TikTok's v2 token endpoint.

No I/O here: bytes and dicts in, dicts out, ProxyError subclasses for anything refused.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from ._exceptions import (
    RequestRejected,
    TikTokRefused,
    UpstreamBadResponse,
    UpstreamRateLimited,
    UpstreamServerError,
)

__all__ = [
    "BASIC_CHALLENGE",
    "FORM_CONTENT_TYPE",
    "TokenRequest",
    "invalid_client",
    "parse_body",
    "parse_token_request",
    "read_tiktok_answer",
]

FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
JSON_CONTENT_TYPE = "application/json"
# The client authentication scheme the proxy supports besides credentials in the body (RFC 6749
# section 2.3.1; RFC 7617 requires the realm, and the charset says how the pair is decoded).
BASIC_CHALLENGE = 'Basic realm="tiktok-token-proxy", charset="UTF-8"'

# Fields each grant needs from the caller, and the optional ones TikTok understands.
GRANT_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "authorization_code": (("code", "redirect_uri"), ("code_verifier",)),
    "refresh_token": (("refresh_token",), ()),
}


@dataclass(frozen=True, repr=False)
class TokenRequest:
    """A validated token request; repr hides everything but the grant type and client key."""

    grant_type: str
    client_key: str
    client_secret: str
    grant_fields: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"TokenRequest(grant_type={self.grant_type!r}, client_key={self.client_key!r})"

    def to_tiktok_form(self) -> dict[str, str]:
        """TikTok's form: `client_id` becomes `client_key`; nothing else from the caller passes."""
        return {
            "client_key": self.client_key,
            "client_secret": self.client_secret,
            "grant_type": self.grant_type,
            **self.grant_fields,
        }


def parse_body(content_type: str | None, body: bytes) -> dict[str, str]:
    """Read a form or JSON body into single-valued string parameters (RFC 6749 section 3.2)."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type == FORM_CONTENT_TYPE:
        return _parse_form(body)
    if media_type == JSON_CONTENT_TYPE:
        return _parse_json(body)
    raise RequestRejected(
        f"unsupported content type {media_type or '(none)'!r}; "
        f"send {FORM_CONTENT_TYPE} or {JSON_CONTENT_TYPE}",
        status=415,
    )


def _parse_form(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("ascii") if body.isascii() else body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=False, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise RequestRejected("the form body is not valid UTF-8 url-encoding") from None
    params: dict[str, str] = {}
    for name, value in pairs:
        if name in params:
            raise RequestRejected(f"parameter {name!r} is repeated")
        params[name] = value
    return params


def _parse_json(body: bytes) -> dict[str, str]:
    try:
        document = json.loads(body, object_pairs_hook=_reject_duplicate_keys)
    except (ValueError, RecursionError):
        # UnicodeDecodeError is a ValueError; RequestRejected from the hook passes through.
        raise RequestRejected("the JSON body is not valid JSON") from None
    if not isinstance(document, dict):
        raise RequestRejected("the JSON body must be an object")
    params: dict[str, str] = {}
    for name, value in document.items():
        if not isinstance(value, str):
            raise RequestRejected(f"parameter {name!r} must be a string")
        if not value.isascii() and not _is_unicode_text(value):
            raise RequestRejected(f"parameter {name!r} is not Unicode text (a lone surrogate)")
        params[name] = value
    return params


def _is_unicode_text(value: str) -> bool:
    """False for a string with a lone surrogate (JSON's "\\ud800"): it has no UTF-8 form to send."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _reject_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for name, value in pairs:
        if name in seen:
            raise RequestRejected(f"parameter {name!r} is repeated")
        seen[name] = value
    return seen


def parse_token_request(params: dict[str, str], authorization: str | None) -> TokenRequest:
    """Validate the grant and its fields; client credentials from the body or HTTP Basic."""
    client_id, client_secret = _client_credentials(params, authorization)
    grant_type = params.get("grant_type", "")
    if not grant_type:
        raise RequestRejected("missing required parameter 'grant_type'")
    if grant_type not in GRANT_FIELDS:
        allowed = ", ".join(GRANT_FIELDS)
        raise RequestRejected(
            f"grant_type must be one of: {allowed}", error="unsupported_grant_type"
        )
    required, optional = GRANT_FIELDS[grant_type]
    grant_fields: dict[str, str] = {}
    for name in required:
        if not params.get(name):
            raise RequestRejected(f"missing required parameter {name!r} for {grant_type}")
        grant_fields[name] = params[name]
    for name in optional:
        if params.get(name):
            grant_fields[name] = params[name]
    return TokenRequest(grant_type, client_id, client_secret, grant_fields)


def invalid_client(description: str) -> RequestRejected:
    """RFC 6749 section 5.2 `invalid_client`: client authentication failed.

    Always 401 with a `WWW-Authenticate: Basic` challenge: the RFC requires it when the client
    tried HTTP Basic, and HTTP (RFC 9110 section 15.5.2) requires a challenge on every 401.
    """
    return RequestRejected(
        description,
        error="invalid_client",
        status=401,
        headers={"WWW-Authenticate": BASIC_CHALLENGE},
    )


def _client_credentials(params: dict[str, str], authorization: str | None) -> tuple[str, str]:
    body_id, body_secret = params.get("client_id", ""), params.get("client_secret", "")
    basic = _basic_credentials(authorization)
    if basic is not None:
        basic_id, basic_secret = basic
        # RFC 6749 section 2.3: one authentication method per request.
        if body_secret:
            raise RequestRejected("send client credentials in the body or as HTTP Basic, not both")
        if body_id and body_id != basic_id:
            raise RequestRejected("client_id in the body differs from the HTTP Basic user")
        body_id, body_secret = basic_id, basic_secret
    if not body_id and not body_secret:
        raise invalid_client(
            "no client authentication: send client_id and client_secret in the body, "
            "or use HTTP Basic"
        )
    if not body_id:
        raise invalid_client("missing required parameter 'client_id'")
    if not body_secret:
        raise invalid_client("missing required parameter 'client_secret'")
    return body_id, body_secret


def _basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        raise invalid_client(
            "unsupported client authentication: the Authorization header must use Basic"
        )
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except ValueError:
        # binascii.Error, UnicodeDecodeError, and the plain ValueError of a header that carried
        # bytes beyond ASCII (HTTP allows them in a field value, base64 does not).
        raise invalid_client("the HTTP Basic credentials are not valid base64 UTF-8") from None
    user, sep, password = decoded.partition(":")
    if not sep:
        raise invalid_client("the HTTP Basic credentials lack a ':'")
    # RFC 6749 section 2.3.1: both parts are form-urlencoded before Basic encoding.
    return unquote_plus(user), unquote_plus(password)


def read_tiktok_answer(status: int, body: bytes) -> dict[str, Any]:
    """Return TikTok's token JSON on success; raise the matching ProxyError otherwise.

    The status decides first: 429 (TikTok's rate limit) and any 5xx are conditions on TikTok's
    side whatever the body says, answered 503 and 502, and any other status that is neither 2xx
    nor 4xx is not an answer at all (502). Only a 2xx or 4xx body can refuse the grant: TikTok
    answers OAuth errors with HTTP 200 too, so a body with `error` is a refusal whatever the
    2xx/4xx status, and one without `access_token` is never a success. TikTok's `log_id` is
    kept in every case where the body carries one.
    """
    answer = _json_object(body)
    log_id = _string(answer, "log_id")
    error = _string(answer, "error")
    if status == 429:
        raise UpstreamRateLimited(
            "TikTok is rate limiting token requests (HTTP 429); retry later", log_id=log_id
        )
    if status >= 500:
        code = f", {error}" if error and _ERROR_CODE.fullmatch(error) else ""
        raise UpstreamServerError(
            f"TikTok's token endpoint failed (HTTP {status}{code})", log_id=log_id
        )
    if not (200 <= status < 300 or 400 <= status < 500):
        raise UpstreamBadResponse(
            f"TikTok's token endpoint answered HTTP {status}, neither tokens nor an OAuth error",
            log_id=log_id,
        )
    if answer is None:
        raise UpstreamBadResponse(f"TikTok's token endpoint answered HTTP {status} without JSON")
    if error:
        description = _string(answer, "error_description")
        if not description:
            description = f"TikTok refused the token request ({error})"
        if error == "invalid_client":  # TikTok refused the client key or secret
            raise TikTokRefused(
                description,
                error=error,
                status=401,
                log_id=log_id,
                headers={"WWW-Authenticate": BASIC_CHALLENGE},
            )
        raise TikTokRefused(description, error=error, log_id=log_id)
    token = answer.get("access_token")
    if isinstance(token, str) and token and 200 <= status < 300:
        return answer
    raise TikTokRefused(
        f"TikTok answered HTTP {status} without an access_token",
        error="invalid_request",
        log_id=log_id,
    )


# What a TikTok error code looks like; anything else is not repeated in a description.
_ERROR_CODE = re.compile(r"[a-z0-9_.]{1,64}")


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        answer = json.loads(body)
    except (ValueError, RecursionError):
        return None
    return answer if isinstance(answer, dict) else None


def _string(answer: dict[str, Any] | None, name: str) -> str | None:
    value = answer.get(name) if answer is not None else None
    return value if isinstance(value, str) and value else None
