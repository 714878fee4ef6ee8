"""TikTok as an Auth0 custom social connection (strategy oauth2), and the apps it is enabled for."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_auth0 as auth0

from .tiktok import AUTHORIZE_URL

__all__ = ["TikTokConnection", "TikTokConnectionArgs", "upstream_params"]


@dataclass
class TikTokConnectionArgs:
    connection_name: str
    display_name: str
    client_key: str
    client_secret: pulumi.Input[str]
    scopes: tuple[str, ...]
    token_url: pulumi.Input[str]
    profile_script: str
    proxy_secret_header: str
    proxy_secret: pulumi.Input[str]
    enabled_clients: tuple[str, ...]
    protect: bool
    production: bool
    stack: str


def upstream_params(client_key: str) -> str:
    """Adds client_key to the authorize redirect; compact and sorted, so a refresh shows no diff."""
    return json.dumps({"client_key": {"value": client_key}}, sort_keys=True, separators=(",", ":"))


class TikTokConnection(pulumi.ComponentResource):
    """The connection users log in through; `protect` guards it (a replacement orphans users)."""

    connection_id: pulumi.Output[str]
    connection_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: TikTokConnectionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tiktok:auth0:SocialConnection", name, None, opts)
        connection = auth0.Connection(
            f"{name}-connection",
            name=args.connection_name,
            display_name=args.display_name,
            strategy="oauth2",
            # Read by the policy pack: a production stack's connection must be protected.
            metadata={"pulumi-stack": args.stack, "production": str(args.production).lower()},
            options=auth0.ConnectionOptionsArgs(
                authorization_endpoint=AUTHORIZE_URL,
                token_endpoint=args.token_url,
                client_id=args.client_key,
                client_secret=pulumi.Output.secret(args.client_secret),
                # One comma-joined value: TikTok rejects space-separated scopes, and the provider
                # joins list items with spaces.
                scopes=[",".join(args.scopes)],
                upstream_params=upstream_params(args.client_key),
                scripts={"fetchUserProfile": args.profile_script},
                custom_headers=[
                    auth0.ConnectionOptionsCustomHeaderArgs(
                        header=args.proxy_secret_header,
                        value=pulumi.Output.secret(args.proxy_secret),
                    )
                ],
                set_user_root_attributes="on_each_login",
                pkce_enabled=False,  # TikTok's web flow has no PKCE; the proxy holds no verifier
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        # ConnectionClients owns the whole list of enabled apps; never mix it with ConnectionClient.
        auth0.ConnectionClients(
            f"{name}-clients",
            connection_id=connection.id,
            enabled_clients=list(args.enabled_clients),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.connection_id = connection.id
        self.connection_name = connection.name
        self.register_outputs(
            {"connection_id": self.connection_id, "connection_name": self.connection_name}
        )
