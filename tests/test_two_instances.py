"""Two TikTokLogin instances in one stack and one GCP project: nothing collides, nothing fights.

Every GCP name derives from the component's name and the stack (and, for the global bucket
namespace, the project). The project's APIs are the one thing both need: each instance declares
its own `gcp.projects.Service` for each, identically and with `disable_on_destroy=False`, so
enabling is idempotent, no instance ever disables what the other uses, and removing one leaves
the other working.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest

from devtools.mock_runtime import MockedResource, ProgramRun, run_program
from tests.program import (
    ACCOUNT,
    BUCKET,
    BUILD_GRANT,
    CONNECTION,
    FUNCTION,
    PASSWORD,
    SECRET,
    SECRET_ACCESS,
    SERVICE,
    iam_condition_allows,
    run,
)
from tiktok_auth0 import TikTokLogin, TikTokLoginArgs

INSTANCES = ("tiktok", "tiktok-eu")
CONFIG = {"gcp:project": "acme-login-prod", "gcp:region": "europe-west1"}


@pytest.fixture(scope="module")
def program() -> ProgramRun:
    def two() -> None:
        for name in INSTANCES:
            TikTokLogin(name, TikTokLoginArgs(client_key=f"key-{name}", client_secret="s"))

    return run_program(stack="prod", config=CONFIG, secret_keys=[], program=two, deployed={})


def by_instance(program: ProgramRun, typ: str) -> dict[str, list[MockedResource]]:
    """Each instance's resources of type `typ` ("tiktok-eu-..." are not the "tiktok" ones)."""
    found = {"tiktok-eu": [r for r in program.of_type(typ) if r.name.startswith("tiktok-eu-")]}
    found["tiktok"] = [r for r in program.of_type(typ) if r not in found["tiktok-eu"]]
    return found


@pytest.mark.parametrize(
    ("typ", "key"),
    [
        (FUNCTION, "name"),
        (ACCOUNT, "accountId"),
        (SECRET, "secretId"),
        (BUCKET, "name"),
        (CONNECTION, "name"),
    ],
)
def test_every_physical_name_is_its_instances_own(program, typ, key):
    names = {
        i: sorted(r.inputs[key] for r in found) for i, found in by_instance(program, typ).items()
    }
    assert names["tiktok"] and names["tiktok-eu"]
    assert not set(names["tiktok"]) & set(names["tiktok-eu"]), names


def test_each_instance_declares_the_apis_identically_and_never_disables_them(program):
    services = defaultdict(list)
    for service in program.of_type(SERVICE):
        services[service.inputs["service"]].append(service)
    for api, declared in services.items():
        assert len(declared) == 2, api  # one per instance, each its own logical resource
        assert declared[0].inputs == declared[1].inputs, api  # the same wish: never a fight
        assert declared[0].inputs["disableOnDestroy"] is False, api


def test_each_function_waits_for_its_own_apis_and_grants_not_the_others(program):
    for instance in INSTANCES:
        (function,) = by_instance(program, FUNCTION)[instance]
        own = {
            r.name
            for typ in (SERVICE, BUILD_GRANT, SECRET_ACCESS)
            for r in by_instance(program, typ)[instance]
            if not r.name.endswith("-api-monitoring")  # for the monitoring, which waits for it
        }
        assert own <= set(function.depends_on)
        mine = {r.name for r in program.resources if r in _all_of(program, instance)}
        assert set(function.depends_on) <= mine, set(function.depends_on) - mine


def test_each_build_account_reads_its_own_source_bucket_not_the_other_instances(program):
    buckets = {i: by_instance(program, BUCKET)[i][0].outputs["name"] for i in INSTANCES}
    for instance, other in (INSTANCES, INSTANCES[::-1]):
        (build,) = [a for a in by_instance(program, ACCOUNT)[instance] if a.name.endswith("-build")]
        member = f"serviceAccount:{build.outputs['email']}"
        granted = [r for r in program.resources if r.inputs.get("member") == member]
        assert {(r.typ, r.inputs["role"]) for r in granted} == {
            (BUILD_GRANT, "roles/logging.logWriter"),
            (BUILD_GRANT, "roles/artifactregistry.writer"),
            (BUILD_GRANT, "roles/storage.objectViewer"),
        }
        (source_grant,) = [g for g in granted if g.inputs["role"] == "roles/storage.objectViewer"]
        expression = source_grant.inputs["condition"]["expression"]
        assert iam_condition_allows(expression, f"projects/_/buckets/{buckets[instance]}")
        assert not iam_condition_allows(expression, f"projects/_/buckets/{buckets[other]}")


def test_each_proxy_secret_is_readable_by_its_own_runtime_only_and_sent_by_its_own_connection(
    program,
):
    for instance in INSTANCES:
        (runtime,) = [
            a for a in by_instance(program, ACCOUNT)[instance] if a.name.endswith("-runtime")
        ]
        (access,) = by_instance(program, SECRET_ACCESS)[instance]
        (secret,) = by_instance(program, SECRET)[instance]
        assert access.inputs["member"] == f"serviceAccount:{runtime.outputs['email']}"
        assert access.inputs["secretId"] == secret.inputs["secretId"]
        (connection,) = by_instance(program, CONNECTION)[instance]
        (password,) = by_instance(program, PASSWORD)[instance]
        (function,) = by_instance(program, FUNCTION)[instance]
        options = connection.inputs["options"]["value"]
        assert options["customHeaders"][0]["value"] == password.outputs["result"]
        assert options["tokenEndpoint"] == function.outputs["url"]


def _all_of(program: ProgramRun, instance: str) -> list[MockedResource]:
    return [
        r for typ in {r.typ for r in program.resources} for r in by_instance(program, typ)[instance]
    ]


def test_two_stacks_of_this_repository_in_one_project_get_distinct_accounts():
    """This repository's instance is `tiktok`, which carries 0.1.0's resources; two of its stacks
    whose names share their first 17 characters (`staging-europe-west1`, `...-west2`) must still
    get distinct runtime accounts, whose ids GCP cuts at 30 characters, in one project. A stack
    that 0.1.0 deployed keeps the id it has (ignoreChanges), as its bucket keeps its name."""
    accounts = {
        stack: next(r for r in run(stack).of_type(ACCOUNT) if r.name == "tiktok-runtime")
        for stack in ("staging-europe-west1", "staging-europe-west2")
    }
    ids = {stack: account.inputs["accountId"] for stack, account in accounts.items()}
    assert ids["staging-europe-west1"] != ids["staging-europe-west2"], ids
    for account in accounts.values():
        assert re.fullmatch(r"[a-z][a-z0-9-]{4,28}[a-z0-9]", account.inputs["accountId"])
        assert account.ignore_changes == ("accountId",)
