"""What the program asks the engine about the stack's last deployment, and what it never asks.

The replacement check (tiktok_auth0/_replacement.py) needs the deployed connection, which only the
state knows. But the engine's `readStackResourceOutputs` crashes the Pulumi CLI for a stack on a
DIY backend (`pulumi login gs://...`, as the README sets every stack up) that has never been
deployed: the first `pulumi preview` of every new stack would end in a Go panic. The mock runtime
answers both reads as that engine does (devtools/mock_runtime.py), so asking shows here as a
failed run.
"""

from __future__ import annotations

from typing import Any

import pytest
from pulumi.runtime.mocks import MockCallArgs

from devtools.engine import ROOT_STACK_TYPE
from devtools.mock_runtime import (
    NOT_DECRYPTED,
    PROJECT,
    READ_STACK_OUTPUTS,
    READ_STACK_RESOURCE_OUTPUTS,
    REPO,
    SECRET_SIG,
    SECRET_SIG_KEY,
    RecordingMocks,
    StateFileError,
    engine_secrets,
    read_state,
)
from tests.program import CONNECTION, run
from tests.test_connection_replacement import state_of


def mocks_for(deployed: dict[str, Any] | None) -> RecordingMocks:
    return RecordingMocks("acme-login-dev", "europe-west1", deployed=deployed)


def test_a_stack_never_deployed_is_previewed_without_asking_for_its_resources():
    mocks = mocks_for({})
    program = run("dev", mocks=mocks)
    assert mocks.invokes == [READ_STACK_OUTPUTS]
    assert program.one(CONNECTION).inputs["name"] == "tiktok"
    assert program.warnings == []


def test_a_deployed_stack_is_read_once_its_outputs_show_a_deployment():
    mocks = mocks_for(state_of(run("dev"), "dev"))
    run("dev", mocks=mocks)
    assert mocks.invokes == [READ_STACK_OUTPUTS, READ_STACK_RESOURCE_OUTPUTS]


def test_a_stack_without_outputs_is_not_read_and_an_acknowledgement_says_it_is_unchecked():
    """Resources but no outputs: a first `up` that failed before it finished. The read is not
    safe to ask for (the backend cannot be told from the program), so a replacement is not checked,
    and a `replaceConnection` says so."""
    deployed = state_of(run("dev"), "dev")
    root = f"urn:pulumi:dev::{PROJECT}::{ROOT_STACK_TYPE}::{PROJECT}-dev"
    deployed[root] = {"type": ROOT_STACK_TYPE, "outputs": {}}
    mocks = mocks_for(deployed)
    program = run("dev", mocks=mocks, connectionName="tiktok-v2", replaceConnection="tiktok")
    assert mocks.invokes == [READ_STACK_OUTPUTS]
    (warning,) = program.warnings
    assert "the deployed connection was not read (the stack has no outputs yet" in warning
    assert "`pulumi preview` checks it" not in warning


@pytest.mark.parametrize(
    ("form", "client_secret", "enabled_clients"),
    [("ciphertext", NOT_DECRYPTED, NOT_DECRYPTED), ("plaintext", "s3cr3t", ["client-app-1"])],
)
def test_an_exports_secrets_reach_the_program_marked_secret_on_their_leaf(
    form, client_secret, enabled_clients
):
    """As the engine gives them (pulumi/pulumi pkg/resource/stack/deployment.go): decrypted and
    marked secret; offline a ciphertext cannot be decrypted, so it stays a marked placeholder."""
    deployed = read_state(REPO / "tests" / "fixtures" / f"prod-export-{form}.json")
    (connection,) = [r for r in deployed.values() if r["type"] == CONNECTION]
    options = connection["outputs"]["options"]
    assert options["clientId"] == "awxxxxxxxx"
    assert options["clientSecret"] == {SECRET_SIG_KEY: SECRET_SIG, "value": client_secret}
    assert options["customHeaders"][0]["value"][SECRET_SIG_KEY] == SECRET_SIG
    mocks = RecordingMocks("acme-login-prod", "europe-west1", deployed=deployed)
    answer, _ = mocks.call(MockCallArgs(READ_STACK_OUTPUTS, {"name": "o/p/prod"}, ""))
    assert answer["outputs"]["enabledClients"] == {
        SECRET_SIG_KEY: SECRET_SIG,
        "value": enabled_clients,
    }
    assert answer["secretOutputNames"] == ["enabledClients"]


def test_a_secret_with_neither_ciphertext_nor_plaintext_is_not_an_export():
    with pytest.raises(StateFileError, match="not exactly one of ciphertext or plaintext"):
        engine_secrets({"a": [{SECRET_SIG_KEY: SECRET_SIG}]})
