"""The Pulumi schema other languages get, as Pulumi's analyzer infers it from TikTokLogin.

`pulumi package add` asks the plugin for this schema and generates the TypeScript, Go, .NET or
Python SDK from it: these names, types, required inputs and descriptions are the interface.
"""

from __future__ import annotations

import json
import re
import tomllib

import pytest
from pulumi.provider.experimental.analyzer import Analyzer, PropertyDefinition, PropertyType
from pulumi.provider.experimental.schema import generate_schema

from devtools.mock_runtime import REPO
from tiktok_auth0 import TikTokLoginArgs
from tiktok_auth0.plugin import COMPONENTS, PACKAGE
from tiktok_auth0.tiktok import LOGIN_SCOPES, USER_ID_FIELDS
from tiktok_auth0.token_proxy import REQUEST_CONCURRENCY

VERSION = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
STRING, ARRAY = PropertyType.STRING, PropertyType.ARRAY
INTEGER, BOOLEAN = PropertyType.INTEGER, PropertyType.BOOLEAN
# name: (type, required, plain). Plain inputs must be known when the program runs (they name
# resources and render the profile script); the client secret and the enabled clients may be
# outputs of other resources or secrets.
INPUTS = {
    "clientKey": (STRING, True, True),
    "clientSecret": (STRING, True, False),
    "scopes": (ARRAY, False, True),
    "userIdField": (STRING, False, True),
    "enabledClients": (ARRAY, False, False),
    "connectionName": (STRING, False, True),
    "displayName": (STRING, False, True),
    "gcpProject": (STRING, False, True),
    "gcpRegion": (STRING, False, True),
    "minInstances": (INTEGER, False, True),
    "maxInstances": (INTEGER, False, True),
    "protect": (BOOLEAN, False, True),
    "retainOnDelete": (BOOLEAN, False, True),
    "production": (BOOLEAN, False, True),
    "replaceConnection": (STRING, False, True),
    "monitoring": (BOOLEAN, False, True),
    "alertNotificationChannels": (ARRAY, False, False),
    "alertUpstreamFailures": (INTEGER, False, True),
    "alertRefusedCalls": (INTEGER, False, True),
    "alertLatencyP95Ms": (INTEGER, False, True),
    "proxySecretGeneration": (INTEGER, False, True),
    "proxySecretKeepPrevious": (BOOLEAN, False, True),
}
OUTPUTS = {
    "tokenUrl",
    "connectionId",
    "connectionName",
    "functionName",
    "functionUrl",
    "proxySourceSha256",
    "profileScriptSha256",
    "proxySecretId",
    # Present with monitoring on (the default), absent with it off.
    "alertPolicies",
    "uptimeCheck",
    "dashboard",
}
OPTIONAL_OUTPUTS = {"alertPolicies", "uptimeCheck", "dashboard"}
OBJECT = PropertyType.OBJECT
# Outputs that name a secret without carrying it: its Secret Manager resource name.
SECRET_NAMES = {"proxySecretId"}


@pytest.fixture(scope="module")
def analysis():
    return Analyzer(PACKAGE).analyze(COMPONENTS)


@pytest.fixture(scope="module")
def login(analysis):
    return analysis["component_definitions"]["TikTokLogin"]


@pytest.fixture(scope="module")
def schema(analysis):
    definitions = analysis["component_definitions"]
    return generate_schema(PACKAGE, VERSION, None, definitions, {}, []).to_json()


def test_the_args_are_the_issues_fields():
    assert list(TikTokLoginArgs.__annotations__) == [
        "client_key",
        "client_secret",
        "scopes",
        "user_id_field",
        "enabled_clients",
        "connection_name",
        "display_name",
        "gcp_project",
        "gcp_region",
        "min_instances",
        "max_instances",
        "protect",
        "retain_on_delete",
        "production",
        "replace_connection",
        # Operating it (issue 11): monitoring, its thresholds and channels, rotation.
        "monitoring",
        "alert_notification_channels",
        "alert_upstream_failures",
        "alert_refused_calls",
        "alert_latency_p95_ms",
        "proxy_secret_generation",
        "proxy_secret_keep_previous",
    ]
    assert TikTokLoginArgs.__required_keys__ == {"client_key", "client_secret"}


def test_inputs_types_required_and_plain(login):
    found = {
        name: (prop.type, not prop.optional, bool(prop.plain))
        for name, prop in login.inputs.items()
    }
    assert found == INPUTS
    for name in ("scopes", "enabledClients", "alertNotificationChannels"):
        assert login.inputs[name].items.type is STRING
    assert login.inputs_mapping["userIdField"] == "user_id_field"


def test_outputs_are_the_promised_strings_and_always_set(login):
    assert set(login.outputs) == OUTPUTS
    for name, prop in login.outputs.items():
        kind = OBJECT if name == "alertPolicies" else STRING
        assert (prop.type, prop.optional, prop.plain) == (kind, name in OPTIONAL_OUTPUTS, None), (
            name
        )
    assert login.outputs["alertPolicies"].additional_properties.type is STRING


def test_secrets_can_stay_secret_and_none_is_an_output(login, schema):
    """The schema format this SDK writes has no per-property secret flag, so what it can say is
    said: the client secret is not plain (a secret output of another program reaches the component
    with its secrecy), and no output carries a secret. The component marks the value secret itself
    (tests/test_consumer.py checks the leaf the engine receives)."""
    assert not login.inputs["clientSecret"].plain
    resource = schema["resources"][f"{PACKAGE}:index:TikTokLogin"]
    assert "plain" not in resource["inputProperties"]["clientSecret"]
    named = {name for name in resource["properties"] if re.search("secret|password", name, re.I)}
    assert named == SECRET_NAMES
    for name in SECRET_NAMES:
        assert "never the secret's value" in resource["properties"][name]["description"]


def test_every_property_is_documented_with_its_allowed_values(login):
    properties: list[tuple[str, PropertyDefinition]] = [
        *login.inputs.items(),
        *login.outputs.items(),
    ]
    for name, prop in properties:
        assert prop.description and len(prop.description) > 30, name
        assert "\n" not in prop.description, f"{name}: the schema would keep the indentation"
    inputs = {name: prop.description or "" for name, prop in login.inputs.items()}
    for scope in LOGIN_SCOPES:
        assert f"`{scope}`" in inputs["scopes"]
    for field in USER_ID_FIELDS:
        assert f"`{field}`" in inputs["userIdField"]
    assert "1 to 128 letters, digits and dashes" in inputs["connectionName"]
    assert "whole number from 0 to `max_instances`" in inputs["minInstances"]
    assert "whole number from 1 to 2147483647" in inputs["maxInstances"]
    # What one instance serves is the concurrency the function is deployed with.
    assert f"up to {REQUEST_CONCURRENCY} token exchanges at once" in inputs["maxInstances"]
    for flag in ("protect", "retainOnDelete", "production"):
        assert "true or false" in inputs[flag], flag
    assert "Must be true when `production` is" in inputs["protect"]
    assert "Default: true." in inputs["retainOnDelete"]
    assert "stack's last deployment" in inputs["replaceConnection"]
    assert "true or false" in inputs["monitoring"]
    assert "`projects/<project>/notificationChannels/<id>`" in inputs["alertNotificationChannels"]
    assert "whole number, 0 or more" in inputs["alertUpstreamFailures"]
    assert "whole number, 0 or more" in inputs["alertRefusedCalls"]
    assert "whole number from 100 to 60000" in inputs["alertLatencyP95Ms"]
    assert "whole number, 0 or more" in inputs["proxySecretGeneration"]
    assert "true or false" in inputs["proxySecretKeepPrevious"]
    for name, prop in login.inputs.items():
        assert ("Default:" in inputs[name]) == prop.optional, name
    outputs = {name: prop.description or "" for name, prop in login.outputs.items()}
    assert "at most 63 characters" in outputs["functionName"]
    assert "64 lowercase hex digits" in outputs["proxySourceSha256"]
    assert "64 lowercase hex digits" in outputs["profileScriptSha256"]


def test_the_package_and_its_one_component(schema, login):
    assert (schema["name"], schema["version"]) == ("tiktok-auth0", VERSION)
    assert list(schema["resources"]) == ["tiktok-auth0:index:TikTokLogin"]
    resource = schema["resources"]["tiktok-auth0:index:TikTokLogin"]
    assert resource["isComponent"] is True
    assert sorted(resource["requiredInputs"]) == ["clientKey", "clientSecret"]
    assert sorted(resource["required"]) == sorted(OUTPUTS - OPTIONAL_OUTPUTS)
    assert login.description.startswith("TikTok login behind Auth0")
    assert "\n    " not in login.description
    json.dumps(schema)  # what the plugin serves


def test_the_readme_lists_every_argument_and_output(login):
    """ "Use it from your own program" names the component's arguments and outputs: all of them."""
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Use it from your own program") : readme.index("## Upgrading")]
    section = " ".join(section.split())
    arguments = re.search(r"Its arguments: (.*?); they mean", section)
    outputs = re.search(r"Its outputs: (.*?)\.", section)
    assert arguments and outputs
    named = re.findall(r"`(\w+)`", arguments.group(1))
    assert named == list(TikTokLoginArgs.__annotations__)
    python_outputs = {login.outputs_mapping[name] for name in login.outputs}
    assert set(re.findall(r"`(\w+)`", outputs.group(1))) == python_outputs
