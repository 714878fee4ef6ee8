"""Stack output names: the audit surface. None of them secret, none of them carrying a secret."""

from __future__ import annotations

__all__ = ["MONITORING_OUTPUT_KEYS", "OUTPUT_KEYS"]

CONNECTION_ID = "connectionId"
CONNECTION_NAME = "connectionName"
AUTHORIZATION_URL = "authorizationUrl"
TOKEN_URL = "tokenUrl"  # noqa: S105 - an output name
SCOPES = "scopes"
ENABLED_CLIENTS = "enabledClients"
FUNCTION_NAME = "functionName"
FUNCTION_URL = "functionUrl"
FUNCTION_REGION = "functionRegion"
GCP_PROJECT = "gcpProject"
PROXY_SOURCE_SHA256 = "proxySourceSha256"
PROFILE_SCRIPT_SHA256 = "profileScriptSha256"
PROXY_SECRET_HEADER = "proxySecretHeader"  # noqa: S105 - an output name
CLIENT_KEY = "clientKey"  # the TikTok client key the function allows; not a secret
PROXY_SECRET_ID = "proxySecretId"  # noqa: S105 - the secret's name, projects/<p>/secrets/<id>

OUTPUT_KEYS = (
    CONNECTION_ID,
    CONNECTION_NAME,
    AUTHORIZATION_URL,
    TOKEN_URL,
    SCOPES,
    ENABLED_CLIENTS,
    FUNCTION_NAME,
    FUNCTION_URL,
    FUNCTION_REGION,
    GCP_PROJECT,
    PROXY_SOURCE_SHA256,
    PROFILE_SCRIPT_SHA256,
    PROXY_SECRET_HEADER,
    CLIENT_KEY,
    PROXY_SECRET_ID,
)

# Exported with monitoring on (the default): alert key -> alert policy name, and the names of the
# uptime check and the dashboard.
ALERT_POLICIES = "alertPolicies"
UPTIME_CHECK = "uptimeCheck"
DASHBOARD = "dashboard"
MONITORING_OUTPUT_KEYS = (ALERT_POLICIES, UPTIME_CHECK, DASHBOARD)
