"""How a refusal names the components' arguments: as their caller spelled them.

A Python program passes `replace_connection=`, so that is what its errors say. The stack program
passes its config keys on (`replaceConnection` in `Pulumi.<stack>.yaml`), and the plugin serves
programs in other languages, which spell the arguments as the Pulumi schema does
(`replaceConnection`): both name them as the schema does. `schema_names()` (the stack program,
around the component) and `schema_names_in_this_process()` (the plugin, in all its threads) say
so.
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
    "schema_names",
    "schema_names_in_this_process",
    "setting",
]

_SCHEMA: ContextVar[bool] = ContextVar("tiktok_auth0_schema_names", default=False)
# Set by `schema_names_in_this_process` (the plugin): its gRPC threads do not inherit a context
# variable's value, so the process-wide switch is a module attribute.
_schema_in_process = False


def as_schema() -> bool:
    """Whether refusals name arguments as the schema and the stack config do."""
    return _SCHEMA.get() or _schema_in_process


@contextmanager
def schema_names() -> Iterator[None]:
    """Within it, refusals name arguments as the schema does (the stack program's config keys)."""
    token = _SCHEMA.set(True)
    try:
        yield
    finally:
        _SCHEMA.reset(token)


@contextmanager
def schema_names_in_this_process() -> Iterator[None]:
    """Within it, in every thread of this process, refusals name arguments as the schema does
    (the plugin, which serves only programs in other languages, for as long as it serves)."""
    global _schema_in_process  # noqa: PLW0603 - the one process-wide switch (see above)
    before, _schema_in_process = _schema_in_process, True
    try:
        yield
    finally:
        _schema_in_process = before


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
