"""Every way a token exchange can fail, as one tree.

    ProxyError                  an answer with an RFC 6749 error body
    ├── RequestRejected         the caller's request is wrong (4xx); TikTok is never called
    ├── TikTokRefused           TikTok refused the grant: an OAuth error with HTTP 2xx or 4xx
    │                           (400, or 401 for invalid_client)
    └── UpstreamError           TikTok could not give a usable answer (5xx)
        ├── UpstreamTimeout         no answer within the timeout (504)
        ├── UpstreamUnreachable     connection refused, reset or closed early (502)
        ├── UpstreamRateLimited     HTTP 429, whatever the body says (503)
        ├── UpstreamServerError     HTTP 5xx, whatever the body says (502)
        └── UpstreamBadResponse     an answer that is not a JSON object, or another status (502)

A 429 or 5xx is never a refusal: for a refresh grant a 4xx tells the client to throw its refresh
token away, which an outage at TikTok must not cause.

Messages name fields and statuses, never values: a message may reach a log or a response body.
"""

from __future__ import annotations

__all__ = [
    "ProxyError",
    "RequestRejected",
    "TikTokRefused",
    "UpstreamBadResponse",
    "UpstreamError",
    "UpstreamRateLimited",
    "UpstreamServerError",
    "UpstreamTimeout",
    "UpstreamUnreachable",
]


class ProxyError(Exception):
    """Base class: carries what the proxy answers and how the log line classifies it."""

    status = 500
    error = "server_error"
    outcome = "error"

    def __init__(
        self,
        description: str,
        *,
        error: str | None = None,
        status: int | None = None,
        log_id: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(description)
        self.description = description
        if error is not None:
            self.error = error
        if status is not None:
            self.status = status
        self.log_id = log_id
        self.headers = headers or {}

    def body(self) -> dict[str, str]:
        body = {"error": self.error, "error_description": self.description}
        if self.log_id:
            body["log_id"] = self.log_id
        return body


class RequestRejected(ProxyError):
    status = 400
    error = "invalid_request"
    outcome = "rejected"


class TikTokRefused(ProxyError):
    status = 400
    error = "invalid_grant"
    outcome = "tiktok_error"


class UpstreamError(ProxyError):
    status = 502
    error = "server_error"
    outcome = "upstream_error"


class UpstreamTimeout(UpstreamError):
    status = 504
    error = "temporarily_unavailable"
    outcome = "upstream_timeout"


class UpstreamUnreachable(UpstreamError):
    outcome = "upstream_unreachable"


class UpstreamRateLimited(UpstreamError):
    status = 503
    error = "temporarily_unavailable"
    outcome = "upstream_rate_limited"


class UpstreamServerError(UpstreamError):
    outcome = "upstream_server_error"


class UpstreamBadResponse(UpstreamError):
    outcome = "upstream_bad_response"
