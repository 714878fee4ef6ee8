"""TikTok token proxy: makes TikTok's v2 token endpoint answer like a standard OAuth server."""

from ._app import HEALTH_ROUTE, PROBE_HEADER, ROUTES, TokenProxy
from ._config import DEFAULT_TOKEN_URL, ConfigError, Settings
from ._exceptions import (
    ProxyError,
    RequestRejected,
    TikTokRefused,
    UpstreamBadResponse,
    UpstreamError,
    UpstreamRateLimited,
    UpstreamServerError,
    UpstreamTimeout,
    UpstreamUnreachable,
)
from ._logging import write_startup_error
from ._oauth import TokenRequest, parse_body, parse_token_request, read_tiktok_answer
from ._tiktok import TikTokAnswer, TikTokTokenClient, encode_form

__all__ = [
    "DEFAULT_TOKEN_URL",
    "HEALTH_ROUTE",
    "PROBE_HEADER",
    "ROUTES",
    "ConfigError",
    "ProxyError",
    "RequestRejected",
    "Settings",
    "TikTokAnswer",
    "TikTokRefused",
    "TikTokTokenClient",
    "TokenProxy",
    "TokenRequest",
    "UpstreamBadResponse",
    "UpstreamError",
    "UpstreamRateLimited",
    "UpstreamServerError",
    "UpstreamTimeout",
    "UpstreamUnreachable",
    "encode_form",
    "parse_body",
    "parse_token_request",
    "read_tiktok_answer",
    "write_startup_error",
]
