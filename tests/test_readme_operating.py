"""The README's "Operating it" section and the proxy's log fields stay true to the code: the
doctor's checks, the metrics, the alerts (whose fixes are the Troubleshooting table's), the
rotation."""

from __future__ import annotations

import io
import json
import re
from dataclasses import fields

import pytest

from devtools.doctor import CHECKS, CLIENT_KEY, FUNCTION_URL, OUTPUTS_READ, PROXY_SECRET_HEADER
from devtools.doctor import parse as parse_doctor
from devtools.doctor_auth0 import READ_SCOPES
from devtools.mock_runtime import REPO
from tiktok_auth0 import log_metrics
from tiktok_auth0.alerts import ALERTS
from tiktok_auth0.config import DEFAULTS
from tiktok_auth0.validation import schema_name
from tokenproxy._logging import ExchangeRecord

README = (REPO / "README.md").read_text()
OPERATING = README[README.index("## Operating it") : README.index("## Troubleshooting")]
DOCTOR = OPERATING[OPERATING.index("### `make doctor`") : OPERATING.index("### Rotate")]
ALERTS_SECTION = OPERATING[OPERATING.index("### Alerts") : OPERATING.index("### Dashboard")]
METRICS_SECTION = OPERATING[OPERATING.index("### Metrics") : OPERATING.index("### Alerts")]
ROTATION = OPERATING[OPERATING.index("### Rotate the proxy secret") :]
TROUBLESHOOTING = README[README.index("## Troubleshooting") : README.index("## The token proxy")]


def table(text: str) -> list[list[str]]:
    """The rows of the first Markdown table in `text`, header first, cells stripped."""
    lines = [line for line in text.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in line.strip().strip("|").split(" | ")] for line in lines]


def test_every_check_has_a_row():
    header, *rows = [line for line in DOCTOR.splitlines() if line.startswith("| ")]
    assert header.startswith("| check | what it does |")
    assert [row.split(" | ")[0].removeprefix("| ") for row in rows] == list(CHECKS)


def test_every_output_and_scope_the_doctor_reads_is_named():
    for key in OUTPUTS_READ:
        assert f"`{key}`" in OPERATING, key
    for scope in READ_SCOPES:
        assert f"`{scope}`" in OPERATING, scope


def test_the_local_example_is_outputs_the_doctor_accepts():
    (example,) = re.findall(r"echo '(\{.*\})' > local\.json", OPERATING)
    outputs = json.loads(example)
    assert set(outputs) == {FUNCTION_URL, PROXY_SECRET_HEADER, CLIENT_KEY}
    invocation = parse_doctor(
        ["--stack", "local", "--outputs", "-"],
        {"PROXY_SECRET": "local-secret"},
        io.StringIO(example),
    )
    assert invocation.deployment.function_url == "http://127.0.0.1:3333"


def test_the_log_fields_the_readme_names_are_written():
    names = {f.name for f in fields(ExchangeRecord)}
    for name in ("route", "probe", "secret_match", "outcome", "error", "upstream_status"):
        assert f"`{name}`" in README and name in names, name


def test_every_metric_has_a_row_with_its_labels():
    header, *rows = table(METRICS_SECTION)
    assert header == ["metric", "counts", "labels"]
    assert [row[0] for row in rows] == [f"`{m.key}`" for m in log_metrics.METRICS]
    for row, metric in zip(rows, log_metrics.METRICS, strict=True):
        for label in metric.labels:
            assert f"`{label}`" in row[2], (metric.key, label)
    for outcome in log_metrics.UPSTREAM_OUTCOMES:
        assert f"`{outcome}`" in METRICS_SECTION, outcome


def test_every_alert_has_a_row_naming_its_threshold_and_default():
    header, *rows = table(ALERTS_SECTION)
    assert header == ["alert", "fires when", "what broke", "what to do"]
    assert [row[0] for row in rows] == [alert.title for alert in ALERTS]
    for row, alert in zip(rows, ALERTS, strict=True):
        if alert.threshold:
            key = schema_name(alert.threshold)
            assert f"`{key}` ({DEFAULTS[key]}" in row[1], alert.key
        if alert.metric is not None:
            assert f"`{alert.metric.key}`" in row[1], alert.key
        assert f"({alert.severity.lower()})" in row[1], alert.key


@pytest.mark.parametrize("alert", ALERTS, ids=lambda a: a.key)
def test_each_alerts_fixes_are_the_troubleshooting_tables(alert):
    """The README's Troubleshooting table is the source of what an alert tells on-call to do."""
    rows = {row[0]: row for row in table(TROUBLESHOOTING)[1:]}
    for seen in alert.troubleshooting:
        assert seen in rows, f"{alert.key} cites a Troubleshooting row that does not exist: {seen}"
        fix = rows[seen][2]
        assert fix.lower() in alert.what_to_do.lower(), (alert.key, fix)


def test_the_rotation_is_two_commits_of_the_programs_config_keys():
    steps = re.findall(r"pulumi config set (\w+) (\w+) -s prod", ROTATION)
    assert steps == [
        ("proxySecretGeneration", "1"),
        ("proxySecretKeepPrevious", "true"),
        ("proxySecretKeepPrevious", "false"),
    ]
    assert ROTATION.count("git commit") == 2
    for key, _ in steps:
        assert key in DEFAULTS, key
    order = [ROTATION.index(w) for w in ("`latest`", "accept both", "points Auth0's custom header")]
    assert order == sorted(order), "the README tells the rotation's steps out of order"
