"""Drift: a daily and on-demand refresh preview of every stack, one issue per drifting stack."""

from __future__ import annotations

import re

import pytest

from tests.fake_gh import FakeGitHub
from tests.workflows import READONLY_ENVIRONMENTS, Job, jobs, workflows

SCHEDULED = [w for w in workflows() if "schedule" in w.triggers]
DRIFT_JOBS = [job for w in SCHEDULED for job in w.jobs]


def test_drift_runs_daily_and_on_manual_dispatch():
    (workflow,) = SCHEDULED
    assert set(workflow.triggers) == {"schedule", "workflow_dispatch"}
    (entry,) = workflow.triggers["schedule"]
    minute, hour, day, month, weekday = entry["cron"].split()
    assert minute.isdigit() and hour.isdigit(), "once a day at a fixed time"
    assert (day, month, weekday) == ("*", "*", "*")


def drift_check(job: Job):
    (step,) = [s for s in job.steps if "preview" in s.pulumi_commands]
    return step


def test_every_stack_is_checked_with_its_read_only_identity():
    assert {env for job in DRIFT_JOBS for env in job.environments} == READONLY_ENVIRONMENTS


@pytest.mark.parametrize("job", DRIFT_JOBS, ids=str)
def test_the_check_is_a_refresh_preview_that_expects_no_changes(job):
    step = drift_check(job)
    assert re.search(r"pulumi preview --stack \"\$STACK\" --refresh --expect-no-changes", step.run)
    assert "set -o pipefail" in step.run
    assert job.doc["env"]["STACK"] == "${{ matrix.stack }}"


def test_only_the_drift_job_may_write_issues():
    writers = [job for job in jobs() if job.permissions.get("issues") == "write"]
    assert writers == DRIFT_JOBS
    for workflow in workflows():
        assert "issues" not in (workflow.doc.get("permissions") or {}), workflow


def issue_step(job: Job):
    check_id = drift_check(job).doc["id"]
    (step,) = [s for s in job.steps if f"steps.{check_id}.outcome" in str(s.doc.get("env"))]
    assert step.condition.replace(" ", "") == "${{!cancelled()}}"
    return step


def _run(job, tmp_path, outcome, output=None, issues=()):
    github = FakeGitHub(tmp_path, issues=list(issues))
    if output is not None:
        (github.runner_temp / "preview.txt").write_text(output)
    result = github.run(
        issue_step(job).run,
        STACK="prod",
        GH_TOKEN="ghs_fake",
        OUTCOME=outcome,
        RUN_URL="https://github.com/acme/tiktok-login/actions/runs/9",
    )
    return github, result


def _issue(number, title, state="open"):
    return {"number": number, "title": title, "state": state, "comments": ["first"]}


TITLE = "Drift: stack prod differs from main"


@pytest.mark.parametrize("job", DRIFT_JOBS, ids=str)
def test_drift_opens_one_issue_for_the_stack(job, tmp_path):
    diff = "~ auth0:index/connection:Connection tiktok update [diff: ~options]"
    github, result = _run(job, tmp_path, "failure", diff, issues=[_issue(1, TITLE, "closed")])
    assert result.returncode != 0  # the run stays red
    opened = [i for i in github.state["issues"] if i["state"] == "open"]
    (issue,) = opened
    assert issue["title"] == TITLE and diff in issue["comments"][0]


@pytest.mark.parametrize("job", DRIFT_JOBS, ids=str)
def test_drift_again_comments_on_the_open_issue(job, tmp_path):
    issues = [_issue(3, TITLE), _issue(4, "Drift: stack dev differs from main")]
    github, _ = _run(job, tmp_path, "failure", "~ changed", issues=issues)
    assert len(github.state["issues"]) == 2  # no second issue for the same stack
    by_number = {i["number"]: i for i in github.state["issues"]}
    assert "~ changed" in by_number[3]["comments"][-1]
    assert by_number[4]["comments"] == ["first"]


@pytest.mark.parametrize("job", DRIFT_JOBS, ids=str)
def test_a_converged_stack_closes_its_issue(job, tmp_path):
    github, result = _run(job, tmp_path, "success", "no changes", issues=[_issue(3, TITLE)])
    assert result.returncode == 0, result.stderr
    (issue,) = github.state["issues"]
    assert issue["state"] == "closed"


@pytest.mark.parametrize("job", DRIFT_JOBS, ids=str)
def test_a_check_that_could_not_run_is_reported_too(job, tmp_path):
    github, _ = _run(job, tmp_path, "skipped")
    (issue,) = github.state["issues"]
    assert "could not run" in issue["comments"][0]


@pytest.mark.parametrize("job", DRIFT_JOBS, ids=str)
def test_the_drift_shown_by_the_preview_reaches_the_issue(job, tmp_path):
    github = FakeGitHub(tmp_path)
    diff = "~ gcp:cloudfunctionsv2/function:Function token-proxy update [diff: ~serviceConfig]"
    github.add_command(
        "pulumi", f"{diff}\nerror: no changes were expected but changes were proposed\n", 255
    )
    check = github.run(drift_check(job).run, STACK="prod")
    assert check.returncode != 0
    report = github.run(
        issue_step(job).run, STACK="prod", OUTCOME="failure", RUN_URL="https://example.invalid/r/9"
    )
    assert report.returncode != 0
    (issue,) = github.state["issues"]
    assert diff in issue["comments"][0]
