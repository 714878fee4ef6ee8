"""`make plan`: what `pulumi up` would declare for a stack, offline.

Runs the real program under Pulumi's mock runtime with the stack's config file, with no CLI, no
credentials and no network, and prints every resource with its inputs as the engine would receive
them, then the stack outputs. Exactly the values that carry Pulumi's secret marker are masked (an
input marked secret on its leaf, an output the resource declares secret); nothing is masked by its
name. Values only the cloud can compute are shown as labelled placeholders, and what the program
warns about (a replaced connection, a custom Auth0 domain) is shown first. With `--state` (a
`pulumi stack export` file) the program reads that as the stack's last deployment, as it reads the
real one under `pulumi preview`. A config error, or a stack file that is not YAML, is printed and
the command exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import rpc

from devtools.mock_runtime import PROJECT, REPO, MockedResource, ProgramRun, read_state, run_program

__all__ = ["LEGEND", "StackFileError", "load_stack_config", "main", "render_plan"]

PLACEHOLDER_SECRET = "plan-placeholder-secret"
MAX_VALUE_CHARS = 90
SECRET = "[secret]"
LEGEND = (
    "Legend: inputs as the engine receives them. [secret] masks exactly the values that carry "
    "Pulumi's secret marker (an input marked secret, an output the resource declares secret); "
    "nothing is masked by its name. (placeholder ...): a value only the cloud computes."
)


class StackFileError(ValueError):
    """The stack file cannot be read as Pulumi stack config; the message is one line."""


def load_stack_config(stack_file: Path) -> tuple[dict[str, str], list[str], list[str]]:
    """Config and secret keys as the engine would pass them, plus notes about placeholders.

    Raises StackFileError naming the file (and the line, for a YAML error) when it is not a
    mapping with a `config` mapping.
    """
    document = _parse(stack_file)
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    notes: list[str] = []
    for key, value in (document.get("config") or {}).items():
        if isinstance(value, dict) and "secure" in value:
            config[key], secret_keys = PLACEHOLDER_SECRET, [*secret_keys, key]
            notes.append(f"{key} is encrypted in {stack_file.name}; planned with a placeholder")
        else:
            config[key] = value if isinstance(value, str) else json.dumps(value)
    secret_key = f"{PROJECT}:clientSecret"
    if secret_key not in config:
        config[secret_key], secret_keys = PLACEHOLDER_SECRET, [*secret_keys, secret_key]
        notes.append(
            "clientSecret is not set for this stack; planned with a placeholder. Before "
            "`pulumi up`: pulumi config set --secret clientSecret"
        )
    return config, secret_keys, notes


def _parse(stack_file: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(stack_file.read_text(encoding="utf-8")) or {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "not valid YAML"
        raise StackFileError(f"{stack_file.name}{where}: not valid YAML: {problem}") from None
    except yaml.YAMLError as exc:
        raise StackFileError(f"{stack_file.name}: not valid YAML: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("config") or {}, dict):
        raise StackFileError(f"{stack_file.name}: must be a mapping with a `config:` mapping")
    return document


def render_plan(run: ProgramRun) -> str:
    computed = _computed_values(run)
    lines = [f"warning: {warning}" for warning in run.warnings]
    lines += [LEGEND, "", f"Resources ({len(run.resources)}):"]
    for resource in sorted(run.resources, key=_order):
        lines += _render_resource(resource, computed)
    lines.append("\nOutputs:")
    for key, exported in run.exports.items():
        shown = SECRET if exported.secret else _short(exported.value)
        lines.append(f"    {key:<22} {shown}{_label(exported.value, computed)}")
    return "\n".join(lines)


def _computed_values(run: ProgramRun) -> dict[str, str]:
    """Each placeholder value, and the resource attribute it stands for."""
    values = {r.id: f"id of {r.name}" for r in run.resources}
    for r in run.resources:
        for key in r.computed:
            if isinstance(r.outputs[key], str):
                values[r.outputs[key]] = f"{r.name}.{key}"
    return values


def _label(value: Any, computed: dict[str, str]) -> str:
    if isinstance(value, str) and len(value) > 8 and value in computed:
        return f"   (placeholder for {computed[value]}, known after deploy)"
    return ""


def _order(resource: MockedResource) -> tuple[int, str]:
    is_component = not resource.typ.startswith(("gcp:", "auth0:", "random:"))
    return (0 if is_component else 1, resource.parent_type + resource.typ + resource.name)


def _render_resource(resource: MockedResource, computed: dict[str, str]) -> list[str]:
    flags = [
        name
        for name, on in (
            ("protected", resource.protect),
            ("retained on delete", resource.retain_on_delete),
            (f"ignores changes to {', '.join(resource.ignore_changes)}", resource.ignore_changes),
        )
        if on
    ]
    shown_flags = f" ({', '.join(flags)})" if flags else ""
    parent = f"  [in {resource.parent_type}]" if resource.parent_type else ""
    lines = [f"\n  + {resource.typ}  {resource.name}{shown_flags}{parent}"]
    for path, value in _flatten(resource.wire) if resource.wire else []:
        lines.append(f"      {path} = {value}{_label(value, computed)}")
    for key in sorted(resource.computed):
        shown = SECRET if key in resource.secret_outputs else resource.outputs[key]
        if isinstance(shown, dict):  # only the parts the cloud adds to an input object
            shown = {k: v for k, v in shown.items() if k not in resource.inputs.get(key, {})}
        lines.append(f"      {key} = {_short(shown)}   (placeholder, known after deploy)")
    return lines


def _flatten(value: Any, path: str = "") -> list[tuple[str, str]]:
    """Leaves of a value as serialised for the engine, each secret one masked."""
    if isinstance(value, dict) and rpc._special_sig_key in value:
        signature = value[rpc._special_sig_key]
        if signature == rpc._special_secret_sig:
            return [(path, SECRET)]
        if signature == rpc._special_archive_sig:
            names = sorted(value.get("assets") or {})
            return [(path, f"<archive of {len(names)} files: {', '.join(names)}>")]
    if isinstance(value, dict) and value:
        return [
            leaf
            for key in sorted(value)
            for leaf in _flatten(value[key], f"{path}.{key}" if path else key)
        ]
    if isinstance(value, list) and any(isinstance(v, dict) for v in value):
        return [leaf for i, v in enumerate(value) for leaf in _flatten(v, f"{path}[{i}]")]
    return [(path, _short(value))]


def _short(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = value if isinstance(value, str) else json.dumps(value)
    if isinstance(value, str) and "\n" in value:
        return f"<{value.splitlines()[0].strip()} ... ({len(value)} chars)>"
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 3] + "..."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--config-file", type=Path, help="default: Pulumi.<stack>.yaml")
    parser.add_argument(
        "--state", type=Path, help="the stack's last deployment (`pulumi stack export` file)"
    )
    args = parser.parse_args(argv)
    stack_file = args.config_file or REPO / f"Pulumi.{args.stack}.yaml"
    if not stack_file.is_file():
        print(f"error: no {stack_file.name}: create the stack's config file first", file=sys.stderr)
        return 2
    try:
        config, secret_keys, notes = load_stack_config(stack_file)
        deployed = read_state(args.state) if args.state else None
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Plan for stack '{args.stack}' ({stack_file.name}), offline under the mock runtime\n")
    if deployed is None:
        notes.append(
            "the stack's state is not read offline, so a new connectionName is not checked "
            "against the deployed connection here (`pulumi preview` does; or give "
            "STATE=<file of `pulumi stack export`>)"
        )
    for note in notes:
        print(f"note: {note}")
    try:
        run = run_program(
            stack=args.stack, config=config, secret_keys=secret_keys, deployed=deployed
        )
    except pulumi.RunError as exc:
        print(f"\nconfig error in {stack_file.name}:\n{exc}", file=sys.stderr)
        return 2
    print(render_plan(run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
