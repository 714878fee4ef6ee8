"""TikTok login behind Auth0, as Pulumi components.

    from tiktok_auth0 import TikTokLogin, TikTokLoginArgs

`TikTokLogin` declares the Auth0 connection and its token proxy and wires them; `TokenProxy` and
`TikTokConnection` are its two parts, for programs that need to arrange them differently. The
stack config loader (`load`) is what this repository's own stacks use.
"""

from importlib.metadata import version as _version

from ._tokens import PACKAGE
from .config import ConfigError, StackConfig, load
from .connection import TikTokConnection, TikTokConnectionArgs, upstream_params
from .login import TikTokLogin, TikTokLoginArgs
from .profile_script import render_profile_script
from .proxy_source import ProxySource, proxy_source
from .tiktok import AUTHORIZE_URL
from .token_proxy import PROXY_SECRET_HEADER, TokenProxy, TokenProxyArgs
from .validation import InvalidArgumentsError

__version__ = _version("tiktok-auth0")

__all__ = [
    "AUTHORIZE_URL",
    "PACKAGE",
    "PROXY_SECRET_HEADER",
    "ConfigError",
    "InvalidArgumentsError",
    "ProxySource",
    "StackConfig",
    "TikTokConnection",
    "TikTokConnectionArgs",
    "TikTokLogin",
    "TikTokLoginArgs",
    "TokenProxy",
    "TokenProxyArgs",
    "load",
    "proxy_source",
    "render_profile_script",
    "upstream_params",
]
