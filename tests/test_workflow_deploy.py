"""Deploys: one queue for the workflow, a fresh preview, `up` with refresh, proof of convergence."""

from __future__ import annotations

import pytest

from tests.fake_gh import FakeGitHub
from tests.workflows import DEPLOY_ENVIRONMENTS, STACKS, Job, deploy_jobs, jobs

DEPLOY_JOBS = deploy_jobs()
DEPLOY_WORKFLOWS = sorted(
    {job.workflow.path: job.workflow for job in DEPLOY_JOBS}.values(), key=str
)


def pulumi_steps(job: Job):
    return [s for s in job.steps if s.pulumi_commands]


def test_every_stack_is_deployed():
    assert {env for job in DEPLOY_JOBS for env in job.environments} == DEPLOY_ENVIRONMENTS
    assert len(DEPLOY_WORKFLOWS) == 1, "one deploy workflow, so one queue orders every deploy"


@pytest.mark.parametrize("workflow", DEPLOY_WORKFLOWS, ids=str)
def test_one_concurrency_group_for_the_whole_deploy_workflow_that_never_cancels(workflow):
    concurrency = workflow.doc.get("concurrency")
    assert isinstance(concurrency, dict), f"{workflow} has no workflow-level concurrency"
    assert "${{" not in str(concurrency["group"]), "the group must not vary from run to run"
    assert concurrency["cancel-in-progress"] is False
    for job in workflow.jobs:
        assert "concurrency" not in job.doc, f"{job}: a second, per-job queue"
    # The comment above it must describe GitHub's behaviour: one pending run per group.
    assert "ONE pending run per group" in workflow.text
    assert "none is cancelled" not in workflow.text


@pytest.mark.parametrize("job", DEPLOY_JOBS, ids=str)
def test_each_deploy_previews_then_ups_with_refresh_then_proves_convergence(job):
    steps = pulumi_steps(job)
    assert [s.pulumi_commands for s in steps] == [["preview"], ["up"], ["preview"]], job
    fresh, up, converged = (s.inputs for s in steps)
    assert fresh.get("comment-on-summary") is True, "the fresh preview goes to the job summary"
    assert fresh.get("expect-no-changes") in (None, False)
    assert up.get("refresh") is True, f"{job}: `up` without refresh"
    assert converged.get("expect-no-changes") is True, f"{job}: no proof that it converged"
    assert converged.get("refresh") is True
    for step in steps:
        assert step.inputs.get("policyPacks") == "policy", step  # main's own, reviewed pack
        (environment,) = job.environments
        assert step.inputs.get("stack-name") == environment, step
        assert "continue-on-error" not in step.doc, f"{step} would hide a failure"
        assert step.condition in ("", "success()"), step


def tip_check(job: Job):
    """The step that refuses to deploy a commit other than main's tip."""
    (step,) = [s for s in job.steps if "/commits/main" in s.run]
    return step


@pytest.mark.parametrize("job", DEPLOY_JOBS, ids=str)
def test_a_deploy_job_first_checks_that_its_commit_is_still_mains_tip(job):
    """A re-run of an older run (Re-run all jobs, on any past run) would deploy its old commit
    over a newer one: every deploy job checks main's tip before its first Pulumi step."""
    step = tip_check(job)
    assert step.index < pulumi_steps(job)[0].index
    assert step.doc["env"] == {"GH_TOKEN": "${{ github.token }}"}
    assert step.condition in ("", "success()")


@pytest.mark.parametrize("job", DEPLOY_JOBS, ids=str)
@pytest.mark.parametrize("moved", [False, True])
def test_the_tip_check_passes_on_mains_tip_and_fails_behind_it(job, tmp_path, moved):
    run_sha, tip = "a" * 40, ("b" if moved else "a") * 40
    github = FakeGitHub(tmp_path, main=tip)
    result = github.run(tip_check(job).run, GITHUB_SHA=run_sha, GH_TOKEN="ghs_fake")
    assert result.returncode == (1 if moved else 0), result.stdout + result.stderr
    if moved:
        assert f"::error::main is at {tip}, not at {run_sha}" in result.stdout
    assert github.calls == [["api", "repos/acme/tiktok-login/commits/main", "--jq", ".sha"]]


def test_prod_deploys_after_dev_and_after_a_read_only_preview_for_the_approver():
    by_env = {env: job for job in jobs() for env in job.environments}

    def ancestors(job: Job) -> set[str]:
        found: set[str] = set()
        for need in job.needs:
            found |= {need} | ancestors(job.workflow.job(need))
        return found

    prod = by_env["prod"]
    assert by_env["dev"].id in ancestors(prod)
    (plan,) = [job for job in prod.workflow.jobs if job.environments == {"prod-readonly"}]
    assert plan.id in ancestors(prod)
    (preview,) = pulumi_steps(plan)
    assert preview.pulumi_commands == ["preview"] and preview.inputs["comment-on-summary"] is True


@pytest.mark.parametrize(
    "job", [j for j in jobs() if not j.environments & DEPLOY_ENVIRONMENTS], ids=str
)
def test_only_deploy_jobs_change_anything(job):
    for step in pulumi_steps(job):
        assert set(step.pulumi_commands) <= {"preview", "login", "stack", "version"}, step


def test_stacks_model_matches_the_stack_files():
    assert set(STACKS) == DEPLOY_ENVIRONMENTS
