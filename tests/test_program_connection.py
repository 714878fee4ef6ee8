"""The Auth0 connection and its enabled applications, as the real program declares them."""

from __future__ import annotations

import json

import pytest

from tests.program import (
    CLIENT_SECRET,
    CONNECTION,
    CONNECTION_CLIENTS,
    FUNCTION,
    PASSWORD,
    is_secret,
    run,
    unwrap,
)
from tiktok_auth0.profile_script import render_profile_script


def connection_options(program) -> dict:
    options = program.one(CONNECTION).inputs["options"]
    assert is_secret(options), "the options carry the client secret, so they must be secret"
    return unwrap(options)


def test_connection_is_an_oauth2_connection_to_tiktok_v2():
    program = run(scopes=["user.info.basic", "user.info.profile"], displayName="TikTok Login")
    connection = program.one(CONNECTION)
    assert connection.inputs["strategy"] == "oauth2"
    assert connection.inputs["name"] == "tiktok"
    assert connection.inputs["displayName"] == "TikTok Login"
    assert connection.parent_type == "tiktok-auth0:index:TikTokConnection"
    options = connection_options(program)
    assert options["authorizationEndpoint"] == "https://www.tiktok.com/v2/auth/authorize/"
    assert options["clientId"] == "sbawtestclientkey"
    assert options["scopes"] == ["user.info.basic,user.info.profile"]
    assert options["setUserRootAttributes"] == "on_each_login"
    assert options["pkceEnabled"] is False


def test_token_endpoint_is_the_function_deployed_by_the_same_stack():
    program = run()
    function = program.one(FUNCTION)
    assert connection_options(program)["tokenEndpoint"] == function.outputs["url"]
    assert "tiktok-function" in program.one(CONNECTION).depends_on


def test_upstream_params_carry_the_client_key_as_compact_sorted_json():
    options = connection_options(run(clientKey="awkey123"))
    assert options["upstreamParams"] == '{"client_key":{"value":"awkey123"}}'
    assert json.loads(options["upstreamParams"]) == {"client_key": {"value": "awkey123"}}


def test_client_secret_and_proxy_secret_are_secret_values():
    program = run()
    options = connection_options(program)
    assert options["clientSecret"] == CLIENT_SECRET
    (header,) = options["customHeaders"]
    assert header["header"] == "X-Proxy-Secret"
    assert header["value"] == program.one(PASSWORD).outputs["result"]


@pytest.mark.parametrize(
    ("scopes", "user_id_field"),
    [
        (["user.info.basic"], "union_id"),
        (["user.info.basic", "user.info.profile", "user.info.stats"], "open_id"),
    ],
)
def test_profile_script_is_rendered_from_config(scopes, user_id_field):
    options = connection_options(run(scopes=scopes, userIdField=user_id_field))
    script = options["scripts"]["fetchUserProfile"]
    assert set(options["scripts"]) == {"fetchUserProfile"}
    assert script == render_profile_script(tuple(scopes), user_id_field)
    assert f'const USER_ID_FIELD = "{user_id_field}";' in script
    (fields_line,) = [line for line in script.splitlines() if "const SCOPE_FIELDS" in line]
    assert ("username" in fields_line) == ("user.info.profile" in scopes)
    assert ("follower_count" in fields_line) == ("user.info.stats" in scopes)


def test_enabled_clients_are_owned_by_one_connection_clients_resource():
    program = run(enabledClients=["clientA", "clientB"])
    clients = program.one(CONNECTION_CLIENTS)
    assert clients.inputs["enabledClients"] == ["clientA", "clientB"]
    assert clients.inputs["connectionId"] == "tiktok-connection-id"
    assert program.of_type("auth0:index/connectionClient:ConnectionClient") == []


@pytest.mark.parametrize("protect", [True, False])
def test_protect_applies_to_the_connection_and_its_enabled_applications(protect):
    program = run(protect=protect)
    assert program.one(CONNECTION).protect is protect
    assert program.one(CONNECTION_CLIENTS).protect is protect


def test_connection_name_comes_from_config():
    assert run(connectionName="tiktok-eu").one(CONNECTION).inputs["name"] == "tiktok-eu"
