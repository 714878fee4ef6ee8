"""The README's GitOps and Day-two sections stay true to the workflows and can be followed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests import program
from tests.program import (
    ACCOUNT,
    ALERT_POLICY,
    BUCKET,
    BUCKET_OBJECT,
    BUILD_GRANT,
    DASHBOARD,
    FUNCTION,
    INVOKER,
    METRIC,
    SECRET,
    SECRET_ACCESS,
    SECRET_VERSION,
    SERVICE,
    UPTIME_CHECK,
)
from tests.workflows import (
    ENVIRONMENT_SECRETS,
    IDENTITY_VARIABLES,
    REPO,
    jobs,
    workflows,
)

README = (REPO / "README.md").read_text()
GITOPS = README[README.index("## GitOps\n") : README.index("## Policy pack")]
DAY_TWO = README[README.index("## Day two\n") : README.index("## Troubleshooting\n")]
PROJECT = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["name"]


def shell_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, flags=re.S)


WALKTHROUGH = "\n".join(shell_blocks(GITOPS[GITOPS.index("### Set up CI for a new stack") :]))


def commands(script: str) -> list[str]:
    """Logical lines: continuations joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", script)
    return [line.split(" # ")[0].strip() for line in joined.splitlines() if line.strip()]


def settings_per_environment() -> dict[str, set[str]]:
    """Which `gh variable set` / `gh secret set` names the walkthrough gives each environment."""
    found: dict[str, set[str]] = {}
    loop: list[str] = []
    for line in commands(WALKTHROUGH):
        if match := re.match(r"for env in (.*); do$", line):
            loop = re.findall(r'"([^"]+)"', match.group(1))
        elif line == "done":
            loop = []
        elif match := re.match(r'gh (?:variable|secret) set (\w+) .*--env "([^"]+)"', line):
            name, env = match.groups()
            for target in loop if env == "$env" else [env]:
                found.setdefault(target, set()).add(name)
    return found


def test_every_workflow_is_in_the_table():
    for workflow in workflows():
        assert f"`.github/workflows/{workflow.path.name}`" in GITOPS, workflow


def test_the_settings_table_is_what_the_workflows_read():
    referenced = set()
    for job in jobs():
        referenced |= job.references("vars") | (job.references("secrets") - {"GITHUB_TOKEN"})
    assert referenced == IDENTITY_VARIABLES | ENVIRONMENT_SECRETS
    for name in referenced:
        assert f"`{name}`" in GITOPS, name


def test_the_walkthrough_sets_every_setting_in_each_of_the_three_environments():
    settings = settings_per_environment()
    assert set(settings) == {"$STACK-preview", "$STACK-readonly", "$STACK"}
    for env, names in settings.items():
        assert names == IDENTITY_VARIABLES | ENVIRONMENT_SECRETS, env
    for kind in ("<stack>-preview", "<stack>-readonly", "<stack>"):
        assert f"| `{kind}` |" in GITOPS, kind


def conditions() -> dict[str, str]:
    found = re.findall(
        r'--workload-identity-pool="github-\$STACK-(\w+)".*?--attribute-condition="([^"]+)"',
        " ".join(commands(WALKTHROUGH)),
    )
    return dict(found)


def test_workload_identity_admits_only_the_runs_each_identity_is_for():
    read, deploy = conditions()["read"], conditions()["deploy"]
    assert "assertion.repository_id == '$REPO_ID'" in read and "$REPO_ID" in deploy
    assert (
        "(assertion.event_name == 'pull_request' && assertion.environment == '$STACK-preview')"
    ) in read
    assert (
        "(assertion.ref == 'refs/heads/main' && assertion.environment == '$STACK-readonly')"
    ) in read
    for clause in (
        "assertion.event_name == 'push'",
        "assertion.ref == 'refs/heads/main'",
        "assertion.environment == '$STACK'",
    ):
        assert clause in deploy
    assert "pull_request" not in deploy
    # The prose states the same conditions.
    for pool, condition in conditions().items():
        prose = condition.replace("$STACK", "<stack>").replace("$REPO_ID", "REPO_ID")
        assert f"(`github-<stack>-{pool}`): `{prose}`" in GITOPS, pool


def roles_of(member: str) -> set[str]:
    lines = commands(WALKTHROUGH)
    roles: set[str] = set()
    for i, line in enumerate(lines):
        if f'--member="serviceAccount:{member}"' not in line:
            continue
        if match := re.search(r"--role=(roles/[\w.]+)", line):
            roles.add(match.group(1))
        elif '--role="$role"' in line:  # inside `for role in ...; do`
            loop = next(x for x in reversed(lines[:i]) if x.startswith("for role in"))
            roles |= set(re.findall(r"roles/[\w.]+", loop))
    return roles


def test_the_read_only_identity_has_only_read_roles_and_they_are_the_documented_ones():
    roles = roles_of("$PREVIEW_SA")
    assert roles
    for role in roles:
        assert re.search(r"(viewer|Viewer|securityReviewer|secretAccessor)$", role), role
    prose = GITOPS[GITOPS.index("**Read-only identity.**") : GITOPS.index("**Deploy identity.**")]
    assert roles == set(re.findall(r"`(roles/[\w.]+)`", prose))
    # The payload reader is confined by a condition to the proxy's secret.
    (accessor,) = [c for c in commands(WALKTHROUGH) if "secretmanager.secretAccessor" in c]
    assert "secrets/tiktok-proxy-secret-$STACK" in accessor and "--condition=" in accessor
    scopes = set(re.findall(r"`((?:read|create|update|delete):[\w_]+)`", prose))
    assert scopes == {"read:connections", "read:connections_options"}


# The predefined role that reads, and the one that writes, each GCP type the program declares
# (Google, "IAM roles and permissions": the type's get, and its create/update/delete permissions).
GCP_ROLES: dict[str, tuple[str, str]] = {
    SERVICE: ("roles/serviceusage.serviceUsageViewer", "roles/serviceusage.serviceUsageAdmin"),
    ACCOUNT: ("roles/iam.serviceAccountViewer", "roles/iam.serviceAccountAdmin"),
    BUCKET: ("roles/storage.bucketViewer", "roles/storage.admin"),
    BUCKET_OBJECT: ("roles/storage.objectViewer", "roles/storage.admin"),
    SECRET: ("roles/secretmanager.viewer", "roles/secretmanager.admin"),
    SECRET_VERSION: ("roles/secretmanager.secretAccessor", "roles/secretmanager.admin"),
    SECRET_ACCESS: ("roles/iam.securityReviewer", "roles/secretmanager.admin"),
    FUNCTION: ("roles/cloudfunctions.viewer", "roles/cloudfunctions.admin"),
    INVOKER: ("roles/iam.securityReviewer", "roles/run.admin"),
    BUILD_GRANT: ("roles/iam.securityReviewer", "roles/resourcemanager.projectIamAdmin"),
    METRIC: ("roles/logging.viewer", "roles/logging.configWriter"),
    ALERT_POLICY: ("roles/monitoring.viewer", "roles/monitoring.editor"),
    UPTIME_CHECK: ("roles/monitoring.viewer", "roles/monitoring.editor"),
    DASHBOARD: ("roles/monitoring.viewer", "roles/monitoring.editor"),
}


def test_each_identity_can_read_or_write_every_gcp_type_the_program_declares():
    """A refresh (drift, the approver's preview, each deploy's convergence check) reads every
    resource with the read-only identity, a deploy writes them with the deployer: a type neither
    can reach fails those runs with a 403."""
    declared = {r.typ for r in program.run("prod").resources if r.typ.startswith("gcp:")}
    assert ALERT_POLICY in declared  # monitoring is on by default
    assert declared <= set(GCP_ROLES), f"which roles read and write {declared - set(GCP_ROLES)}?"
    read, deploy = roles_of("$PREVIEW_SA"), roles_of("$DEPLOY_SA")
    for typ in sorted(declared):
        reader, writer = GCP_ROLES[typ]
        assert reader in read, f"the read-only identity cannot read {typ}: grant {reader}"
        assert writer in deploy, f"the deployer cannot write {typ}: grant {writer}"


def test_each_identity_has_its_own_grant_on_its_own_state_bucket():
    state = [c for c in commands(WALKTHROUGH) if c.startswith("gcloud storage buckets add-iam")]
    assert {re.search(r"--role=(\S+)", c).group(1) for c in state} == {  # type: ignore[union-attr]
        "roles/storage.objectViewer",
        "roles/storage.objectUser",
    }
    create = next(c for c in commands(WALKTHROUGH) if "gcloud storage buckets create" in c)
    for flag in ("--uniform-bucket-level-access", "--public-access-prevention", "--soft-delete"):
        assert flag in create
    assert 'gcloud storage buckets update "$BUCKET" --versioning' in WALKTHROUGH


@pytest.mark.parametrize("block", shell_blocks(README), ids=lambda b: b.splitlines()[0][:40])
def test_every_shell_block_is_valid_bash(block):
    result = subprocess.run(
        ["bash", "-n", "-c", block], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, result.stderr


def test_the_zizmor_command_runs_as_written():
    (command,) = {c for c in re.findall(r"`(zizmor [^`]+)`", README)}
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    result = subprocess.run(
        command.split(), cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout


def test_day_two_changes_go_through_a_commit_not_a_laptop_up():
    lines = [c for block in shell_blocks(DAY_TWO) for c in commands(block)]
    assert any(c.startswith("pulumi config set") for c in lines)
    assert any(c.startswith("git commit") for c in lines) and any(
        c.startswith("git push") for c in lines
    )
    inline = [c for c in re.findall(r"`(pulumi [^`]+)`", DAY_TWO) if " -s " in c]
    for line in lines + inline:
        if line.startswith("pulumi up"):
            assert "--target" in line, f"a laptop `up` in Day two: {line}"


def test_the_interrupted_up_runbook():
    runbook = DAY_TWO[DAY_TWO.index("**An interrupted `up`**") : DAY_TWO.index("**Audit**")]
    for step in ("pulumi cancel", "pulumi stack export", "pulumi stack import", "pulumi refresh"):
        assert step in runbook, step
    assert runbook.index("pulumi cancel") < runbook.index("pulumi stack export")
    assert runbook.index("pulumi stack import") < runbook.rindex("pulumi refresh -s")
    # The DIY backend keeps a stack's locks in .pulumi/locks/organization/<project>/<stack>/.
    for path in re.findall(r"gs://[\w-]+/(\.pulumi/locks/\S+?)/[`'*]", runbook):
        assert path == f".pulumi/locks/organization/{PROJECT}/prod", path


def test_no_workflow_may_approve_a_pull_request():
    """A pull request runs its own workflow file: it can grant itself `pull-requests: write` and
    approve itself (a review that counts toward branch protection) unless the repository
    forbids GitHub Actions to approve pull requests."""
    (call,) = [c for c in commands(WALKTHROUGH) if "/actions/permissions/workflow" in c]
    assert call.startswith('gh api --method PUT "repos/$REPO/actions/permissions/workflow"')
    assert "-F can_approve_pull_request_reviews=false" in call
    assert "-f default_workflow_permissions=read" in call


def test_reviewers_of_production_environments_may_not_approve_their_own_runs():
    """Without "Prevent self-review", the author of a pull request who is also a reviewer of
    `prod-preview` lets their own code see production's credentials."""
    rows = {
        kind: next(r for r in GITOPS.splitlines() if r.startswith(f"| `{kind}` |"))
        for kind in ("<stack>-preview", "<stack>")
    }
    for kind, row in rows.items():
        assert "**Prevent self-review**" in row, kind
    setup = " ".join(GITOPS[GITOPS.index("7. Add `staging`") :].split())
    assert "required reviewers with **Prevent self-review**" in setup


def test_the_day_two_routine_reads_the_state_as_an_identity_granted_to_read_it():
    """Only the stack's two identities are granted anything on its state bucket, and `pulumi
    config set` loads the stack from there: the routine first takes the read-only identity."""
    (routine,) = [b for b in shell_blocks(DAY_TWO) if "git push" in b]
    lines = commands(routine)
    login = next(i for i, c in enumerate(lines) if c.startswith("pulumi login gs://"))
    impersonate = next(i for i, c in enumerate(lines) if "--impersonate-service-account" in c)
    assert impersonate < login
    assert "--impersonate-service-account pulumi-preview@" in lines[impersonate]
    assert re.search(r"`pulumi-preview`.*`roles/iam\.serviceAccountTokenCreator`", DAY_TWO, re.S)
