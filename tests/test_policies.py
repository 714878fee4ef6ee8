"""Every guardrail against the resources the real program declares (passing) and altered copies
of them (each failing for its own reason).

Resource policies see each resource's inputs as serialised for the engine (`wire`), where a
secret is marked on its own leaf, as the engine hands them to a policy pack; the mock runtime's
`inputs` would mark the whole enclosing object and let a plain client secret pass."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
)
from pulumi_policy.deserialize import deserialize_properties

from devtools.mock_runtime import MockedResource, ProgramRun
from guardrails import POLICIES, _raw
from tests.program import BUCKET, BUILD_GRANT, CONNECTION, FUNCTION, INVOKER, is_secret, run

POLICY = {policy.name: policy for policy in POLICIES}
Mutation = Callable[[ProgramRun], None]


def options(resource: MockedResource) -> dict:
    return resource.wire["options"]


def urn(resource: MockedResource) -> str:
    return f"urn:pulumi:test::tiktok-connection::{resource.typ}::{resource.name}"


def policy_options(resource: MockedResource) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect=resource.protect,
        ignore_changes=[],
        delete_before_replace=None,
        aliases=[],
        custom_timeouts=PolicyCustomTimeouts(0, 0, 0),
        additional_secret_outputs=[],
    )


def violations(program: ProgramRun, policy_name: str) -> list[str]:
    """What the policy reports (or, for a remediation, changes) across the program's resources."""
    policy = POLICY[policy_name]
    found: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    if isinstance(policy, ResourceValidationPolicy):
        for resource in program.resources:
            proxy_secrets = policy.has_remediation()
            props = deserialize_properties(copy.deepcopy(resource.wire), proxy_secrets)
            args = ResourceValidationArgs(
                resource.typ, props, urn(resource), resource.name, policy_options(resource), None
            )
            policy.validate(args, report)
            changed: Any = policy.remediate(args) if policy.has_remediation() else None
            if changed is not None:
                marked = type(_raw(changed["options"])["clientSecret"]).__name__
                found.append(f"remediated {resource.name}: clientSecret is now a {marked}")
    else:
        resources = [
            PolicyResource(
                r.typ,
                deserialize_properties(copy.deepcopy(r.outputs)),
                urn(r),
                r.name,
                policy_options(r),
                None,
                None,
                [],
                {},
            )
            for r in program.resources
        ]
        policy.validate(StackValidationArgs(resources), report)
    return found


def production_program() -> ProgramRun:
    return run("prod", production=True, protect=True, maxInstances=20)


@pytest.mark.parametrize("policy_name", list(POLICY))
@pytest.mark.parametrize("program_factory", [run, production_program], ids=["dev", "prod"])
def test_the_real_program_passes_every_policy(policy_name, program_factory):
    assert violations(program_factory(), policy_name) == []


@pytest.mark.parametrize("policy_name", list(POLICY))
def test_no_policy_refuses_the_build_accounts_conditional_project_storage_read(policy_name):
    """The build reads its source from Cloud Functions' own bucket through a project grant under a
    condition (build_account.py); no guardrail may forbid it, or no deploy could pass."""
    program = run()
    program.resources[:] = [
        r
        for r in program.of_type(BUILD_GRANT)
        if r.inputs["role"] == "roles/storage.objectViewer" and r.inputs.get("condition")
    ]
    assert len(program.resources) == 1
    assert violations(program, policy_name) == []


def set_option(key: str, value) -> Mutation:
    return lambda program: options(program.one(CONNECTION)).__setitem__(key, value)


def set_service(key: str, value) -> Mutation:
    return lambda program: program.one(FUNCTION).wire["serviceConfig"].__setitem__(key, value)


def drop_service(key: str) -> Mutation:
    return lambda program: program.one(FUNCTION).wire["serviceConfig"].pop(key)


def set_build(key: str, value) -> Mutation:
    return lambda program: program.one(FUNCTION).wire["buildConfig"].__setitem__(key, value)


def drop_build(key: str) -> Mutation:
    return lambda program: program.one(FUNCTION).wire["buildConfig"].pop(key)


def set_token_url(url: str) -> Mutation:
    def mutate(program: ProgramRun) -> None:
        connection = program.one(CONNECTION)
        options(connection)["tokenEndpoint"] = url
        outputs = connection.outputs["options"]["value"]
        connection.outputs["options"]["value"] = {**outputs, "tokenEndpoint": url}

    return mutate


def add_env(name: str, value: str) -> Mutation:
    def mutate(program: ProgramRun) -> None:
        program.one(FUNCTION).wire["serviceConfig"]["environmentVariables"][name] = value

    return mutate


def drop_secret_env(program: ProgramRun) -> None:
    program.one(FUNCTION).wire["serviceConfig"].pop("secretEnvironmentVariables")


def add_resource(typ: str, **inputs) -> Mutation:
    def mutate(program: ProgramRun) -> None:
        extra = MockedResource(typ, "extra", inputs, dict(inputs), set(), wire=dict(inputs))
        program.resources.append(extra)

    return mutate


def plain_client_secret(program: ProgramRun) -> None:
    """Only the client secret's leaf loses its marker; the proxy secret's header keeps its own
    (with the mock's `inputs`, that one would still mark the whole options secret)."""
    client_secret = options(program.one(CONNECTION))["clientSecret"]
    assert is_secret(client_secret)
    options(program.one(CONNECTION))["clientSecret"] = client_secret["value"]


def unprotected_production(program: ProgramRun) -> None:
    connection = program.one(CONNECTION)
    connection.wire["metadata"] = {**connection.wire["metadata"], "production": "true"}
    connection.protect = False


def set_bucket(key: str, value) -> Mutation:
    return lambda program: program.one(BUCKET).wire.__setitem__(key, value)


def set_invoker(key: str, value) -> Mutation:
    return lambda program: program.one(INVOKER).wire.__setitem__(key, value)


ALTERATIONS = [
    (
        "tiktok-connection-shape",
        set_option("authorizationEndpoint", "https://open-api.tiktok.com/platform/oauth/connect/"),
        "v2 URL",
    ),
    ("tiktok-connection-shape", set_option("upstreamParams", "{}"), "client_key"),
    ("tiktok-connection-shape", set_option("upstreamParams", "not json"), "client_key"),
    (
        "tiktok-connection-shape",
        set_option("scopes", ["user.info.basic user.info.profile"]),
        "spaces",
    ),
    (
        "token-url-is-this-stacks-function",
        set_token_url(
            "http://europe-west1-acme-login-dev.cloudfunctions.net/tiktok-token-proxy-dev"
        ),
        "not https",
    ),
    (
        "token-url-is-this-stacks-function",
        set_token_url("https://tiktok-proxy.example.com/proxy/token"),
        "not the token proxy deployed by this stack",
    ),
    ("client-secret-is-secret", plain_client_secret, "remediated tiktok-connection"),
    ("production-connection-protected", unprotected_production, "orphans every user"),
    ("no-plain-secret-env", add_env("PROXY_SECRET", "hunter2"), "PROXY_SECRET looks like a secret"),
    ("no-plain-secret-env", add_env("TIKTOK_CLIENT_SECRET", "s"), "TIKTOK_CLIENT_SECRET"),
    ("function-max-instances", drop_service("maxInstanceCount"), "no max instance count"),
    ("function-max-instances", set_service("maxInstanceCount", 0), "no max instance count"),
    (
        "function-dedicated-service-account",
        set_service("serviceAccountEmail", "123-compute@developer.gserviceaccount.com"),
        "dedicated service account",
    ),
    (
        "function-dedicated-service-account",
        drop_service("serviceAccountEmail"),
        "default compute service account",
    ),
    (
        "function-dedicated-service-account",
        drop_build("serviceAccount"),
        "the project default build identity",
    ),
    (
        "function-dedicated-service-account",
        set_build(
            "serviceAccount",
            "projects/p/serviceAccounts/123-compute@developer.gserviceaccount.com",
        ),
        "build runs as projects/p/serviceAccounts/123-compute@",
    ),
    ("proxy-secret-from-secret-manager", drop_secret_env, "PROXY_SECRET from Secret Manager"),
    ("public-only-through-run-invoker", set_invoker("role", "roles/run.admin"), "roles/run.admin"),
    (
        "public-only-through-run-invoker",
        add_resource(
            "gcp:storage/bucketIAMMember:BucketIAMMember",
            bucket="b",
            role="roles/storage.objectViewer",
            member="allUsers",
        ),
        "allUsers may only be granted",
    ),
    (
        "public-only-through-run-invoker",
        add_resource(
            "gcp:cloudfunctionsv2/functionIamMember:FunctionIamMember",
            role="roles/run.invoker",
            member="allAuthenticatedUsers",
        ),
        "allAuthenticatedUsers",
    ),
    (
        "public-only-through-run-invoker",
        add_resource(
            "gcp:projects/iAMBinding:IAMBinding",
            role="roles/viewer",
            members=["user:a@b.c", "allUsers"],
        ),
        "roles/viewer",
    ),
    (
        "source-bucket-not-public",
        set_bucket("publicAccessPrevention", "inherited"),
        "public_access_prevention",
    ),
    (
        "source-bucket-not-public",
        set_bucket("uniformBucketLevelAccess", False),
        "uniform bucket-level access",
    ),
]


@pytest.mark.parametrize(
    ("policy_name", "alter", "reason"),
    ALTERATIONS,
    ids=[f"{name}-{i}" for i, (name, _, _) in enumerate(ALTERATIONS)],
)
def test_each_policy_fails_an_altered_program_for_its_reason(policy_name, alter, reason):
    program = run()
    alter(program)
    found = violations(program, policy_name)
    assert found, f"{policy_name} let the altered program through"
    assert any(reason in message for message in found), found
    for other in POLICY:  # the alteration trips no unrelated policy
        if other != policy_name:
            assert violations(program, other) == [], other


def test_a_production_connection_may_be_unprotected_only_while_it_replaces_another():
    program = production_program()
    unprotected_production(program)
    assert violations(program, "production-connection-protected")
    connection = program.one(CONNECTION)
    connection.wire["metadata"] = {**connection.wire["metadata"], "replaces": "tiktok-old"}
    assert violations(program, "production-connection-protected") == []


def test_remediation_marks_the_client_secret_secret():
    program = run()
    plain_client_secret(program)
    (message,) = violations(program, "client-secret-is-secret")
    assert message == "remediated tiktok-connection: clientSecret is now a Secret"


def test_every_policy_has_a_validator_and_the_pack_lists_them_all():
    assert len(POLICY) == len(POLICIES) == 10
    assert all(p.description for p in POLICIES)


def test_the_pack_entry_point_builds_the_pack_from_these_policies():
    import ast

    from devtools.mock_runtime import REPO

    source = (REPO / "policy" / "__main__.py").read_text()
    calls = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Call)]
    (pack,) = [c for c in calls if getattr(c.func, "id", "") == "PolicyPack"]
    assert {k.arg: ast.unparse(k.value) for k in pack.keywords}["policies"] == "POLICIES"
    manifest = yaml.safe_load((REPO / "policy" / "PulumiPolicy.yaml").read_text())
    assert manifest["runtime"]["name"] == "python"
