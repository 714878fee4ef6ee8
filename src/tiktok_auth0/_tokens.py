"""The Pulumi package these components belong to, and their type tokens."""

from __future__ import annotations

__all__ = ["PACKAGE", "type_token"]

PACKAGE = "tiktok-auth0"


def type_token(class_name: str) -> str:
    """Pulumi's convention for a component's type: `<package>:index:<ClassName>`."""
    return f"{PACKAGE}:index:{class_name}"
