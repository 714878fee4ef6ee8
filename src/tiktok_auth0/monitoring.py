"""Monitoring as code for one token proxy: the APIs it needs, log-based metrics from the proxy's
own log lines, an uptime check on `GET /proxy/health`, alert policies routed to the configured
channels, and a dashboard. What each piece means is in log_metrics.py, alerts.py, dashboard.py;
this module only declares them, in the proxy's project, as children of the proxy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pulumi
import pulumi_gcp as gcp

from .alerts import ALERTS, UPTIME_CHECK_PASSED, Alert
from .dashboard import dashboard_json
from .log_metrics import LATENCY_BUCKETS, LATENCY_GROWTH, LATENCY_SCALE_MS, METRICS, LogMetric

__all__ = ["HEALTH_PATH", "MONITORING_APIS", "Monitoring", "declare_monitoring"]

# Enabled by the proxy, besides its own (whose Cloud Logging API the metrics need).
MONITORING_APIS = ("monitoring",)
HEALTH_PATH = "/proxy/health"  # the proxy's authenticated health route; it never calls TikTok
HEALTHY_BODY = '"status":"ok"'  # what the proxy's health route answers with the secret
UPTIME_PERIOD, UPTIME_TIMEOUT = "60s", "10s"
AUTO_CLOSE = "1800s"  # an incident whose condition stopped holding closes after 30 minutes


@dataclass(frozen=True)
class Monitoring:
    """What was declared, by the names an operator looks them up with."""

    alert_policies: pulumi.Output[dict[str, str]]
    """Alert key (`tiktokRefusesCredentials`, ...) -> `projects/<p>/alertPolicies/<id>`."""
    uptime_check: pulumi.Output[str]
    """`projects/<project>/uptimeCheckConfigs/<id>`."""
    dashboard: pulumi.Output[str]
    """`projects/<project>/dashboards/<id>`."""


def declare_monitoring(
    name: str,
    *,
    function: gcp.cloudfunctionsv2.Function,
    function_name: str,
    header: str,
    header_value: pulumi.Output[str],
    settings: Mapping[str, Any],
    parent: pulumi.Resource,
    apis: Sequence[pulumi.Resource],
) -> Monitoring:
    """Declare it all. `header_value` is the proxy secret (a Pulumi secret) the uptime check sends
    in `header`; `settings` holds `gcp_project`, `alert_notification_channels` and the
    thresholds named in alerts.py; `apis` are the enabled APIs everything here waits for
    (Logging's and `MONITORING_APIS`)."""
    project = settings["gcp_project"]
    apis = list(apis)
    after_apis = pulumi.ResourceOptions(parent=parent, depends_on=apis)
    metrics = {m.key: _metric(name, m, function_name, project, after_apis) for m in METRICS}
    uptime = _uptime_check(name, function, header, header_value, project, after_apis)
    # After the function, whose build takes minutes: a new log-based metric may take that long
    # before a policy can watch it (Cloud Monitoring's 404 "Cannot find metric(s) that match
    # type ... could take up to 10 minutes", hashicorp/terraform-provider-google#11102).
    after = [*apis, function]
    policies = {
        alert.key: _alert_policy(
            name, alert, function_name, metrics, uptime, settings, after, parent
        )
        for alert in ALERTS
    }
    thresholds = {a.threshold: float(settings[a.threshold]) for a in ALERTS if a.threshold}
    dashboard = gcp.monitoring.Dashboard(
        f"{name}-dashboard",
        project=project,
        dashboard_json=uptime.uptime_check_id.apply(
            lambda check_id: dashboard_json(function_name, check_id, thresholds)
        ),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[*apis, *metrics.values()]),
    )
    return Monitoring(
        alert_policies=pulumi.Output.all(
            **{key: policy.name for key, policy in policies.items()}
        ).apply(dict),
        uptime_check=uptime.name,
        dashboard=dashboard.id,
    )


def _metric(
    name: str, metric: LogMetric, function_name: str, project: str, opts: pulumi.ResourceOptions
) -> gcp.logging.Metric:
    distribution = metric.value_field is not None
    return gcp.logging.Metric(
        f"{name}-metric-{metric.key.replace('_', '-')}",
        project=project,
        name=metric.name(function_name),
        description=metric.description,
        filter=metric.filter(function_name),
        metric_descriptor=gcp.logging.MetricMetricDescriptorArgs(
            metric_kind="DELTA",
            value_type="DISTRIBUTION" if distribution else "INT64",
            unit=metric.unit,
            labels=[
                gcp.logging.MetricMetricDescriptorLabelArgs(key=label, value_type="STRING")
                for label in metric.labels
            ],
        ),
        label_extractors=metric.label_extractors(),
        value_extractor=metric.value_extractor(),
        bucket_options=gcp.logging.MetricBucketOptionsArgs(
            exponential_buckets=gcp.logging.MetricBucketOptionsExponentialBucketsArgs(
                scale=LATENCY_SCALE_MS,
                growth_factor=LATENCY_GROWTH,
                num_finite_buckets=LATENCY_BUCKETS,
            )
        )
        if distribution
        else None,
        opts=opts,
    )


def _uptime_check(
    name: str,
    function: gcp.cloudfunctionsv2.Function,
    header: str,
    header_value: pulumi.Output[str],
    project: str,
    opts: pulumi.ResourceOptions,
) -> gcp.monitoring.UptimeCheckConfig:
    # The function's URL, as Auth0 calls it: https://<region>-<project>.cloudfunctions.net/<name>.
    # Every deployment sets it; a program's unit-test mocks that echo inputs leave it None.
    url = function.url.apply(lambda value: urlsplit(value or ""))
    return gcp.monitoring.UptimeCheckConfig(
        f"{name}-uptime",
        project=project,
        display_name=function.name.apply(lambda n: f"{n} {HEALTH_PATH}"),
        period=UPTIME_PERIOD,
        timeout=UPTIME_TIMEOUT,
        http_check=gcp.monitoring.UptimeCheckConfigHttpCheckArgs(
            request_method="GET",
            use_ssl=True,
            validate_ssl=True,
            port=443,
            path=url.apply(lambda u: u.path.rstrip("/") + HEALTH_PATH),
            # Kept a Pulumi secret, and masked in the API's answers (mask_headers).
            headers={header: pulumi.Output.secret(header_value)},
            mask_headers=True,
            accepted_response_status_codes=[
                gcp.monitoring.UptimeCheckConfigHttpCheckAcceptedResponseStatusCodeArgs(
                    status_value=200
                )
            ],
        ),
        content_matchers=[
            gcp.monitoring.UptimeCheckConfigContentMatcherArgs(
                content=HEALTHY_BODY, matcher="CONTAINS_STRING"
            )
        ],
        monitored_resource=gcp.monitoring.UptimeCheckConfigMonitoredResourceArgs(
            type="uptime_url",
            labels={"project_id": project, "host": url.apply(lambda u: u.hostname or "")},
        ),
        opts=opts,
    )


def _alert_policy(
    name: str,
    alert: Alert,
    function_name: str,
    metrics: Mapping[str, gcp.logging.Metric],
    uptime: gcp.monitoring.UptimeCheckConfig,
    settings: Mapping[str, Any],
    after: Sequence[pulumi.Resource],
    parent: pulumi.Resource,
) -> gcp.monitoring.AlertPolicy:
    threshold = float(settings[alert.threshold]) if alert.threshold else alert.fixed_threshold
    watched: pulumi.Resource
    if alert.metric is not None:
        watched = metrics[alert.metric.key]
        metric_type = alert.metric.metric_type(function_name)
        filter_: pulumi.Input[str] = (
            f'metric.type="{metric_type}" AND resource.type="cloud_run_revision"'
        )
        group_by: list[str] = []
        missing_data: str | None = "EVALUATION_MISSING_DATA_INACTIVE"  # no exchange, no alarm
        strategy = gcp.monitoring.AlertPolicyAlertStrategyArgs(auto_close=AUTO_CLOSE)
        window = "300s"
    else:
        watched = uptime
        filter_ = uptime.uptime_check_id.apply(
            lambda check_id: (
                f'metric.type="{UPTIME_CHECK_PASSED}" AND '
                f'metric.label.check_id="{check_id}" AND resource.type="uptime_url"'
            )
        )
        group_by, missing_data, strategy = ["resource.label.*"], None, None
        window = "1200s"
    return gcp.monitoring.AlertPolicy(
        f"{name}-alert-{alert.key}",
        project=settings["gcp_project"],
        display_name=f"{function_name}: {alert.title}",
        combiner="OR",
        severity=alert.severity,
        conditions=[
            gcp.monitoring.AlertPolicyConditionArgs(
                display_name=alert.title,
                condition_threshold=gcp.monitoring.AlertPolicyConditionConditionThresholdArgs(
                    filter=filter_,
                    comparison="COMPARISON_GT",
                    threshold_value=threshold,
                    duration=alert.duration,
                    evaluation_missing_data=missing_data,
                    aggregations=[
                        gcp.monitoring.AlertPolicyConditionConditionThresholdAggregationArgs(
                            alignment_period=window,
                            per_series_aligner=alert.aligner,
                            cross_series_reducer=alert.reducer,
                            group_by_fields=group_by or None,
                        )
                    ],
                    trigger=gcp.monitoring.AlertPolicyConditionConditionThresholdTriggerArgs(
                        count=1
                    ),
                ),
            )
        ],
        documentation=gcp.monitoring.AlertPolicyDocumentationArgs(
            subject=f"{alert.title} ({function_name})",
            content=alert.documentation(function_name, threshold),
            mime_type="text/markdown",
        ),
        notification_channels=_channels(settings["alert_notification_channels"]),
        alert_strategy=strategy,
        # The metric must exist before a policy can watch it.
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[*after, watched]),
    )


def _channels(channels: Any) -> pulumi.Input[Sequence[pulumi.Input[str]]]:
    return channels if isinstance(channels, pulumi.Output) else list(channels)
