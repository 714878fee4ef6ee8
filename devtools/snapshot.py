"""Record what the stack program registers for a stack: the fixture an upgrade test compares with.

`python -m devtools.snapshot --out tests/fixtures/stacks-<version>.json dev prod` runs the program
under the mock runtime with each `Pulumi.<stack>.yaml` (as `make plan` does) and writes, for every
resource, the URN the engine gives it, its options (protect, retainOnDelete, ignoreChanges),
its inputs as serialised on the wire (secrets marked on their leaf), the values the mocks
computed for it, and the physical names that must survive an upgrade. Absolute paths of this
checkout are written as `<repo>/...`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from devtools.engine import ROOT_STACK_TYPE, engine_urns
from devtools.mock_runtime import PROJECT, REPO, ProgramRun, close_event_loop, run_program
from devtools.plan import load_stack_config

__all__ = ["PHYSICAL_NAMES", "normalise", "physical_names", "snapshot"]

# The inputs that name a resource in GCP or Auth0: a change replaces the resource.
PHYSICAL_NAMES = {
    "gcp:cloudfunctionsv2/function:Function": "name",
    "gcp:serviceaccount/account:Account": "accountId",
    "gcp:secretmanager/secret:Secret": "secretId",
    "auth0:index/connection:Connection": "name",
}


def normalise(value: Any) -> Any:
    """JSON-ready, with this checkout's absolute paths made relative (`<repo>/...`)."""
    if isinstance(value, dict):
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [normalise(v) for v in value]
    if isinstance(value, str) and value.startswith(f"{REPO}/"):
        return "<repo>/" + value[len(str(REPO)) + 1 :]
    return value


def physical_names(resources: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Per resource type, the physical names the stack's resources carry."""
    names: dict[str, list[str]] = {typ: [] for typ in PHYSICAL_NAMES}
    for resource in resources:
        key = PHYSICAL_NAMES.get(resource["type"])
        if key:
            names[resource["type"]].append(resource["inputs"][key])
    return names


def snapshot(stack: str, run: ProgramRun | None = None) -> dict[str, Any]:
    """What the program registers for `stack` (run with `Pulumi.<stack>.yaml` unless given)."""
    if run is None:
        config, secret_keys, _ = load_stack_config(REPO / f"Pulumi.{stack}.yaml", stack=stack)
        run = run_program(stack=stack, config=config, secret_keys=secret_keys)
    urns = engine_urns(run.registrations, stack, PROJECT)
    mocked = {(r.typ, r.name): r for r in run.resources}
    resources = []
    for reg in run.registrations:
        if reg.type == ROOT_STACK_TYPE:
            continue
        parent = urns.get(reg.parent, "")
        entry: dict[str, Any] = {
            "urn": urns[reg.monitor_urn],
            "type": reg.type,
            "name": reg.name,
            "custom": reg.custom,
            "parent": "" if parent.split("::")[2:3] == [ROOT_STACK_TYPE] else parent,
            "protect": reg.protect,
            "retain_on_delete": reg.retain_on_delete,
            "ignore_changes": list(reg.ignore_changes),
            "inputs": normalise(reg.object),
        }
        if reg.custom:
            resource = mocked[(reg.type, reg.name)]
            entry["id"] = resource.id
            entry["computed"] = normalise({k: resource.outputs[k] for k in resource.computed})
        resources.append(entry)
    return {"resources": resources, "physical_names": physical_names(resources)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("stacks", nargs="+")
    args = parser.parse_args(argv)
    document = {stack: snapshot(stack) for stack in args.stacks}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    counts = ", ".join(f"{stack} ({len(d['resources'])})" for stack, d in document.items())
    print(f"wrote {args.out}: {counts}")
    return 0


if __name__ == "__main__":
    try:
        status = main()
    finally:
        close_event_loop()  # now, not in the interpreter's shutdown (see close_event_loop)
    sys.exit(status)
