"""`make plan`: the offline plan prints resources, placeholders and outputs, or a config error."""

from __future__ import annotations

import subprocess
import sys

from devtools.mock_runtime import REPO
from devtools.plan import render_plan
from tests.program import CLIENT_SECRET, PASSWORD, run


def plan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devtools.plan", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_plan_of_the_dev_stack():
    result = plan("--stack", "dev")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Resources (27):" in out
    assert "+ auth0:index/connection:Connection  tiktok-connection" in out
    assert 'options.scopes = ["user.info.basic,user.info.profile"]' in out
    assert "options.clientSecret = [secret]" in out
    assert "options.customHeaders[0].value = [secret]" in out
    assert "placeholder for tiktok-function.url" in out
    assert "clientSecret is not set for this stack" in out
    assert "functionName           tiktok-token-proxy-dev" in out


def test_plan_of_the_prod_stack_is_protected():
    result = plan("--stack", "prod")
    assert result.returncode == 0, result.stderr
    assert "tiktok-connection (protected)" in result.stdout
    assert "metadata.production = true" in result.stdout
    assert "serviceConfig.minInstanceCount = 1" in result.stdout


def test_plan_reports_config_errors_and_exits_2(tmp_path):
    stack_file = tmp_path / "Pulumi.broken.yaml"
    stack_file.write_text(
        "config:\n"
        "  gcp:project: p\n  gcp:region: r\n"
        "  tiktok-connection:clientKey: k\n"
        "  tiktok-connection:userIdField: email\n"
        "  tiktok-connection:clientSecret:\n    secure: v1:abc\n"
    )
    result = plan("--stack", "broken", "--config-file", str(stack_file))
    assert result.returncode == 2
    assert "userIdField: 'email' is not allowed; use one of union_id, open_id" in result.stderr
    assert "Resources" not in result.stdout
    assert "encrypted in Pulumi.broken.yaml" in result.stdout


def test_plan_text_holds_no_secret_value():
    program = run()
    text = render_plan(program)
    assert CLIENT_SECRET not in text
    assert program.one(PASSWORD).outputs["result"] not in text
    assert "[secret]" in text
