"""What the Pulumi engine makes of the registrations a mock run sends it: URNs and aliases.

The mock monitor forms URNs from the immediate parent's type only and includes the root stack's
type; the engine qualifies a type with the whole chain of parent types and leaves the root stack
out. And the mock monitor ignores aliases, which only the engine resolves against the previous
state. This module does both as the engine does, ported from `pkg/resource/deploy/
step_generator.go` of pulumi/pulumi (`generateURN`, `collapseAliasToUrn`, `inheritedChildAlias`,
`generateAliases`, `getOldResource`), so that a test can say which old resource each new one
takes over on `pulumi up`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["ROOT_STACK_TYPE", "AliasSpec", "Registration", "Takeover", "engine_urns", "take_over"]

ROOT_STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass(frozen=True)
class AliasSpec:
    """One entry of `RegisterResourceRequest.aliases`: a whole URN, or a spec of what changed."""

    urn: str = ""
    name: str = ""
    type: str = ""
    parent_urn: str = ""  # the URN the SDK sent, i.e. as the monitor formed it
    no_parent: bool = False
    stack: str = ""
    project: str = ""

    @classmethod
    def from_message(cls, alias: Mapping[str, Any]) -> AliasSpec:
        """From `MessageToDict(alias_pb2.Alias)`."""
        if "urn" in alias:
            return cls(urn=alias["urn"])
        spec = alias.get("spec", {})
        return cls(
            name=spec.get("name", ""),
            type=spec.get("type", ""),
            parent_urn=spec.get("parentUrn", ""),
            no_parent=bool(spec.get("noParent", False)),
            stack=spec.get("stack", ""),
            project=spec.get("project", ""),
        )


@dataclass
class Registration:
    """One RegisterResource request, in the order the program sent them."""

    type: str
    name: str
    monitor_urn: str  # the URN the monitor answered (the mock's form)
    parent: str = ""  # the parent's monitor URN
    custom: bool = True
    aliases: tuple[AliasSpec, ...] = ()
    object: dict[str, Any] = field(default_factory=dict)  # the inputs as serialised on the wire
    protect: bool = False
    dependencies: tuple[str, ...] = ()
    retain_on_delete: bool = False
    ignore_changes: tuple[str, ...] = ()
    additional_secret_outputs: tuple[str, ...] = ()
    delete_before_replace: bool = False


def _urn(stack: str, project: str, qualified_type: str, name: str) -> str:
    return f"urn:pulumi:{stack}::{project}::{qualified_type}::{name}"


def _qualified_type(urn: str) -> str:
    return urn.split("::")[2]


def _name(urn: str) -> str:
    return urn.split("::", 3)[3]


def engine_urns(registrations: Iterable[Registration], stack: str, project: str) -> dict[str, str]:
    """Each monitor URN -> the URN the engine gives the same registration (generateURN)."""
    engine: dict[str, str] = {}
    for reg in registrations:
        if reg.type == ROOT_STACK_TYPE:
            engine[reg.monitor_urn] = _urn(stack, project, reg.type, reg.name)
            continue
        # A root stack registered by an earlier run in the same process is not in `engine`.
        parent = engine.get(reg.parent, reg.parent)
        qualified = reg.type
        if parent and _qualified_type(parent) != ROOT_STACK_TYPE:
            qualified = f"{_qualified_type(parent)}${reg.type}"
        engine[reg.monitor_urn] = _urn(stack, project, qualified, reg.name)
    return engine


@dataclass(frozen=True)
class Takeover:
    """A registration, its engine URN, and the old URN it takes over (None: it is created)."""

    registration: Registration
    urn: str
    old_urn: str | None
    aliases: tuple[str, ...]


def take_over(
    registrations: Sequence[Registration], old_urns: Iterable[str], stack: str, project: str
) -> list[Takeover]:
    """Match each registration to the old resource the engine would update instead of replacing.

    As `getOldResource`: the resource's own URN first, then its aliases in order; an old URN already
    claimed is an error in the engine (`GetDuplicateResourceAliasedError`), raised here as
    ValueError. A parent matched through an alias passes that old URN on to its children.
    """
    olds = set(old_urns)
    engine = engine_urns(registrations, stack, project)
    matched_alias: dict[str, str] = {}  # engine URN -> the old URN it matched through an alias
    claimed: dict[str, str] = {}
    result: list[Takeover] = []
    for reg in registrations:
        if reg.type == ROOT_STACK_TYPE:
            continue
        urn, parent = engine[reg.monitor_urn], engine.get(reg.parent, reg.parent)
        aliases = _generate_aliases(reg, parent, engine, matched_alias, stack, project)
        old = next((u for u in (urn, *aliases) if u in olds), None)
        if old is not None:
            if old in claimed:
                raise ValueError(f"{urn} and {claimed[old]} both claim {old}")
            claimed[old] = urn
            if old != urn:
                matched_alias[urn] = old
        result.append(Takeover(reg, urn, old, tuple(aliases)))
    return result


def _generate_aliases(
    reg: Registration,
    parent: str,
    engine: Mapping[str, str],
    matched_alias: Mapping[str, str],
    stack: str,
    project: str,
) -> list[str]:
    result: list[str] = []

    def add(urn: str) -> None:
        if urn not in result:
            result.append(urn)

    def collapse(alias: AliasSpec) -> str:
        if alias.urn:
            return alias.urn
        alias_parent = parent
        if alias.parent_urn:
            alias_parent = engine.get(alias.parent_urn, alias.parent_urn)
            alias_parent = matched_alias.get(alias_parent, alias_parent)
        if alias.no_parent or (alias_parent and _qualified_type(alias_parent) == ROOT_STACK_TYPE):
            alias_parent = ""
        typ = alias.type or reg.type
        qualified = f"{_qualified_type(alias_parent)}${typ}" if alias_parent else typ
        name = alias.name or reg.name
        return _urn(alias.stack or stack, alias.project or project, qualified, name)

    def inherited(child_type: str, child_name: str, parent_alias: str) -> str:
        name = child_name
        if child_name.startswith(_name(parent)):
            name = _name(parent_alias) + child_name[len(_name(parent)) :]
        return _urn(stack, project, f"{_qualified_type(parent_alias)}${child_type}", name)

    for alias in reg.aliases:
        add(collapse(alias))
    if parent and parent in matched_alias:
        parent_alias = matched_alias[parent]
        add(inherited(reg.type, reg.name, parent_alias))
        for alias in reg.aliases:
            child = collapse(alias)
            add(inherited(_qualified_type(child).split("$")[-1], _name(child), parent_alias))
    return result
