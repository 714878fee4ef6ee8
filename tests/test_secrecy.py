"""Secrets are secret on their own leaf, as the engine receives them, and nowhere else.

The mock runtime's `inputs` lift a secret leaf's marker onto the whole enclosing object, so a
check of `options` passes even when the client secret is plain. These checks read each
RegisterResource request as serialised for the engine (`MockedResource.wire`), where a secret
keeps its envelope on its own leaf. Each check is shown to fail when its value is made plain
(the mutation tests below), and `make plan` masks by that marker, not by a field's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pulumi
import pulumi_auth0
import pulumi_gcp
import pytest
from pulumi_gcp.secretmanager import SecretVersion

from devtools.mock_runtime import ProgramRun
from devtools.plan import render_plan
from tests.program import (
    CLIENT_SECRET,
    CONNECTION,
    PASSWORD,
    SECRET_VERSION,
    UPTIME_CHECK,
    is_secret,
    run,
)

Check = Callable[[ProgramRun], None]


def wire(program: ProgramRun, typ: str) -> dict[str, Any]:
    return program.one(typ).wire


def secret_leaves(value: Any, path: str = "") -> list[str]:
    """Paths of the leaves that carry the secret marker."""
    if is_secret(value):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in secret_leaves(v, f"{path}.{k}".lstrip("."))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in secret_leaves(v, f"{path}[{i}]")]
    return []


def check_client_secret(program: ProgramRun) -> None:
    options = wire(program, CONNECTION)["options"]
    assert not is_secret(options), "the whole options object is marked, not its leaf"
    assert is_secret(options["clientSecret"]), "the client secret reaches the engine plain"
    assert options["clientSecret"]["value"] == CLIENT_SECRET


def check_proxy_secret(program: ProgramRun) -> None:
    (header,) = wire(program, CONNECTION)["options"]["customHeaders"]
    assert not is_secret(header["header"])
    assert is_secret(header["value"]), "the proxy secret reaches Auth0's connection plain"
    assert header["value"]["value"] == program.one(PASSWORD).outputs["result"]


def check_secret_data(program: ProgramRun) -> None:
    data = wire(program, SECRET_VERSION)["secretData"]
    assert is_secret(data), "the secret version's data reaches the engine plain"
    assert data["value"] == program.one(PASSWORD).outputs["result"]


def check_uptime_header(program: ProgramRun) -> None:
    http = wire(program, UPTIME_CHECK)["httpCheck"]
    assert not is_secret(http["headers"]), "the whole headers object is marked, not its leaf"
    value = http["headers"]["X-Proxy-Secret"]
    assert is_secret(value), "the proxy secret reaches the uptime check plain"
    assert value["value"] == program.one(PASSWORD).outputs["result"]


CHECKS: dict[str, Check] = {
    "client secret": check_client_secret,
    "proxy secret": check_proxy_secret,
    "secret data": check_secret_data,
    "uptime check header": check_uptime_header,
}
EXPECTED_SECRET_LEAVES = {
    (CONNECTION, "options.clientSecret"),
    (CONNECTION, "options.customHeaders[0].value"),
    (SECRET_VERSION, "secretData"),
    (UPTIME_CHECK, "httpCheck.headers.X-Proxy-Secret"),
}


@pytest.mark.parametrize("name", list(CHECKS))
def test_each_secret_is_secret_on_its_own_leaf(name):
    CHECKS[name](run())


def test_exactly_the_secrets_are_marked_and_nothing_else():
    program = run()
    marked = {(r.typ, leaf) for r in program.resources for leaf in secret_leaves(r.wire)}
    assert marked == EXPECTED_SECRET_LEAVES


# -- mutations: each value made plain where it leaves our hands -------------------------------
@contextmanager
def plain_argument(module: Any, name: str, argument: str) -> Iterator[None]:
    """`module.name(...)` receives `argument` with its secret marker taken off."""
    original = getattr(module, name)

    def made_plain(*args: Any, **kwargs: Any) -> Any:
        kwargs[argument] = pulumi.Output.unsecret(pulumi.Output.from_input(kwargs[argument]))
        return original(*args, **kwargs)

    with mock.patch.object(module, name, made_plain):
        yield


@contextmanager
def plain_header(module: Any, name: str) -> Iterator[None]:
    """`module.name(...)` receives each of its `headers` with the secret marker taken off."""
    original = getattr(module, name)

    def made_plain(*args: Any, **kwargs: Any) -> Any:
        kwargs["headers"] = {k: pulumi.Output.unsecret(v) for k, v in kwargs["headers"].items()}
        return original(*args, **kwargs)

    with mock.patch.object(module, name, made_plain):
        yield


@contextmanager
def secret_version_unmarked() -> Iterator[None]:
    """The gcp SDK marks `secret_data` secret itself; this takes that marking away (what a
    careless upgrade of the SDK, or a raw registration, would do)."""
    original = SecretVersion._internal_init

    def unmarked(self: Any, *args: Any, **kwargs: Any) -> None:
        with mock.patch.object(pulumi.Output, "secret", pulumi.Output.from_input):
            original(self, *args, **kwargs)

    with mock.patch.object(SecretVersion, "_internal_init", unmarked):
        yield


MUTATIONS: dict[str, Callable[[], Any]] = {
    "client secret": lambda: plain_argument(pulumi_auth0, "ConnectionOptionsArgs", "client_secret"),
    "proxy secret": lambda: plain_argument(
        pulumi_auth0, "ConnectionOptionsCustomHeaderArgs", "value"
    ),
    "secret data": secret_version_unmarked,
    "uptime check header": lambda: plain_header(
        pulumi_gcp.monitoring, "UptimeCheckConfigHttpCheckArgs"
    ),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_each_secrecy_check_fails_when_its_value_is_made_plain(name):
    with MUTATIONS[name]():
        mutated = run()
    with pytest.raises(AssertionError, match="plain"):
        CHECKS[name](mutated)
    for other, check in CHECKS.items():  # the mutation is precise: the other checks still pass
        if other != name:
            check(mutated)
    marked = {(r.typ, leaf) for r in mutated.resources for leaf in secret_leaves(r.wire)}
    assert len(EXPECTED_SECRET_LEAVES - marked) == 1


def test_the_plan_masks_by_the_secret_marker_not_by_the_fields_name():
    assert CLIENT_SECRET not in render_plan(run())
    with MUTATIONS["client secret"]():
        mutated = run()
    # Made plain, the client secret would be shown: the plan hides what is marked, and only that.
    assert f"options.clientSecret = {CLIENT_SECRET}" in render_plan(mutated)
