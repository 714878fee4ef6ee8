"""Releases: the changelog's latest entry is the package version, and release.yml tags it on main
(tests first, least privilege, actions pinned to full commit SHAs)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tomllib
from datetime import date
from pathlib import Path

import pytest
import yaml

import tiktok_auth0
from devtools.mock_runtime import REPO

VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
CHANGELOG = (REPO / "CHANGELOG.md").read_text()
ENTRY = re.compile(r"^## \[(?P<version>[^\]]+)\](?: - (?P<date>\S+))?$", re.M)
SECTIONS = {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}  # Keep a Changelog
WORKFLOW_TEXT = (REPO / ".github" / "workflows" / "release.yml").read_text()
WORKFLOW = yaml.safe_load(WORKFLOW_TEXT)
WORKFLOW["on"] = WORKFLOW.pop(True)  # YAML 1.1 reads the key `on` as true
PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def semver(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def test_the_latest_changelog_entry_is_the_package_version():
    entries = [m for m in ENTRY.finditer(CHANGELOG) if m["version"] != "Unreleased"]
    assert entries[0]["version"] == VERSION == tiktok_auth0.__version__
    assert VERSION == "0.2.0"


def test_the_changelog_keeps_the_keep_a_changelog_shape():
    assert CHANGELOG.startswith("# Changelog\n")
    entries = list(ENTRY.finditer(CHANGELOG))
    assert entries[0]["version"] == "Unreleased" and entries[0]["date"] is None
    released = entries[1:]
    versions = [semver(m["version"]) for m in released]
    assert versions == sorted(versions, reverse=True) and len(set(versions)) == len(versions)
    dates = [date.fromisoformat(m["date"]) for m in released]
    assert dates == sorted(dates, reverse=True)
    assert set(re.findall(r"^### (.+)$", CHANGELOG, re.M)) <= SECTIONS


def test_it_runs_when_main_changes_pyproject():
    assert WORKFLOW["on"] == {"push": {"branches": ["main"], "paths": ["pyproject.toml"]}}


def test_least_privilege_and_only_the_tag_job_writes():
    assert WORKFLOW["permissions"] == {}
    granted = {name: job["permissions"] for name, job in WORKFLOW["jobs"].items()}
    assert granted == {
        "version": {"contents": "read"},
        "test": {"contents": "read"},
        "tag": {"contents": "write"},
    }
    assert "secrets: inherit" not in WORKFLOW_TEXT
    assert "secrets." not in WORKFLOW_TEXT  # github.token only, scoped by the job's permissions


def test_actions_are_pinned_to_commit_shas_and_checkouts_keep_no_credentials():
    steps = [step for job in WORKFLOW["jobs"].values() for step in job["steps"]]
    uses = re.findall(r"uses: (.+)$", WORKFLOW_TEXT, re.M)
    assert uses
    for action in uses:
        assert PINNED.match(action), action
    checkouts = [s for s in steps if s.get("uses", "").startswith("actions/checkout@")]
    assert checkouts
    for checkout in checkouts:
        assert checkout["with"]["persist-credentials"] is False


def test_no_expression_is_expanded_inside_a_script():
    """Values reach scripts through env (zizmor's template-injection rule)."""
    for job in WORKFLOW["jobs"].values():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), step.get("name")


def test_it_tags_only_an_untagged_version_and_only_after_the_tests_pass():
    jobs = WORKFLOW["jobs"]
    assert jobs["test"]["needs"] == "version"
    assert jobs["test"]["if"] == "needs.version.outputs.tagged == 'false'"
    assert any("make test" in step.get("run", "") for step in jobs["test"]["steps"])
    assert jobs["tag"]["needs"] == ["version", "test"]
    (step,) = jobs["tag"]["steps"]
    assert step["env"]["VERSION"] == "${{ needs.version.outputs.version }}"
    assert 'ref="refs/tags/v$VERSION"' in step["run"]
    assert 'sha="$GITHUB_SHA"' in step["run"]


@pytest.fixture
def version_step(tmp_path: Path):
    """The version job's script, run by bash in a copy of the repository's files, with a stand-in
    for `gh` (GitHub cannot be reached) that answers how many tags match."""
    (read,) = [s for s in WORKFLOW["jobs"]["version"]["steps"] if s.get("id") == "read"]
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text('#!/bin/sh\necho "$@" > "$GH_ARGS"\necho "$GH_TAGS"\n')
    gh.chmod(0o755)
    for name in ("pyproject.toml", "CHANGELOG.md"):
        shutil.copy(REPO / name, tmp_path / name)

    def run(tags: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str], str]:
        output = tmp_path / "github_output"
        output.write_text("")
        env = {
            **os.environ,
            "PATH": f"{bin_dir}:{os.environ['PATH']}",
            "GITHUB_OUTPUT": str(output),
            "GITHUB_REPOSITORY": "acme/tiktok-auth0",
            "GH_TAGS": tags,
            "GH_ARGS": str(tmp_path / "gh_args"),
        }
        result = subprocess.run(
            ["bash", "-c", read["run"]],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
        asked = (tmp_path / "gh_args").read_text() if (tmp_path / "gh_args").exists() else ""
        return result, outputs, asked

    run.dir = tmp_path  # type: ignore[attr-defined]
    return run


def test_the_version_step_reads_the_version_and_whether_it_is_tagged(version_step):
    result, outputs, asked = version_step("0")
    assert result.returncode == 0, result.stderr
    assert outputs == {"version": VERSION, "tagged": "false"}
    assert f"repos/acme/tiktok-auth0/git/matching-refs/tags/v{VERSION}" in asked
    result, outputs, _ = version_step("1")
    assert outputs == {"version": VERSION, "tagged": "true"}


def test_the_version_step_refuses_a_version_without_a_changelog_entry(version_step):
    changelog = version_step.dir / "CHANGELOG.md"
    changelog.write_text(changelog.read_text().replace(f"## [{VERSION}]", "## [9.9.9]"))
    result, outputs, _ = version_step("0")
    assert result.returncode == 1
    assert f"no entry '## [{VERSION}] - <date>'" in result.stdout
    assert outputs == {}


def test_the_readme_speaks_of_deployments_by_earlier_releases_only():
    """A stack or bucket "deployed by X" exists only for a release before this one: the version
    being released has deployed nothing yet."""
    readme = " ".join((REPO / "README.md").read_text().split())
    cited = re.findall(r"\b(?:made|deployed|created|registered) by (\d+\.\d+\.\d+)\b", readme)
    assert cited, "the README names what 0.1.0 deployed"
    for version in cited:
        assert semver(version) < semver(VERSION), f"nothing was deployed by {version} yet"


def test_the_release_entry_names_every_config_key_output_and_target_0_1_0_lacked():
    """What 0.1.0 declared, exported and offered (tests/test_upgrade_from_0_1_0.py) against what
    this version does: each addition is in its changelog entry."""
    from tests.test_makefile import INTERNAL, phony_targets
    from tests.test_upgrade_from_0_1_0 import CONFIG_0_1_0, OUTPUTS_0_1_0
    from tiktok_auth0.outputs import MONITORING_OUTPUT_KEYS, OUTPUT_KEYS

    entry = CHANGELOG.split(f"## [{VERSION}]")[1].split("\n## [")[0]
    entry = " ".join(entry.split())
    declared = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]
    for key in set(declared) - CONFIG_0_1_0:
        assert f"`{key}`" in entry, key
    for key in {*OUTPUT_KEYS, *MONITORING_OUTPUT_KEYS} - OUTPUTS_0_1_0:
        assert f"`{key}`" in entry, key
    targets_0_1_0 = {"install", "lint", "test", "soak", "bench", "plan", "dev", "proxy"}
    targets_0_1_0 |= {"emulator", "clean"}  # 0.1.0's Makefile (`git show f3ff81b:Makefile`)
    for target in phony_targets() - INTERNAL - targets_0_1_0:  # commands, not prerequisites
        assert f"`make {target}" in entry, target
