"""What keeps stacks deployed with 0.1.0 as they are: their URNs and their physical names.

In 0.1.0 the stack program declared the two components itself, at the stack's root: the token
proxy as `token-proxy` (type `tiktok:gcp:TokenProxy`) and the connection as `tiktok` (type
`tiktok:auth0:SocialConnection`). Their successor is the `TikTokLogin` named `tiktok`: its two
components carry aliases to those URNs, and Pulumi derives their children's aliases from them
(`token-proxy-function` for `tiktok-function`), so `pulumi up` updates rather than replaces. The
same instance cuts its function's and its secret's over-long names without a hash, as 0.1.0 did,
and keeps its runtime account's id from the state (a new stack's is hashed). Any other instance
gets no alias, so two instances never claim the same old resource.
"""

from __future__ import annotations

import pulumi

__all__ = ["V0_1_NAME", "connection_aliases", "is_v0_1_successor", "proxy_aliases"]

V0_1_NAME = "tiktok"
_V0_1_PROXY = ("token-proxy", "tiktok:gcp:TokenProxy")
_V0_1_CONNECTION = ("tiktok", "tiktok:auth0:SocialConnection")


def is_v0_1_successor(name: str) -> bool:
    """Whether the component named `name` takes over a 0.1.0 stack's resources."""
    return name == V0_1_NAME


def proxy_aliases(name: str) -> list[pulumi.Input[str | pulumi.Alias]]:
    """The 0.1.0 URN of the token proxy, for the successor; else none."""
    return _alias(*_V0_1_PROXY) if is_v0_1_successor(name) else []


def connection_aliases(name: str) -> list[pulumi.Input[str | pulumi.Alias]]:
    """The 0.1.0 URN of the connection component, for the successor; else none."""
    return _alias(*_V0_1_CONNECTION) if is_v0_1_successor(name) else []


def _alias(name: str, type_: str) -> list[pulumi.Input[str | pulumi.Alias]]:
    # parent=None: it had no parent but the stack.
    return [pulumi.Alias(name=name, type_=type_, parent=None)]
