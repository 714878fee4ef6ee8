"""The rules for TikTok login settings, in one place: the stack config and the components use them.

`check(values)` takes settings by their Python names (`user_id_field`), defaults applied, and
returns one message per problem, each naming the key as the stack config and the Pulumi schema
spell it (`userIdField: ...`) with what is allowed, so a mistake reads the same whether it was made
in `Pulumi.<stack>.yaml`, in Python or in TypeScript. Only the keys present are checked. Nothing
here declares a resource.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeGuard

import pulumi

from .tiktok import LOGIN_SCOPES, USER_ID_FIELDS

__all__ = [
    "DEFAULTS",
    "PLAIN",
    "InvalidArgumentsError",
    "check",
    "check_component_name",
    "check_keys",
    "check_stack_name",
    "schema_name",
]

# The defaults of the optional settings; the stack config declares the same ones in Pulumi.yaml.
DEFAULTS: dict[str, Any] = {
    "scopes": ("user.info.basic",),
    "user_id_field": "union_id",
    "display_name": "TikTok",
    "enabled_clients": (),
    "max_instances": 10,
    "min_instances": 0,
    "protect": False,
    "retain_on_delete": True,
    "production": False,
    "replace_connection": "",
    # Operating it: monitoring (alerts.py says what each threshold means) and rotation.
    "monitoring": True,
    "alert_notification_channels": (),
    "alert_upstream_failures": 3,
    "alert_refused_calls": 5,
    "alert_latency_p95_ms": 4000,
    "proxy_secret_generation": 0,
    "proxy_secret_keep_previous": False,
}
# What each argument that must be plain is (the Pulumi schema marks these plain): a value known
# when the program runs, since it names resources, renders the profile script or is checked
# before anything is declared. The others (client_secret, enabled_clients,
# alert_notification_channels) may be pulumi.Outputs: a secret, another resource's output.
PLAIN: dict[str, str] = {
    "client_key": "string",
    "scopes": "list of strings",
    "user_id_field": "string",
    "connection_name": "string",
    "display_name": "string",
    "gcp_project": "string",
    "gcp_region": "string",
    "min_instances": "whole number",
    "max_instances": "whole number",
    "protect": "bool",
    "retain_on_delete": "bool",
    "production": "bool",
    "replace_connection": "string",
    "monitoring": "bool",
    "alert_upstream_failures": "whole number",
    "alert_refused_calls": "whole number",
    "alert_latency_p95_ms": "whole number",
    "proxy_secret_generation": "whole number",
    "proxy_secret_keep_previous": "bool",
}
# A TikTok client key is letters and digits (`sbaw...` for a sandbox app, `aw...` in
# production); dashes and underscores are let through. Nothing else: the proxy's
# ALLOWED_CLIENT_KEYS is comma-separated and refuses a key with a space, and the key is sent in
# the authorize URL.
CLIENT_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
CONNECTION_NAME = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,126}[A-Za-z0-9])?$")
COMPONENT_NAME = re.compile(r"^[a-z](?:[a-z0-9-]*[a-z0-9])?$")
# A DNS host name of two labels or more, lowercase, the last one starting with a letter (RFC 1123
# section 2.1): what the auth0 provider's `domain` takes.
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
HOST_NAME = re.compile(rf"^(?=.{{1,253}}$)(?:{_LABEL}\.)+[a-z](?:[a-z0-9-]{{0,61}}[a-z0-9])?$")
# Where an item holding several scopes would be split (TikTok: commas; Auth0's dashboard: spaces).
_SCOPE_SEPARATORS = re.compile(r"[\s,]+")
# A project ID: 6 to 30 lowercase letters, digits and hyphens, starting with a letter, not ending
# with a hyphen (cloud.google.com/resource-manager/docs/creating-managing-projects, "Before you
# begin": project ID requirements).
GCP_PROJECT_ID = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
# A legacy domain-scoped project ID, `<domain>:<id>` (`google.com:my-project`): a real project,
# but its ID would be part of the source bucket's name, where a colon is not allowed
# (cloud.google.com/storage/docs/buckets#naming).
DOMAIN_SCOPED_PROJECT_ID = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)+:[a-z][a-z0-9-]{4,28}[a-z0-9]$")
# The shape of a Google Cloud region name, `<geography>-<direction><number>` (europe-west1,
# us-central1, northamerica-northeast2: cloud.google.com/functions/docs/locations). Which regions
# serve Cloud Functions changes over time (`gcloud functions regions list` prints them), so only
# the shape is checked; GCP refuses a region it does not serve when the function is created.
GCP_REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
# As `gcloud beta monitoring channels list --format='value(name)'` prints a channel's name.
NOTIFICATION_CHANNEL = re.compile(r"^projects/[^/\s]+/notificationChannels/[^/\s]+$")


class InvalidArgumentsError(pulumi.RunError):
    """Settings that cannot be used, all listed at once; raised before any resource is declared.

    A `pulumi.RunError`, so Pulumi prints the message without a traceback. `problems` holds one
    message per problem.
    """

    def __init__(self, heading: str, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(f"{heading}:\n  - " + "\n  - ".join(self.problems))


def schema_name(key: str) -> str:
    """`user_id_field` -> `userIdField`: the name in the stack config and the Pulumi schema."""
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


def check(values: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> list[str]:
    """Every problem with `values` (Python names, defaults applied), one message each.

    `labels` overrides how a key is named in the messages (the stack config says `gcp:project`
    where the schema says `gcpProject`).
    """
    names = {key: schema_name(key) for key in values} | dict(labels or {})
    problems: list[str] = []
    for key, value in values.items():
        if key in PLAIN and _holds_an_output(value):
            problems.append(f"{names[key]}: {_not_plain(PLAIN[key])}")
            continue
        rule = _RULES.get(key)
        if rule is not None:
            problems += [f"{names[key]}: {message}" for message in rule(value)]
    if "min_instances" in values and "max_instances" in values:
        problems += _instances_in_order(values["min_instances"], values["max_instances"], names)
    if values.get("production") is True and values.get("protect") is False:
        problems.append(
            f"{names['protect']}: must be true when {names['production']} is true: a production "
            "connection must never be deleted or replaced by a stray change (set protect: true)"
        )
    problems += _replacing_itself(values, names)
    problems += _channels_need_monitoring(values, names)
    problems += _previous_needs_a_rotation(values, names)
    return problems


def check_keys(
    given: Iterable[str],
    allowed: Iterable[str],
    component: str,
    spell: Callable[[str], str] = str,
) -> list[str]:
    """Keys a component does not take (a typo would otherwise be ignored silently), with the
    closest argument when one is near. Every key is named by `spell`: how the caller spells an
    argument (`_names.argument_name`); by default as given, the Python name."""
    allowed = set(allowed)
    problems = []
    for key in sorted(set(given) - allowed):
        close = difflib.get_close_matches(key, allowed, n=1)
        meant = f"did you mean {spell(close[0])}? " if close else ""
        listed = ", ".join(sorted(spell(name) for name in allowed))
        problems.append(
            f"{spell(key)}: not an argument of {component}; {meant}its arguments are {listed}"
        )
    return problems


def check_component_name(name: str) -> list[str]:
    """The component's name becomes part of GCP resource names, so it must suit them, and it
    begins the source bucket's (Cloud Storage refuses a bucket name that contains "google" or
    begins with "goog": cloud.google.com/storage/docs/buckets#naming)."""
    if (
        isinstance(name, str)
        and COMPONENT_NAME.match(name)
        and "google" not in name
        and not name.startswith("goog")
    ):
        return []
    return [
        f"name: {name!r} is not allowed; use lowercase letters, digits and dashes, starting "
        "with a letter, not ending with a dash, not starting with 'goog' and without 'google' "
        "(it names the GCP resources)"
    ]


def check_stack_name(stack: str) -> list[str]:
    """The stack's name is part of the source bucket's, which Cloud Storage refuses when it
    contains "google" (cloud.google.com/storage/docs/buckets#naming)."""
    if "google" not in stack.lower():
        return []
    return [
        f"stack: {stack!r} is not usable; the stack's name is part of the GCP resources' names, "
        "and Cloud Storage refuses a bucket name with 'google' in it: use a stack name "
        "without 'google' (pulumi stack rename)"
    ]


def _holds_an_output(value: object) -> bool:
    if _is_list(value):
        return any(isinstance(item, pulumi.Output) for item in value)
    return isinstance(value, pulumi.Output)


def _not_plain(kind: str) -> str:
    reader = {
        "string": "config.require",
        "list of strings": "config.require_object",
        "whole number": "config.get_int",
        "bool": "config.get_bool",
    }[kind]
    return (
        f"must be a plain {kind}, known when the program runs, not a pulumi.Output: it is "
        "checked and written into the plan before anything is deployed. Pass the value itself "
        f"(e.g. from {reader}), not a secret, another resource's output or an apply"
    )


def _client_key(value: object) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return ["required; the client key of your TikTok app (Login Kit)"]
    if CLIENT_KEY.match(value):
        return []
    if "," in value:
        return [
            f"{value!r} is not one client key; give the one key of this TikTok app (the proxy "
            "reads a comma as a list of keys)"
        ]
    return [
        f"{value!r} is not a client key; TikTok's are letters and digits, e.g. sbawxxxxxxxxxxxx "
        "(no spaces, quotes or brackets: copy it from TikTok for Developers > your app)"
    ]


def _client_secret(value: object) -> list[str]:
    if isinstance(value, pulumi.Output) or (isinstance(value, str) and value):
        return []
    return [
        "required; the client secret of your TikTok app, as a Pulumi secret "
        "(set it with `pulumi config set --secret clientSecret`)"
    ]


def _scopes(value: object) -> list[str]:
    if not _is_list(value) or not all(isinstance(s, str) for s in value):
        return ['must be a list of TikTok scopes, e.g. ["user.info.basic"]']
    problems = []
    # The scopes each item names ("a b" and "a,b" name two): such an item is one mistake,
    # reported once, and the scopes it names still count as included.
    parts = {item: [p for p in _SCOPE_SEPARATORS.split(item) if p] for item in value}
    for item in dict.fromkeys(value):
        if len(parts[item]) > 1:
            problems.append(
                f"{item!r} holds {len(parts[item])} scopes in one item; write them one per list "
                f"item: {', '.join(parts[item])}"
            )
        elif parts[item] and parts[item] != [item]:
            problems.append(f"{item!r} has spaces around it; write {parts[item][0]!r}")
    named = [p for item in value for p in parts[item] or [item]]
    unknown = [s for s in named if s not in LOGIN_SCOPES]
    if unknown:
        problems.append(
            f"{', '.join(map(repr, unknown))} not allowed; "
            f"TikTok login scopes are {', '.join(LOGIN_SCOPES)} (one per list item)"
        )
    if "user.info.basic" not in named:
        problems.append("must include user.info.basic (it yields the user's id)")
    if len(set(named)) != len(named):
        problems.append("list each scope once")
    return problems


def _user_id_field(value: object) -> list[str]:
    if value in USER_ID_FIELDS:
        return []
    return [
        f"{value!r} is not allowed; use one of {', '.join(USER_ID_FIELDS)} "
        "(and never change it once users exist)"
    ]


def _connection_name(value: object) -> list[str]:
    if isinstance(value, str) and CONNECTION_NAME.match(value):
        return []
    return [
        f"{value!r} is not allowed; use letters, digits and dashes, "
        "starting and ending with a letter or digit (at most 128)"
    ]


def _replace_connection(value: object) -> list[str]:
    if value == "" or (isinstance(value, str) and CONNECTION_NAME.match(value)):
        return []
    return [
        f"{value!r} is not allowed; name the deployed connection this change replaces (its "
        "current connectionName), or leave it empty"
    ]


def _auth0_domain(value: object) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return [
            "required; your Auth0 tenant's domain, e.g. my-tenant.eu.auth0.com "
            "(set it with `pulumi config set auth0:domain my-tenant.eu.auth0.com`)"
        ]
    if HOST_NAME.match(value):
        return []
    if "/" in value or ":" in value:
        return [
            f"{value!r} is not a bare host name; drop the scheme, port and path "
            "(e.g. my-tenant.eu.auth0.com, not https://my-tenant.eu.auth0.com/)"
        ]
    return [f"{value!r} is not a host name such as my-tenant.eu.auth0.com (lowercase, dotted)"]


def _display_name(value: object) -> list[str]:
    if isinstance(value, str) and value.strip():
        return []
    return ["must be a non-empty string"]


def _enabled_clients(value: object) -> list[str]:
    """Auth0 client ids, each once. Auth0 documents no shape for a client id beyond a string; one
    with whitespace, or an empty one, cannot be one (Auth0 refuses an unknown id at deployment)."""
    if isinstance(value, pulumi.Output):
        return []  # known only at deployment; Auth0 refuses an unknown client id
    if not _is_list(value) or not all(isinstance(c, pulumi.Output | str) for c in value):
        return ["must be a list of Auth0 client ids (strings)"]
    given = [c for c in value if isinstance(c, str)]
    problems = [
        f"{c!r} is not an Auth0 client id (an application's Client ID has no spaces and is not "
        "empty; copy it from Applications > your application > Settings)"
        for c in dict.fromkeys(given)
        if not c or c != "".join(c.split())
    ]
    if twice := [c for c in dict.fromkeys(given) if given.count(c) > 1]:
        problems.append(f"{', '.join(map(repr, twice))} listed more than once; list each once")
    return problems


# Cloud Functions v2 takes max_instance_count and min_instance_count as int32
# (google.cloud.functions.v2.ServiceConfig in googleapis' functions.proto).
INT32_MAX = 2**31 - 1


def _max_instances(value: object) -> list[str]:
    if _is_whole(value) and 1 <= value <= INT32_MAX:
        return []
    return [f"must be a whole number from 1 to {INT32_MAX} (the API's int32), got {value!r}"]


def _min_instances(value: object) -> list[str]:
    if _is_whole(value) and 0 <= value <= INT32_MAX:
        return []
    return [f"must be a whole number from 0 to {INT32_MAX} (the API's int32), got {value!r}"]


def _instances_in_order(
    min_instances: object, max_instances: object, names: Mapping[str, str]
) -> list[str]:
    if _is_whole(min_instances) and _is_whole(max_instances) and min_instances > max_instances >= 1:
        return [
            f"{names['min_instances']}: {min_instances} is above {names['max_instances']} "
            f"({max_instances}); it must be at most {names['max_instances']}"
        ]
    return []


def _alert_notification_channels(value: object) -> list[str]:
    if isinstance(value, pulumi.Output):
        return []  # known only at deployment; Cloud Monitoring refuses an unknown channel
    if _is_list(value) and all(
        isinstance(c, pulumi.Output) or (isinstance(c, str) and NOTIFICATION_CHANNEL.match(c))
        for c in value
    ):
        return []
    return [
        "must be a list of notification channel names, each "
        "projects/<project>/notificationChannels/<id> (gcloud beta monitoring channels list "
        "--format='value(name)' prints them)"
    ]


def _count_threshold(value: object) -> list[str]:
    if _is_whole(value) and value >= 0:
        return []
    return [f"must be a whole number >= 0 (the alert fires above it), got {value!r}"]


def _latency_threshold(value: object) -> list[str]:
    if _is_whole(value) and 100 <= value <= 60_000:
        return []
    return [f"must be a whole number of milliseconds from 100 to 60000, got {value!r}"]


def _generation(value: object) -> list[str]:
    if _is_whole(value) and value >= 0:
        return []
    return [f"must be a whole number >= 0 (raise it by one to rotate), got {value!r}"]


def _replacing_itself(values: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    name, replaced = values.get("connection_name"), values.get("replace_connection")
    if isinstance(replaced, str) and replaced and replaced == name:
        return [
            f"{names['replace_connection']}: {replaced!r} is {names['connection_name']} itself, "
            "and a connection cannot replace itself; remove "
            f"{names['replace_connection']} (it is only for a rename: a new "
            f"{names['connection_name']}, with {names['replace_connection']} naming the deployed "
            "connection)"
        ]
    return []


def _channels_need_monitoring(values: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    channels = values.get("alert_notification_channels")
    if values.get("monitoring") is False and _is_list(channels) and channels:
        return [
            f"{names['alert_notification_channels']}: set, but {names['monitoring']} is false, "
            f"so no alert is declared to route to them; remove them or set "
            f"{names['monitoring']} to true"
        ]
    return []


def _previous_needs_a_rotation(values: Mapping[str, Any], names: Mapping[str, str]) -> list[str]:
    generation = values.get("proxy_secret_generation")
    if values.get("proxy_secret_keep_previous") is True and generation == 0:
        return [
            f"{names['proxy_secret_keep_previous']}: true, but "
            f"{names['proxy_secret_generation']} is 0, which has no previous secret; raise "
            f"{names['proxy_secret_generation']} by one in the same change to rotate"
        ]
    return []


def _boolean(value: object) -> list[str]:
    return [] if isinstance(value, bool) else [f"must be true or false, got {value!r}"]


def _gcp_project(value: object) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return [
            "required; the ID of the GCP project to deploy to "
            "(set it with `pulumi config set gcp:project <project ID>`)"
        ]
    if GCP_PROJECT_ID.match(value):
        return []
    if DOMAIN_SCOPED_PROJECT_ID.match(value):
        return [
            f"{value!r} is a domain-scoped project ID (<domain>:<id>), which is not supported: "
            "the project ID is part of the names this module gives GCP resources (the proxy "
            "source bucket's, `<name>-proxy-source-<stack>-<project>`), and Cloud Storage "
            "allows no ':' in a bucket name; deploy to a project whose ID has no domain"
        ]
    return [
        f"{value!r} is not a GCP project ID: 6 to 30 lowercase letters, digits and hyphens, "
        "starting with a letter and not ending with a hyphen (the project's ID, not its name or "
        "number: `gcloud projects list` shows it in PROJECT_ID)"
    ]


def _gcp_region(value: object) -> list[str]:
    if not isinstance(value, str) or not value.strip():
        return [
            "required; the GCP region of the function, e.g. europe-west1 "
            "(set it with `pulumi config set gcp:region europe-west1`)"
        ]
    if GCP_REGION.match(value):
        return []
    return [
        f"{value!r} is not a GCP region name such as europe-west1 or us-central1 (lowercase, "
        "<geography>-<direction><number>); `gcloud functions regions list` lists those that "
        "serve Cloud Functions"
    ]


def _is_list(value: object) -> TypeGuard[list[Any] | tuple[Any, ...]]:
    return isinstance(value, list | tuple)


def _is_whole(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


_RULES = {
    "client_key": _client_key,
    "client_secret": _client_secret,
    "scopes": _scopes,
    "user_id_field": _user_id_field,
    "connection_name": _connection_name,
    "display_name": _display_name,
    "enabled_clients": _enabled_clients,
    "max_instances": _max_instances,
    "min_instances": _min_instances,
    "protect": _boolean,
    "production": _boolean,
    "retain_on_delete": _boolean,
    "replace_connection": _replace_connection,
    "monitoring": _boolean,
    "alert_notification_channels": _alert_notification_channels,
    "alert_upstream_failures": _count_threshold,
    "alert_refused_calls": _count_threshold,
    "alert_latency_p95_ms": _latency_threshold,
    "proxy_secret_generation": _generation,
    "proxy_secret_keep_previous": _boolean,
    "gcp_project": _gcp_project,
    "gcp_region": _gcp_region,
    "auth0_domain": _auth0_domain,
}
