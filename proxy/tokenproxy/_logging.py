"""One structured line per request, in the shape Cloud Logging parses from stdout.

Only the fields listed in ExchangeRecord are written; there is no free-form context, so a secret,
code or token cannot slip in through a dict.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, fields
from typing import TextIO

__all__ = ["ExchangeRecord", "write_record", "write_startup_error"]

# WARNING for what the caller or the user did (a refused request, a grant TikTok refused, a caller
# that went away before its body arrived); ERROR for what the proxy or TikTok got wrong.
SEVERITY_BY_OUTCOME = {
    "success": "INFO",
    "rejected": "WARNING",
    "tiktok_error": "WARNING",
    "client_disconnected": "WARNING",
}


@dataclass
class ExchangeRecord:
    """One request's log line: a JSON object on one line of stdout, which Cloud Logging parses
    into `jsonPayload`. These names and values are an interface: log-based metrics and alerts
    filter on them, so rename none without changing those. A field whose value is None is left
    out of the line.

    `method`, `path`: the request's, as received.
    `route`: the endpoint that served it: "token" (POST / and POST /proxy/token, Auth0's token
    request) or "health" (GET /proxy/health); absent when the path matches neither (404) or
    the method is not the route's (405, or 401 without the proxy secret): a GET or HEAD on the
    function URL is no token exchange, and no metric counts it.
    `probe`: always written. True for the health route, and for a token request that carries
    the `X-Proxy-Probe` header and passed the proxy-secret check (the doctor's dummy exchange);
    false otherwise. A probe is not a login: count logins with `probe` false.
    `status`: the HTTP status answered (499: the caller went away first).
    `outcome`: "success"; "rejected" (refused before TikTok: 4xx); "tiktok_error" (TikTok
    refused the grant); "upstream_timeout", "upstream_unreachable", "upstream_rate_limited",
    "upstream_server_error", "upstream_bad_response" (TikTok gave no usable answer);
    "client_disconnected"; "internal_error" (a bug: see `exception`).
    `error`: the RFC 6749 error code answered (e.g. "invalid_client", "invalid_grant").
    `grant_type`: "authorization_code" or "refresh_token", once the body was read.
    `client_key`: the caller's client key, once it passed the allow list (not secret).
    `secret_match`: which proxy secret the caller presented, "current" (PROXY_SECRET) or
    "previous" (PROXY_SECRET_PREVIOUS); absent when no secret is configured or none matched.
    `upstream_status`: the HTTP status of TikTok's answer. `tiktok_log_id`: TikTok's `log_id`.
    `exception`: only the type and place of an unexpected error ("KeyError at _app.py:61 in
    _exchange"), never its message, which may hold request data.
    `latency_ms`: time from the request to the answer, in milliseconds.
    Added by `to_json`: `severity` (INFO for success, WARNING for rejected, tiktok_error and
    client_disconnected, ERROR otherwise) and `message` ("token exchange <outcome> (<status>)"
    on the token route, "health check ..." on the health route, "request ..." otherwise).
    """

    method: str
    path: str
    route: str | None = None
    probe: bool = False
    status: int = 0
    outcome: str = "unknown"
    error: str | None = None
    grant_type: str | None = None
    client_key: str | None = None
    secret_match: str | None = None
    upstream_status: int | None = None
    tiktok_log_id: str | None = None
    exception: str | None = None
    latency_ms: float = 0.0

    def to_json(self) -> str:
        # Plain attribute reads: dataclasses.asdict deep-copies every value, on every request.
        line = {name: value for name in _FIELD_NAMES if (value := getattr(self, name)) is not None}
        line["severity"] = SEVERITY_BY_OUTCOME.get(self.outcome, "ERROR")
        what = _MESSAGE_BY_ROUTE.get(self.route, "request")
        line["message"] = f"{what} {self.outcome} ({self.status})"
        return json.dumps(line, separators=(",", ":"))


_MESSAGE_BY_ROUTE: dict[str | None, str] = {"token": "token exchange", "health": "health check"}
_FIELD_NAMES = tuple(f.name for f in fields(ExchangeRecord))


def write_record(record: ExchangeRecord, stream: TextIO | None = None) -> None:
    """Write the record as one JSON line (stdout unless told otherwise)."""
    out = stream or sys.stdout
    out.write(record.to_json() + "\n")
    out.flush()


def write_startup_error(message: str, stream: TextIO | None = None) -> None:
    """One CRITICAL line for a proxy that refuses to start; `message` must hold no secret."""
    line = {"severity": "CRITICAL", "outcome": "config_error", "message": message}
    out = stream or sys.stdout
    out.write(json.dumps(line, separators=(",", ":")) + "\n")
    out.flush()
