"""Stack configuration of this repository's own stacks: read once, validated whole, before any
resource is declared.

Precedence: a key set in the stack (`Pulumi.<stack>.yaml` or `pulumi config set`) wins; otherwise
the default below applies, which is the same default `Pulumi.yaml` declares (a test keeps the two
in step, since the mock runtime does not apply Pulumi.yaml's defaults). The keys are TikTokLogin's
arguments as the schema names them; the rules are `validation`'s, so every problem is reported at
once, each naming its key and what is allowed. A key of this project that Pulumi.yaml does not
declare is refused with the closest declared one (the Pulumi CLI accepts it and the program would
silently use the default instead), and so is a key in a namespace so close to the project's name
that it must be a typo of it (`tiktok-conection:maxInstances`); other namespaces stay allowed, since
other programs' providers may be configured in the same stack. The provider keys the program needs
(`gcp:project`, `gcp:region`, `auth0:domain`) are required.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime import config as runtime_config

from . import _names, validation

__all__ = ["DECLARED", "DEFAULTS", "ConfigError", "StackConfig", "load", "stack_config_errors"]

# camelCase, as in Pulumi.yaml; lists where Pulumi.yaml has lists.
DEFAULTS: dict[str, Any] = {
    **{
        validation.schema_name(key): list(value) if isinstance(value, tuple) else value
        for key, value in validation.DEFAULTS.items()
    },
    "connectionName": "tiktok",
}
DECLARED = frozenset({"clientKey", "clientSecret", *DEFAULTS})
_FIELDS = {validation.schema_name(key): key for key in ("client_key", *validation.DEFAULTS)} | {
    "connectionName": "connection_name",
}
# Namespaces a stack sets besides the project's: the providers the program uses, and `pulumi`,
# the engine's own (pulumi:tags, pulumi:template, pulumi:autonaming,
# pulumi:disable-default-providers; pulumi/pulumi sdk/go/common/workspace/project.go).
_KNOWN_NAMESPACES = ("auth0", "gcp", "pulumi", "random")
# How close (difflib's ratio, case-insensitive) a namespace must be to the project's name to be
# taken for a typo of it; further ones may be another program's providers in the same stack.
_NAMESPACE_TYPO_CUTOFF = 0.75
_PROVIDER_LABELS = {
    "gcp_project": "gcp:project",
    "gcp_region": "gcp:region",
    "auth0_domain": "auth0:domain",
}
# The Management API is served on the tenant's own domain; with a custom domain the auth0
# provider needs `audience` (the Auth0 provider's `audience` setting; Auth0, "Get Access Tokens",
# auth0.com/docs/secure/tokens/access-tokens/get-access-tokens, custom domains section).
_TENANT_DOMAIN_SUFFIX = ".auth0.com"


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
    retain_on_delete: bool
    production: bool
    replace_connection: str
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
    """Read the project's and the providers' config; raise ConfigError listing every problem."""
    config = pulumi.Config()
    values: dict[str, Any] = {"client_key": config.get("clientKey")}
    for key, default in DEFAULTS.items():
        values[_FIELDS[key]] = _read(config, key, default)
    client_secret = config.get_secret("clientSecret")
    values["client_secret"] = client_secret
    values["gcp_project"] = pulumi.Config("gcp").get("project")
    values["gcp_region"] = pulumi.Config("gcp").get("region")
    values["auth0_domain"] = pulumi.Config("auth0").get("domain")
    problems = _undeclared_keys() + validation.check(values, labels=_PROVIDER_LABELS)
    if client_secret is not None and not pulumi.runtime.is_config_secret(
        f"{pulumi.get_project()}:clientSecret"
    ):
        problems.append(
            "clientSecret: must be stored as a secret; "
            f"set it again with `pulumi config set --secret clientSecret -s {pulumi.get_stack()}`"
        )
    if problems or client_secret is None:
        raise ConfigError(_heading(), problems)
    _warn_about_a_custom_domain(values["auth0_domain"])
    fields = {key: value for key, value in values.items() if key != "auth0_domain"}
    fields |= {
        "scopes": tuple(values["scopes"]),
        "enabled_clients": tuple(values["enabled_clients"]),
        "alert_notification_channels": tuple(values["alert_notification_channels"]),
    }
    return StackConfig(**fields)


@contextmanager
def stack_config_errors() -> Iterator[None]:
    """Around the component the stack config is passed to: its refusal (a rename against the
    stack's state, checked only once the component reads it) is raised as a ConfigError headed in
    stack-config terms. Within it the component names its arguments as `Pulumi.<stack>.yaml`
    spells the keys (`connectionName`), not as a Python caller does (`connection_name`)."""
    try:
        with _names.schema_names():
            yield
    except ConfigError:
        raise
    except validation.InvalidArgumentsError as error:
        raise ConfigError(_heading(), error.problems) from None


def _heading() -> str:
    return f"stack config is not usable (keys as in Pulumi.{pulumi.get_stack()}.yaml)"


def _undeclared_keys() -> list[str]:
    """Keys of this project that Pulumi.yaml does not declare, each with the closest declared,
    and keys in a namespace so close to the project's that it must be a typo of it."""
    project = pulumi.get_project()
    given = set(runtime_config.CONFIG.get()) | set(runtime_config.get_config_env())
    problems = []
    for full_key in sorted(given):
        namespace, _, key = full_key.partition(":")
        if namespace == project:
            if key not in DECLARED:
                problems.append(
                    f"{key}: not declared in Pulumi.yaml, so it would be ignored; "
                    f"{_closest_hint(key)} (declared: {', '.join(sorted(DECLARED))})"
                )
        elif namespace not in _KNOWN_NAMESPACES and _close(namespace, project):
            meant = _closest(key) or key
            problems.append(
                f"{full_key}: the namespace {namespace} is not this project's ({project}) nor a "
                f"provider's it uses ({', '.join(_KNOWN_NAMESPACES)}), so the key would be "
                f"ignored; did you mean {project}:{meant}?"
            )
    return problems


def _closest(key: str) -> str | None:
    """The declared key closest to `key` (case-insensitive), if any is close."""
    by_lower = {name.lower(): name for name in DECLARED}
    close = difflib.get_close_matches(key.lower(), by_lower, n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None


def _closest_hint(key: str) -> str:
    closest = _closest(key)
    return f"did you mean {closest}?" if closest else "it is not a key of this project"


def _close(namespace: str, project: str) -> bool:
    ratio = difflib.SequenceMatcher(None, namespace.lower(), project.lower()).ratio()
    return ratio >= _NAMESPACE_TYPO_CUTOFF


def _warn_about_a_custom_domain(domain: str) -> None:
    if domain.endswith(_TENANT_DOMAIN_SUFFIX) or pulumi.Config("auth0").get("audience"):
        return
    pulumi.log.warn(
        f"auth0:domain: {domain!r} is not a tenant domain (<tenant>.<region>.auth0.com). The "
        "Management API, which Pulumi calls, is served on the tenant's own domain: set "
        "auth0:domain to it, or keep this custom domain and set auth0:audience to "
        "https://<tenant>.<region>.auth0.com/api/v2/"
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
