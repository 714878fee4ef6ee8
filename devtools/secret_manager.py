"""Read a secret's latest version from Secret Manager with the caller's own Google credentials.

Credentials are Application Default Credentials, found by google-auth as every Google tool finds
them (GOOGLE_APPLICATION_CREDENTIALS, `gcloud auth application-default login`, the metadata
server). The call is the REST method `projects.secrets.versions.access`:
`GET https://secretmanager.googleapis.com/v1/{name=projects/*/secrets/*/versions/*}:access`, where
the version `latest` is an alias to the most recently created one; the answer is
`{"name": ..., "payload": {"data": <base64>, "dataCrc32c": ...}}` and the caller needs
`secretmanager.versions.access` on the secret (roles/secretmanager.secretAccessor)
(https://cloud.google.com/secret-manager/docs/reference/rest/v1/projects.secrets.versions/access).
"""

from __future__ import annotations

import base64
import binascii
import re

import google.auth
import google.auth.exceptions
import google.auth.transport.requests
import httpx

__all__ = [
    "CLOUD_PLATFORM_SCOPE",
    "SECRET_MANAGER_API",
    "SECRET_NAME",
    "SecretUnavailable",
    "access_latest",
]

SECRET_MANAGER_API = "https://secretmanager.googleapis.com"
CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"
# A secret's resource name, as `gcp.secretmanager.Secret.id` gives it.
SECRET_NAME = re.compile(r"projects/[^/\s]+/secrets/[^/\s]+")


class SecretUnavailable(Exception):
    """The secret could not be read; `cause` and `fix` say why and what to do (no secret)."""

    def __init__(self, detail: str, *, cause: str, fix: str) -> None:
        super().__init__(detail)
        self.detail, self.cause, self.fix = detail, cause, fix


def access_latest(secret: str, *, api_root: str = SECRET_MANAGER_API, timeout: float = 30.0) -> str:
    """The latest version of `secret` ("projects/P/secrets/S") as text, without surrounding
    whitespace (the proxy strips its environment the same way). Raises SecretUnavailable."""
    if not SECRET_NAME.fullmatch(secret):
        raise ValueError(f"not a secret's resource name: {secret!r}")
    token = _access_token()
    try:
        response = httpx.get(
            f"{api_root}/v1/{secret}/versions/latest:access",
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        raise SecretUnavailable(
            f"Secret Manager did not answer ({type(exc).__name__}: {exc})",
            cause="no network path to Secret Manager from here",
            fix="retry from a machine that reaches googleapis.com, or set PROXY_SECRET",
        ) from None
    if response.status_code != 200:
        raise _refusal(response.status_code, secret)
    try:
        data = response.json()["payload"]["data"]
        return base64.b64decode(data, validate=True).decode("utf-8").strip()
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise SecretUnavailable(
            "Secret Manager's answer has no readable payload",
            cause="the secret's latest version is not UTF-8 text",
            fix="add a version holding the proxy secret as text (or let the program do it)",
        ) from None


def _access_token() -> str:
    try:
        credentials, _ = google.auth.default(scopes=[CLOUD_PLATFORM_SCOPE])
        if not credentials.valid:
            # google-auth leaves refresh() unannotated.
            credentials.refresh(google.auth.transport.requests.Request())  # type: ignore[no-untyped-call]
    except google.auth.exceptions.DefaultCredentialsError:
        raise SecretUnavailable(
            "no Google credentials on this machine",
            cause="Application Default Credentials are not set up",
            fix="gcloud auth application-default login, or set PROXY_SECRET",
        ) from None
    except google.auth.exceptions.GoogleAuthError as exc:
        raise SecretUnavailable(
            f"Google refused to issue a token ({type(exc).__name__})",
            cause="the Application Default Credentials expired or were revoked",
            fix="gcloud auth application-default login, or set PROXY_SECRET",
        ) from None
    token = credentials.token
    if not isinstance(token, str) or not token:
        raise SecretUnavailable(
            "Google issued no access token",
            cause="the Application Default Credentials are unusable",
            fix="gcloud auth application-default login, or set PROXY_SECRET",
        )
    return token


def _refusal(status: int, secret: str) -> SecretUnavailable:
    if status in (401, 403):
        return SecretUnavailable(
            f"Secret Manager refused to read {secret} (HTTP {status})",
            cause="your identity lacks secretmanager.versions.access on this secret",
            fix="grant yourself roles/secretmanager.secretAccessor on it, or set PROXY_SECRET",
        )
    if status == 404:
        return SecretUnavailable(
            f"Secret Manager has no {secret} or no version of it (HTTP 404)",
            cause="the outputs are from another project or stack, or the secret was deleted",
            fix="pass this stack's outputs; deploy the stack, which creates the secret",
        )
    return SecretUnavailable(
        f"Secret Manager answered HTTP {status}",
        cause="Secret Manager failed or is unavailable",
        fix="retry; check Google Cloud's status",
    )
