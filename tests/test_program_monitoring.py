"""Monitoring as the program declares it, under the mock runtime: which resources, wired to what,
with which thresholds, channels and texts, and the uptime check's secret kept secret on its leaf
as the engine receives it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devtools.mock_runtime import MockedResource, ProgramRun
from tests.program import (
    ALERT_POLICY,
    DASHBOARD,
    FUNCTION,
    METRIC,
    PASSWORD,
    SERVICE,
    UPTIME_CHECK,
    is_secret,
    run,
)
from tiktok_auth0 import log_metrics
from tiktok_auth0.alerts import ALERTS

MONITORING_TYPES = {METRIC, ALERT_POLICY, UPTIME_CHECK, DASHBOARD}
FN = "tiktok-token-proxy-dev"
CHANNELS = [
    "projects/acme-login-dev/notificationChannels/111",
    "projects/acme-login-dev/notificationChannels/222",
]


@pytest.fixture(scope="module")
def program() -> ProgramRun:
    return run()


def policy(program: ProgramRun, key: str) -> MockedResource:
    (found,) = [p for p in program.of_type(ALERT_POLICY) if p.name == f"tiktok-alert-{key}"]
    return found


def condition(resource: MockedResource) -> dict[str, Any]:
    (only,) = resource.inputs["conditions"]
    return dict(only["conditionThreshold"])


def wire(program: ProgramRun, typ: str) -> dict[str, Any]:
    (registration,) = [r for r in program.registrations if r.type == typ]
    return registration.object


def test_it_declares_metrics_alerts_an_uptime_check_a_dashboard_and_their_apis(program):
    assert len(program.of_type(METRIC)) == len(log_metrics.METRICS) == 6
    assert len(program.of_type(ALERT_POLICY)) == len(ALERTS) == 5
    assert len(program.of_type(UPTIME_CHECK)) == len(program.of_type(DASHBOARD)) == 1
    apis = {s.inputs["service"]: s for s in program.of_type(SERVICE)}
    assert {"monitoring.googleapis.com", "logging.googleapis.com"} <= set(apis)
    # Enabled through Cloud Resource Manager, like the proxy's own APIs, and kept on destroy.
    monitoring_api = apis["monitoring.googleapis.com"]
    assert monitoring_api.depends_on == ("tiktok-api-cloudresourcemanager",)
    assert monitoring_api.inputs["disableOnDestroy"] is False
    for resource in program.resources:
        if resource.typ in MONITORING_TYPES:
            assert resource.parent_type == "tiktok-auth0:index:TokenProxy", resource.name
            assert resource.inputs["project"] == "acme-login-dev", resource.name
            assert {"tiktok-api-monitoring", "tiktok-api-logging"} & set(resource.depends_on)


def test_nothing_is_declared_with_monitoring_off():
    program = run(monitoring=False)
    assert not [r.name for r in program.resources if r.typ in MONITORING_TYPES]
    apis = {s.inputs["service"] for s in program.of_type(SERVICE)}
    assert "monitoring.googleapis.com" not in apis  # Logging's API is the proxy's own


def test_each_metric_is_declared_as_defined_for_this_function(program):
    declared = {m.inputs["name"]: m for m in program.of_type(METRIC)}
    for metric in log_metrics.METRICS:
        resource = declared[f"{FN}/{metric.key}"]
        assert resource.inputs["filter"] == metric.filter(FN)
        assert f'resource.labels.service_name="{FN}"' in resource.inputs["filter"]
        assert resource.inputs.get("labelExtractors", {}) == metric.label_extractors()
        descriptor = resource.inputs["metricDescriptor"]
        assert [label["key"] for label in descriptor.get("labels", [])] == list(metric.labels)
        assert descriptor["metricKind"] == "DELTA"
        if metric.value_field:
            assert descriptor["valueType"] == "DISTRIBUTION"
            assert resource.inputs["valueExtractor"] == f"EXTRACT({metric.value_field})"
            assert resource.inputs["bucketOptions"]["exponentialBuckets"]["numFiniteBuckets"] >= 30
        else:
            assert descriptor["valueType"] == "INT64"


def test_the_uptime_check_calls_the_health_route_with_the_secret_in_a_masked_header(program):
    check = program.one(UPTIME_CHECK)
    function = program.one(FUNCTION)
    http = check.inputs["httpCheck"]["value"] if is_secret(check.inputs["httpCheck"]) else None
    http = http or check.inputs["httpCheck"]
    assert (http["requestMethod"], http["useSsl"], http["validateSsl"]) == ("GET", True, True)
    assert http["path"] == f"/{FN}/proxy/health"
    assert (
        function.outputs["url"]
        == f"https://{check.inputs['monitoredResource']['labels']['host']}/{FN}"
    )
    assert http["maskHeaders"] is True
    assert [c["statusValue"] for c in http["acceptedResponseStatusCodes"]] == [200]
    assert check.inputs["contentMatchers"] == [
        {"content": '"status":"ok"', "matcher": "CONTAINS_STRING"}
    ]


def test_the_uptime_checks_secret_reaches_the_engine_secret_on_its_leaf(program):
    headers = wire(program, UPTIME_CHECK)["httpCheck"]["headers"]
    value = headers["X-Proxy-Secret"]
    assert is_secret(value), "the proxy secret reaches the engine in plain text"
    assert value["value"] == program.one(PASSWORD).outputs["result"]
    # Only the header's value is secret: the rest of the check stays reviewable in a preview.
    assert not is_secret(wire(program, UPTIME_CHECK)["httpCheck"]["path"])


def test_the_uptime_check_gets_a_new_secret_only_after_the_function_accepts_it(program):
    assert "tiktok-function" in program.one(UPTIME_CHECK).depends_on


def test_thresholds_and_channels_default_and_come_from_config(program):
    defaults = {a.key: condition(policy(program, a.key))["thresholdValue"] for a in ALERTS}
    assert defaults == {
        "tiktokRefusesCredentials": 0,
        "tiktokUnavailable": 3,
        "refusedCallers": 5,
        "slowExchanges": 4000,
        "healthCheckFails": 1,
    }
    assert all(p.inputs["notificationChannels"] == [] for p in program.of_type(ALERT_POLICY))
    configured = run(
        alertUpstreamFailures=7,
        alertRefusedCalls=0,
        alertLatencyP95Ms=2500,
        alertNotificationChannels=CHANNELS,
    )
    values = {a.key: condition(policy(configured, a.key))["thresholdValue"] for a in ALERTS}
    assert values == {
        **defaults,
        "tiktokUnavailable": 7,
        "refusedCallers": 0,
        "slowExchanges": 2500,
    }
    for resource in configured.of_type(ALERT_POLICY):
        assert resource.inputs["notificationChannels"] == CHANNELS, resource.name
    documentation = policy(configured, "slowExchanges").inputs["documentation"]["content"]
    assert "is above 2500" in documentation


@pytest.mark.parametrize("alert", ALERTS, ids=lambda a: a.key)
def test_each_alert_watches_its_metric_and_says_what_broke_and_what_to_do(program, alert):
    resource = policy(program, alert.key)
    threshold = condition(resource)
    (aggregation,) = threshold["aggregations"]
    assert threshold["comparison"] == "COMPARISON_GT"
    assert (aggregation["perSeriesAligner"], aggregation["crossSeriesReducer"]) == (
        alert.aligner,
        alert.reducer,
    )
    if alert.metric is not None:
        metric_type = f"logging.googleapis.com/user/{FN}/{alert.metric.key}"
        assert (
            threshold["filter"]
            == f'metric.type="{metric_type}" AND resource.type="cloud_run_revision"'
        )
        assert f"tiktok-metric-{alert.metric.key.replace('_', '-')}" in resource.depends_on
    else:
        check_id = program.one(UPTIME_CHECK).outputs["uptimeCheckId"]
        assert f'metric.label.check_id="{check_id}"' in threshold["filter"]
        assert "monitoring.googleapis.com/uptime_check/check_passed" in threshold["filter"]
        assert "tiktok-uptime" in resource.depends_on
    assert resource.inputs["severity"] == alert.severity
    documentation = resource.inputs["documentation"]
    assert documentation["mimeType"] == "text/markdown"
    assert documentation["subject"] == f"{alert.title} ({FN})"
    content = documentation["content"]
    assert f"**What broke.** {alert.what_broke}" in content
    assert f"**What to do.** {alert.what_to_do}" in content
    assert "$" not in content, "Cloud Monitoring would read ${...} as a variable"
    assert resource.inputs["displayName"] == f"{FN}: {alert.title}"


def test_every_alert_policy_is_created_after_the_function(program):
    """A new log-based metric takes minutes before an alert policy may watch it (Cloud
    Monitoring answers 404 "Cannot find metric(s) that match type ... If a metric was created
    recently, it could take up to 10 minutes", hashicorp/terraform-provider-google#11102). The
    metrics are created first; waiting for the function, whose build takes minutes, gives them
    that time on a first deploy."""
    for resource in program.of_type(ALERT_POLICY):
        assert "tiktok-function" in resource.depends_on, resource.name


def test_the_dashboard_charts_every_metric_the_uptime_check_and_the_thresholds():
    program = run(alertUpstreamFailures=7, alertRefusedCalls=9, alertLatencyP95Ms=2500)
    dashboard = json.loads(program.one(DASHBOARD).inputs["dashboardJson"])
    assert dashboard["displayName"] == f"TikTok login: {FN}"
    tiles = dashboard["mosaicLayout"]["tiles"]
    charts = [t["widget"]["xyChart"] for t in tiles if "xyChart" in t["widget"]]
    filters = [
        d["timeSeriesQuery"]["timeSeriesFilter"]["filter"] for c in charts for d in c["dataSets"]
    ]
    for metric in log_metrics.METRICS:
        assert any(f'"logging.googleapis.com/user/{FN}/{metric.key}"' in f for f in filters), metric
    check_id = program.one(UPTIME_CHECK).outputs["uptimeCheckId"]
    assert any(f'metric.label.check_id="{check_id}"' in f for f in filters)
    thresholds = {t["value"] for c in charts for t in c.get("thresholds", [])}
    assert thresholds == {7, 9, 2500}
    for tile in tiles:  # tiles inside the 48-column grid, none overlapping (0 is left out)
        assert tile.get("xPos", 0) + tile["width"] <= dashboard["mosaicLayout"]["columns"]
    assert len({(t.get("xPos", 0), t.get("yPos", 0)) for t in tiles}) == len(tiles)


def test_the_dashboard_json_holds_no_default_value_the_api_leaves_out():
    """The Dashboards API answers in proto3 JSON, which leaves out zero values (a tile in the
    first column or row, a threshold of 0), and the gcp provider compares what it reads with the
    program's JSON after dropping only the keys the API added (`monitoringDashboardDiffSuppress`;
    hashicorp/terraform-provider-google#16173): a zero the program writes would be a change on
    every `pulumi up`, and the deploy's `--expect-no-changes` preview would always fail."""
    program = run(alertUpstreamFailures=0, alertRefusedCalls=0)
    dashboard = json.loads(program.one(DASHBOARD).inputs["dashboardJson"])

    def defaults(value: Any, path: str) -> list[str]:
        if isinstance(value, dict):
            found = [path] if not value else []
            return found + [p for k, v in value.items() for p in defaults(v, f"{path}.{k}")]
        if isinstance(value, list):
            found = [path] if not value else []
            return found + [p for i, v in enumerate(value) for p in defaults(v, f"{path}[{i}]")]
        return [path] if value in (0, "") else []  # False == 0 too

    assert defaults(dashboard, "") == []
