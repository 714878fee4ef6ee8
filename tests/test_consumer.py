"""Another team's program uses the package from its wheel: two TikTokLogin instances in one stack.

The wheel is installed into a fresh virtualenv outside the checkout (the `consumer_venv` fixture
in conftest.py), and tests/consumer/program.py runs there under Pulumi's mock runtime, from a
directory outside the checkout. The assertions read the RegisterResource requests as serialised
for the engine, where a secret is marked on its own leaf (the mock runtime's inputs lift it onto
the enclosing object).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

import pytest
from pulumi.runtime import rpc

from devtools.mock_runtime import REPO
from tiktok_auth0.profile_script import render_profile_script

PROGRAM = REPO / "tests" / "consumer" / "program.py"
FUNCTION = "gcp:cloudfunctionsv2/function:Function"
CONNECTION = "auth0:index/connection:Connection"


def run_consumer(venv: Path, tmp_path: Path, *args: str) -> dict[str, Any]:
    workdir = tmp_path / "acme-identity"  # the other team's project, outside the checkout
    workdir.mkdir()
    shutil.copy(PROGRAM, workdir / "__main__.py")
    result = subprocess.run(
        [str(venv / "bin" / "python"), "__main__.py", *args],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def consumer(consumer_venv, tmp_path_factory) -> dict[str, Any]:
    return run_consumer(consumer_venv, tmp_path_factory.mktemp("run"))


def resources(run: dict[str, Any], typ: str, suffix: str = "") -> dict[str, dict[str, Any]]:
    """The instance's name -> the request for its resource of type `typ` (whose logical name
    ends in `suffix`, where an instance has several of that type)."""
    found = {}
    for request in run["requests"]:
        if request["type"] == typ and request["name"].endswith(suffix):
            instance = next(n for n in ("tiktok-eu", "tiktok") if request["name"].startswith(n))
            assert instance not in found, f"two {typ} in {instance}"
            found[instance] = request
    assert set(found) == {"tiktok", "tiktok-eu"}, typ
    return found


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def test_the_package_comes_from_the_wheel_not_the_checkout(consumer, consumer_venv):
    package = consumer["package"]
    for key in ("module", "proxy_dir", "profile_script"):
        assert Path(package[key]).is_relative_to(consumer_venv), key
    dependencies = sysconfig.get_paths()["purelib"]  # reached through the .pth line
    from_checkout = [
        p for p in consumer["sys_path"] if p.startswith(str(REPO)) and p != dependencies
    ]
    assert from_checkout == []
    assert package["version"] == _project_version()


def test_two_instances_get_distinct_gcp_and_auth0_names(consumer):
    names = {
        (FUNCTION, ""): "name",
        ("gcp:serviceaccount/account:Account", "-runtime"): "accountId",
        ("gcp:serviceaccount/account:Account", "-build"): "accountId",
        ("gcp:secretmanager/secret:Secret", ""): "secretId",
        ("gcp:storage/bucket:Bucket", ""): "name",
        (CONNECTION, ""): "name",
    }
    for (typ, suffix), key in names.items():
        per_instance = {i: r["object"][key] for i, r in resources(consumer, typ, suffix).items()}
        assert per_instance["tiktok"] != per_instance["tiktok-eu"], typ
    functions = resources(consumer, FUNCTION)
    assert functions["tiktok"]["object"]["name"] == "tiktok-token-proxy-staging"
    assert functions["tiktok-eu"]["object"]["name"] == "tiktok-eu-token-proxy-staging"
    urns = [r["urn"] for r in consumer["requests"]]
    assert len(urns) == len(set(urns))


def test_each_connection_is_wired_to_its_own_proxy(consumer):
    functions, connections = resources(consumer, FUNCTION), resources(consumer, CONNECTION)
    passwords = resources(consumer, "random:index/randomPassword:RandomPassword")
    for instance, connection in connections.items():
        options = connection["object"]["options"]
        function = functions[instance]["object"]
        assert options["tokenEndpoint"].endswith(f"/{function['name']}")
        (header,) = options["customHeaders"]
        assert header["value"]["value"] == f"generated-{passwords[instance]['name']}"
        assert (
            header["header"]
            == function["serviceConfig"]["environmentVariables"]["PROXY_SECRET_HEADER"]
        )
        client_key = function["serviceConfig"]["environmentVariables"]["ALLOWED_CLIENT_KEYS"]
        assert options["clientId"] == client_key
        assert json.loads(options["upstreamParams"]) == {"client_key": {"value": client_key}}
    secrets = resources(consumer, "gcp:secretmanager/secret:Secret")
    for instance, function in functions.items():
        (env,) = function["object"]["serviceConfig"]["secretEnvironmentVariables"]
        assert env["secret"] == secrets[instance]["object"]["secretId"]


def test_each_profile_script_is_rendered_from_its_own_scopes_and_user_id_field(consumer):
    connections = resources(consumer, CONNECTION)
    expected = {
        "tiktok": render_profile_script(("user.info.basic",), "union_id"),
        "tiktok-eu": render_profile_script(("user.info.basic", "user.info.profile"), "open_id"),
    }
    for instance, connection in connections.items():
        options = connection["object"]["options"]
        assert options["scripts"]["fetchUserProfile"] == expected[instance]
    assert connections["tiktok-eu"]["object"]["options"]["scopes"] == [
        "user.info.basic,user.info.profile"
    ]


def test_secrets_are_secret_on_their_own_leaf(consumer):
    connections = resources(consumer, CONNECTION)
    expected = {
        "tiktok": "consumer-secret-from-config-1f2e",  # a config secret
        "tiktok-eu": "consumer-secret-passed-plain-9c8d",  # a plain string, marked by the component
    }
    for instance, connection in connections.items():
        options = connection["object"]["options"]
        assert not is_secret(options)
        assert is_secret(options["clientSecret"])
        assert options["clientSecret"]["value"] == expected[instance]
        assert is_secret(options["customHeaders"][0]["value"])
        for plain in ("clientId", "tokenEndpoint", "scopes", "upstreamParams", "scripts"):
            assert not is_secret(options[plain]), plain
    for instance, version in resources(
        consumer, "gcp:secretmanager/secretVersion:SecretVersion"
    ).items():
        assert is_secret(version["object"]["secretData"]), instance
    everything = json.dumps([_without_secrets(r["object"]) for r in consumer["requests"]])
    for value in expected.values():
        assert value not in everything
    assert "generated-" not in everything


def test_outputs_are_plain_and_per_instance(consumer):
    outputs = consumer["outputs"]
    assert not any(o["secret"] for o in outputs.values())
    assert outputs["tiktok.token_url"]["value"].endswith("/tiktok-token-proxy-staging")
    assert outputs["tiktok-eu.token_url"]["value"].endswith("/tiktok-eu-token-proxy-staging")
    assert outputs["tiktok.connection_name"]["value"] == "tiktok"
    assert outputs["tiktok-eu.connection_name"]["value"] == "tiktok-eu"


def test_mistakes_are_refused_naming_the_arguments_as_passed_before_anything_exists(
    consumer_venv, tmp_path
):
    run = run_consumer(consumer_venv, tmp_path, "invalid")
    error = run["error"]
    assert error.startswith("TikTokLogin 'tiktok': arguments are not usable:")
    for message in (  # the stack config's words, with the arguments as the Python program wrote
        "client_key: required; the client key of your TikTok app (Login Kit)",
        "scopes: 'user.email' not allowed",
        "user_id_field: 'email' is not allowed; use one of union_id, open_id",
        "min_instances: 4 is above max_instances (2); it must be at most max_instances",
        "user_id_fields: not an argument of TikTokLogin",
    ):
        assert message in error
    assert [r["type"] for r in run["requests"]] == ["pulumi:pulumi:Stack"]  # the mock's root


def _without_secrets(value: Any) -> Any:
    if is_secret(value):
        return "[secret]"
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def _project_version() -> str:
    import tomllib

    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
