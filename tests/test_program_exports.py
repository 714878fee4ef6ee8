"""Stack outputs: the audit surface, complete, plain and free of secrets."""

from __future__ import annotations

import json

from devtools.doctor import OUTPUTS_READ
from devtools.secret_manager import SECRET_NAME
from tests.program import (
    ALERT_POLICY,
    CLIENT_SECRET,
    DASHBOARD,
    FUNCTION,
    PASSWORD,
    SECRET,
    UPTIME_CHECK,
    run,
)
from tiktok_auth0.outputs import MONITORING_OUTPUT_KEYS, OUTPUT_KEYS
from tiktok_auth0.profile_script import render_profile_script, sha256_hex
from tiktok_auth0.proxy_source import proxy_source


def test_every_output_is_exported_known_and_not_secret():
    program = run()
    assert list(program.exports) == [*OUTPUT_KEYS, *MONITORING_OUTPUT_KEYS]
    for key, exported in program.exports.items():
        assert exported.known, key
        assert not exported.secret, key


def test_output_values():
    program = run(
        scopes=["user.info.basic", "user.info.profile"],
        enabledClients=["c1"],
        connectionName="tiktok-eu",
    )
    values = {key: exported.value for key, exported in program.exports.items()}
    function = program.one(FUNCTION)
    assert values == {
        "connectionId": "tiktok-connection-id",
        "connectionName": "tiktok-eu",
        "authorizationUrl": "https://www.tiktok.com/v2/auth/authorize/",
        "tokenUrl": function.outputs["url"],
        "scopes": ["user.info.basic", "user.info.profile"],
        "enabledClients": ["c1"],
        "functionName": "tiktok-token-proxy-dev",
        "functionUrl": function.outputs["url"],
        "functionRegion": "europe-west1",
        "gcpProject": "acme-login-dev",
        "proxySourceSha256": proxy_source().sha256,
        "profileScriptSha256": sha256_hex(
            render_profile_script(("user.info.basic", "user.info.profile"), "union_id")
        ),
        "proxySecretHeader": "X-Proxy-Secret",
        "clientKey": "sbawtestclientkey",
        "proxySecretId": program.one(SECRET).id,
        "alertPolicies": {
            policy.name.removeprefix("tiktok-alert-"): policy.outputs["name"]
            for policy in program.of_type(ALERT_POLICY)
        },
        "uptimeCheck": program.one(UPTIME_CHECK).outputs["name"],
        "dashboard": program.one(DASHBOARD).id,
    }
    assert set(values["alertPolicies"]) == {
        "tiktokRefusesCredentials",
        "tiktokUnavailable",
        "refusedCallers",
        "slowExchanges",
        "healthCheckFails",
    }


def test_with_monitoring_off_no_monitoring_output_is_exported():
    program = run(monitoring=False)
    assert list(program.exports) == list(OUTPUT_KEYS)


def test_every_output_the_doctor_reads_is_exported_in_the_form_it_reads():
    program = run()
    for key in OUTPUTS_READ:
        assert key in program.exports, f"make doctor reads {key}, which the stack does not export"
        assert isinstance(program.exports[key].value, str) and program.exports[key].value, key
    secret_id = program.exports["proxySecretId"].value
    assert SECRET_NAME.fullmatch(secret_id), secret_id  # what the doctor accepts
    assert secret_id == "projects/acme-login-dev/secrets/tiktok-proxy-secret-dev"


def test_no_output_carries_a_secret():
    program = run()
    everything = json.dumps({k: e.value for k, e in program.exports.items()})
    assert CLIENT_SECRET not in everything
    assert program.one(PASSWORD).outputs["result"] not in everything
