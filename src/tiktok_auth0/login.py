"""TikTokLogin: TikTok login behind Auth0 in one component, for programs in any Pulumi language.

No `from __future__ import annotations` here: Pulumi's analyzer reads these annotations at run
time to infer the package schema (`pulumi.provider.experimental.analyzer`).
"""

import inspect
from collections.abc import Sequence
from typing import Any, NotRequired, Optional, TypedDict

import pulumi

from . import _compat, _names, validation
from ._replacement import Replacement
from ._tokens import type_token
from .connection import TikTokConnection, TikTokConnectionArgs, replacement_of
from .token_proxy import OPERATIONS_ARGS, TokenProxy, TokenProxyArgs, gcp_location

__all__ = ["TikTokLogin", "TikTokLoginArgs"]


class TikTokLoginArgs(TypedDict):
    """The arguments of TikTokLogin. In the Pulumi schema (and so in TypeScript, Go, .NET and the
    stack config) each is spelt in camelCase: `client_key` is `clientKey`. All but
    `client_secret`, `enabled_clients` and `alert_notification_channels` must be plain values,
    known when the program runs (the schema marks them plain), not `pulumi.Output`s."""

    client_key: str
    (
        "Client key of the TikTok app (TikTok for Developers > your app > Login Kit): letters "
        "and digits, e.g. `sbawxxxxxxxxxxxxxx` for a sandbox app. Not a secret: it is part of "
        "the authorize URL. Required."
    )
    client_secret: pulumi.Input[str]
    (
        "Client secret of the TikTok app. Pass it as a Pulumi secret (`pulumi config set "
        "--secret clientSecret`, then `config.require_secret`); it is marked secret here in any "
        "case, so it is encrypted in state and never shown. Required."
    )
    scopes: NotRequired[Sequence[str]]
    (
        "TikTok scopes asked for at login, one per item, each at most once: `user.info.basic` "
        "(always required), `user.info.profile`, `user.info.stats`, `video.list`, "
        "`video.upload`, `video.publish`. Sent to TikTok comma-joined; the profile script asks "
        "for exactly the user-info fields they unlock. Default: `user.info.basic` alone."
    )
    user_id_field: NotRequired[str]
    (
        "Which TikTok id becomes the Auth0 `user_id`: `union_id` (the same across all apps of "
        "one TikTok developer account) or `open_id` (one per app). Never change it once users "
        "exist: every user would be created again. Default: `union_id`."
    )
    enabled_clients: NotRequired[pulumi.Input[Sequence[pulumi.Input[str]]]]
    (
        "Auth0 application (client) ids that offer TikTok login, e.g. `AbCdEf0123456789`, each "
        "once, none empty or with whitespace. This list owns the whole set: an application "
        "enabled by hand is disabled. Default: none."
    )
    connection_name: NotRequired[str]
    (
        "Name of the Auth0 connection: 1 to 128 letters, digits and dashes, starting and ending "
        "with a letter or digit. Changing it replaces the connection, which orphans its users. "
        "Default: the component's name."
    )
    display_name: NotRequired[str]
    """Label of the login button, any non-empty text. Default: `TikTok`."""
    gcp_project: NotRequired[str]
    (
        "GCP project id the token proxy is deployed to, e.g. `acme-login-prod`: 6 to 30 "
        "lowercase letters, digits and hyphens, starting with a letter, not ending with a hyphen "
        "(cloud.google.com/resource-manager/docs/creating-managing-projects). Default: the gcp "
        "provider's `gcp:project`."
    )
    gcp_region: NotRequired[str]
    (
        "GCP region of the token proxy, e.g. `europe-west1` (a region name's shape is checked; "
        "`gcloud functions regions list` lists those serving Cloud Functions). Default: the gcp "
        "provider's `gcp:region`."
    )
    min_instances: NotRequired[int]
    (
        "Token proxy instances kept warm: a whole number from 0 to `max_instances` (Cloud "
        "Functions takes it as an int32, so at most 2147483647). 0 lets the "
        "first login after idling wait for a cold start. Default: 0."
    )
    max_instances: NotRequired[int]
    (
        "Upper bound on token proxy instances: a whole number from 1 to 2147483647 (Cloud "
        "Functions takes it as an int32); each instance serves "
        "up to 32 token exchanges at once. Default: 10."
    )
    protect: NotRequired[bool]
    (
        "Protect the Auth0 connection and its enabled applications from deletion and "
        "replacement (a replaced connection orphans its users): true or false. Must be true "
        "when `production` is. Default: false."
    )
    retain_on_delete: NotRequired[bool]
    (
        "Leave the Auth0 connection in Auth0, with its users, when Pulumi deletes it (a destroy, "
        "a replacement, this component renamed): true or false. Turn it off only for throwaway "
        "stacks whose users may go. Default: true."
    )
    production: NotRequired[bool]
    (
        "Marks a production connection: true or false. `protect` must then be true (checked "
        "before anything is declared); it is written to the connection's metadata, where "
        "policy packs read it. Default: false."
    )
    replace_connection: NotRequired[str]
    (
        "The name of the deployed Auth0 connection that this change replaces, to acknowledge a "
        "new `connection_name` (checked against the stack's last deployment, read once the "
        "stack has outputs; without it such a change is refused before anything is declared). "
        "Never `connection_name` itself. Remove it once deployed. Default: empty (no "
        "replacement)."
    )
    monitoring: NotRequired[bool]
    (
        "Declare the token proxy's monitoring: log-based metrics, alert policies, an uptime "
        "check on `/proxy/health` and a dashboard, in the proxy's GCP project: true or false. "
        "Default: true."
    )
    alert_notification_channels: NotRequired[pulumi.Input[Sequence[pulumi.Input[str]]]]
    (
        "Existing Cloud Monitoring notification channels every alert is sent to, each "
        "`projects/<project>/notificationChannels/<id>`; only with `monitoring` true. Without "
        "any, incidents still open in Cloud Monitoring. Default: none."
    )
    alert_upstream_failures: NotRequired[int]
    (
        "Token exchanges TikTok failed (timed out, unreachable, 5xx, rate limited, unusable "
        "answer) in any 5 minutes above which the upstream alert fires: a whole number, 0 or "
        "more. Default: 3."
    )
    alert_refused_calls: NotRequired[int]
    (
        "Token requests refused with `invalid_client` (wrong or missing proxy secret, unknown "
        "client id) in any 5 minutes above which the refused-callers alert fires: a whole "
        "number, 0 or more. Default: 5."
    )
    alert_latency_p95_ms: NotRequired[int]
    (
        "95th percentile of token-exchange latency, in milliseconds, above which (held for 5 "
        "minutes) the latency alert fires: a whole number from 100 to 60000. Default: 4000."
    )
    proxy_secret_generation: NotRequired[int]
    (
        "Generation of the proxy secret: a whole number, 0 or more. Raising it by one "
        "generates a new secret, which becomes Secret Manager's latest version, the function's "
        "`PROXY_SECRET` and then Auth0's header, in that order. Default: 0."
    )
    proxy_secret_keep_previous: NotRequired[bool]
    (
        "While true, the function also accepts the previous generation's secret "
        "(`PROXY_SECRET_PREVIOUS`), so no login fails during a rotation; set it with the raised "
        "generation and back to false in a second change: true or false. Default: false."
    )


class TikTokLogin(pulumi.ComponentResource):
    """TikTok login behind Auth0: an Auth0 custom social connection for TikTok and the token
    proxy TikTok needs, a 2nd-gen Cloud Function, wired together in one deployment.

    The connection's token URL, proxy-secret header and secret come from its own proxy, and its
    profile script is rendered from its own scopes and user id field. Every GCP resource is
    named from the component's name and the stack (`<name>-token-proxy-<stack>`), so several
    instances coexist in one stack and one project. Unusable arguments, and a change that would
    replace the deployed connection without `replace_connection`, raise an error naming each
    one, before anything is declared.
    """

    token_url: pulumi.Output[str]
    """HTTPS URL of the token proxy, which the connection uses as its token URL."""
    connection_id: pulumi.Output[str]
    """Id of the Auth0 connection (`con_` and 16 letters and digits)."""
    connection_name: pulumi.Output[str]
    """Name of the Auth0 connection; its users' ids read `oauth2|<name>|<TikTok id>`."""
    function_name: pulumi.Output[str]
    (
        "Name of the token proxy's Cloud Function, `<name>-token-proxy-<stack>`: at most 63 "
        "characters, a longer one cut and ended with 6 hex digits of a hash."
    )
    function_url: pulumi.Output[str]
    """HTTPS URL of the token proxy's Cloud Function (the same as `token_url`)."""
    proxy_source_sha256: pulumi.Output[str]
    (
        "SHA-256 of the deployed token proxy source (its file names and contents), 64 lowercase "
        "hex digits."
    )
    profile_script_sha256: pulumi.Output[str]
    """SHA-256 of the profile script deployed to Auth0, 64 lowercase hex digits."""
    proxy_secret_id: pulumi.Output[str]
    (
        "Secret Manager name of the proxy secret, `projects/<project>/secrets/<id>`: where "
        "`make doctor` reads its latest version. A name, never the secret's value."
    )
    alert_policies: Optional[pulumi.Output[dict[str, str]]]  # noqa: UP045 - read by the analyzer
    (
        "The alert policies, by what they watch (`tiktokRefusesCredentials`, "
        "`tiktokUnavailable`, `refusedCallers`, `slowExchanges`, `healthCheckFails`), each "
        "`projects/<project>/alertPolicies/<id>`. Absent with `monitoring` false."
    )
    uptime_check: Optional[pulumi.Output[str]]  # noqa: UP045 - read by the analyzer
    (
        "The uptime check on the proxy's `/proxy/health`, "
        "`projects/<project>/uptimeCheckConfigs/<id>`. Absent with `monitoring` false."
    )
    dashboard: Optional[pulumi.Output[str]]  # noqa: UP045 - read by the analyzer
    (
        "The proxy's Cloud Monitoring dashboard, `projects/<project>/dashboards/<id>`. Absent "
        "with `monitoring` false."
    )

    def __init__(
        self, name: str, args: TikTokLoginArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        """Declare the proxy and the connection. `name`: lowercase letters, digits and dashes,
        starting with a letter. Raises InvalidArgumentsError (a pulumi.RunError, printed without a
        traceback) listing every unusable argument, before anything is declared."""
        settings, replacement = _settings(name, args)
        super().__init__(type_token("TikTokLogin"), name, None, opts)
        proxy = self._create_proxy(name, settings)
        connection = self._create_connection(name, settings, proxy, replacement)

        self.token_url = proxy.url
        self.connection_id = connection.connection_id
        self.connection_name = connection.connection_name
        self.function_name = proxy.function_name
        self.function_url = proxy.url
        self.proxy_source_sha256 = pulumi.Output.from_input(proxy.source_sha256)
        self.profile_script_sha256 = pulumi.Output.from_input(connection.profile_script_sha256)
        self.proxy_secret_id = proxy.proxy_secret_id
        self.alert_policies = proxy.alert_policies
        self.uptime_check = proxy.uptime_check
        self.dashboard = proxy.dashboard
        monitoring = {
            key: value
            for key, value in (
                ("alert_policies", self.alert_policies),
                ("uptime_check", self.uptime_check),
                ("dashboard", self.dashboard),
            )
            if value is not None
        }
        self.register_outputs(
            {
                "token_url": self.token_url,
                "connection_id": self.connection_id,
                "connection_name": self.connection_name,
                "function_name": self.function_name,
                "function_url": self.function_url,
                "proxy_source_sha256": self.proxy_source_sha256,
                "profile_script_sha256": self.profile_script_sha256,
                "proxy_secret_id": self.proxy_secret_id,
                **monitoring,
            }
        )

    def _create_proxy(self, name: str, settings: dict[str, Any]) -> TokenProxy:
        return TokenProxy(
            name,
            TokenProxyArgs(
                client_key=settings["client_key"],
                gcp_project=settings["gcp_project"],
                gcp_region=settings["gcp_region"],
                min_instances=settings["min_instances"],
                max_instances=settings["max_instances"],
                **{key: settings[key] for key in OPERATIONS_ARGS},  # type: ignore[typeddict-item]
            ),
            opts=pulumi.ResourceOptions(parent=self, aliases=_compat.proxy_aliases(name)),
        )

    def _create_connection(
        self, name: str, settings: dict[str, Any], proxy: TokenProxy, replacement: Replacement
    ) -> TikTokConnection:
        return TikTokConnection(
            name,
            TikTokConnectionArgs(
                proxy=proxy,
                client_key=settings["client_key"],
                client_secret=settings["client_secret"],
                scopes=settings["scopes"],
                user_id_field=settings["user_id_field"],
                enabled_clients=settings["enabled_clients"],
                connection_name=settings["connection_name"],
                display_name=settings["display_name"],
                protect=settings["protect"],
                retain_on_delete=settings["retain_on_delete"],
                production=settings["production"],
                replace_connection=settings["replace_connection"],
            ),
            opts=pulumi.ResourceOptions(parent=self, aliases=_compat.connection_aliases(name)),
            replacement=replacement,
        )


# The schema's description of the component: the docstring without Python's indentation.
TikTokLogin.__doc__ = inspect.cleandoc(TikTokLogin.__doc__ or "")


def _settings(name: str, args: TikTokLoginArgs) -> tuple[dict[str, Any], Replacement]:
    """The arguments with defaults applied, and what the run does to the deployed connection;
    raises InvalidArgumentsError listing every problem."""
    project, region = gcp_location(args.get("gcp_project"), args.get("gcp_region"))
    given: dict[str, Any] = dict(args)
    settings = {
        key: given.get(key, validation.DEFAULTS.get(key)) for key in TikTokLoginArgs.__annotations__
    }
    settings["connection_name"] = given.get("connection_name", name)
    settings["gcp_project"], settings["gcp_region"] = project, region
    if isinstance(settings["scopes"], list | tuple):
        settings["scopes"] = tuple(settings["scopes"])
    problems = validation.check_component_name(name) + validation.check_stack_name(
        pulumi.get_stack()
    )
    problems += validation.check_keys(
        given, TikTokLoginArgs.__annotations__, "TikTokLogin", _names.argument_name
    )
    problems += validation.check(settings, labels=_names.labels(settings))
    if problems:
        raise _unusable(name, problems)
    # Only once the arguments are usable: read the stack's state for the deployed connection.
    replacement = replacement_of(name, settings)
    if replacement.problems():
        raise _unusable(name, replacement.problems())
    return settings, replacement


def _unusable(name: str, problems: list[str]) -> validation.InvalidArgumentsError:
    # Named as the caller spelled them (`_names`): the schema's names for the plugin's programs
    # in other languages, the Python ones for a Python program.
    spelled = " (named as in the schema)" if _names.as_schema() else ""
    return validation.InvalidArgumentsError(
        f"TikTokLogin {name!r}: arguments are not usable{spelled}", problems
    )
