"""The Pulumi plugin: serves TikTokLogin to programs in TypeScript, Go, .NET, Java, YAML and Python.

`provider/__main__.py` (next to `provider/PulumiPlugin.yaml`) calls `serve()`. Pulumi's component
provider host infers the package schema from TikTokLogin's annotations and docstrings
(`pulumi.provider.experimental.analyzer`) and constructs the component in this process when
another program declares one.
"""

from __future__ import annotations

from importlib.metadata import version

import pulumi
from pulumi.provider.experimental import component_provider_host

from . import _names
from ._tokens import PACKAGE
from .login import TikTokLogin

__all__ = ["COMPONENTS", "PACKAGE", "serve"]

COMPONENTS: list[type[pulumi.ComponentResource]] = [TikTokLogin]


def serve() -> None:
    """Run the provider until the engine stops it (the engine passes its address in argv).
    Its callers are programs in other languages, which spell the arguments as the schema does,
    so refusals name them so."""
    with _names.schema_names_in_this_process():
        component_provider_host(list(COMPONENTS), PACKAGE, version=version("tiktok-auth0"))
