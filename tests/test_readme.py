"""The README stays true: its commands, keys, URNs, policies and outputs match the project."""

from __future__ import annotations

import re
import subprocess

import pytest
import yaml

from devtools.mock_runtime import REPO
from guardrails import POLICIES
from tests.program import run
from tiktok_auth0.outputs import OUTPUT_KEYS
from tiktok_auth0.tiktok import LOGIN_SCOPES
from tokenproxy._oauth import BASIC_CHALLENGE

README = (REPO / "README.md").read_text()
MAKEFILE = (REPO / "Makefile").read_text()
DECLARED = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]


def code_lines() -> list[str]:
    blocks = re.findall(r"```(?:sh)?\n(.*?)```", README, flags=re.S)
    inline = re.findall(r"`([^`\n]+)`", README)
    return [line.split("#")[0].strip() for block in blocks for line in block.splitlines()] + inline


def test_every_make_target_in_the_readme_exists():
    targets = {m for line in code_lines() for m in re.findall(r"\bmake (\w+)", line)}
    assert {"plan", "dev", "test", "proxy", "emulator", "install"} <= targets
    for target in targets:
        assert re.search(rf"^{target}:", MAKEFILE, flags=re.M), f"make {target} is not a target"


def test_every_config_key_the_readme_sets_is_declared():
    keys = set()
    for line in code_lines():
        match = re.search(r"pulumi config set (?:--secret |--path )*'?([\w:]+)", line)
        if match:
            keys.add(match.group(1))
    assert {"clientSecret", "clientKey", "scopes", "enabledClients", "protect"} <= keys
    for key in keys:
        assert key in DECLARED or key.startswith(("gcp:", "auth0:")), key


def test_config_table_lists_every_declared_key():
    for key in DECLARED:
        assert f"`{key}`" in README, key


def test_urns_in_the_readme_are_the_programs():
    # The mock monitor puts the root stack's type into top-level URNs; the engine does not.
    urns = {u.replace("pulumi:pulumi:Stack$", "") for u in run("prod").urns}
    cited = set(re.findall(r"urn:pulumi:[^'\s]+", README))
    assert cited
    assert cited <= urns, cited - urns


def test_policy_table_lists_every_policy():
    for policy in POLICIES:
        assert f"`{policy.name}`" in README, policy.name


def test_outputs_are_listed():
    for key in OUTPUT_KEYS:
        assert f"`{key}`" in README, key


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_make_plan_runs_as_written(stack):
    result = subprocess.run(
        ["make", "--no-print-directory", "plan", f"STACK={stack}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert f"Plan for stack '{stack}'" in result.stdout


def test_the_proxy_status_table_quotes_the_basic_challenge():
    assert f"`WWW-Authenticate: {BASIC_CHALLENGE}`" in README


def test_the_scopes_key_lists_every_scope_the_program_accepts():
    (row,) = [line for line in README.splitlines() if line.startswith("| `scopes` |")]
    named = re.findall(r"`([a-z]+\.[a-z.]+)`", row)
    assert list(dict.fromkeys(named)) == list(LOGIN_SCOPES)
