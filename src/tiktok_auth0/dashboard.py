"""The Cloud Monitoring dashboard of one token proxy, as the JSON the Dashboards API takes
(cloud.google.com/monitoring/api/ref_v3/rest/v1/projects.dashboards: a `mosaicLayout` of tiles,
each an `xyChart` of time-series filters, or `text`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from . import log_metrics
from .alerts import UPTIME_CHECK_PASSED
from .log_metrics import LogMetric

__all__ = ["dashboard_json"]

COLUMNS, TILE_WIDTH, TILE_HEIGHT = 48, 24, 16


def dashboard_json(
    function_name: str, uptime_check_id: str, thresholds: Mapping[str, float]
) -> str:
    """The dashboard: exchanges by outcome, by proxy secret (for rotations), TikTok's error
    codes, credential refusals, upstream failures, refused calls, latency percentiles and the
    health check; `thresholds` (settings key -> value) are drawn on the charts their alerts
    watch."""
    charts = [
        _chart("Token exchanges by outcome", log_metrics.EXCHANGES, function_name, "outcome"),
        _chart(
            "Proxy secret that matched (rotation: wait for no `previous`)",
            log_metrics.EXCHANGES,
            function_name,
            "secret_match",
        ),
        _chart("TikTok's error codes", log_metrics.TIKTOK_ERRORS, function_name, "error"),
        _chart(
            "TikTok refuses our credentials (alert on any)",
            log_metrics.CREDENTIALS_REFUSED,
            function_name,
            "error",
            window="300s",
        ),
        _chart(
            "Upstream failures (5 min)",
            log_metrics.UPSTREAM_FAILURES,
            function_name,
            "outcome",
            window="300s",
            threshold=thresholds["alert_upstream_failures"],
        ),
        _chart(
            "Refused callers (5 min)",
            log_metrics.REFUSED_CALLS,
            function_name,
            "secret_match",
            window="300s",
            threshold=thresholds["alert_refused_calls"],
        ),
        _latency_chart(function_name, thresholds["alert_latency_p95_ms"]),
        _uptime_chart(uptime_check_id),
        _text(function_name),
    ]
    tiles = [
        _without_zeros(
            {
                "xPos": (index % 2) * TILE_WIDTH,
                "yPos": (index // 2) * TILE_HEIGHT,
                "width": TILE_WIDTH,
                "height": TILE_HEIGHT,
                "widget": widget,
            }
        )
        for index, widget in enumerate(charts)
    ]
    dashboard = {
        "displayName": f"TikTok login: {function_name}",
        "mosaicLayout": {"columns": COLUMNS, "tiles": tiles},
    }
    return json.dumps(dashboard, sort_keys=True, separators=(",", ":"))


def _without_zeros(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields without those that are 0. The API answers in proto3 JSON, which leaves zeros
    out (0 is every number's default), and the gcp provider diffs what it reads against this
    JSON after dropping only the keys the API added: a 0 written here would be a change on every
    `pulumi up` (hashicorp/terraform-provider-google#16173)."""
    return {key: value for key, value in fields.items() if value != 0}


def _series(
    filter_: str, aligner: str, reducer: str, window: str, by: str | None
) -> dict[str, Any]:
    aggregation: dict[str, Any] = {
        "alignmentPeriod": window,
        "perSeriesAligner": aligner,
        "crossSeriesReducer": reducer,
    }
    if by:
        aggregation["groupByFields"] = [f"metric.label.{by}"]
    return {
        "timeSeriesQuery": {"timeSeriesFilter": {"filter": filter_, "aggregation": aggregation}}
    }


def _metric_filter(metric: LogMetric, function_name: str) -> str:
    return (
        f'metric.type="{metric.metric_type(function_name)}" AND resource.type="cloud_run_revision"'
    )


def _chart(
    title: str,
    metric: LogMetric,
    function_name: str,
    by: str,
    *,
    window: str = "60s",
    threshold: float | None = None,
) -> dict[str, Any]:
    series = _series(_metric_filter(metric, function_name), "ALIGN_DELTA", "REDUCE_SUM", window, by)
    chart: dict[str, Any] = {"dataSets": [{**series, "plotType": "STACKED_BAR"}]}
    if threshold is not None:
        chart["thresholds"] = [_without_zeros({"value": threshold, "label": "alert"})]
    return {"title": title, "xyChart": chart}


def _latency_chart(function_name: str, threshold: float) -> dict[str, Any]:
    filter_ = _metric_filter(log_metrics.EXCHANGE_LATENCY, function_name)
    data_sets = [
        {
            **_series(filter_, "ALIGN_DELTA", f"REDUCE_PERCENTILE_{p}", "300s", None),
            "plotType": "LINE",
            "legendTemplate": f"p{p}",
        }
        for p in ("50", "95", "99")
    ]
    return {
        "title": "Exchange latency (ms)",
        "xyChart": {
            "dataSets": data_sets,
            "thresholds": [_without_zeros({"value": threshold, "label": "p95 alert"})],
        },
    }


def _uptime_chart(uptime_check_id: str) -> dict[str, Any]:
    filter_ = (
        f'metric.type="{UPTIME_CHECK_PASSED}" AND resource.type="uptime_url" '
        f'AND metric.label.check_id="{uptime_check_id}"'
    )
    series = _series(filter_, "ALIGN_FRACTION_TRUE", "REDUCE_MEAN", "300s", None)
    return {
        "title": "Health check passing (fraction)",
        "xyChart": {"dataSets": [{**series, "plotType": "LINE"}]},
    }


def _text(function_name: str) -> dict[str, Any]:
    return {
        "title": "About",
        "text": {
            "format": "MARKDOWN",
            "content": (
                f"Token proxy `{function_name}`: its own log lines, counted (logins and refreshes; "
                "probes excluded). What each alert means and what to do: README, Operating it."
            ),
        },
    }
