"""The doctor's checks of the token proxy, made over HTTP from outside, as Auth0 reaches it.

Every request the doctor sends is either on the health route or marked as a probe (the
`X-Proxy-Probe` header, trusted by the proxy only with the right secret), so the proxy's log-based
metrics never count the doctor as a login or as a refused caller.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx

from devtools.doctor_types import Deployment, Outcome, failed, passed

__all__ = [
    "DUMMY_CODE",
    "HEALTH_PATH",
    "PROBE_HEADER",
    "function_answers",
    "health_accepts_secret",
    "reaches_tiktok",
    "refuses_without_secret",
]

# The proxy's own names (tokenproxy.HEALTH_ROUTE, tokenproxy.PROBE_HEADER); a test keeps them
# equal, since devtools does not import the proxy.
HEALTH_PATH = "/proxy/health"
PROBE_HEADER = "X-Proxy-Probe"
# A token request that only TikTok can refuse: a code TikTok never issued, and a client secret
# that is not the app's (the doctor never holds the real one).
DUMMY_CODE = "tiktok-auth0-doctor-dummy-code"
DUMMY_CLIENT_SECRET = "tiktok-auth0-doctor-not-the-client-secret"
DUMMY_REDIRECT_URI = "https://doctor.invalid/login/callback"


def function_answers(
    client: httpx.Client, deployment: Deployment
) -> tuple[Outcome, httpx.Response | None]:
    """GET the health route without the secret: any answer from the proxy itself passes, and
    is returned for `refuses_without_secret`."""
    url = _health_url(deployment)
    try:
        response = client.get(url)
    except httpx.HTTPError as exc:
        return _unreachable(exc, deployment), None
    if _proxy_json(response) is None:
        return _not_the_proxy(response, deployment), None
    return passed(f"the proxy answered HTTP {response.status_code} at {url}"), response


def refuses_without_secret(response: httpx.Response, deployment: Deployment) -> Outcome:
    """The answer to a call without the secret must be 401 invalid_client."""
    body = _proxy_json(response) or {}
    status, error = response.status_code, body.get("error")
    if status == 401 and error == "invalid_client":
        return passed("401 invalid_client")
    if status == 200:
        return failed(
            "HTTP 200 without the proxy secret",
            cause="the function runs without PROXY_SECRET: anyone can call it",
            fix=f"{deployment.redeploy}: it gives the function PROXY_SECRET from Secret Manager",
        )
    if status == 404:
        return _no_health_route(deployment)
    return _neither_200_nor_401(status, error or "")


def health_accepts_secret(client: httpx.Client, deployment: Deployment, secret: str) -> Outcome:
    """GET the health route with the secret: 200."""
    try:
        response = client.get(_health_url(deployment), headers={deployment.secret_header: secret})
    except httpx.HTTPError as exc:
        return _unreachable(exc, deployment)
    body = _proxy_json(response)
    if body is None:
        return _not_the_proxy(response, deployment)
    if response.status_code == 200 and body.get("status") == "ok":
        return passed("200 with the secret")
    if response.status_code == 401:
        return _secret_refused(deployment)
    if response.status_code == 404:
        return _no_health_route(deployment)
    return _neither_200_nor_401(response.status_code, body.get("error", ""))


def reaches_tiktok(client: httpx.Client, deployment: Deployment, secret: str) -> Outcome:
    """POST a token request with a dummy code to the function URL, as Auth0 does: TikTok's
    refusal must come back with its `log_id`. That one call proves TLS, the invoker grant, the
    secret, the allowed client key, the function's egress to TikTok and the error mapping."""
    form = {
        "grant_type": "authorization_code",
        "code": DUMMY_CODE,
        "redirect_uri": DUMMY_REDIRECT_URI,
        "client_id": deployment.client_key,
        "client_secret": DUMMY_CLIENT_SECRET,
    }
    headers = {deployment.secret_header: secret, PROBE_HEADER: "doctor"}
    try:
        response = client.post(deployment.function_url, data=form, headers=headers)
    except httpx.HTTPError as exc:
        return _unreachable(exc, deployment)
    body = _proxy_json(response)
    if body is None:
        return _not_the_proxy(response, deployment)
    status = response.status_code
    error, log_id = body.get("error"), body.get("log_id")
    description = str(body.get("error_description", ""))
    seen = f"HTTP {status} {error}: {description}"
    if status in (400, 401) and log_id:
        return passed(f"TikTok refused the dummy code as expected: {error} (log_id {log_id})")
    if status == 200:
        return failed(
            "the token endpoint issued tokens for a dummy code",
            cause="the function's TIKTOK_TOKEN_URL does not point at TikTok",
            fix=f"{deployment.redeploy}: the program leaves TIKTOK_TOKEN_URL at TikTok's",
        )
    if status == 401 and "unknown client_id" in description:
        return failed(
            seen,
            cause="the function's ALLOWED_CLIENT_KEYS does not hold this stack's clientKey",
            fix=f"{deployment.redeploy}: both come from clientKey",
        )
    if status == 401 and deployment.secret_header in description:
        return _secret_refused(deployment)
    if status in _UPSTREAM_CAUSES:
        cause, fix = _UPSTREAM_CAUSES[status]
        return failed(seen, cause=cause, fix=fix)
    if status == 500:
        return failed(
            seen,
            cause="the proxy failed unexpectedly (its log line has outcome internal_error)",
            fix="report the log line, which names the exception and where it was raised",
        )
    return failed(
        seen,
        cause="the proxy refused the dummy request itself, so it never reached TikTok",
        fix="read the description above and the proxy's log line for this request",
    )


_EGRESS = "the function's egress to open.tiktokapis.com (VPC connector, firewall, DNS)"
_UPSTREAM_CAUSES = {
    502: (
        "the function cannot get an answer from TikTok: its egress is blocked, or TikTok fails",
        f"check {_EGRESS} and TikTok's status; give TikTok support the log_id if there is one",
    ),
    503: (
        "TikTok rate limits this app's token requests (HTTP 429)",
        "wait; look in the proxy's logs for a caller flooding the token endpoint",
    ),
    504: (
        "TikTok did not answer within the proxy's timeout: egress blackholed, or TikTok slow",
        f"check {_EGRESS}; retry",
    ),
}


def _health_url(deployment: Deployment) -> str:
    return deployment.function_url.rstrip("/") + HEALTH_PATH


def _proxy_json(response: httpx.Response) -> dict[str, Any] | None:
    """The body when it is the proxy's own JSON (an OAuth error or the health answer)."""
    if not response.headers.get("content-type", "").startswith("application/json"):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    if isinstance(body, dict) and body.keys() & {"error", "status", "access_token"}:
        return body
    return None


def _secret_refused(deployment: Deployment) -> Outcome:
    return failed(
        f"401 invalid_client: the function refuses this {deployment.secret_header}",
        cause=(
            "the secret the doctor holds is not one the function accepts: PROXY_SECRET holds "
            "another value, or the secret's latest version is not the one the function runs "
            "with (a version added by hand)"
        ),
        fix=(
            "unset PROXY_SECRET to read the secret from Secret Manager; disable a version added "
            f"by hand (gcloud secrets versions disable); {deployment.redeploy}"
        ),
    )


def _no_health_route(deployment: Deployment) -> Outcome:
    return failed(
        f"the proxy has no {HEALTH_PATH} route (404)",
        cause="the deployed proxy predates the health route",
        fix=f"{deployment.redeploy}, which deploys the current proxy",
    )


def _neither_200_nor_401(status: int, error: object) -> Outcome:
    """The health route answered something else: `status` and the body's `error`, if any."""
    return failed(
        f"HTTP {status} {error}".rstrip(),
        cause="the proxy answered neither 200 nor 401 on its health route",
        fix="read the proxy's log line for this request (outcome, error, exception)",
    )


def _unreachable(exc: httpx.HTTPError, deployment: Deployment) -> Outcome:
    seen = f"no answer from {deployment.function_url} ({type(exc).__name__}: {exc})"
    if _is_tls_failure(exc):
        return failed(
            seen,
            cause="TLS failed: the certificate is not trusted here, or the URL is not the function",
            fix="check functionUrl; behind a TLS-inspecting proxy, set SSL_CERT_FILE to its CA",
        )
    if isinstance(exc, httpx.TimeoutException):
        return failed(
            seen,
            cause="the function accepted no request within the timeout: it hangs or is overloaded",
            fix="retry; read the function's logs",
        )
    return failed(
        seen,
        cause="nothing answers there: the function is not deployed, or the URL is wrong",
        fix=f"check functionUrl is from stack {deployment.stack}; {deployment.redeploy}",
    )


def _is_tls_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError) or "SSL" in str(seen) or "certificate" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _not_the_proxy(response: httpx.Response, deployment: Deployment) -> Outcome:
    status = response.status_code
    seen = f"HTTP {status} from something that is not the proxy"
    if status == 403:
        return failed(
            seen,
            cause=(
                "Cloud Run refuses callers without a Google identity: roles/run.invoker for "
                "allUsers is missing, or an organization policy removed it (Auth0 is refused too)"
            ),
            fix=f"{deployment.redeploy}, which grants the role; ask for an org policy exception",
        )
    if status == 404:
        return failed(
            seen,
            cause="no function serves this URL: deleted, or the URL belongs to another stack",
            fix=f"check functionUrl is from stack {deployment.stack}; {deployment.redeploy}",
        )
    if status >= 500:
        return failed(
            seen,
            cause=(
                "the function does not start or crashed: its logs hold a CRITICAL line "
                "(outcome config_error) naming the setting it cannot use"
            ),
            fix=f"read the function's logs; {deployment.redeploy}",
        )
    return failed(
        seen,
        cause="something other than the token proxy answers at this URL",
        fix=f"check functionUrl is from stack {deployment.stack}; {deployment.redeploy}",
    )
