"""devtools/engine.py, the oracle of the upgrade test, against the engine's own examples
(pkg/resource/deploy/step_generator.go in pulumi/pulumi): URNs carry the whole chain of parent
types, a renamed parent's children inherit its alias, and an old URN is claimed only once."""

from __future__ import annotations

import pytest

from devtools.engine import AliasSpec, Registration, engine_urns, take_over

STACK, PROJECT = "s", "p"
ROOT = "urn:pulumi:s::p::pulumi:pulumi:Stack::p-s"


def urn(qualified_type: str, name: str) -> str:
    return f"urn:pulumi:{STACK}::{PROJECT}::{qualified_type}::{name}"


def reg(typ: str, name: str, parent: str = ROOT, *aliases: AliasSpec) -> Registration:
    # Monitor URNs as the mock forms them: the immediate parent's type only.
    parent_type = parent.split("::")[2].rsplit("$", maxsplit=1)[-1]
    return Registration(typ, name, urn(f"{parent_type}${typ}", name), parent, True, aliases)


def test_urns_carry_every_parent_type_but_not_the_stack():
    outer = reg("my:index:Outer", "o")
    inner = reg("my:index:Inner", "o-i", outer.monitor_urn)
    leaf = reg("aws:s3/bucket:Bucket", "o-i-b", inner.monitor_urn)
    urns = engine_urns([outer, inner, leaf], STACK, PROJECT)
    assert urns[outer.monitor_urn] == urn("my:index:Outer", "o")
    assert urns[leaf.monitor_urn] == urn(
        "my:index:Outer$my:index:Inner$aws:s3/bucket:Bucket", "o-i-b"
    )


def test_a_renamed_parents_children_follow_it():
    """The engine's example: `newapp-function` under `newapp`, which was `app`."""
    parent = reg("awsx:ec2:Vpc", "newapp", ROOT, AliasSpec(name="app"))
    child = reg("aws:s3/bucket:Bucket", "newapp-function", parent.monitor_urn)
    olds = [urn("awsx:ec2:Vpc", "app"), urn("awsx:ec2:Vpc$aws:s3/bucket:Bucket", "app-function")]
    takeovers = take_over([parent, child], olds, STACK, PROJECT)
    assert [t.old_urn for t in takeovers] == olds


def test_a_component_moved_under_a_new_parent_and_retyped():
    new_parent = reg("pkg:index:Login", "x")
    moved = reg(
        "pkg:index:Proxy",
        "x",
        new_parent.monitor_urn,
        AliasSpec(name="proxy", type="old:Proxy", no_parent=True),
    )
    child = reg("gcp:fn:Function", "x-function", moved.monitor_urn)
    olds = [urn("old:Proxy", "proxy"), urn("old:Proxy$gcp:fn:Function", "proxy-function")]
    takeovers = take_over([new_parent, moved, child], olds, STACK, PROJECT)
    assert [t.old_urn for t in takeovers] == [None, *olds]


def test_without_an_alias_nothing_is_taken_over():
    new_parent = reg("pkg:index:Login", "x")
    moved = reg("pkg:index:Proxy", "x", new_parent.monitor_urn)
    olds = [urn("old:Proxy", "proxy")]
    assert [t.old_urn for t in take_over([new_parent, moved], olds, STACK, PROJECT)] == [None, None]


def test_two_resources_cannot_claim_one_old_urn():
    alias = AliasSpec(name="proxy", type="old:Proxy", no_parent=True)
    first, second = (
        reg("pkg:index:Proxy", "a", ROOT, alias),
        reg("pkg:index:Proxy", "b", ROOT, alias),
    )
    with pytest.raises(ValueError, match="both claim"):
        take_over([first, second], [urn("old:Proxy", "proxy")], STACK, PROJECT)
