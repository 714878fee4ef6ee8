"""README "Use it from your own program" tells a program's author what the component does beyond
its arguments: the monitoring it declares by default and the roles that takes, how to rotate the
proxy secret through its arguments, and which outputs `make doctor` reads. (That it lists every
argument and output is tests/test_schema.py's test; that its examples run, tests/test_readme.py's
and tests/test_readme_unit_tests.py's.)"""

from __future__ import annotations

from collections import Counter
from typing import Any

from devtools.doctor import OUTPUTS_READ
from devtools.mock_runtime import REPO, ProgramRun, run_program
from tests.program import ALERT_POLICY, DASHBOARD, FUNCTION, METRIC, SERVICE, UPTIME_CHECK
from tests.test_readme_going_live import CREATED_BY, READ_BY
from tiktok_auth0 import TikTokLogin, TikTokLoginArgs, validation

README = (REPO / "README.md").read_text()
SECTION = " ".join(
    README[README.index("## Use it from your own program") : README.index("## Upgrading")].split()
)
GCP = {"gcp:project": "acme-login-dev", "gcp:region": "europe-west1"}
NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}


def declare(**args: Any) -> ProgramRun:
    def program() -> None:
        TikTokLogin(
            "tiktok",
            TikTokLoginArgs(client_key="sbawtestclientkey", client_secret="s", **args),  # type: ignore[typeddict-item]
        )

    return run_program(stack="dev", config=GCP, secret_keys=[], program=program, deployed={})


def test_the_monitoring_declared_by_default_is_named_with_the_roles_it_takes():
    assert validation.DEFAULTS["monitoring"] is True
    assert "**Monitoring is on by default.**" in SECTION
    on, off = declare(), declare(monitoring=False)
    added = Counter(r.typ for r in on.resources)
    added.subtract(Counter(r.typ for r in off.resources))
    added = +added  # what monitoring adds: its resources, and one more API
    assert set(added) == {METRIC, ALERT_POLICY, UPTIME_CHECK, DASHBOARD, SERVICE}
    assert f"{NUMBERS[added[METRIC]]} log-based metrics" in SECTION
    assert f"{NUMBERS[added[ALERT_POLICY]]} alert policies" in SECTION
    assert added[UPTIME_CHECK] == added[DASHBOARD] == added[SERVICE] == 1
    assert "an uptime check" in SECTION and "a dashboard" in SECTION
    apis = [{r.inputs["service"] for r in run.of_type(SERVICE)} for run in (on, off)]
    (api,) = apis[0] - apis[1]
    assert f"`{api.split('.')[0]}` API" in SECTION
    for typ in added.keys() - {SERVICE}:
        assert f"`{CREATED_BY[typ]}`" in SECTION, typ
        assert f"`{READ_BY[typ]}`" in SECTION, typ


def test_rotation_through_the_arguments_is_the_components():
    for step in (
        "raise `proxy_secret_generation` by one and set `proxy_secret_keep_previous=True` in the "
        "same change",
        "set `proxy_secret_keep_previous` back to `False`, which drops the previous secret",
    ):
        assert step in SECTION, step

    def environment(run: ProgramRun) -> set[str]:
        service = run.one(FUNCTION).inputs["serviceConfig"]
        return {env["key"] for env in service["secretEnvironmentVariables"]}

    overlap = declare(proxy_secret_generation=1, proxy_secret_keep_previous=True)
    assert environment(overlap) == {"PROXY_SECRET", "PROXY_SECRET_PREVIOUS"}
    after = declare(proxy_secret_generation=1, proxy_secret_keep_previous=False)
    assert environment(after) == {"PROXY_SECRET"}


def test_every_output_make_doctor_reads_is_named():
    for key in OUTPUTS_READ:
        assert f"`{key}`" in SECTION, key
    assert f"reads {NUMBERS[len(OUTPUTS_READ)]} stack outputs by name" in SECTION
