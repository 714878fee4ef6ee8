"""Pull-request previews: every stack, the base branch's policy pack, a report even on failure."""

from __future__ import annotations

import pytest

from tests.fake_gh import FakeGitHub
from tests.workflows import BASE_SHA, PREVIEW_ENVIRONMENTS, Job, Step, jobs, runs_on_pull_requests

PR_JOBS = [job for job in jobs() if runs_on_pull_requests(job.workflow)]
PREVIEW_JOBS = [job for job in PR_JOBS if any(s.pulumi_commands for s in job.steps)]


def preview_step(job: Job) -> Step:
    (step,) = [s for s in job.steps if s.pulumi_commands]
    return step


def report_step(job: Job) -> Step:
    preview_id = preview_step(job).doc["id"]
    (step,) = [s for s in job.steps if f"steps.{preview_id}.outcome" in str(s.doc.get("env"))]
    return step


def test_every_stack_is_previewed_with_its_read_only_identity():
    assert {env for job in PREVIEW_JOBS for env in job.environments} == PREVIEW_ENVIRONMENTS


@pytest.mark.parametrize("job", PREVIEW_JOBS, ids=str)
def test_pull_requests_only_preview(job):
    for step in job.steps:
        assert set(step.pulumi_commands) <= {"preview"}, step
        assert "--refresh" not in step.run or "--expect-no-changes" not in step.run


@pytest.mark.parametrize("job", PREVIEW_JOBS, ids=str)
def test_the_policy_pack_comes_from_the_base_branch_not_the_pull_request(job):
    base_checkouts = {
        s.inputs.get("path"): s
        for s in job.steps
        if s.action == "actions/checkout" and s.inputs.get("ref") == BASE_SHA
    }
    preview = preview_step(job)
    (pack,) = preview.policy_packs
    directory, _, rest = pack.partition("/")
    assert rest == "policy" and directory in base_checkouts, (
        f"{preview} runs the policy pack {pack!r}, not one checked out at the base commit"
    )
    # Its interpreter is built before any of the pull request's code runs (make install).
    venv_builds = [s for s in job.steps if f"{directory}/.venv" in s.run]
    assert venv_builds, f"{job}: no virtualenv for {directory}/policy"
    make_install = [s for s in job.steps if "make install" in s.run]
    assert venv_builds[0].index < make_install[0].index < preview.index


@pytest.mark.parametrize("job", PREVIEW_JOBS, ids=str)
def test_a_failed_preview_is_still_reported(job):
    preview, report = preview_step(job), report_step(job)
    assert report.index > preview.index
    assert report.condition.replace(" ", "") in ("${{!cancelled()}}", "always()", "${{always()}}")
    assert "set -o pipefail" in preview.run and "tee" in preview.run  # its output is kept
    assert job.permissions.get("pull-requests") == "write"


def _run_report(job: Job, tmp_path, outcome: str, output: str | None, comments=()):
    github = FakeGitHub(tmp_path, comments=list(comments))
    if output is not None:
        (github.runner_temp / "preview.txt").write_text(output)
    result = github.run(
        report_step(job).run,
        STACK="prod",
        GH_TOKEN="ghs_fake",
        PR_NUMBER="42",
        BASE_SHA="b" * 40,
        OUTCOME=outcome,
        RUN_URL="https://github.com/acme/tiktok-login/actions/runs/7",
    )
    assert result.returncode == 0, result.stderr
    return github


@pytest.mark.parametrize("job", PREVIEW_JOBS, ids=str)
def test_a_failed_preview_posts_its_reason_on_the_pull_request(job, tmp_path):
    reason = "error: preview failed\nmandatory policy violation: client-secret-is-secret"
    github = _run_report(job, tmp_path, "failure", "Previewing update (prod)\n" + reason)
    (comment,) = github.state["comments"]
    assert comment["path"] == "repos/acme/tiktok-login/issues/42/comments"
    assert comment["body"].startswith("<!-- pulumi-preview:prod -->")
    assert "failed" in comment["body"] and reason in comment["body"]
    assert reason in github.summary.read_text()  # and in the job summary


@pytest.mark.parametrize("job", PREVIEW_JOBS, ids=str)
def test_a_new_result_replaces_the_old_comment_of_that_stack(job, tmp_path):
    old = [  # someone else's comment that starts with the marker comes first
        {"id": 9, "user": {"login": "mallory"}, "body": "<!-- pulumi-preview:prod -->\nfake"},
        {
            "id": 8,
            "user": {"login": "github-actions[bot]"},
            "body": "<!-- pulumi-preview:dev -->\nok",
        },
        {
            "id": 7,
            "user": {"login": "github-actions[bot]"},
            "body": "<!-- pulumi-preview:prod -->\nok",
        },
    ]
    github = _run_report(job, tmp_path, "failure", "boom: policy violation", comments=old)
    bodies = {c["id"]: c["body"] for c in github.state["comments"]}
    assert len(bodies) == 3  # edited in place, nothing added
    assert "boom: policy violation" in bodies[7]
    assert bodies[8].endswith("ok") and bodies[9].endswith("fake")


@pytest.mark.parametrize("job", PREVIEW_JOBS, ids=str)
def test_a_preview_that_never_ran_still_replaces_a_green_comment(job, tmp_path):
    old = [
        {
            "id": 7,
            "user": {"login": "github-actions[bot]"},
            "body": "<!-- pulumi-preview:prod -->\n✅",
        }
    ]
    github = _run_report(job, tmp_path, "skipped", None, comments=old)
    (comment,) = github.state["comments"]
    assert "did not run" in comment["body"]


@pytest.mark.parametrize("job", PREVIEW_JOBS, ids=str)
def test_the_reason_travels_from_the_failing_preview_to_the_comment(job, tmp_path):
    github = FakeGitHub(tmp_path)
    reason = "error: mandatory policy violation: source-bucket-not-public"
    github.add_command("pulumi", f"Previewing update (prod)\n{reason}\n", exit_code=255)
    preview = github.run(preview_step(job).run, STACK="prod")
    assert preview.returncode != 0  # the step fails, whatever `tee` returns
    assert reason in preview.stdout  # and the log shows it
    report = github.run(
        report_step(job).run,
        STACK="prod",
        PR_NUMBER="42",
        BASE_SHA="b" * 40,
        OUTCOME="failure",
        RUN_URL="https://github.com/acme/tiktok-login/actions/runs/7",
    )
    assert report.returncode == 0, report.stderr
    (comment,) = github.state["comments"]
    assert reason in comment["body"]
