"""The proxy secret, one generation at a time, and the overlap that rotates it without a failed
login.

Each generation is a slot: a generated password and the Secret Manager version holding it.
Generation 0 keeps the names stacks deployed before rotation existed already have
(`<name>-proxy-secret`, `<name>-proxy-secret-version`); generation N is `...-g<N>`. Raising the
generation declares the new slot; keeping the previous one declares it too, and the function then
accepts both. Dropping the previous one (the second change) deletes its slot, after the function
stops naming it: Pulumi deletes what a program no longer declares once every update is done.

The order one `pulumi up` of a rotation follows, enforced by dependencies:
1. the new version is created, after the previous one, so it is the secret's `latest` (the
   doctor and `gcloud secrets versions access latest` read that one);
2. the function is updated with `PROXY_SECRET` = the new version and `PROXY_SECRET_PREVIOUS` =
   the previous one, and serves both once its new revision takes all traffic;
3. only then Auth0's custom header (and the uptime check's) gets the new secret:
   `header_value` resolves after the new version and the function.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_random as random

__all__ = ["PASSWORD_LENGTH", "ProxySecrets", "SecretSlot", "declare_slots", "slot_names"]

PASSWORD_LENGTH = 48  # letters and digits: about 285 bits


@dataclass(frozen=True)
class SecretSlot:
    """One generation: its password (state only, a Pulumi secret) and its Secret Manager version."""

    generation: int
    password: random.RandomPassword
    version: gcp.secretmanager.SecretVersion


@dataclass(frozen=True)
class ProxySecrets:
    """The secret, the slot Auth0 is (or is about to be) given, and the one kept for the overlap."""

    secret: gcp.secretmanager.Secret
    current: SecretSlot
    previous: SecretSlot | None

    def environment(
        self, project: str
    ) -> list[gcp.cloudfunctionsv2.FunctionServiceConfigSecretEnvironmentVariableArgs]:
        """The function's secret environment: `PROXY_SECRET`, and `PROXY_SECRET_PREVIOUS` during
        an overlap, each pinned to its version's number (never `latest`, so a version added by
        hand reaches no running function)."""
        slots = [("PROXY_SECRET", self.current)]
        if self.previous is not None:
            slots.append(("PROXY_SECRET_PREVIOUS", self.previous))
        return [
            gcp.cloudfunctionsv2.FunctionServiceConfigSecretEnvironmentVariableArgs(
                key=key,
                project_id=project,
                secret=self.secret.secret_id,
                version=slot.version.version,
            )
            for key, slot in slots
        ]

    def header_value(self, *, after: pulumi.CustomResource) -> pulumi.Output[str]:
        """The current secret, as a Pulumi secret that resolves only once its version exists and
        `after` (the function that accepts it) is deployed: whatever takes it as an input (Auth0's
        custom header, the uptime check's header) is updated after both."""
        password = self.current.password.result
        ready = pulumi.Output.all(password, self.current.version.id, after.id)
        return pulumi.Output.secret(ready.apply(lambda values: str(values[0])))


def slot_names(name: str, generation: int) -> tuple[str, str]:
    """Logical names of a generation's password and version: generation 0 keeps the names the
    stacks already hold, so adopting rotation replaces nothing."""
    suffix = "" if generation == 0 else f"-g{generation}"
    return f"{name}-proxy-secret{suffix}", f"{name}-proxy-secret-version{suffix}"


def declare_slots(
    name: str,
    secret: gcp.secretmanager.Secret,
    *,
    generation: int,
    keep_previous: bool,
    opts: pulumi.ResourceOptions,
) -> ProxySecrets:
    """Declare the current generation's slot and, with `keep_previous`, generation - 1's.

    `opts` is applied to the passwords (the component as parent, the APIs as dependencies).
    Raises ValueError when `keep_previous` is asked of generation 0 (validation refuses it first).
    """
    if keep_previous and generation < 1:
        raise ValueError("generation 0 has no previous proxy secret")
    previous = _slot(name, secret, generation - 1, opts, after=None) if keep_previous else None
    current = _slot(name, secret, generation, opts, after=previous)
    return ProxySecrets(secret=secret, current=current, previous=previous)


def _slot(
    name: str,
    secret: gcp.secretmanager.Secret,
    generation: int,
    opts: pulumi.ResourceOptions,
    *,
    after: SecretSlot | None,
) -> SecretSlot:
    password_name, version_name = slot_names(name, generation)
    # Generated once and kept in state: a generation's secret never changes.
    password = random.RandomPassword(
        password_name, length=PASSWORD_LENGTH, special=False, opts=opts
    )
    version = gcp.secretmanager.SecretVersion(
        version_name,
        secret=secret.id,
        secret_data=password.result,
        # Created after the previous generation's version, so it is the secret's latest.
        opts=pulumi.ResourceOptions(
            parent=opts.parent, depends_on=[after.version] if after is not None else None
        ),
    )
    return SecretSlot(generation=generation, password=password, version=version)
