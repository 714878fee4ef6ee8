"""The Pulumi side: stack config, and the two components another program can reuse.

from tiktok_auth0 import TikTokConnection, TikTokConnectionArgs, TokenProxy, TokenProxyArgs
"""

from .config import ConfigError, StackConfig, load
from .connection import TikTokConnection, TikTokConnectionArgs, upstream_params
from .profile_script import render_profile_script
from .proxy_source import ProxySource, proxy_source
from .token_proxy import PROXY_SECRET_HEADER, TokenProxy, TokenProxyArgs

__all__ = [
    "PROXY_SECRET_HEADER",
    "ConfigError",
    "ProxySource",
    "StackConfig",
    "TikTokConnection",
    "TikTokConnectionArgs",
    "TokenProxy",
    "TokenProxyArgs",
    "load",
    "proxy_source",
    "render_profile_script",
    "upstream_params",
]
