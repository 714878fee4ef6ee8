"""A change that would replace the deployed Auth0 connection needs an acknowledgement naming it.

The program reads the stack's last deployment (the engine's `readStackResourceOutputs`, answered
here from a state the mock runtime is given, as `make plan STATE=...` gives it) and compares the
deployed connection's name with the one it declares. Unacknowledged, the run is refused before
anything is declared; acknowledged, it is called out, and `protect` is lifted for that run only.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from devtools.engine import ROOT_STACK_TYPE, engine_urns
from devtools.mock_runtime import PROJECT, REPO, ProgramRun, RecordingMocks, run_program
from guardrails import POLICIES
from tests.program import CONNECTION, CONNECTION_CLIENTS, run
from tests.test_policies import violations
from tiktok_auth0 import InvalidArgumentsError, TikTokLogin, TikTokLoginArgs
from tiktok_auth0.config import ConfigError

PROD: dict[str, Any] = {"protect": True, "production": True}
BASELINE = json.loads((REPO / "tests" / "fixtures" / "stacks-0.1.0.json").read_text())


def state_of(program: ProgramRun, stack: str) -> dict[str, dict[str, Any]]:
    """What the stack's state holds after `program` was deployed: URN -> type and outputs (the
    root stack's outputs being the program's exports)."""
    urns = engine_urns(program.registrations, stack, PROJECT)
    outputs = {(r.typ, r.name): r.outputs for r in program.resources}
    state = {
        urns[reg.monitor_urn]: {"type": reg.type, "outputs": outputs[(reg.type, reg.name)]}
        for reg in program.registrations
        if reg.custom and reg.type != ROOT_STACK_TYPE
    }
    exports = {key: exported.value for key, exported in program.exports.items()}
    return {_root(stack): {"type": ROOT_STACK_TYPE, "outputs": exports}, **state}


def state_of_0_1_0(stack: str) -> dict[str, dict[str, Any]]:
    state = {
        r["urn"]: {"type": r["type"], "outputs": {**r["inputs"], **r.get("computed", {})}}
        for r in BASELINE[stack]["resources"]
        if r["custom"]
    }
    # 0.1.0 exported the connection's name among its outputs, as every version since.
    root = {"type": ROOT_STACK_TYPE, "outputs": {"connectionName": "tiktok"}}
    return {_root(stack): root, **state}


def _root(stack: str) -> str:
    return f"urn:pulumi:{stack}::{PROJECT}::{ROOT_STACK_TYPE}::{PROJECT}-{stack}"


DEPLOYED = {
    "deployed by this version": lambda: state_of(run("prod", **PROD), "prod"),
    "deployed by 0.1.0": lambda: state_of_0_1_0("prod"),
}


def test_a_first_deploy_has_nothing_to_replace():
    program = run("prod", deployed={}, **PROD)
    assert program.warnings == []
    assert program.one(CONNECTION).protect is True


@pytest.mark.parametrize("deployed", list(DEPLOYED))
def test_the_deployed_name_again_replaces_nothing(deployed):
    program = run("prod", deployed=DEPLOYED[deployed](), **PROD)
    assert program.warnings == []
    assert program.one(CONNECTION).inputs["name"] == "tiktok"
    assert program.one(CONNECTION).protect is program.one(CONNECTION_CLIENTS).protect is True


@pytest.mark.parametrize("deployed", list(DEPLOYED))
def test_a_new_name_without_acknowledgement_is_refused_before_anything_is_declared(deployed):
    mocks = RecordingMocks("p", "r", deployed=DEPLOYED[deployed]())
    with pytest.raises(InvalidArgumentsError) as caught:
        run("prod", mocks=mocks, connectionName="tiktok-v2", **PROD)
    (problem,) = caught.value.problems
    assert problem.startswith(
        "connectionName: 'tiktok-v2' is not the deployed connection 'tiktok': the change "
        "replaces it (Pulumi creates 'tiktok-v2'; 'tiktok' stays in Auth0 with its users"
    )
    assert "set replaceConnection: tiktok in the same change" in problem
    assert mocks.resources == [], "resources were declared before the replacement was refused"


@pytest.mark.parametrize("deployed", list(DEPLOYED))
def test_through_the_stack_config_the_refusal_is_worded_for_the_stack_file(deployed):
    """The stack's keys are Pulumi.<stack>.yaml's; the component's heading (its schema, its
    Python names) means nothing to someone who edited that file."""
    mocks = RecordingMocks("p", "r", deployed=DEPLOYED[deployed]())
    with pytest.raises(ConfigError) as caught:
        run("prod", mocks=mocks, connectionName="tiktok-v2", **PROD)
    heading, *problems = str(caught.value).splitlines()
    assert heading == "stack config is not usable (keys as in Pulumi.prod.yaml):"
    assert problems[0].startswith("  - connectionName: 'tiktok-v2' is not the deployed connection")
    for jargon in ("schema", "TikTokLogin", "user_id_field", "connection_name"):
        assert jargon not in str(caught.value), jargon


def test_an_acknowledged_replacement_is_called_out_and_unprotected_for_that_run_only():
    deployed = state_of(run("prod", **PROD), "prod")
    renamed = run(
        "prod", deployed=deployed, connectionName="tiktok-v2", replaceConnection="tiktok", **PROD
    )
    connection = renamed.one(CONNECTION)
    assert connection.inputs["name"] == "tiktok-v2"
    assert connection.retain_on_delete is True  # the old one stays in Auth0 with its users
    # The engine lets a resource be unprotected and replaced in one update.
    assert connection.protect is renamed.one(CONNECTION_CLIENTS).protect is False
    (warning,) = renamed.warnings
    assert "this change REPLACES the Auth0 connection 'tiktok' by 'tiktok-v2'" in warning
    assert connection.inputs["metadata"]["replaces"] == "tiktok"
    for policy in POLICIES:  # the policy pack lets that one run through, production or not
        assert violations(renamed, policy.name) == [], policy.name
    # Deployed, the acknowledgement left behind only asks to be removed; protection is back.
    after = run(
        "prod",
        deployed=state_of(renamed, "prod"),
        connectionName="tiktok-v2",
        replaceConnection="tiktok",
        **PROD,
    )
    assert after.one(CONNECTION).protect is after.one(CONNECTION_CLIENTS).protect is True
    assert "replaces" not in after.one(CONNECTION).inputs["metadata"]
    (leftover,) = after.warnings
    assert "replaceConnection: 'tiktok' is not deployed by this stack" in leftover
    assert "remove replaceConnection" in leftover


def test_an_acknowledgement_naming_another_connection_is_refused():
    mocks = RecordingMocks("p", "r", deployed=state_of(run("prod", **PROD), "prod"))
    with pytest.raises(InvalidArgumentsError) as caught:
        run("prod", mocks=mocks, connectionName="tiktok-v2", replaceConnection="tiktk", **PROD)
    assert [p.split(":")[0] for p in caught.value.problems] == [
        "connectionName",
        "replaceConnection",
    ]
    assert "replaceConnection: 'tiktk' is not the deployed connection ('tiktok')" in str(
        caught.value
    )
    assert mocks.resources == []


def test_without_retain_on_delete_the_refusal_says_the_users_links_go():
    deployed = state_of(run("dev", retainOnDelete=False), "dev")
    with pytest.raises(InvalidArgumentsError, match="then DELETES 'tiktok' and every user's link"):
        run("dev", deployed=deployed, retainOnDelete=False, connectionName="tiktok-v2")


def test_a_component_in_another_program_is_held_to_the_same_rule():
    """Once its stack has an output (only then is the state read: test_stack_state_read.py)."""
    config = {"gcp:project": "acme-login-dev", "gcp:region": "europe-west1"}

    def login(connection_name: str) -> None:
        login = TikTokLogin(
            "acme",
            TikTokLoginArgs(client_key="k", client_secret="s", connection_name=connection_name),
        )
        pulumi.export("tiktokTokenUrl", login.token_url)

    first = run_program(
        stack="dev", config=config, secret_keys=[], program=lambda: login("acme"), deployed={}
    )
    mocks = RecordingMocks("p", "r", deployed=state_of(first, "dev"))
    with pytest.raises(
        InvalidArgumentsError, match="'acme-eu' is not the deployed connection"
    ) as caught:
        run_program(
            stack="dev",
            config=config,
            secret_keys=[],
            mocks=mocks,
            program=lambda: login("acme-eu"),
        )
    assert mocks.resources == []
    # Its caller named the arguments in Python: the refusal and its advice name them so.
    assert not isinstance(caught.value, ConfigError)
    assert str(caught.value).startswith(
        "TikTokLogin 'acme': arguments are not usable:\n  - connection_name: 'acme-eu' is not "
        "the deployed"
    )
    (problem,) = caught.value.problems
    assert 'set replace_connection="acme" in the same change' in problem
    assert problem.endswith("otherwise set connection_name back to acme")
    assert "replaceConnection" not in problem and "connectionName" not in problem


# -- make plan: the same, offline, from a `pulumi stack export` -------------------------------
def plan(tmp_path: Path, *args: str, **config: Any) -> subprocess.CompletedProcess[str]:
    stack_file = tmp_path / "Pulumi.prod.yaml"
    document = yaml.safe_load((REPO / "Pulumi.prod.yaml").read_text())
    document["config"].update({f"{PROJECT}:{k}": v for k, v in config.items()})
    stack_file.write_text(yaml.safe_dump(document))
    command = ["-m", "devtools.plan", "--stack", "prod", "--config-file", str(stack_file)]
    return subprocess.run(
        [sys.executable, *command, *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def export(tmp_path: Path, deployed: dict[str, dict[str, Any]]) -> str:
    """The shape `pulumi stack export` writes (apitype.UntypedDeployment, version 3)."""
    resources = [{"urn": urn, "custom": True, **resource} for urn, resource in deployed.items()]
    path = tmp_path / "prod.state.json"
    path.write_text(json.dumps({"version": 3, "deployment": {"resources": resources}}))
    return str(path)


def test_make_plan_refuses_an_unacknowledged_rename_against_the_exported_state(tmp_path):
    state = export(tmp_path, state_of_0_1_0("prod"))
    result = plan(tmp_path, "--state", state, connectionName="tiktok-v2")
    assert result.returncode == 2
    assert "connectionName: 'tiktok-v2' is not the deployed connection 'tiktok'" in result.stderr
    assert "stack config is not usable (keys as in Pulumi.prod.yaml):" in result.stderr
    assert "schema" not in result.stderr
    assert "Resources" not in result.stdout
    # Acknowledged, the plan goes ahead and says so first, and shows the connection unprotected.
    acknowledged = {"connectionName": "tiktok-v2", "replaceConnection": "tiktok"}
    result = plan(tmp_path, "--state", state, **acknowledged)
    assert result.returncode == 0, result.stderr
    assert "warning: TikTokConnection 'tiktok': connectionName: this change REPLACES" in (
        result.stdout
    )
    assert "tiktok-connection (retained on delete)" in result.stdout


def test_make_plan_without_state_calls_out_an_acknowledged_replacement_as_unchecked(tmp_path):
    result = plan(tmp_path, connectionName="tiktok-v2", replaceConnection="tiktok")
    assert result.returncode == 0, result.stderr
    assert "replaceConnection: 'tiktok' would be replaced by 'tiktok-v2'" in result.stdout
    assert "but the deployed connection was not read (no state was returned)" in result.stdout
    assert "note: the stack's state is not read offline" in result.stdout


@pytest.mark.parametrize("form", ["ciphertext", "plaintext"])
def test_make_plan_checks_a_rename_against_an_export_holding_secrets(tmp_path, form):
    """`pulumi stack export` writes each secret as {sig, "ciphertext": ...} (or, with
    --show-secrets, {sig, "plaintext": <JSON text>}), in the connection's options and the stack's
    outputs: the rename check reads such an export (it crashed on the first secret)."""
    state = str(REPO / "tests" / "fixtures" / f"prod-export-{form}.json")
    result = plan(tmp_path, "--state", state, connectionName="tiktok-v2")
    assert result.returncode == 2, result.stderr
    assert "connectionName: 'tiktok-v2' is not the deployed connection 'tiktok'" in result.stderr
    assert "Traceback" not in result.stderr
    acknowledged = {"connectionName": "tiktok-v2", "replaceConnection": "tiktok"}
    result = plan(tmp_path, "--state", state, **acknowledged)
    assert result.returncode == 0, result.stderr
    assert "connectionName: this change REPLACES" in result.stdout
