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

from devtools.engine import ROOT_STACK_TYPE
from devtools.mock_runtime import (
    PROJECT,
    READ_STACK_OUTPUTS,
    READ_STACK_RESOURCE_OUTPUTS,
    RecordingMocks,
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
