"""TikTok as an Auth0 custom social connection (strategy oauth2), and the apps it is enabled for."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_auth0 as auth0

from . import _names, validation
from ._replacement import Replacement, check_replacement
from ._tokens import type_token
from .profile_script import render_profile_script, sha256_hex
from .tiktok import AUTHORIZE_URL
from .token_proxy import TokenProxy

__all__ = ["TikTokConnection", "TikTokConnectionArgs", "replacement_of", "upstream_params"]


class TikTokConnectionArgs(TypedDict):
    """The connection's settings; the token URL and proxy secret come from `proxy`."""

    proxy: TokenProxy
    """The token proxy the connection sends its token requests to, with that proxy's secret."""
    client_key: str
    """Client key of the TikTok app."""
    client_secret: pulumi.Input[str]
    """Client secret of the TikTok app; kept secret (marked secret here if it is not already)."""
    scopes: NotRequired[Sequence[str]]
    """TikTok scopes; must include user.info.basic (default: just that one)."""
    user_id_field: NotRequired[str]
    """`union_id` (default) or `open_id`: the TikTok id that becomes the Auth0 user_id."""
    enabled_clients: NotRequired[pulumi.Input[Sequence[pulumi.Input[str]]]]
    """Auth0 client ids the connection is enabled for; this list owns the whole set."""
    connection_name: NotRequired[str]
    """Auth0 connection name (letters, digits, dashes); defaults to the component's name."""
    display_name: NotRequired[str]
    """Label of the login button (default `TikTok`)."""
    protect: NotRequired[bool]
    """Protect the connection and its enabled applications from deletion and replacement."""
    retain_on_delete: NotRequired[bool]
    """Leave the connection in Auth0, with its users, when Pulumi deletes it (default true)."""
    production: NotRequired[bool]
    """A production connection: `protect` must be true (default false); in its metadata."""
    replace_connection: NotRequired[str]
    """The deployed connection's name, acknowledging that a new name replaces it (default "")."""


def replacement_of(name: str, settings: dict[str, Any]) -> Replacement:
    """What this run does to the deployed connection of the component `name` (reads the state)."""
    return check_replacement(
        name,
        settings["connection_name"],
        settings["replace_connection"],
        retain_on_delete=settings["retain_on_delete"],
    )


def upstream_params(client_key: str) -> str:
    """Adds client_key to the authorize redirect; compact and sorted, so a refresh shows no diff."""
    return json.dumps({"client_key": {"value": client_key}}, sort_keys=True, separators=(",", ":"))


class TikTokConnection(pulumi.ComponentResource):
    """The connection users log in through, wired to one token proxy.

    Its profile script is rendered from its own scopes and user id field (asking for a field the
    scopes do not unlock fails every login), and its token URL, proxy-secret header and secret all
    come from the same `TokenProxy`. `protect` guards it and its enabled applications; it is
    retained in Auth0 when deleted unless `retain_on_delete` is false; a run that would replace
    the deployed connection (a new `connection_name`) is refused unless `replace_connection` names
    it. Raises `InvalidArgumentsError` for unusable arguments, before declaring anything.
    `replacement`: what `check_replacement` found, when the caller already read the stack's state.
    """

    connection_id: pulumi.Output[str]
    """The Auth0 connection id (`con_...`)."""
    connection_name: pulumi.Output[str]
    """The Auth0 connection name."""
    profile_script_sha256: str
    """SHA-256 (hex) of the rendered profile script."""

    def __init__(
        self,
        name: str,
        args: TikTokConnectionArgs,
        opts: pulumi.ResourceOptions | None = None,
        *,
        replacement: Replacement | None = None,
    ) -> None:
        given: dict[str, Any] = dict(args)
        settings: dict[str, Any] = {
            key: given.get(key, validation.DEFAULTS.get(key))
            for key in TikTokConnectionArgs.__annotations__
            if key != "proxy"
        }
        settings["connection_name"] = given.get("connection_name", name)
        if isinstance(settings["scopes"], list):
            settings["scopes"] = tuple(settings["scopes"])
        problems = validation.check_keys(
            args, TikTokConnectionArgs.__annotations__, "TikTokConnection", _names.argument_name
        )
        if not isinstance(args.get("proxy"), TokenProxy):
            problems.append("proxy: required; the TokenProxy this connection sends tokens to")
        problems += validation.check(settings, labels=_names.labels(settings))
        if problems:
            raise validation.InvalidArgumentsError(f"TikTokConnection {name!r}", problems)
        replacement = replacement or replacement_of(name, settings)
        if replacement.problems():
            raise validation.InvalidArgumentsError(
                f"TikTokConnection {name!r}", replacement.problems()
            )
        super().__init__(type_token("TikTokConnection"), name, None, opts)
        self._name, self._settings, self._proxy = name, settings, args["proxy"]
        # An acknowledged replacement lifts `protect` for this run only: the engine lets a
        # resource be unprotected and replaced in one update, and protects the new one next time.
        self._replaced = replacement.replaced
        self._protect = settings["protect"] and not self._replaced
        for warning in replacement.warnings():
            pulumi.log.warn(f"TikTokConnection {name!r}: {warning}", resource=self)
        script = render_profile_script(settings["scopes"], settings["user_id_field"])

        connection = self._create_connection(script)
        self._create_enabled_clients(connection)

        self.connection_id = connection.id
        self.connection_name = connection.name
        self.profile_script_sha256 = sha256_hex(script)
        self.register_outputs(
            {
                "connection_id": self.connection_id,
                "connection_name": self.connection_name,
                "profile_script_sha256": self.profile_script_sha256,
            }
        )

    def _create_connection(self, profile_script: str) -> auth0.Connection:
        settings, proxy = self._settings, self._proxy
        return auth0.Connection(
            f"{self._name}-connection",
            name=settings["connection_name"],
            display_name=settings["display_name"],
            strategy="oauth2",
            metadata=self._metadata(),
            options=auth0.ConnectionOptionsArgs(
                authorization_endpoint=AUTHORIZE_URL,
                token_endpoint=proxy.url,
                client_id=settings["client_key"],
                client_secret=pulumi.Output.secret(settings["client_secret"]),
                # One comma-joined value: TikTok rejects space-separated scopes, and the provider
                # joins list items with spaces.
                scopes=[",".join(settings["scopes"])],
                upstream_params=upstream_params(settings["client_key"]),
                scripts={"fetchUserProfile": profile_script},
                custom_headers=[
                    auth0.ConnectionOptionsCustomHeaderArgs(
                        header=proxy.proxy_secret_header,
                        value=pulumi.Output.secret(proxy.proxy_secret),
                    )
                ],
                set_user_root_attributes="on_each_login",
                pkce_enabled=False,  # TikTok's web flow has no PKCE; the proxy holds no verifier
            ),
            opts=pulumi.ResourceOptions(
                parent=self,
                protect=self._protect,
                # Deleting the connection (a destroy, a rename of this component, a replacement)
                # would delete its users' links to TikTok; retained, they stay in Auth0.
                retain_on_delete=settings["retain_on_delete"],
            ),
        )

    def _metadata(self) -> dict[str, str]:
        # What the policy pack's production-connection-protected reads: a production connection
        # is protected, except in the one run that replaces it as acknowledged (`replaces`).
        metadata = {
            "pulumi-stack": pulumi.get_stack(),
            "production": str(self._settings["production"]).lower(),
        }
        return metadata | ({"replaces": self._replaced} if self._replaced else {})

    def _create_enabled_clients(self, connection: auth0.Connection) -> None:
        clients = self._settings["enabled_clients"]
        # ConnectionClients owns the whole list of enabled apps; never mix it with ConnectionClient.
        auth0.ConnectionClients(
            f"{self._name}-clients",
            connection_id=connection.id,
            enabled_clients=clients if isinstance(clients, pulumi.Output) else list(clients),
            opts=pulumi.ResourceOptions(parent=self, protect=self._protect),
        )
