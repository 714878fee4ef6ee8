"""Stack configuration: read once, validated whole, before any resource is declared.

Precedence: a key set in the stack (`Pulumi.<stack>.yaml` or `pulumi config set`) wins; otherwise
the default below applies, which is the same default `Pulumi.yaml` declares (a test keeps the two
in step, since the mock runtime does not apply Pulumi.yaml's defaults). Every problem is reported
at once, each naming its key and what is allowed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import pulumi

from .tiktok import LOGIN_SCOPES, USER_ID_FIELDS

__all__ = ["DEFAULTS", "ConfigError", "StackConfig", "load", "validate"]

DEFAULTS: dict[str, Any] = {
    "scopes": ["user.info.basic"],
    "userIdField": "union_id",
    "connectionName": "tiktok",
    "displayName": "TikTok",
    "enabledClients": [],
    "maxInstances": 10,
    "minInstances": 0,
    "protect": False,
    "production": False,
}
CONNECTION_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,126}[A-Za-z0-9])?$")


class ConfigError(pulumi.RunError):
    """One or more stack config values cannot be used; raised before anything is declared."""


@dataclass(frozen=True)
class StackConfig:
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


def load() -> StackConfig:
    """Read the project's and the gcp provider's config; raise ConfigError listing every problem."""
    config = pulumi.Config()
    gcp = pulumi.Config("gcp")
    raw: dict[str, Any] = {"clientKey": config.get("clientKey")}
    for key, default in DEFAULTS.items():
        value = config.get(key)
        if value is None:
            raw[key] = default
        elif isinstance(default, str):
            raw[key] = value
        else:
            try:
                raw[key] = json.loads(value)
            except ValueError:
                raw[key] = value  # validate() says what the key allows
    problems = validate(raw)
    client_secret = config.get_secret("clientSecret")
    if client_secret is None:
        problems.append(
            "clientSecret: required; set it with `pulumi config set --secret clientSecret`"
        )
    elif not pulumi.runtime.is_config_secret(f"{pulumi.get_project()}:clientSecret"):
        problems.append(
            "clientSecret: must be stored as a secret; "
            "set it again with `pulumi config set --secret clientSecret`"
        )
    for key in ("project", "region"):
        if not gcp.get(key):
            problems.append(f"gcp:{key}: required; set it with `pulumi config set gcp:{key} ...`")
    if problems or client_secret is None:
        raise ConfigError("stack config is not usable:\n  - " + "\n  - ".join(problems))
    return StackConfig(
        client_key=raw["clientKey"],
        client_secret=client_secret,
        scopes=tuple(raw["scopes"]),
        user_id_field=raw["userIdField"],
        connection_name=raw["connectionName"],
        display_name=raw["displayName"],
        enabled_clients=tuple(raw["enabledClients"]),
        max_instances=raw["maxInstances"],
        min_instances=raw["minInstances"],
        protect=raw["protect"],
        production=raw["production"],
        gcp_project=gcp.require("project"),
        gcp_region=gcp.require("region"),
    )


def validate(raw: dict[str, Any]) -> list[str]:
    """The problems with raw config values (defaults applied), one message per problem."""
    problems: list[str] = []
    client_key = raw.get("clientKey")
    if not isinstance(client_key, str) or not client_key.strip():
        problems.append("clientKey: required; the client key of your TikTok app (Login Kit)")
    problems += _validate_scopes(raw["scopes"])
    if raw["userIdField"] not in USER_ID_FIELDS:
        problems.append(
            f"userIdField: {raw['userIdField']!r} is not allowed; use one of "
            f"{', '.join(USER_ID_FIELDS)} (and never change it once users exist)"
        )
    name = raw["connectionName"]
    if not isinstance(name, str) or not CONNECTION_NAME.match(name):
        problems.append(
            f"connectionName: {name!r} is not allowed; use letters, digits and dashes, "
            "starting and ending with a letter or digit (at most 128)"
        )
    if not isinstance(raw["displayName"], str) or not raw["displayName"].strip():
        problems.append("displayName: must be a non-empty string")
    clients = raw["enabledClients"]
    if not isinstance(clients, list) or not all(isinstance(c, str) and c for c in clients):
        problems.append("enabledClients: must be a list of Auth0 client ids (strings)")
    problems += _validate_instances(raw["minInstances"], raw["maxInstances"])
    for key in ("protect", "production"):
        if not isinstance(raw[key], bool):
            problems.append(f"{key}: must be true or false, got {raw[key]!r}")
    return problems


def _validate_scopes(scopes: object) -> list[str]:
    if not isinstance(scopes, list) or not all(isinstance(s, str) for s in scopes):
        return ['scopes: must be a list of TikTok scopes, e.g. ["user.info.basic"]']
    problems = []
    unknown = [s for s in scopes if s not in LOGIN_SCOPES]
    if unknown:
        problems.append(
            f"scopes: {', '.join(map(repr, unknown))} not allowed; "
            f"TikTok login scopes are {', '.join(LOGIN_SCOPES)} (one per list item)"
        )
    if "user.info.basic" not in scopes:
        problems.append("scopes: must include user.info.basic (it yields the user's id)")
    if len(set(scopes)) != len(scopes):
        problems.append("scopes: list each scope once")
    return problems


def _validate_instances(min_instances: object, max_instances: object) -> list[str]:
    problems = []
    if isinstance(max_instances, bool) or not isinstance(max_instances, int) or max_instances < 1:
        problems.append(f"maxInstances: must be a whole number >= 1, got {max_instances!r}")
    if isinstance(min_instances, bool) or not isinstance(min_instances, int) or min_instances < 0:
        problems.append(f"minInstances: must be a whole number >= 0, got {min_instances!r}")
    elif isinstance(max_instances, int) and min_instances > max_instances >= 1:
        problems.append(
            f"minInstances: {min_instances} is above maxInstances ({max_instances}); "
            "it must be at most maxInstances"
        )
    return problems
