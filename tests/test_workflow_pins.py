"""Deploy what was reviewed: actions pinned to commits, the Pulumi CLI pinned to the SDK."""

from __future__ import annotations

import re

import pytest

from tests.workflows import sdk_version, steps, workflows

WORKFLOWS = workflows()
USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<ref>\S+)(?P<rest>.*)$", re.M)
PINNED = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}")
VERSION_COMMENT = re.compile(r"\s+#\s+v\d+(\.\d+){0,2}\s*")


def pins_in(text: str) -> list[tuple[str, str]]:
    return [(m["ref"], m["rest"]) for m in USES.finditer(text)]


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=str)
def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version_in_a_comment(workflow):
    pins = pins_in(workflow.text)
    assert pins, workflow
    for ref, rest in pins:
        if ref.startswith("./"):
            continue  # this repository's own files, reviewed with the workflow
        assert not ref.startswith("docker://"), f"{workflow}: {ref}"
        assert PINNED.fullmatch(ref), f"{workflow}: {ref} is not pinned to a 40-hex commit"
        assert VERSION_COMMENT.fullmatch(rest), f"{workflow}: {ref} lacks `# vX.Y.Z`"


def test_one_commit_and_one_version_per_action_everywhere():
    seen: dict[str, set[str]] = {}
    for workflow in WORKFLOWS:
        for ref, rest in pins_in(workflow.text):
            if not ref.startswith("./"):
                seen.setdefault(ref.split("@")[0], set()).add(f"{ref}{rest.rstrip()}")
    for action, forms in seen.items():
        assert len(forms) == 1, f"{action} pinned differently: {forms}"


def test_the_pin_rule_rejects_tags_and_short_shas():
    for bad in ("uses: actions/checkout@v4", "uses: actions/checkout@3d3c42e # v7.0.1"):
        ((ref, rest),) = pins_in(bad)
        assert not (PINNED.fullmatch(ref) and VERSION_COMMENT.fullmatch(rest))
    good = "  - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"
    ((ref, rest),) = pins_in(good)
    assert PINNED.fullmatch(ref) and VERSION_COMMENT.fullmatch(rest)


PULUMI_ACTIONS = [s for s in steps() if s.action == "pulumi/actions"]


@pytest.mark.parametrize("step", PULUMI_ACTIONS, ids=str)
def test_every_pulumi_cli_is_the_sdk_version_of_the_lock(step):
    assert str(step.inputs.get("pulumi-version")) == sdk_version(), step
    assert "pulumi-version-file" not in step.inputs, step


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=str)
def test_the_cli_comes_only_from_pulumi_actions(workflow):
    assert "get.pulumi.com" not in workflow.text
    for job in workflow.jobs:
        for step in job.steps:
            if step.run and step.pulumi_commands:
                installs = [s for s in job.steps[: step.index] if s.action == "pulumi/actions"]
                assert installs, f"{step} runs a Pulumi CLI no step of its job installed"


def test_the_sdk_version_is_read_from_the_lock():
    assert re.fullmatch(r"\d+\.\d+\.\d+", sdk_version())
    assert PULUMI_ACTIONS
