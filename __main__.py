"""TikTok login behind Auth0: stack config -> one TikTokLogin -> stack outputs.

This repository's stacks are the package's first consumer; another program does the same with
its own config. The instance is named `tiktok`: that keeps the resources stacks deployed with
0.1.0 (see tiktok_auth0/_compat.py).
"""

from __future__ import annotations

import pulumi

from tiktok_auth0 import AUTHORIZE_URL, PROXY_SECRET_HEADER, TikTokLogin, TikTokLoginArgs, load
from tiktok_auth0 import outputs as keys
from tiktok_auth0.config import stack_config_errors

config = load()
with stack_config_errors():  # a refusal names the keys of Pulumi.<stack>.yaml
    login = TikTokLogin(
        "tiktok",
        TikTokLoginArgs(
            client_key=config.client_key,
            client_secret=config.client_secret,
            scopes=config.scopes,
            user_id_field=config.user_id_field,
            enabled_clients=config.enabled_clients,
            connection_name=config.connection_name,
            display_name=config.display_name,
            gcp_project=config.gcp_project,
            gcp_region=config.gcp_region,
            min_instances=config.min_instances,
            max_instances=config.max_instances,
            protect=config.protect,
            retain_on_delete=config.retain_on_delete,
            production=config.production,
            replace_connection=config.replace_connection,
            monitoring=config.monitoring,
            alert_notification_channels=config.alert_notification_channels,
            alert_upstream_failures=config.alert_upstream_failures,
            alert_refused_calls=config.alert_refused_calls,
            alert_latency_p95_ms=config.alert_latency_p95_ms,
            proxy_secret_generation=config.proxy_secret_generation,
            proxy_secret_keep_previous=config.proxy_secret_keep_previous,
        ),
    )

pulumi.export(keys.CONNECTION_ID, login.connection_id)
pulumi.export(keys.CONNECTION_NAME, login.connection_name)
pulumi.export(keys.AUTHORIZATION_URL, AUTHORIZE_URL)
pulumi.export(keys.TOKEN_URL, login.token_url)
pulumi.export(keys.SCOPES, list(config.scopes))
pulumi.export(keys.ENABLED_CLIENTS, list(config.enabled_clients))
pulumi.export(keys.FUNCTION_NAME, login.function_name)
pulumi.export(keys.FUNCTION_URL, login.function_url)
pulumi.export(keys.FUNCTION_REGION, config.gcp_region)
pulumi.export(keys.GCP_PROJECT, config.gcp_project)
pulumi.export(keys.PROXY_SOURCE_SHA256, login.proxy_source_sha256)
pulumi.export(keys.PROFILE_SCRIPT_SHA256, login.profile_script_sha256)
pulumi.export(keys.PROXY_SECRET_HEADER, PROXY_SECRET_HEADER)
pulumi.export(keys.CLIENT_KEY, config.client_key)
pulumi.export(keys.PROXY_SECRET_ID, login.proxy_secret_id)
if login.alert_policies is not None:  # monitoring on
    pulumi.export(keys.ALERT_POLICIES, login.alert_policies)
    pulumi.export(keys.UPTIME_CHECK, login.uptime_check)
    pulumi.export(keys.DASHBOARD, login.dashboard)
