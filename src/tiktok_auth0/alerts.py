"""The alert policies: what each watches, when it fires, and the text an on-call person reads.

Each policy has one threshold condition on a log-based metric (log_metrics.py) or on the uptime
check, aligned over 5-minute windows. Its documentation says what broke and what to do; the "what
to do" repeats, word for word, the fixes of the README's Troubleshooting rows it names (a test
keeps them equal), so the README stays the one source. Cloud Monitoring reads `${...}` in the
documentation as a variable: the texts hold no `$`.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import log_metrics
from .log_metrics import LogMetric

__all__ = ["ALERTS", "UPTIME_CHECK_PASSED", "Alert"]

WINDOW = "300s"
UPTIME_CHECK_PASSED = "monitoring.googleapis.com/uptime_check/check_passed"
RUNBOOK = "README, Operating it: Alerts"


@dataclass(frozen=True)
class Alert:
    """One alert policy. `metric` None: the condition is on the uptime check. `threshold`: the
    settings key holding the threshold (None: `fixed_threshold`). The condition is true when the
    aggregated value is above the threshold for `duration`."""

    key: str
    title: str
    severity: str
    metric: LogMetric | None
    threshold: str | None
    fixed_threshold: float
    aligner: str
    reducer: str
    duration: str
    what_broke: str
    what_to_do: str
    troubleshooting: tuple[str, ...]
    """README Troubleshooting rows ("what you see" cells) whose fixes `what_to_do` repeats."""

    def documentation(self, function_name: str, threshold: float) -> str:
        """Markdown for the incident and the notification."""
        watched = (
            f"`{self.metric.metric_type(function_name)}`, from log entries matching "
            f"`{self.metric.filter(function_name)}`"
            if self.metric is not None
            else f"the uptime check on `/proxy/health` of `{function_name}`"
        )
        return (
            f"**What broke.** {self.what_broke}\n\n"
            f"**What to do.** {self.what_to_do}\n\n"
            f"**Fires when** {watched} is above {threshold:g} ({self.condition_words()}).\n\n"
            f"Runbook: {RUNBOOK}; `make doctor STACK=<stack> OUTPUTS=<outputs>` checks the "
            "deployment end to end."
        )

    def condition_words(self) -> str:
        if self.metric is None:
            return "regions whose check failed, over 20 minutes, for 1 minute"
        if self.reducer == "REDUCE_PERCENTILE_95":
            return "95th percentile over 5 minutes, held for 5 minutes"
        return "count in any 5 minutes"


CREDENTIALS = Alert(
    key="tiktokRefusesCredentials",
    title="TikTok refuses our client credentials",
    severity="CRITICAL",
    metric=log_metrics.CREDENTIALS_REFUSED,
    threshold=None,
    fixed_threshold=0,
    aligner="ALIGN_DELTA",
    reducer="REDUCE_SUM",
    duration="0s",
    what_broke=(
        "TikTok answered `invalid_client` or `unauthorized_client` to a real login: it refuses "
        "this app's client key or secret, or no longer lets the app log users in. Every TikTok "
        "login fails until it is fixed."
    ),
    what_to_do=(
        "`invalid_client`: set the right `clientSecret` (sandbox and production secrets differ). "
        "`unauthorized_client`: check the app in TikTok for Developers (Login Kit added, the app "
        "live, or the user a sandbox tester); give TikTok support the `log_id`. Change "
        "`clientSecret` through the routine of Day two."
    ),
    troubleshooting=(
        "proxy 401 `invalid_client` with a `log_id`",
        "proxy 400 `unauthorized_client` with a `log_id`",
    ),
)
UPSTREAM = Alert(
    key="tiktokUnavailable",
    title="TikTok's token endpoint fails",
    severity="ERROR",
    metric=log_metrics.UPSTREAM_FAILURES,
    threshold="alert_upstream_failures",
    fixed_threshold=0,
    aligner="ALIGN_DELTA",
    reducer="REDUCE_SUM",
    duration="0s",
    what_broke=(
        "Token exchanges failed because TikTok gave no usable answer: it timed out "
        "(`upstream_timeout`, 504), could not be reached (`upstream_unreachable`, 502), failed "
        "(`upstream_server_error`, 502), rate limited the app (`upstream_rate_limited`, 503) or "
        "answered something unusable (`upstream_bad_response`, 502). Those logins failed; the "
        "`outcome` label says which."
    ),
    what_to_do=(
        "5xx from TikTok: transient: retry; if it lasts, give TikTok support the `log_id`. "
        "Unreachable or unusable answers: transient: retry; check TikTok's status. Rate "
        "limited: retry later; the code or refresh token is still good. Timeouts: transient: "
        "retry. If only this function cannot reach TikTok, check its egress (VPC connector, "
        "firewall, DNS)."
    ),
    troubleshooting=(
        'proxy 502 `server_error`, "TikTok\'s token endpoint failed (HTTP 5xx…)"',
        "proxy 502 `server_error`, other descriptions",
        "proxy 503 `temporarily_unavailable`",
        "proxy 504 `temporarily_unavailable`",
    ),
)
REFUSED = Alert(
    key="refusedCallers",
    title="The proxy refuses callers",
    severity="WARNING",
    metric=log_metrics.REFUSED_CALLS,
    threshold="alert_refused_calls",
    fixed_threshold=0,
    aligner="ALIGN_DELTA",
    reducer="REDUCE_SUM",
    duration="0s",
    what_broke=(
        "The proxy refused token requests with `invalid_client` before calling TikTok. With an "
        "empty `secret_match` label the caller sent no proxy secret, a wrong one or the header "
        "more than once: someone other than Auth0 calls the function URL, or Auth0's custom "
        "header and the function's secret differ (a rotation gone wrong, the connection edited "
        "by hand). With `secret_match` set, Auth0 sent the secret but a client id the proxy "
        "does not allow."
    ),
    what_to_do=(
        "Redeploy the stack (**Actions → Deploy → Re-run all jobs**) to reconcile; never edit the "
        "connection by hand. An unknown client id: redeploy the stack (both come from "
        "`clientKey`). During a rotation, keep `proxySecretKeepPrevious: true` until Auth0 sends "
        "the new secret."
    ),
    troubleshooting=(
        'proxy 401 `invalid_client`, "missing or wrong X-Proxy-Secret header"',
        'proxy 401 `invalid_client`, "the X-Proxy-Secret header is sent 2 times; send it once"',
        'proxy 401 `invalid_client`, "unknown client_id"',
    ),
)
LATENCY = Alert(
    key="slowExchanges",
    title="Token exchanges are slow",
    severity="WARNING",
    metric=log_metrics.EXCHANGE_LATENCY,
    threshold="alert_latency_p95_ms",
    fixed_threshold=0,
    aligner="ALIGN_DELTA",
    reducer="REDUCE_PERCENTILE_95",
    duration=WINDOW,
    what_broke=(
        "The 95th percentile of token-exchange latency (milliseconds, request to answer) stayed "
        "above the threshold: users wait at the end of the TikTok login, and Auth0 may give up."
    ),
    what_to_do=(
        "If TikTok is slow (`upstream_status` and `latency_ms` in the logs), wait and watch for "
        "`upstream_timeout`; against cold starts set `minInstances: 1`; if every instance is "
        "busy raise `maxInstances`; both through the routine of Day two."
    ),
    troubleshooting=("token exchanges slow (the latency alert)",),
)
UPTIME = Alert(
    key="healthCheckFails",
    title="The health check fails",
    severity="CRITICAL",
    metric=None,
    threshold=None,
    fixed_threshold=1,
    aligner="ALIGN_NEXT_OLDER",
    reducer="REDUCE_COUNT_FALSE",
    duration="60s",
    what_broke=(
        "`GET /proxy/health` with the proxy secret does not answer 200 from several regions: "
        "the function is down, does not start, is no longer public, or no longer holds the "
        "secret the check sends. Logins fail while it lasts."
    ),
    what_to_do=(
        "Run `make doctor`; redeploy the stack (**Actions → Deploy → Re-run all jobs**). An "
        "HTML 403: org policy exception; redeploy the stack. A function that does not start: "
        "its `config_error` log line names the variable; redeploy the stack, which sets them "
        "from the program."
    ),
    troubleshooting=(
        "the uptime check on `/proxy/health` fails",
        "HTML 403 from the function URL",
    ),
)
ALERTS = (CREDENTIALS, UPSTREAM, REFUSED, LATENCY, UPTIME)
