"""Stack config: defaults, per-stack values, and every mistake refused before anything exists."""

from __future__ import annotations

import pytest
import yaml

from devtools.mock_runtime import REPO, RecordingMocks
from tests.program import CONNECTION, FUNCTION, run
from tiktok_auth0.config import DEFAULTS, ConfigError


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
        ({"clientSecret": None}, "clientSecret", "pulumi config set --secret clientSecret"),
        ({"maxInstances": 0}, "maxInstances", ">= 1"),
        ({"maxInstances": "ten"}, "maxInstances", "whole number >= 1"),
        ({"minInstances": -1}, "minInstances", ">= 0"),
        ({"minInstances": 5, "maxInstances": 2}, "minInstances", "at most maxInstances"),
        ({"protect": "yes"}, "protect", "true or false"),
        ({"enabledClients": "clientA"}, "enabledClients", "list of Auth0 client ids"),
        ({"gcp:region": None}, "gcp:region", "required"),
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


def test_a_plain_text_client_secret_is_refused():
    with pytest.raises(ConfigError, match="clientSecret: must be stored as a secret"):
        run(plain_secret=True)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ConfigError) as caught:
        run(userIdField="email", maxInstances=0, scopes=["video.list"])
    message = str(caught.value)
    for key in ("userIdField:", "maxInstances:", "scopes:"):
        assert key in message


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
