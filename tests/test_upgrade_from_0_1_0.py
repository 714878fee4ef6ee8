"""Upgrading a stack deployed with 0.1.0: `pulumi up` takes over every resource (same URN or an
alias of it), keeps every physical name and declares the same inputs, so nothing is replaced; what
later versions add is created beside it.

The baseline, tests/fixtures/stacks-0.1.0.json, was recorded from the 0.1.0 program with
`python -m devtools.snapshot` for the dev and prod stacks, before the code moved into TikTokLogin.
Aliases are resolved as the engine resolves them (devtools/engine.py), not as the mock runtime
(which ignores them). The inputs that differ are exactly the updates listed in UPDATED, each one
that Google's API changes in place, and inputs the engine keeps from the old state (ignoreChanges).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest
import yaml

from devtools.engine import Takeover, take_over
from devtools.mock_runtime import PROJECT, REPO, ProgramRun, run_program
from devtools.plan import load_stack_config
from devtools.snapshot import snapshot
from tests.test_readme_going_live import CREATED_BY, READ_BY
from tiktok_auth0.profile_script import render_profile_script
from tiktok_auth0.proxy_source import proxy_source

BASELINE = json.loads((REPO / "tests" / "fixtures" / "stacks-0.1.0.json").read_text())
ARCHIVE_NAME = re.compile(r"^token-proxy-[0-9a-f]{32}\.zip$")
# Components whose type token changed; every custom resource keeps its type.
RETYPED = {
    "tiktok:gcp:TokenProxy": "tiktok-auth0:index:TokenProxy",
    "tiktok:auth0:SocialConnection": "tiktok-auth0:index:TikTokConnection",
}
# What 0.2.0 adds to an upgraded stack (all created; none takes a name in use): the TikTokLogin
# component, the APIs, the build's own account and its grants, the monitoring.
ADDED = {
    "tiktok-auth0:index:TikTokLogin": {"tiktok"},
    "gcp:projects/service:Service": {
        "tiktok-api-cloudresourcemanager",
        "tiktok-api-iam",
        "tiktok-api-logging",
        "tiktok-api-monitoring",
    },
    "gcp:serviceaccount/account:Account": {"tiktok-build"},
    "gcp:projects/iAMMember:IAMMember": {
        "tiktok-build-log-writer",
        "tiktok-build-artifact-writer",
        "tiktok-build-source-reader",
    },
    # Monitoring (issue 11), on by default.
    "gcp:logging/metric:Metric": {
        f"tiktok-metric-{key}"
        for key in (
            "exchanges",
            "tiktok-errors",
            "credentials-refused",
            "upstream-failures",
            "refused-calls",
            "exchange-latency",
        )
    },
    "gcp:monitoring/alertPolicy:AlertPolicy": {
        f"tiktok-alert-{key}"
        for key in (
            "tiktokRefusesCredentials",
            "tiktokUnavailable",
            "refusedCallers",
            "slowExchanges",
            "healthCheckFails",
        )
    },
    "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": {"tiktok-uptime"},
    "gcp:monitoring/dashboard:Dashboard": {"tiktok-dashboard"},
}
# Inputs 0.2.0 changes on resources that exist, each an update in place (only a function's
# name and location are immutable in the Cloud Functions API,
# GoogleCloudPlatform/magic-modules mmv1/products/cloudfunctions2/Function.yaml): the function's
# build runs as its own account, and the instance is right-sized (1 vCPU, 128 MiB, one worker,
# 32 requests in flight, as many connections to TikTok).
UPDATED = {
    "gcp:cloudfunctionsv2/function:Function": {
        ("buildConfig", "serviceAccount"),
        ("serviceConfig", "availableCpu"),
        ("serviceConfig", "availableMemory"),
        ("serviceConfig", "maxInstanceRequestConcurrency"),
        ("serviceConfig", "environmentVariables", "WORKERS"),
        ("serviceConfig", "environmentVariables", "UPSTREAM_MAX_CONNECTIONS"),
    }
}


@pytest.fixture(scope="module", params=["dev", "prod"])
def upgrade(request) -> tuple[str, ProgramRun, list[Takeover]]:
    stack = request.param
    config, secret_keys, _ = load_stack_config(REPO / f"Pulumi.{stack}.yaml", stack=stack)
    run = run_program(stack=stack, config=config, secret_keys=secret_keys)
    old_urns = [r["urn"] for r in BASELINE[stack]["resources"]]
    return stack, run, take_over(run.registrations, old_urns, stack, PROJECT)


def test_every_old_resource_is_taken_over_by_exactly_one_new_one(upgrade):
    stack, _, takeovers = upgrade
    claimed = Counter(t.old_urn for t in takeovers if t.old_urn)
    assert set(claimed) == {r["urn"] for r in BASELINE[stack]["resources"]}
    assert set(claimed.values()) == {1}
    created: dict[str, set[str]] = {}
    for takeover in takeovers:
        if takeover.old_urn is None:
            registration = takeover.registration
            created.setdefault(registration.type, set()).add(registration.name)
    assert created == ADDED


def test_resources_that_moved_are_found_through_aliases_not_by_chance(upgrade):
    _, _, takeovers = upgrade
    moved = [t for t in takeovers if t.old_urn and t.old_urn != t.urn]
    assert len(moved) == len(BASELINE["dev"]["resources"])  # every URN changed, all aliased
    for takeover in moved:
        assert takeover.old_urn in takeover.aliases


def test_the_repositorys_stacks_keep_their_physical_names(upgrade):
    stack, run, _ = upgrade
    kept = {
        "gcp:cloudfunctionsv2/function:Function": [f"tiktok-token-proxy-{stack}"],
        "gcp:serviceaccount/account:Account": [f"tiktok-proxy-{stack}"],
        "gcp:secretmanager/secret:Secret": [f"tiktok-proxy-secret-{stack}"],
        "auth0:index/connection:Connection": ["tiktok"],
    }
    assert BASELINE[stack]["physical_names"] == kept
    # 0.2.0 adds the build's own account, under a name no resource of 0.1.0 had.
    added = {"gcp:serviceaccount/account:Account": [f"tiktok-build-{stack}"]}
    names = snapshot(stack, run)["physical_names"]
    assert {typ: sorted(found) for typ, found in names.items()} == {
        typ: sorted(found + added.get(typ, [])) for typ, found in kept.items()
    }


def test_every_resource_is_declared_with_the_same_inputs(upgrade):
    stack, run, takeovers = upgrade
    old = {r["urn"]: r for r in BASELINE[stack]["resources"]}
    new = {r["urn"]: r for r in snapshot(stack, run)["resources"]}
    pairs = [(new[t.urn], old[t.old_urn]) for t in takeovers if t.old_urn]
    # One resource's inputs carry another's made-up values (a bucket's name, a secret's id).
    placeholders = {k: v for after, before in pairs for k, v in _placeholder_pairs(after, before)}
    for after, before in pairs:
        expected_type = RETYPED.get(before["type"], before["type"])
        assert (after["type"], after["custom"]) == (expected_type, before["custom"]), after["urn"]
        inputs = _as_the_engine_keeps_them(after, before)
        was = before["inputs"]
        for path in UPDATED.get(after["type"], ()):
            was = _without(was, path)
        assert _comparable(inputs, placeholders) == _comparable(was), (
            f"{after['urn']} is declared differently from {before['urn']}"
        )


def test_the_only_changes_to_existing_resources_are_in_place(upgrade):
    """What differs from 0.1.0 on a resource that exists: the function's build account (an
    update), the source bucket's now explicit name (kept from the state), and `protect` on the
    enabled applications, which now follows the connection's (a change of state only)."""
    stack, run, takeovers = upgrade
    new = {r["urn"]: r for r in snapshot(stack, run)["resources"]}
    old = {r["urn"]: r for r in BASELINE[stack]["resources"]}
    by_type = {new[t.urn]["type"]: (new[t.urn], old[t.old_urn]) for t in takeovers if t.old_urn}
    function, _ = by_type["gcp:cloudfunctionsv2/function:Function"]
    (build,) = [r for r in run.resources if r.name == "tiktok-build"]
    assert function["inputs"]["buildConfig"]["serviceAccount"] == (
        f"projects/{function['inputs']['project']}/serviceAccounts/{build.outputs['email']}"
    )
    bucket, before = by_type["gcp:storage/bucket:Bucket"]
    assert "name" not in before["inputs"] and bucket["ignore_changes"] == ["name"]
    connection, was = by_type["auth0:index/connection:Connection"]
    clients, _ = by_type["auth0:index/connectionClients:ConnectionClients"]
    assert connection["protect"] == was["protect"] == (stack == "prod")
    assert clients["protect"] == connection["protect"]


def test_what_the_content_markers_stand_for_is_the_current_source(upgrade):
    """The proxy source and the profile script may change between releases (a redeploy, not a
    replacement); the comparison above leaves their content out, and this checks what is there."""
    _, run, _ = upgrade
    (archive,) = [r for r in run.resources if r.typ == "gcp:storage/bucketObject:BucketObject"]
    assert archive.inputs["name"] == proxy_source().object_name
    (connection,) = [r for r in run.resources if r.typ == "auth0:index/connection:Connection"]
    options = connection.inputs["options"]["value"]
    scopes = tuple(options["scopes"][0].split(","))
    script = options["scripts"]["fetchUserProfile"]
    assert script in {render_profile_script(scopes, field) for field in ("union_id", "open_id")}


def _as_the_engine_keeps_them(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """The new inputs after the engine applies ignoreChanges (the old value, or none), without the
    updates listed in UPDATED."""
    inputs = dict(new["inputs"])
    for key in new.get("ignore_changes", []):
        inputs.pop(key, None)
        if key in old["inputs"]:
            inputs[key] = old["inputs"][key]
    for path in UPDATED.get(new["type"], ()):
        inputs = _without(inputs, path)
    return inputs


def _without(inputs: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    """The inputs without the value at `path` (and without it, the old run's inputs compare)."""
    head, *rest = path
    if head not in inputs:
        return inputs
    if not rest:
        return {k: v for k, v in inputs.items() if k != head}
    return {**inputs, head: _without(inputs[head], tuple(rest))}


def _placeholder_pairs(new: dict[str, Any], old: dict[str, Any]) -> list[tuple[str, str]]:
    """What the mocks made up for the new resource, and what they made up for the old one (ids
    and computed values are named after the logical name, which changed)."""
    pairs = [(new["id"], old["id"])] if new.get("id") else []
    old_computed = dict(old.get("computed") or {})
    # What the engine keeps from the state (ignoreChanges) is what the old run computed: the
    # bucket's name, which 0.1.0 left to Pulumi and is now given.
    for key in new.get("ignore_changes", []):
        if key in old_computed and key in new["inputs"]:
            pairs.append((new["inputs"][key], old_computed.pop(key)))
    new_computed = dict(new.get("computed") or {})
    for path in UPDATED.get(new["type"], ()):  # the mocks echo inputs among computed values
        new_computed, old_computed = _without(new_computed, path), _without(old_computed, path)
    new_leaves, old_leaves = _leaves(new_computed), _leaves(old_computed)
    assert [path for path, _ in new_leaves] == [path for path, _ in old_leaves], new["urn"]
    for (_, value), (_, was) in zip(new_leaves, old_leaves, strict=True):
        if isinstance(value, str) and value != was:
            pairs.append((value, was))
    return pairs


def _leaves(value: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(value, dict):
        return [leaf for k in sorted(value) for leaf in _leaves(value[k], f"{path}.{k}")]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, f"{path}[{i}]")]
    return [(path, value)]


def _comparable(value: Any, placeholders: dict[str, str] | None = None, key: str = "") -> Any:
    """The value with content-derived parts replaced by markers and made-up values by the old
    resource's."""
    placeholders = placeholders or {}
    if key == "fetchUserProfile":
        value = "<profile script>"
    elif key == "source" and isinstance(value, dict) and "assets" in value:
        value = "<proxy source archive>"
    elif isinstance(value, dict):
        value = {k: _comparable(v, placeholders, k) for k, v in value.items()}
    elif isinstance(value, list):
        value = [_comparable(v, placeholders) for v in value]
    elif isinstance(value, str) and ARCHIVE_NAME.match(value):
        value = "<archive named by the proxy source's hash>"
    elif isinstance(value, str):
        value = placeholders.get(value, value)
    return value


# -- README, "Upgrading from 0.1.0": everything an upgraded stack gains, measured against 0.1.0 ----
README = (REPO / "README.md").read_text()
UPGRADING = " ".join(
    README[README.index("## Upgrading from 0.1.0") : README.index("### What one warm")].split()
)
NUMBERS = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven"}
# How the section names what each type the upgrade creates adds ({n}: how many, in words).
CREATED_AS = {
    "tiktok-auth0:index:TikTokLogin": "the `TikTokLogin` component",
    "gcp:projects/service:Service": "{n} more APIs",
    "gcp:serviceaccount/account:Account": "the build's own service account",
    "gcp:projects/iAMMember:IAMMember": "its {n} grants",
    "gcp:logging/metric:Metric": "{n} log-based metrics",
    "gcp:monitoring/alertPolicy:AlertPolicy": "{n} alert policies",
    "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": "an uptime check",
    "gcp:monitoring/dashboard:Dashboard": "a dashboard",
}
# What 0.1.0's program exported and its Pulumi.yaml declared (both read at its last commit,
# f3ff81b, `git show f3ff81b:__main__.py`): the outputs and keys an upgrade adds are the others.
OUTPUTS_0_1_0 = {
    "connectionId",
    "connectionName",
    "authorizationUrl",
    "tokenUrl",
    "scopes",
    "enabledClients",
    "functionName",
    "functionUrl",
    "functionRegion",
    "gcpProject",
    "proxySourceSha256",
    "profileScriptSha256",
    "proxySecretHeader",
}
CONFIG_0_1_0 = {
    "clientKey",
    "clientSecret",
    "scopes",
    "userIdField",
    "connectionName",
    "displayName",
    "enabledClients",
    "maxInstances",
    "minInstances",
    "protect",
    "production",
}


def created(takeovers: list[Takeover]) -> Counter[str]:
    return Counter(t.registration.type for t in takeovers if t.old_urn is None)


def old_resource(stack: str, typ: str) -> dict[str, Any]:
    (resource,) = [r for r in BASELINE[stack]["resources"] if r["type"] == typ]
    return resource


def test_the_readme_names_everything_an_upgrade_creates(upgrade):
    _, _, takeovers = upgrade
    made = created(takeovers)
    assert set(made) == set(CREATED_AS), "a type the upgrade creates is not described"
    for typ, count in made.items():
        phrase = CREATED_AS[typ].format(n=NUMBERS[count])
        assert phrase in UPGRADING, phrase
    services = ADDED["gcp:projects/service:Service"]
    apis = sorted(name.removeprefix("tiktok-api-") for name in services)
    named = re.search(r"more APIs \(([\w, ]+)\)", UPGRADING)
    assert named, "the upgrade section names the APIs it enables"
    assert sorted(re.split(r", (?:and )?| and ", named.group(1))) == apis


def test_the_readme_names_the_roles_the_upgrade_needs_beyond_0_1_0s(upgrade):
    stack, _, takeovers = upgrade
    old_types = {r["type"] for r in BASELINE[stack]["resources"]}
    new_types = set(created(takeovers)) & set(CREATED_BY)
    for roles in (CREATED_BY, READ_BY):  # the deployer's, and the read-only identity's
        before = {roles[typ] for typ in old_types if typ in roles}
        for role in {roles[typ] for typ in new_types} - before:
            assert f"`{role}`" in UPGRADING, role


def test_the_readme_names_the_outputs_and_config_keys_an_upgrade_adds(upgrade):
    _, run, _ = upgrade
    for key in set(run.exports) - OUTPUTS_0_1_0:
        assert f"`{key}`" in UPGRADING, key
    declared = yaml.safe_load((REPO / "Pulumi.yaml").read_text())["config"]
    for key in set(declared) - CONFIG_0_1_0:
        assert f"`{key}`" in UPGRADING, key


def test_the_readme_says_what_the_upgrade_updates_and_replaces(upgrade):
    stack, run, _ = upgrade
    function = run.one("gcp:cloudfunctionsv2/function:Function").inputs["serviceConfig"]
    memory = function["availableMemory"].removesuffix("Mi")
    workers = NUMBERS[int(function["environmentVariables"]["WORKERS"])]
    concurrency = int(function["maxInstanceRequestConcurrency"])
    shape = f"{function['availableCpu']} vCPU, {memory} MiB, {workers} worker, {concurrency}"
    assert f"right-sized shape ({shape} requests per instance)" in UPGRADING
    assert "to build as that account" in UPGRADING
    # The source changed since 0.1.0, and the archive is named after it: a new object.
    archive = "gcp:storage/bucketObject:BucketObject"
    was = old_resource(stack, archive)["inputs"]["name"]
    assert run.one(archive).inputs["name"] != was
    assert "**Replaced**: only the source archive" in UPGRADING
    # The profile script changed since 0.1.0: the connection is updated.
    connection = "auth0:index/connection:Connection"
    options = old_resource(stack, connection)["inputs"]["options"]
    old_script = options.get("value", options)["scripts"]["fetchUserProfile"]
    script = run.one(connection).inputs["options"]["value"]["scripts"]["fetchUserProfile"]
    assert script != old_script
    assert "the connection, to this version's profile script" in UPGRADING
