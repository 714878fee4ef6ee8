"""The GitOps workflows as data, so that every rule is checked over EVERY file in .github/workflows.

A workflow added later (a release workflow, a nightly job) is held to the same rules without anyone
having to remember to add it to a list: the tests iterate `workflows()`, a glob of the directory.

The model of GitHub environments lives here too. Each stack `<s>` (one per `Pulumi.<s>.yaml`) has:
`<s>` (the deploy identity; main only), `<s>-preview` (the read-only identity, for pull requests)
and `<s>-readonly` (the read-only identity, for runs on main: drift, the approver's preview). Each
holds the same plain-named settings: IDENTITY_VARIABLES and ENVIRONMENT_SECRETS.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO / ".github" / "workflows"

STACKS = tuple(sorted(path.name.split(".")[1] for path in REPO.glob("Pulumi.*.yaml")))
DEPLOY_ENVIRONMENTS = frozenset(STACKS)
PREVIEW_ENVIRONMENTS = frozenset(f"{stack}-preview" for stack in STACKS)
READONLY_ENVIRONMENTS = frozenset(f"{stack}-readonly" for stack in STACKS)
ENVIRONMENTS = DEPLOY_ENVIRONMENTS | PREVIEW_ENVIRONMENTS | READONLY_ENVIRONMENTS

IDENTITY_VARIABLES = frozenset(
    {"GCP_WORKLOAD_IDENTITY_PROVIDER", "GCP_SERVICE_ACCOUNT", "PULUMI_BACKEND_URL", "AUTH0_DOMAIN"}
)
ENVIRONMENT_SECRETS = frozenset(
    {"AUTH0_CLIENT_ID", "AUTH0_CLIENT_SECRET", "PULUMI_CONFIG_PASSPHRASE"}
)

BASE_SHA = "${{ github.event.pull_request.base.sha }}"
_REFERENCE = re.compile(r"\b(secrets|vars)\.([A-Za-z_][A-Za-z0-9_]*)")
_MATRIX = re.compile(r"\$\{\{\s*matrix\.([A-Za-z_][A-Za-z0-9_-]*)\s*\}\}")
_PULUMI_RUN = re.compile(r"(?:^|[\s;&|(])pulumi\s+([a-z]+)", re.M)


def _substitute(value: str, row: dict[str, Any]) -> str:
    return _MATRIX.sub(lambda match: str(row[match.group(1)]), value)


def sdk_version() -> str:
    """The Pulumi SDK version the lock pins (requirements/dev.txt, `pulumi==X`), which the tests and
    the stacks run with: the CLI must be the same version."""
    (pin,) = re.findall(r"^pulumi==(\S+)$", (REPO / "requirements" / "dev.txt").read_text(), re.M)
    return pin


@dataclass(frozen=True)
class Step:
    job: Job
    index: int
    doc: dict[str, Any]

    @property
    def uses(self) -> str:
        return str(self.doc.get("uses", ""))

    @property
    def action(self) -> str:
        """`owner/repo` of the action (`actions/checkout`), "" for a `run` step."""
        return self.uses.split("@")[0]

    @property
    def inputs(self) -> dict[str, Any]:
        return dict(self.doc.get("with") or {})

    @property
    def run(self) -> str:
        return str(self.doc.get("run", ""))

    @property
    def condition(self) -> str:
        return str(self.doc.get("if", ""))

    @property
    def pulumi_commands(self) -> list[str]:
        """The Pulumi commands it runs: pulumi/actions' `command`, or `pulumi X` in a script."""
        if self.action == "pulumi/actions":
            return [str(self.inputs["command"])] if "command" in self.inputs else []
        return _PULUMI_RUN.findall(self.run)

    @property
    def policy_packs(self) -> list[str]:
        if self.action == "pulumi/actions":
            return str(self.inputs.get("policyPacks", "")).split()
        return re.findall(r"--policy-pack[= ](\S+)", self.run)

    def __str__(self) -> str:
        return f"{self.job} step {self.index} ({self.doc.get('name') or self.uses or 'run'})"


@dataclass(frozen=True)
class Job:
    workflow: Workflow
    id: str
    doc: dict[str, Any]

    @cached_property
    def steps(self) -> list[Step]:
        return [Step(self, i, step) for i, step in enumerate(self.doc.get("steps", []))]

    @cached_property
    def text(self) -> str:
        return yaml.safe_dump(self.doc, sort_keys=True)

    @property
    def permissions(self) -> dict[str, str]:
        granted = self.doc.get("permissions", {})
        assert isinstance(granted, dict), f"{self}: permissions must be a mapping, not {granted!r}"
        return granted

    @property
    def needs(self) -> list[str]:
        needs = self.doc.get("needs", [])
        return [needs] if isinstance(needs, str) else list(needs)

    def matrix_rows(self) -> list[dict[str, Any]]:
        """Every combination the job's matrix runs (axes crossed, then `include` rows)."""
        matrix = (self.doc.get("strategy") or {}).get("matrix") or {}
        axes = {k: v for k, v in matrix.items() if k not in ("include", "exclude")}
        rows: list[dict[str, Any]] = [
            dict(zip(axes, values, strict=True)) for values in itertools.product(*axes.values())
        ]
        rows = [row for row in rows if row] + [dict(row) for row in matrix.get("include", [])]
        return rows or [{}]

    def expand(self, value: str) -> set[str]:
        """`value` for every matrix row (`${{ matrix.stack }}-preview` -> dev-preview, ...)."""
        return {_substitute(value, row) for row in self.matrix_rows()}

    @cached_property
    def environments(self) -> set[str]:
        """The GitHub environments the job runs in, with those of a local reusable workflow."""
        environment = self.doc.get("environment")
        if isinstance(environment, dict):
            environment = environment.get("name")
        found = self.expand(str(environment)) if environment else set()
        called = str(self.doc.get("uses", ""))
        if called.startswith("./"):
            for job in Workflow(REPO / called).jobs:
                found |= job.environments
        return found

    def references(self, kind: str) -> set[str]:
        """Names of the `secrets` or `vars` the job's YAML refers to."""
        return {name for k, name in _REFERENCE.findall(self.text) if k == kind}

    def step_index(self, step_id: str) -> int:
        (index,) = [s.index for s in self.steps if s.doc.get("id") == step_id]
        return index

    def __str__(self) -> str:
        return f"{self.workflow.path.name}: job {self.id}"


@dataclass(frozen=True)
class Workflow:
    path: Path

    @cached_property
    def text(self) -> str:
        return self.path.read_text()

    @cached_property
    def doc(self) -> dict[str, Any]:
        document = yaml.safe_load(self.text)
        document["on"] = document.pop(True)  # YAML 1.1 reads the key `on` as true
        return document

    @property
    def triggers(self) -> dict[str, Any]:
        on = self.doc["on"]
        if isinstance(on, str):
            return {on: None}
        if isinstance(on, list):
            return dict.fromkeys(on)
        return dict(on)

    @cached_property
    def jobs(self) -> list[Job]:
        return [Job(self, job_id, job) for job_id, job in self.doc["jobs"].items()]

    def job(self, job_id: str) -> Job:
        (job,) = [j for j in self.jobs if j.id == job_id]
        return job

    def __str__(self) -> str:
        return self.path.name


def workflows() -> list[Workflow]:
    """Every workflow file in .github/workflows (both extensions GitHub reads)."""
    paths = sorted([*WORKFLOWS.glob("*.yml"), *WORKFLOWS.glob("*.yaml")])
    return [Workflow(path) for path in paths]


def jobs() -> list[Job]:
    return [job for workflow in workflows() for job in workflow.jobs]


def steps() -> list[Step]:
    return [step for job in jobs() for step in job.steps]


def runs_on_pull_requests(workflow: Workflow) -> bool:
    return any(event.startswith("pull_request") for event in workflow.triggers)


def deploy_jobs() -> list[Job]:
    return [job for job in jobs() if job.environments & DEPLOY_ENVIRONMENTS]
