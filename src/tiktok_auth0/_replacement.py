"""Whether a run replaces the deployed Auth0 connection, and whether someone said it may.

An Auth0 connection's name cannot change: a new name replaces the connection. Pulumi creates the
new one, then deletes the old one, and Auth0 deletes every user's link to TikTok with it (with
`retain_on_delete` the old one stays in Auth0 with its users, no longer managed). So a run that
would replace it needs an acknowledgement that names the connection it replaces.

The program cannot see the engine's state, so it reads the stack's last deployment through the
engine's builtin `pulumi:pulumi:readStackResourceOutputs` invoke (the engine's read of a stack's
state, of the family Pulumi's own stack references use; read-only and synchronous, so it happens
before any resource is declared), and finds there this component's connection by its URN, which
ends in `$auth0:index/connection:Connection::<name>-connection` in every version since 0.1.0. A
read that fails fails the run.

That read is only asked for a stack whose outputs (`pulumi:pulumi:readStackOutputs`, the read
behind stack references) show a finished deployment: the engine's `GetStackResourceOutputs` reads
the stack's snapshot without checking that there is one, and a stack on a DIY backend (`pulumi
login gs://...`) that was never deployed has none, so asking would crash the Pulumi CLI on the
first preview of every new stack (pulumi/pulumi pkg/backend/backend.go; its stack outputs are
read with that check, pkg/backend/diy/state.go `getSnapshotStackOutputs`). A stack without outputs
(new, or whose every deployment failed) is therefore not checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from ._names import argument_name, setting

__all__ = ["READ_STACK_OUTPUTS", "READ_STACK_RESOURCE_OUTPUTS", "Replacement", "check_replacement"]

READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"
READ_STACK_RESOURCE_OUTPUTS = "pulumi:pulumi:readStackResourceOutputs"
NO_STATE = "no state was returned"
NO_OUTPUTS = "the stack has no outputs yet, so it has finished no deployment to check against"
CONNECTION_TYPE = "auth0:index/connection:Connection"


@dataclass(frozen=True)
class Replacement:
    """What the run does to the deployed connection of the component `component`.

    `deployed`: the names the stack's state holds for it (empty: not deployed yet; None: the
    state is not known, as offline; `unread` says why). `declared`: the name this run declares.
    `acknowledged`: replace_connection, the deployed name the change may replace ("" if unset).
    """

    component: str
    declared: str
    acknowledged: str
    retain_on_delete: bool
    deployed: frozenset[str] | None
    unread: str = ""

    @property
    def replaced(self) -> str | None:
        """The deployed connection this run replaces, acknowledged and checked against the state."""
        deployed = self.deployed or frozenset()
        if deployed and self.declared not in deployed and self.acknowledged in deployed:
            return self.acknowledged
        return None

    def problems(self) -> list[str]:
        """Why the run may not go ahead: an unacknowledged replacement (one message per key)."""
        deployed = self.deployed or frozenset()
        if not deployed or self.declared in deployed or self.acknowledged in deployed:
            return []
        old = ", ".join(sorted(deployed))
        name, replace = argument_name("connection_name"), argument_name("replace_connection")
        problems = [
            f"{name}: {self.declared!r} is not the deployed connection {old!r}: the change "
            f"replaces it ({self._fate(old)}). If that is intended, set "
            f"{setting('replace_connection', old)} in the same change; otherwise set {name} "
            f"back to {old}"
        ]
        if self.acknowledged:
            problems.append(
                f"{replace}: {self.acknowledged!r} is not the deployed connection ({old!r})"
            )
        return problems

    def warnings(self) -> list[str]:
        """What a reviewer must see: the replacement itself, or an acknowledgement left behind."""
        name, replace = argument_name("connection_name"), argument_name("replace_connection")
        if self.replaced:
            return [
                f"{name}: this change REPLACES the Auth0 connection {self.replaced!r} by "
                f"{self.declared!r} ({self._fate(self.replaced)}), as {replace} "
                f"acknowledges; remove {replace} once it is deployed"
            ]
        if self.acknowledged and self.acknowledged != self.declared and self.deployed is None:
            offline = self.unread == NO_STATE
            later = "; `pulumi preview` checks it against the stack" if offline else ""
            return [
                f"{replace}: {self.acknowledged!r} would be replaced by {self.declared!r} "
                f"({self._fate(self.acknowledged)}), but the deployed connection was not read "
                f"({self.unread}){later}"
            ]
        if self.acknowledged and self.deployed is not None:
            return [
                f"{replace}: {self.acknowledged!r} is not deployed by this stack, so "
                f"nothing is replaced; remove {replace}"
            ]
        return []

    def _fate(self, old: str) -> str:
        if self.retain_on_delete:
            return (
                f"Pulumi creates {self.declared!r}; {old!r} stays in Auth0 with its users but is "
                "no longer managed, and each user's next login through TikTok makes a new user"
            )
        return (
            f"Pulumi creates {self.declared!r}, then DELETES {old!r} and every user's link to "
            f"TikTok with it ({argument_name('retain_on_delete')} is false)"
        )


def check_replacement(
    component: str, declared: str, acknowledged: str, *, retain_on_delete: bool
) -> Replacement:
    """Read the stack's last deployment and say what this run does to its connection."""
    deployed, unread = _deployed_names(component)
    return Replacement(component, declared, acknowledged, retain_on_delete, deployed, unread)


def _deployed_names(component: str) -> tuple[frozenset[str] | None, str]:
    # A failing read fails the run here, before anything is declared: a replacement that cannot
    # be checked is not let through. An answer without `outputs` (the engine's always has them,
    # empty for a new stack) means the state is not known: make plan's offline runtime.
    stack = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    stack_outputs = pulumi.runtime.invoke(READ_STACK_OUTPUTS, {"name": stack}).value or {}
    if stack_outputs.get("outputs") is None:
        return None, NO_STATE
    if not stack_outputs["outputs"]:  # never deployed: asking for its resources crashes the CLI
        return None, NO_OUTPUTS
    answer = pulumi.runtime.invoke(READ_STACK_RESOURCE_OUTPUTS, {"stackName": stack}).value or {}
    resources = answer.get("outputs")
    if resources is None:
        return None, NO_STATE
    suffix = f"${CONNECTION_TYPE}::{component}-connection"
    names = {
        str((resource.get("outputs") or {}).get("name"))
        for urn, resource in resources.items()
        if urn.endswith(suffix) and resource.get("type") == CONNECTION_TYPE
    }
    return frozenset(names), ""
