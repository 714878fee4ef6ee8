"""Log-based metrics counted from the token proxy's own log lines.

The proxy writes one JSON object per request on stdout (`ExchangeRecord` in
proxy/tokenproxy/_logging.py names and documents every field); Cloud Run parses it into the log
entry's `jsonPayload`. A 2nd-gen function logs as `resource.type="cloud_run_revision"` with
`resource.labels.service_name` = the function's name (Google's Cloud Run functions query guide,
github.com/google/skills, skills/cloud/cloud-logging-query-generation/references/
query_cloud_functions.md). Every metric counts token exchanges only: the token route, and not
probes (the uptime check, the doctor), which the proxy marks `probe: true`.

The filters use a small part of the Logging query language (cloud.google.com/logging/docs/view/
logging-query-language): `FIELD = VALUE` comparisons joined by `AND`, `OR` and `NOT` with
parentheses (written out, since `OR` binds tighter than `AND` there), string values quoted, and
the JSON boolean `false` unquoted. `EXTRACT(field)` takes a label or a distribution's value from
a field (cloud.google.com/logging/docs/logs-based-metrics/labels). devtools/logging_query.py
evaluates exactly this subset, and tests/test_log_metrics.py runs it on lines captured from the
real proxy, so renaming a log field breaks a test rather than a dashboard.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = [
    "CREDENTIALS_REFUSED",
    "CREDENTIAL_ERRORS",
    "EXCHANGES",
    "EXCHANGE_LATENCY",
    "METRICS",
    "REFUSED_CALLS",
    "TIKTOK_ERRORS",
    "UPSTREAM_FAILURES",
    "UPSTREAM_OUTCOMES",
    "LogMetric",
]

# The proxy's log fields (ExchangeRecord), as paths in a log entry.
ROUTE = "jsonPayload.route"
PROBE = "jsonPayload.probe"
OUTCOME = "jsonPayload.outcome"
ERROR = "jsonPayload.error"
GRANT_TYPE = "jsonPayload.grant_type"
SECRET_MATCH = "jsonPayload.secret_match"  # noqa: S105 - a field name
LATENCY_MS = "jsonPayload.latency_ms"

# Outcomes where TikTok gave no usable answer (the UpstreamError subtree of the proxy's errors).
UPSTREAM_OUTCOMES = (
    "upstream_timeout",
    "upstream_unreachable",
    "upstream_rate_limited",
    "upstream_server_error",
    "upstream_bad_response",
)
# TikTok's answers that refuse the app itself rather than one user's grant.
CREDENTIAL_ERRORS = ("invalid_client", "unauthorized_client")
# Latency buckets: 10 ms growing by 25% per bucket, up to about 75 s (past the 30 s timeout).
LATENCY_SCALE_MS, LATENCY_GROWTH, LATENCY_BUCKETS = 10.0, 1.25, 40


@dataclass(frozen=True)
class LogMetric:
    """One log-based metric: a count of matching lines, or (with `value_field`) a distribution
    of that field's values. `labels` maps each label to the field it is extracted from."""

    key: str
    description: str
    where: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    value_field: str | None = None
    unit: str = "1"

    def name(self, function_name: str) -> str:
        """The metric's name in the project: `<function>/<key>` (slashes group them)."""
        return f"{function_name}/{self.key}"

    def metric_type(self, function_name: str) -> str:
        """What Cloud Monitoring calls it: `logging.googleapis.com/user/<name>`."""
        return f"logging.googleapis.com/user/{self.name(function_name)}"

    def filter(self, function_name: str) -> str:
        """The Logging query selecting the function's token exchanges that this metric counts."""
        terms = [
            'resource.type="cloud_run_revision"',
            f'resource.labels.service_name="{function_name}"',
            f'{ROUTE}="token"',
            f"{PROBE}=false",
        ]
        return " AND ".join([*terms, self.where] if self.where else terms)

    def label_extractors(self) -> dict[str, str]:
        return {label: f"EXTRACT({path})" for label, path in self.labels.items()}

    def value_extractor(self) -> str | None:
        return f"EXTRACT({self.value_field})" if self.value_field else None


def _any_of(path: str, values: tuple[str, ...]) -> str:
    return "(" + " OR ".join(f'{path}="{value}"' for value in values) + ")"


EXCHANGES = LogMetric(
    "exchanges",
    "Token exchanges (logins and refreshes, not probes) by outcome, grant type, the RFC 6749 "
    "error answered and the proxy secret that matched (current or previous).",
    labels={
        "outcome": OUTCOME,
        "grant_type": GRANT_TYPE,
        "error": ERROR,
        "secret_match": SECRET_MATCH,
    },
)
TIKTOK_ERRORS = LogMetric(
    "tiktok_errors",
    "Token exchanges TikTok refused, by TikTok's error code and grant type.",
    where=f'{OUTCOME}="tiktok_error"',
    labels={"error": ERROR, "grant_type": GRANT_TYPE},
)
CREDENTIALS_REFUSED = LogMetric(
    "credentials_refused",
    "Token exchanges TikTok refused because of the app's own credentials: invalid_client or "
    "unauthorized_client.",
    where=f'{OUTCOME}="tiktok_error" AND {_any_of(ERROR, CREDENTIAL_ERRORS)}',
    labels={"error": ERROR},
)
UPSTREAM_FAILURES = LogMetric(
    "upstream_failures",
    "Token exchanges TikTok gave no usable answer to (timeout, unreachable, rate limited, 5xx, "
    "unusable answer), by outcome.",
    where=_any_of(OUTCOME, UPSTREAM_OUTCOMES),
    labels={"outcome": OUTCOME},
)
REFUSED_CALLS = LogMetric(
    "refused_calls",
    "Token requests the proxy refused with invalid_client before calling TikTok; secret_match "
    "is empty when the caller's proxy secret was missing or wrong.",
    where=f'{OUTCOME}="rejected" AND {ERROR}="invalid_client"',
    labels={"secret_match": SECRET_MATCH},
)
EXCHANGE_LATENCY = LogMetric(
    "exchange_latency",
    "Time from a token request to the proxy's answer, in milliseconds, by outcome.",
    labels={"outcome": OUTCOME},
    value_field=LATENCY_MS,
    unit="ms",
)
METRICS = (
    EXCHANGES,
    TIKTOK_ERRORS,
    CREDENTIALS_REFUSED,
    UPSTREAM_FAILURES,
    REFUSED_CALLS,
    EXCHANGE_LATENCY,
)
