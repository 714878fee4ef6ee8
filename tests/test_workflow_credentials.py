"""Who may hold which credential: identities per environment, pull requests never near a deployer.

Rules over every workflow file (tests/workflows.py globs the directory), so a workflow added later
is held to them too.
"""

from __future__ import annotations

import re

import pytest

from tests.workflows import (
    DEPLOY_ENVIRONMENTS,
    ENVIRONMENT_SECRETS,
    ENVIRONMENTS,
    IDENTITY_VARIABLES,
    PREVIEW_ENVIRONMENTS,
    READONLY_ENVIRONMENTS,
    STACKS,
    jobs,
    runs_on_pull_requests,
    steps,
    workflows,
)

WORKFLOWS = workflows()
JOBS = jobs()


def ids(items):
    return [str(item) for item in items]


def test_the_rules_see_every_workflow():
    names = {w.path.name for w in WORKFLOWS}
    assert {"pull-request.yml", "deploy.yml", "drift.yml"} <= names
    assert STACKS == ("dev", "prod")


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=ids(WORKFLOWS))
def test_no_privileged_triggers(workflow):
    # pull_request_target and workflow_run run with the base repository's secrets next to code
    # or artifacts a pull request controls.
    assert not {"pull_request_target", "workflow_run"} & set(workflow.triggers), workflow


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=ids(WORKFLOWS))
def test_no_inherited_or_computed_secrets(workflow):
    assert not re.search(r"secrets:\s*inherit", workflow.text), workflow
    # secrets[format(...)] / vars[...] hand the whole context to an expression.
    assert not re.search(r"\b(secrets|vars)\s*\[", workflow.text), workflow
    assert "toJSON(secrets)" not in workflow.text
    for job in workflow.jobs:
        assert job.doc.get("secrets") in (None, {}), f"{job} passes secrets to a called workflow"


@pytest.mark.parametrize("job", JOBS, ids=ids(JOBS))
def test_secrets_and_variables_have_plain_names(job):
    for name in job.references("secrets") | job.references("vars"):
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", name), f"{job}: {name}"
        for stack in STACKS:  # the environment says which stack; the name does not
            assert not name.endswith(f"_{stack.upper()}"), f"{job}: {name} names a stack"


@pytest.mark.parametrize("job", JOBS, ids=ids(JOBS))
def test_credentials_only_in_jobs_that_run_in_a_known_environment(job):
    holds = (
        (job.references("secrets") - {"GITHUB_TOKEN"})
        | (job.references("vars") & IDENTITY_VARIABLES)
        | ({"id-token"} if job.permissions.get("id-token") == "write" else set())
    )
    if holds:
        assert job.environments, f"{job} holds {sorted(holds)} outside a GitHub environment"
    assert job.environments <= ENVIRONMENTS, f"{job}: unknown {job.environments - ENVIRONMENTS}"
    assert job.references("secrets") <= ENVIRONMENT_SECRETS | {"GITHUB_TOKEN"}, job


@pytest.mark.parametrize("job", JOBS, ids=ids(JOBS))
def test_pull_request_jobs_never_reach_a_deploy_identity(job):
    if runs_on_pull_requests(job.workflow):
        assert job.environments <= PREVIEW_ENVIRONMENTS, (
            f"{job} runs pull request code in {job.environments - PREVIEW_ENVIRONMENTS}"
        )


@pytest.mark.parametrize("job", JOBS, ids=ids(JOBS))
def test_each_identity_only_on_its_own_events(job):
    triggers = set(job.workflow.triggers)
    if job.environments & DEPLOY_ENVIRONMENTS:
        assert triggers == {"push"}, f"{job}: a deployer on {triggers}"
        assert job.workflow.triggers["push"] == {"branches": ["main"]}, job
    if job.environments & READONLY_ENVIRONMENTS:
        assert triggers <= {"push", "schedule", "workflow_dispatch"}, job
    if job.environments & PREVIEW_ENVIRONMENTS:
        assert triggers == {"pull_request"}, job


@pytest.mark.parametrize("job", JOBS, ids=ids(JOBS))
def test_least_privilege_permissions(job):
    workflow = job.workflow
    assert workflow.doc.get("permissions") in ({}, {"contents": "read"}), workflow
    granted = job.permissions
    assert set(granted.values()) <= {"read", "write", "none"}, job
    if granted.get("id-token") == "write":
        assert job.environments, f"{job} can mint OIDC tokens outside an environment"
    if granted.get("pull-requests") == "write":
        assert runs_on_pull_requests(workflow), job
    if granted.get("issues") == "write":  # only the drift job opens issues
        assert set(workflow.triggers) == {"schedule", "workflow_dispatch"}, job
    if runs_on_pull_requests(workflow):
        assert granted.get("contents", "none") in ("read", "none"), job


@pytest.mark.parametrize("step", [s for s in steps() if s.action == "actions/checkout"], ids=str)
def test_checkouts_do_not_keep_the_job_token(step):
    assert step.inputs.get("persist-credentials") is False, step


def test_no_key_files_and_no_pulumi_cloud_token():
    for workflow in WORKFLOWS:
        assert "credentials_json" not in workflow.text  # Workload Identity Federation only
        assert "PULUMI_ACCESS_TOKEN" not in workflow.text  # self-managed state backends
