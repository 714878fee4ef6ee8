"""Rotating the proxy secret by config, step by step, as the engine would receive each step.

An operator commits two changes (README, Operating it): step 1 raises `proxySecretGeneration` and
sets `proxySecretKeepPrevious`; step 2 drops `proxySecretKeepPrevious`. Each step's program is run
under the mock runtime and compared with the step before, resource by resource (type and logical
name), on the inputs as serialised for the engine: what is created, deleted and updated, what the
function and the connection receive, and the dependencies that order one `pulumi up`.
"""

from __future__ import annotations

from typing import Any

import pytest

from devtools.engine import Registration
from devtools.mock_runtime import ProgramRun, RecordingMocks
from tests.program import (
    CONNECTION,
    FUNCTION,
    PASSWORD,
    SECRET,
    SECRET_VERSION,
    UPTIME_CHECK,
    is_secret,
    run,
)
from tiktok_auth0.config import ConfigError

Key = tuple[str, str]  # (type, logical name)
G0_PASSWORD, G0_VERSION = (
    (PASSWORD, "tiktok-proxy-secret"),
    (SECRET_VERSION, "tiktok-proxy-secret-version"),
)
G1_PASSWORD = (PASSWORD, "tiktok-proxy-secret-g1")
G1_VERSION = (SECRET_VERSION, "tiktok-proxy-secret-version-g1")
G2_PASSWORD = (PASSWORD, "tiktok-proxy-secret-g2")
G2_VERSION = (SECRET_VERSION, "tiktok-proxy-secret-version-g2")
STEP_0: dict[str, Any] = {}  # a stack as deployed before any rotation
STEP_1 = {"proxySecretGeneration": 1, "proxySecretKeepPrevious": True}
STEP_2 = {"proxySecretGeneration": 1}
# Monitoring is off here so the sets below name only what rotation touches; the uptime check's
# header follows the same way (test_program_monitoring.py).
QUIET: dict[str, Any] = {"monitoring": False}


def step(config: dict[str, Any], cloud: dict[tuple[str, str], int] | None = None) -> ProgramRun:
    """The program for one step; `cloud` carries the secret versions earlier steps created, so a
    version keeps its number and a new one gets the next, as in Secret Manager."""
    mocks = RecordingMocks("acme-login-dev", "europe-west1", versions=cloud)
    return run(mocks=mocks, **QUIET, **config)


def steps(*configs: dict[str, Any]) -> list[ProgramRun]:
    """Successive deployments of the same stack."""
    cloud: dict[tuple[str, str], int] = {}
    return [step(config, cloud) for config in configs]


def graph(program: ProgramRun) -> dict[Key, Registration]:
    return {(r.type, r.name): r for r in program.registrations if r.custom}


def key_of(urn: str) -> Key:
    _, _, qualified, name = urn.split("::", 3)
    return qualified.split("$")[-1], name


def dependencies(program: ProgramRun, key: Key) -> set[Key]:
    return {key_of(urn) for urn in graph(program)[key].dependencies}


def changes(before: ProgramRun, after: ProgramRun) -> tuple[set[Key], set[Key], set[Key]]:
    """(created, deleted, updated): what `pulumi up` from `before` to `after` would do."""
    old, new = graph(before), graph(after)
    updated = {k for k in old.keys() & new.keys() if old[k].object != new[k].object}
    return new.keys() - old.keys(), old.keys() - new.keys(), updated


def secret_env(program: ProgramRun) -> dict[str, str]:
    """The function's secret environment: variable -> the version number it is pinned to."""
    variables = program.one(FUNCTION).inputs["serviceConfig"]["secretEnvironmentVariables"]
    secret_id = program.one(SECRET).outputs["secretId"]
    assert {v["secret"] for v in variables} == {secret_id}
    return {v["key"]: v["version"] for v in variables}


def version_of(program: ProgramRun, key: Key) -> str:
    (version,) = [r for r in program.resources if (r.typ, r.name) == key]
    return str(version.outputs["version"])


def header_sent_by_auth0(program: ProgramRun) -> dict[str, Any]:
    """The connection's custom header as the engine receives it (secret marked on its leaf)."""
    options = graph(program)[(CONNECTION, "tiktok-connection")].object["options"]
    (header,) = options["customHeaders"]
    return header


def password_of(program: ProgramRun, key: Key) -> str:
    (password,) = [r for r in program.resources if (r.typ, r.name) == key]
    return str(password.outputs["result"])


def test_before_any_rotation_there_is_one_generation_under_its_original_names():
    program = step(STEP_0)
    assert {k for k in graph(program) if k[0] in {PASSWORD, SECRET_VERSION}} == {
        G0_PASSWORD,
        G0_VERSION,
    }
    assert secret_env(program) == {"PROXY_SECRET": version_of(program, G0_VERSION)}
    assert header_sent_by_auth0(program)["value"]["value"] == password_of(program, G0_PASSWORD)


def test_step_1_adds_the_new_generation_and_updates_only_the_function_and_the_connection():
    created, deleted, updated = changes(*steps(STEP_0, STEP_1))
    assert created == {G1_PASSWORD, G1_VERSION}
    assert deleted == set()
    assert updated == {(FUNCTION, "tiktok-function"), (CONNECTION, "tiktok-connection")}


def test_step_1_the_function_accepts_both_and_auth0_is_given_the_new_secret():
    _, program = steps(STEP_0, STEP_1)
    assert secret_env(program) == {
        "PROXY_SECRET": version_of(program, G1_VERSION),
        "PROXY_SECRET_PREVIOUS": version_of(program, G0_VERSION),
    }
    # Numbered after the previous one: it is the secret's `latest`, which the doctor reads.
    assert int(version_of(program, G1_VERSION)) > int(version_of(program, G0_VERSION))
    header = header_sent_by_auth0(program)
    assert header["header"] == "X-Proxy-Secret"
    assert is_secret(header["value"]), "the new secret reaches the engine in plain text"
    assert header["value"]["value"] == password_of(program, G1_PASSWORD)


def test_step_1_is_ordered_new_version_then_function_then_auth0():
    program = step(STEP_1)
    # The new version is created after the previous one: it becomes the secret's `latest`.
    assert G0_VERSION in dependencies(program, G1_VERSION)
    # The function is updated once both versions it names exist.
    assert {G0_VERSION, G1_VERSION} <= dependencies(program, (FUNCTION, "tiktok-function"))
    # Auth0's header changes only after the new version and the function that accepts it.
    assert {G1_VERSION, (FUNCTION, "tiktok-function")} <= dependencies(
        program, (CONNECTION, "tiktok-connection")
    )


def test_step_2_drops_the_previous_generation_and_updates_only_the_function():
    _, before, after = steps(STEP_0, STEP_1, STEP_2)
    created, deleted, updated = changes(before, after)
    assert created == set()
    assert deleted == {G0_PASSWORD, G0_VERSION}
    assert updated == {(FUNCTION, "tiktok-function")}
    assert secret_env(after) == {"PROXY_SECRET": version_of(after, G1_VERSION)}
    # Nothing still declared depends on what is deleted, so Pulumi deletes it after the update.
    assert all(G0_VERSION not in dependencies(after, key) for key in graph(after))
    assert header_sent_by_auth0(after) == header_sent_by_auth0(before)


def test_the_next_rotation_overlaps_generation_1_with_generation_2():
    before, after = (
        step(STEP_2),
        step({"proxySecretGeneration": 2, "proxySecretKeepPrevious": True}),
    )
    created, deleted, _ = changes(before, after)
    assert (created, deleted) == ({G2_PASSWORD, G2_VERSION}, set())
    assert secret_env(after) == {
        "PROXY_SECRET": version_of(after, G2_VERSION),
        "PROXY_SECRET_PREVIOUS": version_of(after, G1_VERSION),
    }
    assert header_sent_by_auth0(after)["value"]["value"] == password_of(after, G2_PASSWORD)


def test_a_rotation_without_overlap_revokes_the_old_secret_in_one_step():
    """For a leaked secret: logins in flight during the update may fail once, the old secret
    stops working at once."""
    created, deleted, updated = changes(*steps(STEP_0, {"proxySecretGeneration": 1}))
    assert (created, deleted) == ({G1_PASSWORD, G1_VERSION}, {G0_PASSWORD, G0_VERSION})
    assert updated == {(FUNCTION, "tiktok-function"), (CONNECTION, "tiktok-connection")}


@pytest.mark.parametrize(
    ("overrides", "key", "allowed"),
    [
        (
            {"proxySecretKeepPrevious": True},
            "proxySecretKeepPrevious",
            "raise proxySecretGeneration",
        ),
        ({"proxySecretGeneration": -1}, "proxySecretGeneration", "whole number >= 0"),
        ({"proxySecretGeneration": "next"}, "proxySecretGeneration", "whole number >= 0"),
        ({"proxySecretKeepPrevious": "yes"}, "proxySecretKeepPrevious", "true or false"),
    ],
)
def test_unusable_rotation_settings_are_refused_before_anything_is_declared(
    overrides, key, allowed
):
    mocks = RecordingMocks("p", "r")
    with pytest.raises(ConfigError) as caught:
        run(mocks=mocks, **overrides)
    assert f"{key}:" in str(caught.value)
    assert allowed in str(caught.value)
    assert mocks.resources == []


def test_with_monitoring_the_uptime_check_moves_to_the_new_secret_after_the_function():
    cloud: dict[tuple[str, str], int] = {}
    before, after = (
        run(mocks=RecordingMocks("acme-login-dev", "europe-west1", versions=cloud), **config)
        for config in (STEP_0, STEP_1)
    )
    uptime = (UPTIME_CHECK, "tiktok-uptime")
    _, _, updated = changes(before, after)
    assert updated == {(FUNCTION, "tiktok-function"), (CONNECTION, "tiktok-connection"), uptime}
    header = graph(after)[uptime].object["httpCheck"]["headers"]["X-Proxy-Secret"]
    assert is_secret(header)
    assert header["value"] == password_of(after, G1_PASSWORD)
    assert {G1_VERSION, (FUNCTION, "tiktok-function")} <= dependencies(after, uptime)
