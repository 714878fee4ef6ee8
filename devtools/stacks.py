"""This repository's stacks as the offline tools read them: `make plan`, `make dev`, snapshots.

A stack is a `Pulumi.<stack>.yaml` next to `Pulumi.yaml`. `load_stack_config` reads one as the
engine would pass it to the program (encrypted values and a missing client secret replaced by
placeholders, marked secret); `read_settings` then reads the settings through the program's own
config loading (`tiktok_auth0.load`, under the mock runtime), so a rehearsal and a plan of the
same stack cannot disagree about its scopes, user id field or connection name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

from devtools.mock_runtime import PROJECT, REPO, run_program
from devtools.pulumi_yaml import StackFileError, config_key_lines, read_stack_file
from tiktok_auth0 import load
from tiktok_auth0.validation import InvalidArgumentsError

__all__ = [
    "PLACEHOLDER_SECRET",
    "StackFileError",
    "StackSettings",
    "describe_config_error",
    "load_stack_config",
    "read_settings",
    "stack_file",
    "stack_names",
]

PLACEHOLDER_SECRET = "plan-placeholder-secret"
# Pulumi's rule for a stack's own name ("a stack name may only contain alphanumeric, hyphens,
# underscores, or periods", pulumi/pulumi sdk/go/common/tokens/stack_name.go); the stack's file is
# Pulumi.<name>.yaml, so no path and no org/project prefix.
STACK_NAME = re.compile(r"[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class StackSettings:
    """What a login with the stack looks like: the settings the program reads from its config."""

    stack: str
    file: Path
    client_key: str
    scopes: tuple[str, ...]
    user_id_field: str
    connection_name: str
    auth0_domain: str

    @property
    def callback_url(self) -> str:
        """The redirect URI Auth0 gives TikTok, which the TikTok app must list exactly."""
        return f"https://{self.auth0_domain}/login/callback"


def stack_names(folder: Path = REPO) -> list[str]:
    """The stacks that have a `Pulumi.<stack>.yaml` in `folder`, sorted."""
    files = folder.glob("Pulumi.*.yaml")
    return sorted(path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in files)


def stack_file(stack: str, config_file: Path | None = None, command: str = "make plan") -> Path:
    """`config_file`, or the stack's `Pulumi.<stack>.yaml`.

    Raises StackFileError listing the stacks that exist when `stack` is not a plain stack name
    (`command` shows how to give one) or there is no such file.
    """
    if config_file is None and not STACK_NAME.fullmatch(stack):
        raise StackFileError(
            f"STACK={stack} is not a stack name: a plain Pulumi stack name has only letters, "
            f"digits, -, _ and . (the stacks here are {', '.join(stack_names())}), e.g. "
            f"{command} STACK=prod"
        )
    path = config_file or REPO / f"Pulumi.{stack}.yaml"
    if path.is_file():
        return path
    if config_file is not None:
        raise StackFileError(f"{config_file}: no such file")
    raise StackFileError(
        f"no stack {stack!r} (no {path.name}); the stacks are {', '.join(stack_names())}: "
        "choose one with STACK=<stack>, or create Pulumi.<stack>.yaml to add one"
    )


def load_stack_config(
    stack_file: Path, *, stack: str
) -> tuple[dict[str, str], list[str], list[str]]:
    """Config and secret keys as the engine would pass them, plus notes about placeholders
    (which name `stack` in the commands they give).

    Raises StackFileError naming the file (and the line, for a YAML error) when it is not a
    mapping with a `config` mapping.
    """
    document = _parse(stack_file)
    text_keys = _declared_text_keys()
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    notes: list[str] = []
    for written, value in (document.get("config") or {}).items():
        # The CLI reads a key without a namespace as the project's (pulumi/pulumi
        # sdk/go/common/workspace/loaders.go, stackConfigNamespacedWithProject).
        key = written if ":" in str(written) else f"{PROJECT}:{written}"
        if isinstance(value, dict) and "secure" in value:
            if not (isinstance(value["secure"], str) and value["secure"].strip()):
                raise _refusal(
                    stack_file,
                    written,
                    f"{key}: `secure:` holds no ciphertext, so the Pulumi CLI cannot decrypt it; "
                    f"set the secret again with `pulumi config set --secret {written} -s {stack}` "
                    "(it writes the ciphertext)",
                )
            config[key], secret_keys = PLACEHOLDER_SECRET, [*secret_keys, key]
            notes.append(f"{key} is encrypted in {stack_file.name}; planned with a placeholder")
        elif key in text_keys and isinstance(value, dict | list):
            # The Pulumi CLI refuses it ("Stack '<stack>' with configuration key '<key>' must be
            # of type 'string'", pulumi/pulumi sdk/go/common/workspace/validation.go); the
            # program would get its JSON text as a string.
            shape = "a mapping" if isinstance(value, dict) else "a list"
            raise _refusal(
                stack_file,
                written,
                f"{key}: is {shape}, but Pulumi.yaml declares it text (type: string), so the "
                "Pulumi CLI refuses it; write the text itself, in quotes if it starts with { or [",
            )
        else:
            config[key] = value if isinstance(value, str) else json.dumps(value)
    secret_key = f"{PROJECT}:clientSecret"
    if secret_key not in config:
        config[secret_key], secret_keys = PLACEHOLDER_SECRET, [*secret_keys, secret_key]
        notes.append(
            "clientSecret is not set for this stack; planned with a placeholder. Before "
            f"`pulumi up`: pulumi config set --secret clientSecret -s {stack}"
        )
    return config, secret_keys, notes


def _declared_text_keys() -> set[str]:
    """The project's keys (namespaced) that Pulumi.yaml declares `type: string`."""
    declared = read_stack_file(REPO / "Pulumi.yaml").get("config") or {}
    return {
        f"{PROJECT}:{name}" for name, d in declared.items() if (d or {}).get("type") == "string"
    }


def _refusal(stack_file: Path, written: object, problem: str) -> StackFileError:
    """`problem` led by `<file>:<line>:` of the config key as `written` in the stack file."""
    line = config_key_lines(stack_file).get(str(written))
    return StackFileError(f"{stack_file.name}:{line}: {problem}")


def describe_config_error(error: pulumi.RunError, stack_file: Path) -> str:
    """The program's refusal of the stack's config, each problem led by `<file>:<line>:` of the
    key it names when the stack file sets that key (a missing key has no line)."""
    if not isinstance(error, InvalidArgumentsError):
        return str(error)
    lines = {
        key if ":" in key else f"{PROJECT}:{key}": line
        for key, line in config_key_lines(stack_file).items()
    }
    heading = str(error).split("\n", 1)[0]
    problems = []
    for problem in error.problems:
        key = problem.split(": ", 1)[0]
        line = lines.get(key if ":" in key else f"{PROJECT}:{key}")
        problems.append(f"{stack_file.name}:{line}: {problem}" if line else problem)
    return "\n  - ".join([heading, *problems])


def read_settings(stack: str, path: Path) -> StackSettings:
    """The stack's settings as `tiktok_auth0.load` reads them for the program.

    Raises StackFileError for an unreadable file and pulumi.RunError (the program's ConfigError,
    every problem listed) for unusable settings, as `make plan` reports them.
    """
    config, secret_keys, _ = load_stack_config(path, stack=stack)
    read: list[StackSettings] = []

    def program() -> None:
        settings = load()
        read.append(
            StackSettings(
                stack=stack,
                file=path,
                client_key=settings.client_key,
                scopes=settings.scopes,
                user_id_field=settings.user_id_field,
                connection_name=settings.connection_name,
                auth0_domain=pulumi.Config("auth0").require("domain"),
            )
        )

    run_program(stack=stack, config=config, secret_keys=secret_keys, program=program)
    return read[0]


def _parse(stack_file: Path) -> dict[str, Any]:
    document = read_stack_file(stack_file) or {}
    if not isinstance(document, dict) or not isinstance(document.get("config") or {}, dict):
        raise StackFileError(f"{stack_file.name}: must be a mapping with a `config:` mapping")
    return document
