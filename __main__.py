"""TikTok login behind Auth0: stack config -> the token proxy and the connection -> exports."""

from __future__ import annotations

import pulumi

from tiktok_auth0 import outputs
from tiktok_auth0.config import load
from tiktok_auth0.connection import TikTokConnection, TikTokConnectionArgs
from tiktok_auth0.profile_script import render_profile_script, sha256_hex
from tiktok_auth0.proxy_source import proxy_source
from tiktok_auth0.tiktok import AUTHORIZE_URL
from tiktok_auth0.token_proxy import PROXY_SECRET_HEADER, TokenProxy, TokenProxyArgs

config = load()
source = proxy_source()
profile_script = render_profile_script(config.scopes, config.user_id_field)

proxy = TokenProxy(
    "token-proxy",
    TokenProxyArgs(
        source=source,
        allowed_client_key=config.client_key,
        project=config.gcp_project,
        region=config.gcp_region,
        stack=pulumi.get_stack(),
        max_instances=config.max_instances,
        min_instances=config.min_instances,
    ),
)
connection = TikTokConnection(
    "tiktok",
    TikTokConnectionArgs(
        connection_name=config.connection_name,
        display_name=config.display_name,
        client_key=config.client_key,
        client_secret=config.client_secret,
        scopes=config.scopes,
        token_url=proxy.url,
        profile_script=profile_script,
        proxy_secret_header=PROXY_SECRET_HEADER,
        proxy_secret=proxy.proxy_secret,
        enabled_clients=config.enabled_clients,
        protect=config.protect,
        production=config.production,
        stack=pulumi.get_stack(),
    ),
)

pulumi.export(outputs.CONNECTION_ID, connection.connection_id)
pulumi.export(outputs.CONNECTION_NAME, connection.connection_name)
pulumi.export(outputs.AUTHORIZATION_URL, AUTHORIZE_URL)
pulumi.export(outputs.TOKEN_URL, proxy.url)
pulumi.export(outputs.SCOPES, list(config.scopes))
pulumi.export(outputs.ENABLED_CLIENTS, list(config.enabled_clients))
pulumi.export(outputs.FUNCTION_NAME, proxy.function_name)
pulumi.export(outputs.FUNCTION_URL, proxy.url)
pulumi.export(outputs.FUNCTION_REGION, config.gcp_region)
pulumi.export(outputs.GCP_PROJECT, config.gcp_project)
pulumi.export(outputs.PROXY_SOURCE_SHA256, source.sha256)
pulumi.export(outputs.PROFILE_SCRIPT_SHA256, sha256_hex(profile_script))
pulumi.export(outputs.PROXY_SECRET_HEADER, PROXY_SECRET_HEADER)
