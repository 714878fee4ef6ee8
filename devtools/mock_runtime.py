"""Run the real Pulumi program under Pulumi's mock runtime: no CLI, no credentials, no network.

Shared by the tests and `make plan`. The mocks echo every input and add the computed outputs the
program reads (URLs, emails, ids), with `preview=False` so no `apply` is silently skipped.
"""

from __future__ import annotations

import runpy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pulumi
from google.protobuf.json_format import MessageToDict
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from devtools.engine import AliasSpec, Registration, engine_urns

__all__ = [
    "PROJECT",
    "ExportedValue",
    "MockedResource",
    "ProgramRun",
    "RecordingMocks",
    "run_program",
]

REPO = Path(__file__).resolve().parent.parent
PROJECT = "tiktok-connection"


@dataclass
class MockedResource:
    typ: str
    name: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    computed: set[str]
    parent_type: str = ""
    protect: bool = False
    depends_on: tuple[str, ...] = ()
    id: str = ""


@dataclass
class ExportedValue:
    value: Any
    secret: bool
    known: bool


@dataclass
class ProgramRun:
    resources: list[MockedResource] = field(default_factory=list)
    exports: dict[str, ExportedValue] = field(default_factory=dict)
    urns: list[str] = field(default_factory=list)  # as the engine forms them
    registrations: list[Registration] = field(default_factory=list)

    def of_type(self, typ: str) -> list[MockedResource]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str) -> MockedResource:
        (resource,) = self.of_type(typ)
        return resource


class RecordingMocks(pulumi.runtime.Mocks):
    def __init__(
        self, project: str, region: str, *, versions: dict[tuple[str, str], int] | None = None
    ) -> None:
        """`versions` holds the secret versions created so far ((secret, logical name) -> its
        number); pass the same dict to the runs of successive deployments, and a version keeps
        its number while new ones get the next, as in Secret Manager."""
        self.project, self.region = project, region
        self.resources: list[MockedResource] = []
        self.versions = {} if versions is None else versions

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        computed = self._computed(args.typ, args.name, args.inputs)
        outputs = {**args.inputs, **computed}
        resource_id = self._id(args.typ, args.name, args.inputs)
        self.resources.append(
            MockedResource(args.typ, args.name, args.inputs, outputs, set(computed), id=resource_id)
        )
        return resource_id, outputs

    def _id(self, typ: str, name: str, inputs: dict[str, Any]) -> str:
        """The resource's id, in GCP's own form where the program passes it on: a secret's is
        `projects/<project>/secrets/<id>`, a dashboard's `projects/<project>/dashboards/<id>`."""
        project = inputs.get("project", self.project)
        if typ == "gcp:secretmanager/secret:Secret":
            return f"projects/{project}/secrets/{inputs.get('secretId', name)}"
        if typ == "gcp:monitoring/dashboard:Dashboard":
            return f"projects/{project}/dashboards/{name}-mock"
        return f"{name}-id"

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None

    def _computed(self, typ: str, name: str, inputs: dict[str, Any]) -> dict[str, Any]:
        if typ == "gcp:cloudfunctionsv2/function:Function":
            fn, region = inputs.get("name", name), inputs.get("location", self.region)
            service = f"projects/{self.project}/locations/{region}/services/{fn}"
            return {
                "url": f"https://{region}-{self.project}.cloudfunctions.net/{fn}",
                "serviceConfig": {
                    **inputs.get("serviceConfig", {}),
                    "service": service,
                    "uri": f"https://{fn}-mock.a.run.app",
                },
                "state": "ACTIVE",
            }
        if typ == "gcp:serviceaccount/account:Account":
            email = f"{inputs['accountId']}@{self.project}.iam.gserviceaccount.com"
            return {"email": email, "member": f"serviceAccount:{email}"}
        if typ == "gcp:secretmanager/secretVersion:SecretVersion":
            # Numbered as Secret Manager numbers them: 1, 2, ... in the order they are created.
            secret = str(inputs.get("secret"))
            if (secret, name) not in self.versions:
                taken = [n for (s, _), n in self.versions.items() if s == secret]
                self.versions[(secret, name)] = max(taken, default=0) + 1
            number = self.versions[(secret, name)]
            return {"version": str(number), "name": f"{secret}/versions/{number}"}
        if typ == "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig":
            check_id = f"{name}-mock"
            project = inputs.get("project", self.project)
            return {
                "uptimeCheckId": check_id,
                "name": f"projects/{project}/uptimeCheckConfigs/{check_id}",
            }
        if typ == "gcp:monitoring/alertPolicy:AlertPolicy":
            project = inputs.get("project", self.project)
            return {"name": f"projects/{project}/alertPolicies/{name}-mock"}
        if typ == "gcp:storage/bucket:Bucket":
            return {"name": inputs.get("name", f"{name}-mock"), "url": f"gs://{name}-mock"}
        if typ == "random:index/randomPassword:RandomPassword":
            return {"result": f"mock-generated-proxy-secret-{name}", "bcryptHash": "mock-hash"}
        return {}


class RecordingMonitor(MockMonitor):
    """Keeps what the mocks do not see: each request as serialised (secrets still marked on their
    leaf, aliases, parent, protect, dependencies), in the order the program sent them."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.options: dict[tuple[str, str], tuple[str, bool, tuple[str, ...]]] = {}
        self.registrations: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:
        parent_type = request.parent.split("::")[2].split("$")[-1] if request.parent else ""
        deps = tuple(request.dependencies)
        self.options[(request.type, request.name)] = (parent_type, request.protect, deps)
        wire = MessageToDict(request.object) if request.HasField("object") else {}
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        self.registrations.append(
            Registration(
                type=request.type,
                name=request.name,
                monitor_urn=response.urn,
                parent=request.parent,
                custom=request.custom,
                aliases=tuple(AliasSpec.from_message(MessageToDict(a)) for a in request.aliases),
                object=wire,
                protect=request.protect,
                dependencies=deps,
            )
        )
        return response


def run_program(
    *,
    stack: str,
    config: dict[str, str],
    secret_keys: list[str],
    mocks: RecordingMocks | None = None,
    program: Callable[[], None] | None = None,
) -> ProgramRun:
    """Run __main__.py (or `program`) once under mocks; raises what the program raises."""
    if mocks is None:
        region = config.get("gcp:region", "us-central1")
        mocks = RecordingMocks(config.get("gcp:project", "mock-project"), region)
    pulumi.runtime.set_all_config(config, secret_keys)
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    exports: dict[str, Any] = {}
    path = REPO / "__main__.py"

    def program_body() -> None:
        with mock.patch.object(pulumi, "export", exports.__setitem__):
            if program is None:
                runpy.run_path(str(path), run_name="__main__")
            else:
                program()

    _sync_await(run_pulumi_func(program_body))
    for resource in mocks.resources:
        parent_type, protect, deps = monitor.options[(resource.typ, resource.name)]
        resource.parent_type, resource.protect = parent_type, protect
        resource.depends_on = tuple(urn.rsplit("::", 1)[-1] for urn in deps)
    urns = engine_urns(monitor.registrations, stack, PROJECT)
    run = ProgramRun(
        resources=mocks.resources,
        urns=[urns[r.monitor_urn] for r in monitor.registrations if r.parent],
        registrations=monitor.registrations,
    )
    for key, value in exports.items():
        output = pulumi.Output.from_input(value)
        run.exports[key] = ExportedValue(
            value=_sync_await(output.future()),
            secret=_sync_await(output.is_secret()),
            known=_sync_await(output.is_known()),
        )
    return run
