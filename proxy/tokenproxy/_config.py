"""The proxy's settings, read once from the environment at start-up.

Precedence is simple: an environment variable when set and non-empty, else the default; but a
PROXY_SECRET set blank, or an ALLOWED_CLIENT_KEYS set without a key, is refused rather than read as
unset, since either would admit every caller where the operator meant to narrow them. Every
value is checked before the first request: one that cannot be used stops the process at start-up
with a message naming the variable and what it allows (all problems at once), so a broken
deployment fails its health check instead of failing logins. Messages never repeat a secret.

On Cloud Run (which sets K_SERVICE, also for 2nd-gen Cloud Functions: cloud.google.com/run/docs/
container-contract#env-vars) the proxy admits the whole internet, so PROXY_SECRET is required
there: without it the proxy refuses to start rather than serve anyone.
"""

from __future__ import annotations

import math
import os
import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

__all__ = ["DEFAULT_TOKEN_URL", "ConfigError", "Settings"]

DEFAULT_TOKEN_URL = "https://open.tiktokapis.com/v2/oauth/token/"  # noqa: S105 - a URL
DEFAULT_SECRET_HEADER = "X-Proxy-Secret"  # noqa: S105 - a header name
# RFC 9110 section 5.6.2: a header name is a token.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# Headers the proxy reads for other purposes (x-proxy-probe is _app.PROBE_HEADER: carrying the
# secret in it would log every login as a probe), or that a proxy in front may rewrite.
_RESERVED_HEADERS = frozenset(
    {
        "authorization",
        "content-type",
        "content-length",
        "transfer-encoding",
        "host",
        "connection",
        "x-proxy-probe",
    }
)
# Visible ASCII: what a header value can carry unchanged (RFC 9110 section 5.5).
_VISIBLE = re.compile(r"[\x21-\x7e]+")


class ConfigError(ValueError):
    """One or more environment variables hold values the proxy cannot use.

    The message lists each problem on its own line as "<VARIABLE> must ...", with the value
    when it is not secret and what to set instead.
    """


@dataclass(frozen=True, repr=False)
class Settings:
    """What the proxy runs with; build it with `from_env()`, which checks every value.

    `token_url`: TikTok's token endpoint (TIKTOK_TOKEN_URL), an absolute http(s) URL.
    `proxy_secret`: when set (PROXY_SECRET), every request must carry it in the header named
    `proxy_secret_header` (PROXY_SECRET_HEADER); set but blank, it is refused.
    `proxy_secret_previous` (PROXY_SECRET_PREVIOUS, only beside PROXY_SECRET; blank: none) is
    accepted in the same header too, so a rotation never fails a login in flight.
    `allowed_client_keys`: client keys the proxy forwards (ALLOWED_CLIENT_KEYS; unset: any; set
    without a key: refused). `upstream_timeout` and `body_timeout`: seconds to wait for TikTok and
    for the caller's body (UPSTREAM_TIMEOUT_SECONDS, REQUEST_BODY_TIMEOUT_SECONDS).
    `max_body_bytes`: the largest request body accepted. `upstream_connections`: connections to
    TikTok, and token requests in flight, per worker (UPSTREAM_MAX_CONNECTIONS, 1-1000).
    `upstream_ca_file`: a PEM file of CA certificates to trust for TIKTOK_TOKEN_URL instead of the
    public roots (UPSTREAM_CA_FILE; e.g. behind a TLS-inspecting egress proxy, or a private test
    endpoint). `upstream_proxy`: an http(s) proxy for requests to TikTok (UPSTREAM_PROXY_URL);
    HTTP_PROXY/HTTPS_PROXY are ignored, so a proxy is used only when configured here on purpose.
    """

    token_url: str = DEFAULT_TOKEN_URL
    proxy_secret: str | None = None
    proxy_secret_previous: str | None = None
    proxy_secret_header: str = DEFAULT_SECRET_HEADER
    allowed_client_keys: frozenset[str] = frozenset()
    upstream_timeout: float = 10.0
    body_timeout: float = 10.0
    max_body_bytes: int = 16 * 1024
    upstream_connections: int = 32
    upstream_ca_file: str | None = None
    upstream_proxy: str | None = None

    def __repr__(self) -> str:
        # The proxy secret must never reach a log through a repr.
        secret = "set" if self.proxy_secret else "unset"
        previous = "set" if self.proxy_secret_previous else "unset"
        return (
            f"Settings(token_url={self.token_url!r}, proxy_secret=<{secret}>, "
            f"proxy_secret_previous=<{previous}>)"
        )

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and check every setting; raise ConfigError listing each unusable variable."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        problems: list[str] = []
        token_url = get("TIKTOK_TOKEN_URL") or DEFAULT_TOKEN_URL
        problems += _check_url(token_url, "TIKTOK_TOKEN_URL")
        timeout = _seconds(get("UPSTREAM_TIMEOUT_SECONDS"), "UPSTREAM_TIMEOUT_SECONDS", problems)
        body_timeout = _seconds(
            get("REQUEST_BODY_TIMEOUT_SECONDS"), "REQUEST_BODY_TIMEOUT_SECONDS", problems
        )
        proxy_secret = get("PROXY_SECRET")
        if proxy_secret is None and "PROXY_SECRET" in env:
            # Set but blank: whoever set it meant the proxy to check a secret, so running without
            # one would open it to anyone; refuse rather than guess (off Cloud Run too).
            problems.append(
                "PROXY_SECRET is set but blank, which would let any caller through; set it to "
                "the secret every request must carry, or unset it to run without one (allowed "
                "only off Cloud Run)"
            )
        elif proxy_secret is None and get("K_SERVICE"):
            problems.append(
                "PROXY_SECRET must be set on Cloud Run (K_SERVICE is set): without it anyone on "
                "the internet could use the proxy; give the function its secret from Secret "
                "Manager, as the TokenProxy component does"
            )
        previous = get("PROXY_SECRET_PREVIOUS")  # blank: no previous secret
        for name, value in (("PROXY_SECRET", proxy_secret), ("PROXY_SECRET_PREVIOUS", previous)):
            if value is not None and not _VISIBLE.fullmatch(value):
                problems.append(
                    f"{name} must be visible ASCII without spaces (it travels in a header); "
                    "generate a new one"
                )
        if previous is not None and proxy_secret is None:
            problems.append(
                "PROXY_SECRET_PREVIOUS is only accepted beside PROXY_SECRET; set PROXY_SECRET to "
                "the current secret, or unset PROXY_SECRET_PREVIOUS"
            )
        header = get("PROXY_SECRET_HEADER") or DEFAULT_SECRET_HEADER
        if not _TOKEN.fullmatch(header):
            problems.append(
                f"PROXY_SECRET_HEADER must be an HTTP header name (letters, digits, '-'), "
                f"got {header!r}"
            )
        elif header.lower() in _RESERVED_HEADERS:
            problems.append(
                f"PROXY_SECRET_HEADER must not be {header!r}, which the proxy or HTTP itself "
                f"uses; use e.g. {DEFAULT_SECRET_HEADER}"
            )
        connections = _count(
            get("UPSTREAM_MAX_CONNECTIONS"), "UPSTREAM_MAX_CONNECTIONS", problems, default=32
        )
        ca_file = get("UPSTREAM_CA_FILE")
        if ca_file is not None:
            problems += _check_ca_file(ca_file, "UPSTREAM_CA_FILE")
        upstream_proxy = get("UPSTREAM_PROXY_URL")
        if upstream_proxy is not None and (problem := _url_problem(upstream_proxy, creds=True)):
            problems.append(
                f"UPSTREAM_PROXY_URL {problem}; set it to an http(s) proxy URL such as "
                f"http://proxy.internal:3128, or leave it unset"
            )
        keys = tuple(k.strip() for k in env.get("ALLOWED_CLIENT_KEYS", "").split(",") if k.strip())
        if not keys and "ALLOWED_CLIENT_KEYS" in env:
            # Set but naming no key: an allow-list meant to narrow the callers must not admit all.
            problems.append(
                "ALLOWED_CLIENT_KEYS is set but names no client key; list the keys to forward, "
                "separated by commas (e.g. ALLOWED_CLIENT_KEYS=sbawexample), or unset it to "
                "forward any key"
            )
        elif not all(_VISIBLE.fullmatch(k) for k in keys):
            problems.append(
                "ALLOWED_CLIENT_KEYS must be client keys separated by commas "
                "(no spaces or other characters inside a key)"
            )
        if problems:
            raise ConfigError("proxy settings are not usable:\n  - " + "\n  - ".join(problems))
        return cls(
            token_url=token_url,
            proxy_secret=proxy_secret,
            proxy_secret_previous=previous,
            proxy_secret_header=header,
            allowed_client_keys=frozenset(keys),
            upstream_timeout=timeout,
            body_timeout=body_timeout,
            upstream_connections=connections,
            upstream_ca_file=ca_file,
            upstream_proxy=upstream_proxy,
        )


def _check_url(url: str, name: str) -> list[str]:
    """Problems with an upstream URL; the value is not repeated (it might carry credentials)."""
    problem = _url_problem(url)
    if problem is None:
        return []
    return [f"{name} {problem}; set it to an absolute http(s) URL such as {DEFAULT_TOKEN_URL}"]


def _check_ca_file(path: str, name: str) -> list[str]:
    """Problems with a CA bundle: it must load as PEM certificates, as the client will load it."""
    try:
        ssl.create_default_context(cafile=path)
    except (OSError, ssl.SSLError, ValueError):
        return [f"{name} must be a readable PEM file of CA certificates; could not load {path!r}"]
    return []


def _url_problem(url: str, *, creds: bool = False) -> str | None:
    if not _VISIBLE.fullmatch(url):
        return "must not contain spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parses the port, raising ValueError when it is not one
        # The client's own parser is stricter (e.g. an IPv4 address like 999.1.1.1, an IDNA
        # label): what it refuses would fail every exchange with a 500, so refuse it here.
        httpx.URL(url).host  # noqa: B018 - decodes the host as each request will
    except (ValueError, httpx.InvalidURL):  # IDNA errors are UnicodeError, a ValueError
        return "must be a URL with a valid host and port"
    checks = (
        (parts.scheme not in ("http", "https"), "must be an http(s) URL"),
        (not parts.hostname, "must name a host"),
        (parts.username is not None and not creds, "must not carry credentials (user:password@)"),
        (bool(parts.fragment) or url.endswith("#"), "must not have a fragment (#...)"),
    )
    return next((problem for failed, problem in checks if failed), None)


def _count(raw: str | None, name: str, problems: list[str], *, default: int) -> int:
    if raw is None:
        return default
    # isascii: str.isdigit() also admits characters such as "²" that int() cannot read.
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= 1000:
        problems.append(f"{name} must be a whole number from 1 to 1000, got {raw!r}")
        return default
    return int(raw)


def _seconds(raw: str | None, name: str, problems: list[str], default: float = 10.0) -> float:
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        problems.append(f"{name} must be a number of seconds, got {raw!r}")
        return default
    if not math.isfinite(value) or value <= 0:
        problems.append(f"{name} must be greater than 0 and finite, got {raw!r}")
    return value
