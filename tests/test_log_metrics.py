"""The log-based metrics, run on log lines captured from the real proxy.

The proxy is started as Cloud Functions starts it (devtools/proxy_process.py) against the TikTok
emulator and against upstreams that time out, refuse connections or make the client fail, and
made to produce every outcome its log lines document. Each line is stored as Cloud Run stores
it (devtools.logging_query.cloud_run_entry), and each metric the program declares is evaluated on
those entries with its own filter and extractors (devtools/logging_query.py). So renaming a log
field, or a value the metrics select on, turns these tests red.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from devtools.logging_query import cloud_run_entry, extract, matches
from devtools.proxy_process import REPO, ProxyProcess, free_port
from devtools.tiktok_emulator import TikTokEmulator
from tests.helpers import APP, PROXY_SECRET, auth0_token_form, new_code, proxy_env, secret_headers
from tests.program import METRIC, run
from tests.upstreams import RawUpstream
from tiktok_auth0 import log_metrics
from tokenproxy import _exceptions

FN = "tiktok-token-proxy-dev"
PREVIOUS_SECRET = "previous-proxy-secret-for-log-tests"
FAILING_CLIENT = Path(__file__).with_name("scenario_failing_client.py")
Captured = dict[str, dict[str, Any]]  # scenario -> the one log line it produced

# What each metric must count, by the scenario that produced the line.
TOKEN_EXCHANGES = {
    "login",
    "refresh",
    "login_with_previous_secret",
    "tiktok_invalid_grant",
    "tiktok_invalid_client",
    "tiktok_unauthorized_client",
    "wrong_proxy_secret",
    "missing_proxy_secret",
    "unknown_client_id",
    "bad_request",
    "rate_limited",
    "tiktok_5xx",
    "bad_response",
    "timeout",
    "unreachable",
    "client_disconnected",
    "internal_error",
}
# A GET or HEAD is no token exchange (Auth0 only POSTs), with or without the proxy secret: a
# crawler, or someone opening the function URL, must not count as a refused caller.
NOT_A_TOKEN_REQUEST = {
    "wrong_method",
    "get_root_without_secret",
    "get_token_route_without_secret",
    "head_token_route_without_secret",
}
PROBES_AND_OTHERS = {
    "health",
    "health_without_secret",
    "doctor_probe",
    "not_found",
    *NOT_A_TOKEN_REQUEST,
}
EXPECTED = {
    "exchanges": TOKEN_EXCHANGES,
    "tiktok_errors": {
        "tiktok_invalid_grant",
        "tiktok_invalid_client",
        "tiktok_unauthorized_client",
    },
    "credentials_refused": {"tiktok_invalid_client", "tiktok_unauthorized_client"},
    "upstream_failures": {"rate_limited", "tiktok_5xx", "bad_response", "timeout", "unreachable"},
    "refused_calls": {"wrong_proxy_secret", "missing_proxy_secret", "unknown_client_id"},
    "exchange_latency": TOKEN_EXCHANGES,
}


def _one_line(proxy: ProxyProcess, act: Callable[[], object], wait: float = 10.0) -> dict[str, Any]:
    """Do `act` and return the one log line it made the proxy write."""
    before = len(proxy.log_records())
    act()
    deadline = time.monotonic() + wait
    while len(proxy.log_records()) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    (line,) = proxy.log_records()[before:]
    return line


def _disconnect_mid_body(proxy: ProxyProcess) -> None:
    head = (
        "POST /proxy/token HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"X-Proxy-Secret: {PROXY_SECRET}\r\nContent-Length: 500\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as sock:
        sock.sendall(head.encode() + b"grant_type=authorization_code&code=")


@pytest.fixture(scope="module")
def captured(make_emulator: TikTokEmulator) -> Iterator[Captured]:
    emulator = make_emulator
    emulator.reset()
    lines: Captured = {}
    env = proxy_env(emulator.token_url, PROXY_SECRET_PREVIOUS=PREVIOUS_SECRET)
    with ProxyProcess(env) as proxy, httpx.Client(timeout=30, trust_env=False) as http:
        url, secret = proxy.token_url, secret_headers()

        def post(form: dict[str, str], headers: dict[str, str], path: str = "") -> object:
            return http.post(proxy.url + path if path else url, data=form, headers=headers)

        def capture(scenario: str, act: Callable[[], object]) -> None:
            lines[scenario] = _one_line(proxy, act)

        login_form = auth0_token_form(new_code(emulator))
        capture("login", lambda: post(login_form, secret))
        tokens = http.post(url, data=auth0_token_form(new_code(emulator)), headers=secret).json()
        refresh = {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "client_id": APP.client_key,
            "client_secret": APP.client_secret,
        }
        capture("refresh", lambda: post(refresh, secret))
        capture(
            "login_with_previous_secret",
            lambda: post(auth0_token_form(new_code(emulator)), {"X-Proxy-Secret": PREVIOUS_SECRET}),
        )
        capture("tiktok_invalid_grant", lambda: post(auth0_token_form("no-such-code"), secret))
        capture(
            "tiktok_invalid_client",
            lambda: post(auth0_token_form(new_code(emulator), client_secret="wrong"), secret),
        )
        emulator.inject("token", 200, {"error": "unauthorized_client", "log_id": "LOGUC"})
        capture("tiktok_unauthorized_client", lambda: post(auth0_token_form("c"), secret))
        capture(
            "wrong_proxy_secret",
            lambda: post(auth0_token_form("c"), {"X-Proxy-Secret": "a-guess"}),
        )
        capture("missing_proxy_secret", lambda: post(auth0_token_form("c"), {}))
        capture("unknown_client_id", lambda: post(auth0_token_form("c", client_id="other"), secret))
        no_code = {k: v for k, v in auth0_token_form("c").items() if k != "code"}
        capture("bad_request", lambda: post(no_code, secret))
        capture("wrong_method", lambda: http.get(url, headers=secret))
        capture("get_root_without_secret", lambda: http.get(proxy.url + "/"))
        capture("get_token_route_without_secret", lambda: http.get(url))
        capture("head_token_route_without_secret", lambda: http.head(url))
        emulator.inject("token", 429, {})
        capture("rate_limited", lambda: post(auth0_token_form("c"), secret))
        emulator.inject("token", 500, {})
        capture("tiktok_5xx", lambda: post(auth0_token_form("c"), secret))
        emulator.inject("token", 200, b"<html>maintenance</html>", "text/html")
        capture("bad_response", lambda: post(auth0_token_form("c"), secret))
        capture("client_disconnected", lambda: _disconnect_mid_body(proxy))
        capture("health", lambda: http.get(proxy.health_url, headers=secret))
        capture("health_without_secret", lambda: http.get(proxy.health_url))
        probe = {**secret, "X-Proxy-Probe": "doctor"}
        capture(
            "doctor_probe",
            lambda: post(auth0_token_form("doctor-dummy", client_secret="dummy"), probe),
        )
        capture("not_found", lambda: post(auth0_token_form("c"), secret, "/elsewhere"))

    hanging = RawUpstream("hang")
    with hanging, ProxyProcess(proxy_env(hanging.url, UPSTREAM_TIMEOUT_SECONDS="1")) as slow:
        lines["timeout"] = _one_line(
            slow, lambda: httpx.post(slow.token_url, data=auth0_token_form("c"), headers=secret)
        )
    refused = f"http://127.0.0.1:{free_port()}/v2/oauth/token/"
    with ProxyProcess(proxy_env(refused)) as cut_off:
        lines["unreachable"] = _one_line(
            cut_off,
            lambda: httpx.post(cut_off.token_url, data=auth0_token_form("c"), headers=secret),
        )
    failing_env = proxy_env(refused, PYTHONPATH=str(REPO / "proxy"))
    with ProxyProcess(failing_env, source=FAILING_CLIENT) as failing:
        lines["internal_error"] = _one_line(
            failing,
            lambda: httpx.post(failing.token_url, data=auth0_token_form("c"), headers=secret),
        )
    yield lines


@pytest.fixture(scope="module")
def declared() -> dict[str, dict[str, Any]]:
    """The metrics as the program declares them: metric key -> the Metric resource's inputs."""
    return {m.inputs["name"].split("/")[-1]: m.inputs for m in run().of_type(METRIC)}


def counted(metric: dict[str, Any], captured: Captured, service: str = FN) -> set[str]:
    entries = {s: cloud_run_entry(line, service_name=service) for s, line in captured.items()}
    return {scenario for scenario, entry in entries.items() if matches(metric["filter"], entry)}


def labels(metric: dict[str, Any], line: dict[str, Any]) -> dict[str, str | None]:
    entry = cloud_run_entry(line, service_name=FN)
    return {k: extract(v, entry) for k, v in metric.get("labelExtractors", {}).items()}


def label_by_scenario(
    declared: dict[str, dict[str, Any]], captured: Captured, key: str, label: str
) -> dict[str, str | None]:
    """Scenario -> the value of `label` that metric `key` extracts from its line, for each
    scenario the metric is expected to count."""
    return {s: labels(declared[key], captured[s])[label] for s in EXPECTED[key]}


def test_the_captured_lines_cover_every_outcome_the_proxy_logs(captured):
    leaves = _leaf_errors(_exceptions.ProxyError)
    documented = {cls.outcome for cls in leaves} | {
        "success",
        "client_disconnected",
        "internal_error",
    }
    assert {line["outcome"] for line in captured.values()} == documented
    assert {line.get("route") for line in captured.values()} == {"token", "health", None}
    assert {line["probe"] for line in captured.values()} == {True, False}
    assert {line.get("secret_match") for line in captured.values()} == {"current", "previous", None}


def test_the_upstream_outcomes_are_the_proxys_upstream_errors():
    assert set(log_metrics.UPSTREAM_OUTCOMES) == {
        cls.outcome for cls in _leaf_errors(_exceptions.UpstreamError)
    }


@pytest.mark.parametrize("key", list(EXPECTED))
def test_each_metric_counts_exactly_the_lines_it_should(captured, declared, key):
    assert counted(declared[key], captured) == EXPECTED[key]


def test_no_metric_counts_another_services_lines(captured, declared):
    for key, metric in declared.items():
        assert counted(metric, captured, service="some-other-service") == set(), key


def test_probes_and_other_routes_are_never_counted(captured, declared):
    for key, metric in declared.items():
        assert not counted(metric, captured) & PROBES_AND_OTHERS, key


def test_a_get_or_head_without_the_secret_is_refused_but_counted_by_no_metric(captured, declared):
    for scenario in NOT_A_TOKEN_REQUEST - {"wrong_method"}:
        line = captured[scenario]
        assert (line["status"], line["error"]) == (401, "invalid_client"), scenario
        assert "route" not in line, scenario
    assert captured["head_token_route_without_secret"]["method"] == "HEAD"
    for key in ("refused_calls", "exchanges"):
        assert not counted(declared[key], captured) & NOT_A_TOKEN_REQUEST, key
        assert "missing_proxy_secret" in counted(declared[key], captured), key  # a POST still is


def test_the_scenarios_produced_the_lines_they_are_named_after(captured):
    assert captured["bad_request"]["error"] == "invalid_request"
    assert captured["wrong_method"]["status"] == 405
    assert captured["client_disconnected"]["status"] == 499
    assert captured["doctor_probe"]["error"] == "invalid_client"  # TikTok refused the dummy
    assert captured["not_found"]["status"] == 404


def test_exchange_labels(captured, declared):
    metric = declared["exchanges"]
    assert labels(metric, captured["login"]) == {
        "outcome": "success",
        "grant_type": "authorization_code",
        "error": None,
        "secret_match": "current",
    }
    assert labels(metric, captured["refresh"])["grant_type"] == "refresh_token"
    assert labels(metric, captured["login_with_previous_secret"])["secret_match"] == "previous"
    assert labels(metric, captured["wrong_proxy_secret"]) == {
        "outcome": "rejected",
        "grant_type": None,
        "error": "invalid_client",
        "secret_match": None,
    }
    assert labels(metric, captured["timeout"])["outcome"] == "upstream_timeout"


def test_tiktoks_error_codes_and_the_refusals_of_our_credentials(captured, declared):
    errors = label_by_scenario(declared, captured, "tiktok_errors", "error")
    assert errors == {
        "tiktok_invalid_grant": "invalid_grant",
        "tiktok_invalid_client": "invalid_client",
        "tiktok_unauthorized_client": "unauthorized_client",
    }
    refused = label_by_scenario(declared, captured, "credentials_refused", "error")
    assert set(refused.values()) == set(log_metrics.CREDENTIAL_ERRORS)


def test_upstream_failures_by_outcome(captured, declared):
    outcomes = label_by_scenario(declared, captured, "upstream_failures", "outcome")
    assert outcomes == {
        "rate_limited": "upstream_rate_limited",
        "tiktok_5xx": "upstream_server_error",
        "bad_response": "upstream_bad_response",
        "timeout": "upstream_timeout",
        "unreachable": "upstream_unreachable",
    }


def test_refused_calls_tell_a_wrong_secret_from_an_unknown_client(captured, declared):
    metric = declared["refused_calls"]
    assert labels(metric, captured["wrong_proxy_secret"]) == {"secret_match": None}
    assert labels(metric, captured["missing_proxy_secret"]) == {"secret_match": None}
    assert labels(metric, captured["unknown_client_id"]) == {"secret_match": "current"}


def test_latency_is_extracted_in_milliseconds_from_every_exchange(captured, declared):
    metric = declared["exchange_latency"]
    for scenario in EXPECTED["exchange_latency"]:
        entry = cloud_run_entry(captured[scenario], service_name=FN)
        value = extract(metric["valueExtractor"], entry)
        assert value is not None and float(value) >= 0, scenario
    timeout = extract(
        metric["valueExtractor"], cloud_run_entry(captured["timeout"], service_name=FN)
    )
    assert float(timeout or 0) >= 1000  # UPSTREAM_TIMEOUT_SECONDS=1: milliseconds, not seconds


def _leaf_errors(base: type[_exceptions.ProxyError]) -> set[type[_exceptions.ProxyError]]:
    children: list[type[_exceptions.ProxyError]] = base.__subclasses__()
    return {base} if not children else {leaf for child in children for leaf in _leaf_errors(child)}


def test_a_caller_that_goes_away_is_a_warning_and_no_metric_reads_the_severity(captured, declared):
    # The caller's doing (Auth0 gave up, a client closed), not a fault of the proxy or TikTok:
    # WARNING, as a refused request is; ERROR stays for what the proxy or TikTok got wrong.
    line = captured["client_disconnected"]
    assert (line["status"], line["outcome"], line["severity"]) == (
        499,
        "client_disconnected",
        "WARNING",
    )
    assert {captured[s]["severity"] for s in ("internal_error", "timeout", "tiktok_5xx")} == {
        "ERROR"
    }
    for key, metric in declared.items():  # the metrics, and so the alerts, count by outcome
        assert "severity" not in metric["filter"], key
