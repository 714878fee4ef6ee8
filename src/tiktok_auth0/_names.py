"""How a refusal names the components' arguments: as their caller spelled them.

A Python program passes `replace_connection=`, so that is what its errors say. The stack program
passes its config keys on (`replaceConnection` in `Pulumi.<stack>.yaml`), and the plugin serves
programs in other languages, which spell the arguments as the Pulumi schema does
(`replaceConnection`): both name them as the schema does. `schema_names()` (the stack program,
around the component) and `name_as_the_schema()` (the plugin, for its whole process) say so.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from . import validation

__all__ = [
    "argument_name",
    "as_schema",
    "labels",
    "name_as_the_schema",
    "schema_names",
    "setting",
]

_SCHEMA: ContextVar[bool] = ContextVar("tiktok_auth0_schema_names", default=False)
_PROCESS = {"schema": False}  # the plugin's process serves only other programs


def as_schema() -> bool:
    """Whether refusals name arguments as the schema and the stack config do."""
    return _SCHEMA.get() or _PROCESS["schema"]


@contextmanager
def schema_names() -> Iterator[None]:
    """Within it, refusals name arguments as the schema does (the stack program's config keys)."""
    token = _SCHEMA.set(True)
    try:
        yield
    finally:
        _SCHEMA.reset(token)


def name_as_the_schema() -> None:
    """From now on, in this process, name arguments as the schema does (the plugin)."""
    _PROCESS["schema"] = True


def argument_name(key: str) -> str:
    """`replace_connection` as the caller spells it: itself, or `replaceConnection`."""
    return validation.schema_name(key) if as_schema() else key


def setting(key: str, value: str) -> str:
    """How the caller sets `key` to the text `value`: `replace_connection="tiktok"` in Python,
    `replaceConnection: tiktok` in the stack config (and the schema's other languages)."""
    if as_schema():
        return f"{argument_name(key)}: {value}"
    return f'{key}="{value}"'


def labels(keys: Iterable[str]) -> dict[str, str]:
    """Each key as the caller spells it: the `labels` of `validation.check`."""
    return {key: argument_name(key) for key in keys}
