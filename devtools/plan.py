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
import os
import sys
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import rpc

from devtools.engine import ROOT_STACK_TYPE
from devtools.mock_runtime import (
    PROJECT,
    MockedResource,
    ProgramRun,
    StateFileError,
    close_event_loop,
    read_state,
    run_program,
)
from devtools.stacks import (
    StackFileError,
    describe_config_error,
    load_stack_config,
    stack_file,
)
from tiktok_auth0.profile_script import rendered_values, sha256_hex

__all__ = [
    "LEGEND",
    "StackFileError",
    "load_stack_config",
    "main",
    "render_plan",
    "where_it_logs_in",
]

MAX_VALUE_CHARS = 90
SECRET = "[secret]"
LEGEND = (
    "Legend: inputs as the engine receives them. [secret] masks exactly the values that carry "
    "Pulumi's secret marker (an input marked secret, an output the resource declares secret); "
    "nothing is masked by its name. (placeholder ...): a value only the cloud computes."
)
CONNECTION = "auth0:index/connection:Connection"
PROFILE_SCRIPT = "options.scripts.fetchUserProfile"


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


def where_it_logs_in(config: dict[str, str]) -> list[str]:
    """The Auth0 tenant, the redirect URI to register at TikTok, and the GCP project, from the
    stack's config (as the program has just accepted it)."""
    domain = config.get("auth0:domain", "")
    return [
        f"Auth0 tenant         {domain}   (auth0:domain)",
        f"TikTok redirect URI  https://{domain}/login/callback",
        "                     register it exactly in the TikTok app (Login Kit, Web); if users "
        "log in on an Auth0 custom domain, register https://<custom domain>/login/callback",
        f"GCP project          {config.get('gcp:project', '')}, region "
        f"{config.get('gcp:region', '')}   (gcp:project, gcp:region)",
    ]


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
        if resource.typ == CONNECTION and path == PROFILE_SCRIPT:
            lines += _profile_script(resource.wire)
            continue
        lines.append(f"      {path} = {value}{_label(value, computed)}")
    known_after_deploy = [
        (path, value)
        for key in sorted(resource.computed)
        for path, value in _flatten(
            {key: _computed_part(resource, key)}
            if key not in resource.secret_outputs
            else {key: {rpc._special_sig_key: rpc._special_secret_sig}}
        )
    ]
    if known_after_deploy:
        lines.append("      known after deploy (placeholders here):")
        lines += [f"        {path} = {value}" for path, value in known_after_deploy]
    return lines


def _computed_part(resource: MockedResource, key: str) -> Any:
    """A computed output; of an input object, only the parts the cloud adds."""
    value = resource.outputs[key]
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k not in resource.inputs.get(key, {})}
    return value


def _profile_script(connection: dict[str, Any]) -> list[str]:
    """The script's summary in place of its body: what it asks TikTok for and how it keys users."""
    source = connection["options"]["scripts"]["fetchUserProfile"]
    values = rendered_values(source)
    scope_fields: dict[str, str] = values["scope_fields"]  # type: ignore[assignment]
    field = values["user_id_field"]
    lines = [
        f"      {PROFILE_SCRIPT} = profile_script.js rendered ({len(source)} chars, "
        f"sha256 {sha256_hex(source)}):",
        f"          user id field  {field}: Auth0 user_id oauth2|{connection['name']}|<{field}>",
        f"          user info URL  {values['user_info_url']}",
        "          user-info fields it asks for, per scope (of those the user granted):",
    ]
    width = max(map(len, scope_fields), default=0)
    lines += [f"            {scope:<{width}}  {fields}" for scope, fields in scope_fields.items()]
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


def _stack_outputs(deployed: dict[str, Any]) -> dict[str, Any]:
    """The root stack's outputs in the export ({} when it has none): the program reads the
    deployed connection only once they show a finished deployment (tiktok_auth0/_replacement.py)."""
    roots = [r for r in deployed.values() if r.get("type") == ROOT_STACK_TYPE]
    return dict(roots[0].get("outputs") or {}) if roots else {}


def _refuse_another_stacks_state(deployed: dict[str, Any], stack: str, state: Path) -> None:
    """Raise StackFileError when the export's URNs (`urn:pulumi:<stack>::<project>::...`) name
    another stack or project: planned against it, a rename check would read the wrong state."""
    owners = sorted({tuple(urn.removeprefix("urn:pulumi:").split("::")[:2]) for urn in deployed})
    if owners == [(stack, PROJECT)]:
        return
    whose = ", ".join(f"stack '{s}' of project {p}" for s, p in owners)
    also = ""
    if len(owners) == 1 and owners[0][1] == PROJECT:
        also = f", or plan that stack: make plan STACK={owners[0][0]} STATE={state}"
    raise StackFileError(
        f"STATE={state}: the `pulumi stack export` of {whose}, not of stack '{stack}' of project "
        f"{PROJECT}; write this stack's with `pulumi stack export -s {stack} --file "
        f"{stack}.state.json` and give STATE={stack}.state.json{also}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--config-file", type=Path, help="default: Pulumi.<stack>.yaml")
    parser.add_argument(
        "--state", type=Path, help="the stack's last deployment (`pulumi stack export` file)"
    )
    args = parser.parse_args(argv)
    try:
        path = stack_file(args.stack, args.config_file)
        config, secret_keys, notes = load_stack_config(path, stack=args.stack)
        deployed = read_state(args.state) if args.state else None
        if deployed:
            _refuse_another_stacks_state(deployed, args.stack, args.state)
    except StateFileError as exc:
        print(
            f"error: STATE={args.state}: not the stack's last deployment as `pulumi stack export` "
            f"writes it ({exc}); write it with `pulumi stack export -s {args.stack} --file "
            f"{args.state}`",
            file=sys.stderr,
        )
        return 2
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"Plan for stack '{args.stack}' ({path.name}), offline under the mock runtime\n")
    if deployed is None:
        notes.append(
            "the stack's state is not read offline, so a new connectionName is not checked "
            "against the deployed connection here (`pulumi preview` does; or give "
            "STATE=<file of `pulumi stack export`>)"
        )
    for note in notes:
        print(f"note: {note}")
    if deployed is not None and not _stack_outputs(deployed):
        print(
            f"warning: STATE={args.state}: the rename check is skipped: the export's stack has no "
            "outputs (never deployed, or its first `pulumi up` failed), so a new connectionName "
            "is not checked against a deployed connection (`pulumi preview` skips it too)"
        )
    try:
        run = run_program(
            stack=args.stack, config=config, secret_keys=secret_keys, deployed=deployed
        )
    except pulumi.RunError as exc:
        print(
            f"\nconfig error in {path.name}:\n{describe_config_error(exc, path)}", file=sys.stderr
        )
        return 2
    try:
        print("\n".join(["", *where_it_logs_in(config), ""]))
        print(render_plan(run))
    except BrokenPipeError:  # `make plan | head`: the reader has seen enough
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    try:
        status = main()
    finally:
        close_event_loop()  # now, not in the interpreter's shutdown (see close_event_loop)
    sys.exit(status)
