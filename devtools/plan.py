"""`make plan`: what `pulumi up` would declare for a stack, offline.

Runs the real program under Pulumi's mock runtime with the stack's config file, with no CLI, no
credentials and no network, and prints every resource with its inputs (secrets masked), then the
stack outputs. Values only the cloud can compute are shown as labelled placeholders. A config
error is printed and the command exits 2.
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

from devtools.mock_runtime import PROJECT, REPO, MockedResource, ProgramRun, run_program

__all__ = ["load_stack_config", "main", "render_plan"]

PLACEHOLDER_SECRET = "plan-placeholder-secret"
MAX_VALUE_CHARS = 90
# Leaves shown masked inside an object that is secret as a whole (the connection's options are
# secret because the client secret is in them; the rest of them is worth reviewing).
SECRET_LEAVES = ("clientSecret", "secretData", "customHeaders[", "httpCheck.headers.")
# Computed outputs the providers mark secret (random's generated values).
SECRET_OUTPUTS = frozenset({"result", "bcryptHash"})


def load_stack_config(stack_file: Path) -> tuple[dict[str, str], list[str], list[str]]:
    """Config and secret keys as the engine would pass them, plus notes about placeholders."""
    document = yaml.safe_load(stack_file.read_text(encoding="utf-8")) or {}
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


def render_plan(run: ProgramRun) -> str:
    computed = _computed_values(run)
    lines = [f"Resources ({len(run.resources)}):"]
    for resource in sorted(run.resources, key=_order):
        lines += _render_resource(resource, computed)
    lines.append("\nOutputs:")
    for key, exported in run.exports.items():
        shown = "[secret]" if exported.secret else _short(exported.value)
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
    flags = " (protected)" if resource.protect else ""
    parent = f"  [in {resource.parent_type}]" if resource.parent_type else ""
    lines = [f"\n  + {resource.typ}  {resource.name}{flags}{parent}"]
    for path, value in _flatten(resource.inputs) if resource.inputs else []:
        lines.append(f"      {path} = {value}{_label(value, computed)}")
    for key in sorted(resource.computed):
        shown = "[secret]" if key in SECRET_OUTPUTS else resource.outputs[key]
        if isinstance(shown, dict):  # only the parts the cloud adds to an input object
            shown = {k: v for k, v in shown.items() if k not in resource.inputs.get(key, {})}
        lines.append(f"      {key} = {_short(shown)}   (placeholder, known after deploy)")
    return lines


def _flatten(value: Any, path: str = "", in_secret: bool = False) -> list[tuple[str, str]]:
    if isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig:
        inner = value.get("value")
        if not isinstance(inner, dict):
            return [(path, "[secret]")]
        return _flatten(inner, path, in_secret=True)
    if in_secret and _is_secret_leaf(path) and not isinstance(value, dict | list):
        return [(path, "[secret]")]
    if isinstance(value, pulumi.AssetArchive):
        return [
            (path, f"<archive of {len(value.assets)} files: {', '.join(sorted(value.assets))}>")
        ]
    if isinstance(value, dict) and value:
        return [
            item
            for k, v in value.items()
            for item in _flatten(v, f"{path}.{k}" if path else k, in_secret)
        ]
    if isinstance(value, list) and value and any(isinstance(v, dict) for v in value):
        return [
            item for i, v in enumerate(value) for item in _flatten(v, f"{path}[{i}]", in_secret)
        ]
    return [(path, _short(value))]


def _is_secret_leaf(path: str) -> bool:
    return any(leaf in path for leaf in SECRET_LEAVES) and not path.endswith(".header")


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
    args = parser.parse_args(argv)
    stack_file = args.config_file or REPO / f"Pulumi.{args.stack}.yaml"
    if not stack_file.is_file():
        print(f"error: no {stack_file.name}: create the stack's config file first", file=sys.stderr)
        return 2
    config, secret_keys, notes = load_stack_config(stack_file)
    print(f"Plan for stack '{args.stack}' ({stack_file.name}), offline under the mock runtime\n")
    for note in notes:
        print(f"note: {note}")
    try:
        run = run_program(stack=args.stack, config=config, secret_keys=secret_keys)
    except pulumi.RunError as exc:
        print(f"\nconfig error in {stack_file.name}:\n{exc}", file=sys.stderr)
        return 2
    print(render_plan(run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
