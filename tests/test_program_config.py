"""Stack config: defaults, per-stack values, and every mistake refused before anything exists."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from devtools.mock_runtime import REPO, RecordingMocks
from tests.program import CONNECTION, CONNECTION_CLIENTS, FUNCTION, run
from tiktok_auth0.config import DECLARED, DEFAULTS, ConfigError


@pytest.mark.parametrize(
    ("overrides", "key", "allowed"),
    [
        ({"scopes": ["user.info.basic", "user.email"]}, "scopes", "user.info.profile"),
        ({"scopes": ["user.info.basic user.info.profile"]}, "scopes", "one per list item"),
        ({"scopes": ["user.info.profile"]}, "scopes", "must include user.info.basic"),
        ({"userIdField": "email"}, "userIdField", "union_id, open_id"),
        ({"connectionName": "tik tok"}, "connectionName", "letters, digits and dashes"),
        ({"connectionName": "-tiktok"}, "connectionName", "starting and ending"),
        ({"connectionName": "tiktok-"}, "connectionName", "starting and ending"),
        ({"clientKey": ""}, "clientKey", "required"),
        ({"clientKey": None}, "clientKey", "required"),
        # The proxy takes ALLOWED_CLIENT_KEYS comma-separated and refuses to start on a key with a
        # space; TikTok's authorize page refuses anything but the key: caught here, not by a
        # function that never starts or a login that fails.
        ({"clientKey": "sbaw abc123"}, "clientKey", "letters and digits"),
        ({"clientKey": "sbawabc123,awdef456"}, "clientKey", "one client key"),
        ({"clientKey": " sbawabc123"}, "clientKey", "letters and digits"),
        ({"clientKey": ["sbawabc123"]}, "clientKey", "letters and digits"),
        ({"clientSecret": None}, "clientSecret", "pulumi config set --secret clientSecret"),
        ({"maxInstances": 0}, "maxInstances", "from 1 to"),
        ({"maxInstances": "ten"}, "maxInstances", "whole number from 1 to 2147483647"),
        # Cloud Functions v2 takes the instance counts as int32.
        ({"maxInstances": 2**31}, "maxInstances", "from 1 to 2147483647 (the API's int32)"),
        ({"maxInstances": 99999999999999999999999}, "maxInstances", "got 99999999999999999999999"),
        ({"minInstances": 2**31}, "minInstances", "from 0 to 2147483647 (the API's int32)"),
        ({"minInstances": -1}, "minInstances", "from 0 to 2147483647"),
        ({"minInstances": 5, "maxInstances": 2}, "minInstances", "at most maxInstances"),
        ({"protect": "yes"}, "protect", "true or false"),
        ({"enabledClients": "clientA"}, "enabledClients", "list of Auth0 client ids"),
        ({"gcp:region": None}, "gcp:region", "required"),
        ({"gcp:project": None}, "gcp:project", "required"),
        ({"gcp:project": "My_Project"}, "gcp:project", "is not a GCP project ID: 6 to 30"),
        ({"gcp:project": "p"}, "gcp:project", "lowercase letters, digits and hyphens"),
        ({"gcp:project": "a" * 31}, "gcp:project", "is not a GCP project ID"),
        ({"gcp:project": "1-project"}, "gcp:project", "starting with a letter"),
        ({"gcp:project": "my-project-"}, "gcp:project", "not ending with a hyphen"),
        (
            {"gcp:project": "google.com:my-project"},
            "gcp:project",
            "'google.com:my-project' is a domain-scoped project ID (<domain>:<id>), which is not "
            "supported: the project ID is part of the names",
        ),
        ({"gcp:region": "Europe West"}, "gcp:region", "not a GCP region name such as"),
        ({"gcp:region": "europe-west"}, "gcp:region", "gcloud functions regions list"),
        ({"gcp:region": "europe-west1-b"}, "gcp:region", "<geography>-<direction><number>"),
        ({"enabledClients": ["a b"]}, "enabledClients", "'a b' is not an Auth0 client id"),
        ({"enabledClients": [""]}, "enabledClients", "has no spaces and is not empty"),
        ({"enabledClients": ["abc", "abc"]}, "enabledClients", "'abc' listed more than once"),
        ({"replaceConnection": "tiktok"}, "replaceConnection", "cannot replace itself; remove"),
        ({"auth0:domain": None}, "auth0:domain", "required; your Auth0 tenant's domain"),
        ({"auth0:domain": "https://acme.eu.auth0.com/"}, "auth0:domain", "not a bare host name"),
        ({"auth0:domain": "acme.eu.auth0.com:443"}, "auth0:domain", "drop the scheme, port"),
        ({"auth0:domain": "Acme.eu.auth0.com"}, "auth0:domain", "lowercase, dotted"),
        ({"production": True}, "protect", "must be true when production is true"),
        ({"production": True, "protect": False}, "protect", "set protect: true"),
        ({"production": "yes"}, "production", "true or false"),
        ({"retainOnDelete": "no"}, "retainOnDelete", "true or false"),
        ({"replaceConnection": "tik tok"}, "replaceConnection", "name the deployed connection"),
        ({"scope": ["user.info.basic"]}, "scope", "did you mean scopes?"),
        ({"clientkey": "k"}, "clientkey", "did you mean clientKey?"),
        ({"maxinstances": 3}, "maxinstances", "did you mean maxInstances?"),
        ({"retain": False}, "retain", "did you mean retainOnDelete?"),
        ({"region": "europe-west1"}, "region", "it is not a key of this project"),
    ],
)
def test_config_mistakes_name_the_key_and_what_is_allowed(overrides, key, allowed):
    mocks = RecordingMocks("p", "r")
    with pytest.raises(ConfigError) as caught:
        run(mocks=mocks, **overrides)
    message = str(caught.value)
    assert f"{key}:" in message
    assert allowed in message
    assert mocks.resources == [], "resources were declared before the config was checked"


@pytest.mark.parametrize(
    ("scopes", "problem"),
    [
        (
            ["user.info.basic user.info.profile"],
            "'user.info.basic user.info.profile' holds 2 scopes in one item; write them one per "
            "list item: user.info.basic, user.info.profile",
        ),
        (
            ["user.info.basic,user.info.stats"],
            "'user.info.basic,user.info.stats' holds 2 scopes in one item; write them one per "
            "list item: user.info.basic, user.info.stats",
        ),
        ([" user.info.basic"], "' user.info.basic' has spaces around it; write 'user.info.basic'"),
    ],
)
def test_an_item_holding_several_scopes_is_one_problem_not_a_missing_basic_scope(scopes, problem):
    with pytest.raises(ConfigError) as caught:
        run(scopes=scopes)
    assert caught.value.problems == (f"scopes: {problem}",)


def test_a_plain_text_client_secret_is_refused_saying_how_to_set_it_on_this_stack():
    with pytest.raises(ConfigError) as caught:
        run("prod", plain_secret=True)
    assert caught.value.problems == (
        "clientSecret: must be stored as a secret; set it again with "
        "`pulumi config set --secret clientSecret -s prod`",
    )


def test_every_problem_is_reported_at_once():
    url: dict[str, Any] = {"auth0:domain": "https://acme.eu.auth0.com"}
    with pytest.raises(ConfigError) as caught:
        run(
            userIdField="email",
            maxInstances=0,
            scopes=["video.list"],
            scope=["user.info.basic"],
            production=True,
            **url,
        )
    keys = [problem.split(":")[0] for problem in caught.value.problems]
    assert sorted(keys) == sorted(
        ["scope", "scopes", "userIdField", "maxInstances", "protect", "auth0"]
    )


def test_an_undeclared_key_names_every_declared_one():
    with pytest.raises(ConfigError) as caught:
        run(enabledClient=["a"])
    (problem,) = caught.value.problems
    assert problem.startswith("enabledClient: not declared in Pulumi.yaml, so it would be ignored")
    assert "did you mean enabledClients?" in problem
    for key in DECLARED:
        assert key in problem.split("(declared: ")[1]


def test_provider_keys_of_other_namespaces_are_not_this_projects_business():
    others: dict[str, Any] = {
        "gcp:zone": "europe-west1-b",
        "auth0:debug": "true",
        "random:unused": "x",
        # The engine's own keys (pulumi/pulumi sdk/go/common/workspace/project.go, pulumi:tags).
        "pulumi:tags": '{"team": "identity"}',
        "pulumi:disable-default-providers": '["aws"]',
        # Another program's providers, configured in the same stack.
        "aws:region": "eu-west-1",
        "kubernetes:context": "prod",
        "tiktok:anything": "x",
    }
    program = run(**others)
    assert program.one(FUNCTION).inputs["location"] == "europe-west1"


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("tiktok-conection:maxInstances", "tiktok-connection:maxInstances"),
        ("tiktok-connections:clientKey", "tiktok-connection:clientKey"),
        ("TikTok-Connection:maxInstances", "tiktok-connection:maxInstances"),
        ("tiktok_connection:maxInstances", "tiktok-connection:maxInstances"),
        ("tiktok-conection:maxinstance", "tiktok-connection:maxInstances"),
    ],
)
def test_a_key_in_a_namespace_close_to_the_projects_is_refused_with_the_key_it_meant(given, meant):
    mocks = RecordingMocks("p", "r")
    with pytest.raises(ConfigError) as caught:
        typo: dict[str, Any] = {given: 5}
        run(mocks=mocks, **typo)
    assert (
        f"{given}: the namespace {given.split(':')[0]} is not this project's (tiktok-connection) "
        "nor a provider's it uses (auth0, gcp, pulumi, random), so the key would be ignored; did "
        f"you mean {meant}?"
    ) in caught.value.problems
    assert mocks.resources == []


def test_a_custom_auth0_domain_is_warned_about_unless_an_audience_is_set():
    custom: dict[str, Any] = {"auth0:domain": "login.acme.com"}
    (warning,) = run(**custom).warnings
    assert "auth0:domain: 'login.acme.com' is not a tenant domain" in warning
    assert "auth0:audience to https://<tenant>.<region>.auth0.com/api/v2/" in warning
    custom["auth0:audience"] = "https://acme.eu.auth0.com/api/v2/"
    assert run(**custom).warnings == []
    assert run().warnings == []  # a tenant domain


def test_defaults_apply_when_keys_are_unset():
    program = run()
    connection, function = program.one(CONNECTION), program.one(FUNCTION)
    assert connection.inputs["name"] == "tiktok"
    assert connection.inputs["displayName"] == "TikTok"
    assert program.exports["scopes"].value == ["user.info.basic"]
    assert program.exports["enabledClients"].value == []
    assert function.inputs["serviceConfig"]["maxInstanceCount"] == 10
    assert function.inputs["serviceConfig"]["minInstanceCount"] == 0
    assert connection.protect is False
    assert connection.retain_on_delete is True
    assert connection.inputs["metadata"]["production"] == "false"


def test_retain_on_delete_can_be_turned_off_for_a_throwaway_stack():
    program = run(retainOnDelete=False)
    assert program.one(CONNECTION).retain_on_delete is False


def test_only_the_connection_is_retained_not_its_enabled_applications():
    # Left enabled, a retained old connection would offer a second TikTok button after a rename.
    assert run().one(CONNECTION_CLIENTS).retain_on_delete is False


def test_production_is_in_the_connections_metadata_for_the_policy_pack():
    connection = run(production=True, protect=True).one(CONNECTION)
    assert connection.inputs["metadata"] == {"pulumi-stack": "dev", "production": "true"}


def test_pulumi_yaml_declares_every_key_with_the_programs_defaults():
    project = yaml.safe_load((REPO / "Pulumi.yaml").read_text())
    assert project["name"] == "tiktok-connection"
    assert project["runtime"]["name"] == "python"
    declared = project["config"]
    assert set(declared) == {"clientKey", "clientSecret", *DEFAULTS}
    for key, spec in declared.items():
        assert spec["type"] in {"string", "integer", "boolean", "array"}, key
        assert spec["description"], key
        if key in DEFAULTS:
            assert spec["default"] == DEFAULTS[key], key
        else:
            assert "default" not in spec, f"{key} is required and must have no default"
    assert declared["clientSecret"]["secret"] is True


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_example_stack_files_hold_no_secret_values(stack):
    stack_config = yaml.safe_load((REPO / f"Pulumi.{stack}.yaml").read_text())["config"]
    assert "tiktok-connection:clientSecret" not in stack_config
    assert not any("secret" in key.lower() for key in stack_config)


@pytest.mark.parametrize(
    ("project", "region"),
    [
        ("acme-1", "us-central1"),
        ("a" + "b" * 29, "northamerica-northeast1"),
        ("my-gcp-project-dev", "europe-west10"),
    ],
)
def test_project_ids_and_region_names_of_the_documented_shapes_are_accepted(project, region):
    program = run(**{"gcp:project": project, "gcp:region": region})
    function = program.one("gcp:cloudfunctionsv2/function:Function")
    assert (function.inputs["project"], function.inputs["location"]) == (project, region)
