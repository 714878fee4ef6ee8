"""The doctor's read-only checks of the Auth0 connection, through the Management API v2.

What it calls, and the shapes it reads (Auth0's Management API reference):
- `POST https://{domain}/oauth/token`, the client-credentials grant with the audience
  `https://{domain}/api/v2/`, answers `{"access_token", "token_type", "expires_in", "scope"}`
  (https://auth0.com/docs/secure/tokens/access-tokens/management-api-access-tokens/get-management-api-access-tokens-for-production).
- `GET /api/v2/connections/{id}` answers the connection: `id`, `name`, `strategy`, `options`
  (https://auth0.com/docs/api/management/v2/connections/get-connections-by-id); `options` is
  returned only to a token with `read:connections_options`. An `oauth2` connection's options
  use the REST names `tokenURL`, `client_id`, `scope` (a string, or a list of strings that Auth0
  joins with spaces), `upstream_params` (an object) and `customHeaders` (an object: header name
  to value): `ConnectionOptionsOAuth2` in auth0/go-auth0, management/connection.go, which the
  Pulumi provider uses.
- `GET /api/v2/connections/{id}/clients?take=&from=` answers `{"clients": [{"client_id"}],
  "next"}`, `next` present while more pages remain (`read:connections`)
  (https://auth0.com/docs/api/management/v2/connections/get-connection-clients).
- `GET /api/v2/clients/{id}?fields=client_id,name&include_fields=true` answers the application,
  or 404 when there is none; `client_id` and `name` need no scope beyond read access to clients
  (https://auth0.com/docs/api/management/v2/clients/get-clients-by-id).

The doctor's Auth0 application therefore needs `read:connections`, `read:connections_options` and
`read:clients`, and nothing that writes.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from devtools.doctor_types import CheckFailed, Deployment, Outcome, failed, passed

__all__ = [
    "READ_SCOPES",
    "Auth0Credentials",
    "ManagementAPI",
    "custom_header_matches",
    "enabled_applications_exist",
    "read_connection",
    "scope_has_no_spaces",
    "token_url_is_function",
    "upstream_params_carry_client_key",
]

READ_SCOPES = ("read:connections", "read:connections_options", "read:clients")
PAGE_SIZE = 50
MAX_PAGES = 100
_NEVER_EDIT = "never edit the connection in the dashboard (a PATCH replaces all its options)"


@dataclass(frozen=True)
class Auth0Credentials:
    """A Management API client-credentials pair. `base_url`: https://<tenant domain>, or plain
    http on 127.0.0.1 for a local stand-in. The secret stays out of repr."""

    base_url: str
    client_id: str
    client_secret: str = field(repr=False)


class ManagementAPI:
    """GETs against the Management API with one client-credentials token, fetched on first use.

    Every failure raises CheckFailed with what was seen, the cause and the fix.
    """

    def __init__(self, client: httpx.Client, credentials: Auth0Credentials) -> None:
        self._client = client
        self._credentials = credentials
        self._token: str | None = None

    def connection(self, connection_id: str) -> dict[str, Any]:
        """The connection object (`GET /api/v2/connections/{id}`); CheckFailed on a 404."""
        response = self._get(f"/api/v2/connections/{connection_id}")
        if response.status_code == 404:
            raise CheckFailed(
                f"Auth0 has no connection {connection_id}",
                cause="the outputs are from a stack of another tenant, or the connection is gone",
                fix="set AUTH0_DOMAIN to the stack's tenant; a redeploy recreates a deleted one",
            )
        return _object(self._ok(response), "the connection")

    def enabled_client_ids(self, connection_id: str) -> list[str]:
        """Every application id the connection is enabled for, following `next` page by page
        (at most MAX_PAGES pages of PAGE_SIZE)."""
        ids: list[str] = []
        params: dict[str, str | int] = {"take": PAGE_SIZE}
        for _ in range(MAX_PAGES):
            page = _object(
                self._ok(self._get(f"/api/v2/connections/{connection_id}/clients", params)),
                "the enabled clients",
            )
            ids += [c["client_id"] for c in page.get("clients", []) if isinstance(c, dict)]
            if not page.get("next"):
                return ids
            params = {"take": PAGE_SIZE, "from": str(page["next"])}
        return ids

    def client_name(self, client_id: str) -> str | None:
        """The application's name, or None when the tenant has no such application."""
        params = {"fields": "client_id,name", "include_fields": "true"}
        response = self._get(f"/api/v2/clients/{client_id}", params)
        if response.status_code == 404:
            return None
        return str(_object(self._ok(response), "the application").get("name", client_id))

    def _get(self, path: str, params: Mapping[str, str | int] | None = None) -> httpx.Response:
        url = self._credentials.base_url + path
        headers = {"Authorization": f"Bearer {self._access_token()}"}
        try:
            return self._client.get(url, params=params, headers=headers)
        except httpx.HTTPError as exc:
            raise _unreachable(self._credentials, exc) from None

    def _access_token(self) -> str:
        if self._token is not None:
            return self._token
        base = self._credentials.base_url
        grant = {
            "grant_type": "client_credentials",
            "client_id": self._credentials.client_id,
            "client_secret": self._credentials.client_secret,
            "audience": f"{base}/api/v2/",
        }
        try:
            response = self._client.post(f"{base}/oauth/token", json=grant)
        except httpx.HTTPError as exc:
            raise _unreachable(self._credentials, exc) from None
        token = _json(response).get("access_token")
        if response.status_code != 200 or not isinstance(token, str) or not token:
            error = _json(response).get("error", "no token")
            raise CheckFailed(
                f"Auth0 issued no Management API token (HTTP {response.status_code}, {error})",
                cause="AUTH0_CLIENT_ID / AUTH0_CLIENT_SECRET are wrong, or the application is "
                "not authorized for the Management API",
                fix="authorize it for the Management API with " + ", ".join(READ_SCOPES),
            )
        self._token = token
        return token

    def _ok(self, response: httpx.Response) -> Any:
        if response.status_code == 200:
            return _json(response, whole=True)
        message = _json(response).get("message", "")
        seen = f"the Management API answered HTTP {response.status_code} {message}".rstrip()
        if response.status_code in (401, 403):
            raise CheckFailed(
                seen,
                cause="the token lacks a scope, or AUTH0_DOMAIN is a custom domain",
                fix="grant " + ", ".join(READ_SCOPES) + "; use the tenant's own domain",
            )
        if response.status_code == 429:
            raise CheckFailed(seen, cause="Auth0 rate limits the tenant", fix="retry later")
        raise CheckFailed(seen, cause="Auth0 failed or is unavailable", fix="retry later")


def read_connection(
    api: ManagementAPI, deployment: Deployment
) -> tuple[Outcome, dict[str, Any] | None]:
    """Fetch the connection; its `options` feed the checks below."""
    assert deployment.connection_id is not None
    try:
        connection = api.connection(deployment.connection_id)
    except CheckFailed as exc:
        return exc.outcome, None
    name, strategy = connection.get("name"), connection.get("strategy")
    if strategy != "oauth2":
        return failed(
            f"{deployment.connection_id} is a {strategy} connection",
            cause="connectionId does not name this stack's TikTok connection",
            fix=f"pass the outputs of stack {deployment.stack}",
        ), None
    if not isinstance(connection.get("options"), dict):
        return failed(
            f"{name} came back without its options",
            cause="the doctor's Auth0 application lacks read:connections_options",
            fix="grant it " + ", ".join(READ_SCOPES),
        ), None
    return passed(f"{name} ({deployment.connection_id}), strategy oauth2"), connection


def token_url_is_function(options: dict[str, Any], deployment: Deployment) -> Outcome:
    """`options.tokenURL` is the function URL (a trailing slash aside)."""
    token_url = options.get("tokenURL")
    if isinstance(token_url, str) and token_url.rstrip("/") == deployment.function_url.rstrip("/"):
        return passed(f"tokenURL is {token_url}")
    return _options_drifted(
        f"tokenURL is {token_url!r}, not {deployment.function_url}",
        cause="Auth0 sends the token exchange elsewhere: the connection was edited by hand, or "
        "belongs to another stack",
        deployment=deployment,
    )


def upstream_params_carry_client_key(options: dict[str, Any], deployment: Deployment) -> Outcome:
    """`options.upstream_params` is `{"client_key": {"value": <the stack's clientKey>}}`."""
    params = options.get("upstream_params")
    if isinstance(params, str):  # the provider's input is JSON text; the API stores an object
        try:
            params = json.loads(params)
        except ValueError:
            params = None
    entry = params.get("client_key") if isinstance(params, dict) else None
    value = entry.get("value") if isinstance(entry, dict) else None
    if value == deployment.client_key:
        return passed(f"client_key {value}")
    if value is None:
        return _options_drifted(
            "upstream_params carry no client_key value",
            cause="the authorize redirect lacks client_key: TikTok's page says the app is invalid",
            deployment=deployment,
        )
    return _options_drifted(
        f"upstream_params carry client_key {value!r}, not this stack's {deployment.client_key}",
        cause="the authorize redirect names another TikTok app (sandbox and production keys "
        "differ)",
        deployment=deployment,
    )


def scope_has_no_spaces(options: dict[str, Any], deployment: Deployment) -> Outcome:
    """`options.scope` is one non-empty value without whitespace (TikTok splits on commas)."""
    scope = options.get("scope")
    if isinstance(scope, list):  # Auth0 joins a list's items with spaces
        scope = " ".join(str(item) for item in scope)
    if not isinstance(scope, str) or not scope.strip():
        return _options_drifted(
            "the connection has no scope",
            cause="Auth0 asks TikTok for no scope, so the profile lacks user.info.basic",
            deployment=deployment,
        )
    if scope != "".join(scope.split()):
        return _options_drifted(
            f"scope {scope!r} has spaces",
            cause="TikTok rejects space-separated scopes (invalid_scope); it needs commas",
            deployment=deployment,
        )
    return passed(f"scope {scope}")


def enabled_applications_exist(api: ManagementAPI, deployment: Deployment) -> Outcome:
    """The connection is enabled for at least one application, and each one exists."""
    assert deployment.connection_id is not None
    try:
        ids = api.enabled_client_ids(deployment.connection_id)
        names = {client_id: api.client_name(client_id) for client_id in ids}
    except CheckFailed as exc:
        return exc.outcome
    if not ids:
        return failed(
            "the connection is enabled for no application",
            cause="no login page offers TikTok",
            fix="set enabledClients in the stack's config (a reviewed change)",
        )
    if missing := [client_id for client_id, name in names.items() if name is None]:
        return failed(
            f"enabled for applications that do not exist: {', '.join(missing)}",
            cause="the applications were deleted, but the connection still lists them",
            fix="remove them from enabledClients in the stack's config (a reviewed change)",
        )
    return passed(f"{len(ids)} enabled: " + ", ".join(f"{n} ({i})" for i, n in names.items()))


def custom_header_matches(options: dict[str, Any], deployment: Deployment, secret: str) -> Outcome:
    """`options.customHeaders` sends the proxy secret in the stack's header (the name compared
    without regard to case, the value in constant time; neither is ever printed)."""
    headers = options.get("customHeaders")
    headers = headers if isinstance(headers, dict) else {}
    wanted = deployment.secret_header.lower()
    sent = next((value for name, value in headers.items() if name.lower() == wanted), None)
    if not isinstance(sent, str):
        return _options_drifted(
            f"the connection sends no {deployment.secret_header} header",
            cause="the proxy answers every token exchange from Auth0 with 401 invalid_client",
            deployment=deployment,
        )
    if not hmac.compare_digest(sent.encode(), secret.encode()):
        return _options_drifted(
            f"the connection's {deployment.secret_header} is not the proxy secret",
            cause="Auth0 sends a stale or foreign secret (options edited by hand, or a rotation "
            "half done), which the proxy refuses unless it is its PROXY_SECRET_PREVIOUS; or the "
            "doctor holds the wrong secret (see the health route's check)",
            deployment=deployment,
        )
    return passed(f"{deployment.secret_header} matches the proxy secret")


def _options_drifted(summary: str, *, cause: str, deployment: Deployment) -> Outcome:
    """A connection option that is not what the stack declares: the fix is always the stack's
    own deploy, never an edit in the dashboard."""
    return failed(summary, cause=cause, fix=f"{deployment.redeploy}; {_NEVER_EDIT}")


def _unreachable(credentials: Auth0Credentials, exc: httpx.HTTPError) -> CheckFailed:
    return CheckFailed(
        f"no answer from {credentials.base_url} ({type(exc).__name__}: {exc})",
        cause="AUTH0_DOMAIN is wrong, or Auth0 is unreachable from here",
        fix="set AUTH0_DOMAIN to the tenant's domain, e.g. acme.eu.auth0.com",
    )


def _json(response: httpx.Response, *, whole: bool = False) -> Any:
    try:
        body = response.json()
    except ValueError:
        body = None
    if whole:
        return body
    return body if isinstance(body, dict) else {}


def _object(body: Any, what: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise CheckFailed(
            f"the Management API answered {what} without a JSON object",
            cause="AUTH0_DOMAIN does not point at an Auth0 tenant",
            fix="set AUTH0_DOMAIN to the tenant's domain, e.g. acme.eu.auth0.com",
        )
    return body
