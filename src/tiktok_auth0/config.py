"""Stack configuration of this repository's own stacks: read once, validated whole, before any
resource is declared.

Precedence: a key set in the stack (`Pulumi.<stack>.yaml` or `pulumi config set`) wins; otherwise
the default below applies, which is the same default `Pulumi.yaml` declares (a test keeps the two
in step, since the mock runtime does not apply Pulumi.yaml's defaults). The keys are TikTokLogin's
arguments as the schema names them, plus `production`; the rules are `validation`'s, so every
problem is reported at once, each naming its key and what is allowed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi

from . import validation

__all__ = ["DEFAULTS", "ConfigError", "StackConfig", "load"]

# camelCase, as in Pulumi.yaml; lists where Pulumi.yaml has lists.
DEFAULTS: dict[str, Any] = {
    **{
        validation.schema_name(key): list(value) if isinstance(value, tuple) else value
        for key, value in validation.DEFAULTS.items()
    },
    "connectionName": "tiktok",
    "production": False,
}
_FIELDS = {validation.schema_name(key): key for key in ("client_key", *validation.DEFAULTS)} | {
    "connectionName": "connection_name",
    "production": "production",
}
_GCP_LABELS = {"gcp_project": "gcp:project", "gcp_region": "gcp:region"}


class ConfigError(validation.InvalidArgumentsError):
    """One or more stack config values cannot be used; raised before anything is declared."""


@dataclass(frozen=True)
class StackConfig:
    """The stack's settings, validated; `client_secret` is a Pulumi secret."""

    client_key: str
    client_secret: pulumi.Output[str]
    scopes: tuple[str, ...]
    user_id_field: str
    connection_name: str
    display_name: str
    enabled_clients: tuple[str, ...]
    max_instances: int
    min_instances: int
    protect: bool
    production: bool
    gcp_project: str
    gcp_region: str
    monitoring: bool
    alert_notification_channels: tuple[str, ...]
    alert_upstream_failures: int
    alert_refused_calls: int
    alert_latency_p95_ms: int
    proxy_secret_generation: int
    proxy_secret_keep_previous: bool


def load() -> StackConfig:
    """Read the project's and the gcp provider's config; raise ConfigError listing every problem."""
    config = pulumi.Config()
    gcp = pulumi.Config("gcp")
    values: dict[str, Any] = {"client_key": config.get("clientKey")}
    for key, default in DEFAULTS.items():
        values[_FIELDS[key]] = _read(config, key, default)
    client_secret = config.get_secret("clientSecret")
    values["client_secret"] = client_secret
    values["gcp_project"], values["gcp_region"] = gcp.get("project"), gcp.get("region")
    problems = validation.check(values, labels=_GCP_LABELS)
    if client_secret is not None and not pulumi.runtime.is_config_secret(
        f"{pulumi.get_project()}:clientSecret"
    ):
        problems.append(
            "clientSecret: must be stored as a secret; "
            "set it again with `pulumi config set --secret clientSecret`"
        )
    if problems or client_secret is None:
        raise ConfigError("stack config is not usable", problems)
    return StackConfig(
        client_key=values["client_key"],
        client_secret=client_secret,
        scopes=tuple(values["scopes"]),
        user_id_field=values["user_id_field"],
        connection_name=values["connection_name"],
        display_name=values["display_name"],
        enabled_clients=tuple(values["enabled_clients"]),
        max_instances=values["max_instances"],
        min_instances=values["min_instances"],
        protect=values["protect"],
        production=values["production"],
        gcp_project=values["gcp_project"],
        gcp_region=values["gcp_region"],
        monitoring=values["monitoring"],
        alert_notification_channels=tuple(values["alert_notification_channels"]),
        alert_upstream_failures=values["alert_upstream_failures"],
        alert_refused_calls=values["alert_refused_calls"],
        alert_latency_p95_ms=values["alert_latency_p95_ms"],
        proxy_secret_generation=values["proxy_secret_generation"],
        proxy_secret_keep_previous=values["proxy_secret_keep_previous"],
    )


def _read(config: pulumi.Config, key: str, default: Any) -> Any:
    """The key's value (JSON-decoded unless a string is expected), else its default."""
    value = config.get(key)
    if value is None:
        return default
    if isinstance(default, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value  # validation says what the key allows
