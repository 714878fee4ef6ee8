"""The proxy's settings, read once from the environment at start-up.

Precedence is simple: an environment variable when set and non-empty, else the default. A value
that cannot be used stops the process at start-up with a message naming the variable, so a broken
deployment fails its health check instead of failing logins.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["DEFAULT_TOKEN_URL", "ConfigError", "Settings"]

DEFAULT_TOKEN_URL = "https://open.tiktokapis.com/v2/oauth/token/"  # noqa: S105 - a URL


class ConfigError(ValueError):
    """An environment variable holds a value the proxy cannot use."""


@dataclass(frozen=True, repr=False)
class Settings:
    token_url: str = DEFAULT_TOKEN_URL
    proxy_secret: str | None = None
    proxy_secret_header: str = "X-Proxy-Secret"  # noqa: S105 - a header name
    allowed_client_keys: frozenset[str] = frozenset()
    upstream_timeout: float = 10.0
    body_timeout: float = 10.0
    max_body_bytes: int = 16 * 1024

    def __repr__(self) -> str:
        # The proxy secret must never reach a log through a repr.
        secret = "set" if self.proxy_secret else "unset"
        return f"Settings(token_url={self.token_url!r}, proxy_secret=<{secret}>)"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        token_url = get("TIKTOK_TOKEN_URL") or DEFAULT_TOKEN_URL
        if not token_url.startswith(("https://", "http://")):
            raise ConfigError("TIKTOK_TOKEN_URL must be an http(s) URL")
        timeout = _positive_float(get("UPSTREAM_TIMEOUT_SECONDS"), "UPSTREAM_TIMEOUT_SECONDS", 10.0)
        body_timeout = _positive_float(
            get("REQUEST_BODY_TIMEOUT_SECONDS"), "REQUEST_BODY_TIMEOUT_SECONDS", 10.0
        )
        keys = get("ALLOWED_CLIENT_KEYS") or ""
        return cls(
            token_url=token_url,
            proxy_secret=get("PROXY_SECRET"),
            proxy_secret_header=get("PROXY_SECRET_HEADER") or "X-Proxy-Secret",
            allowed_client_keys=frozenset(k.strip() for k in keys.split(",") if k.strip()),
            upstream_timeout=timeout,
            body_timeout=body_timeout,
        )


def _positive_float(raw: str | None, name: str, default: float) -> float:
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not value > 0:
        raise ConfigError(f"{name} must be greater than 0, got {raw!r}")
    return value
