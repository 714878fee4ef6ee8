"""Run the real Pulumi program under Pulumi's mock runtime: no CLI, no credentials, no network.

Shared by the tests and `make plan`. The mocks echo every input and add the computed outputs the
program reads (URLs, emails, ids), with `preview=False` so no `apply` is silently skipped. Each
resource also keeps its RegisterResource request as serialised for the engine (`wire`: secrets
marked on their own leaf) and its options. The program's reads of the stack's last deployment
(`pulumi:pulumi:readStackOutputs`, `pulumi:pulumi:readStackResourceOutputs`) are answered from
`deployed` (a `pulumi stack export` read by `read_state`) as the engine of a DIY backend answers
them, or without any state when there is none (offline, not known). Warnings the program logs
are kept in `ProgramRun.warnings`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import runpy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import pulumi
from google.protobuf.json_format import MessageToDict
from pulumi.runtime import rpc, sync_await
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

from devtools.engine import ROOT_STACK_TYPE, AliasSpec, Registration, engine_urns

__all__ = [
    "NOT_DECRYPTED",
    "PROJECT",
    "READ_STACK_OUTPUTS",
    "READ_STACK_RESOURCE_OUTPUTS",
    "SECRET_SIG",
    "SECRET_SIG_KEY",
    "ExportedValue",
    "MockedResource",
    "ProgramRun",
    "RecordingMocks",
    "StateFileError",
    "close_event_loop",
    "engine_secrets",
    "read_state",
    "run_program",
]

REPO = Path(__file__).resolve().parent.parent
PROJECT = "tiktok-connection"
ORGANIZATION = "organization"  # what a DIY backend calls every stack's organization
READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"
READ_STACK_RESOURCE_OUTPUTS = "pulumi:pulumi:readStackResourceOutputs"
# A secret as `pulumi stack export` writes it: the signature key with the secret's signature and
# exactly one of `ciphertext` (encrypted by the stack's secrets provider) or, with
# --show-secrets, `plaintext` (the value as JSON text) (pulumi/pulumi
# pkg/resource/stack/deployment.go, DeserializePropertyValue). The engine decrypts it and hands
# the program the value marked secret; offline the ciphertext cannot be decrypted, so its value
# is this placeholder, still marked secret.
SECRET_SIG_KEY, SECRET_SIG = rpc._special_sig_key, rpc._special_secret_sig
NOT_DECRYPTED = "[secret, not decrypted offline]"
# A resource's URN as the engine forms it (pulumi/pulumi sdk/go/common/resource/urn.go).
URN = re.compile(r"^urn:pulumi:[^:]+::[^:]+::.+$")
# The loops the mock monitor made in its executor threads, for close_event_loop.
_MONITOR_LOOPS: set[asyncio.AbstractEventLoop] = set()
DeployedState = Mapping[str, Mapping[str, Any]]  # URN -> {"type": ..., "outputs": {...}}


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
    retain_on_delete: bool = False
    ignore_changes: tuple[str, ...] = ()
    secret_outputs: tuple[str, ...] = ()  # additionalSecretOutputs: outputs the engine keeps secret
    delete_before_replace: bool = False
    wire: dict[str, Any] = field(default_factory=dict)  # inputs as serialised: secrets on the leaf


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
    warnings: list[str] = field(default_factory=list)  # what the program logged as warnings

    def of_type(self, typ: str) -> list[MockedResource]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str) -> MockedResource:
        (resource,) = self.of_type(typ)
        return resource


class RecordingMocks(pulumi.runtime.Mocks):
    """`deployed`: the stack's last deployment, as `read_state` reads it ({}: never deployed);
    None: unknown. `invokes` lists the tokens the program invoked, in order. `versions` holds the
    secret versions created so far ((secret, logical name) -> its number); pass the same dict to
    the runs of successive deployments, and a version keeps its number while new ones get the
    next, as in Secret Manager."""

    def __init__(
        self,
        project: str,
        region: str,
        deployed: DeployedState | None = None,
        *,
        versions: dict[tuple[str, str], int] | None = None,
    ) -> None:
        self.project, self.region, self.deployed = project, region, deployed
        self.resources: list[MockedResource] = []
        self.invokes: list[str] = []
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
        """The resource's id, in the gcp provider's own form where the program passes it on: a
        secret's is `projects/<project>/secrets/<id>`, a dashboard's
        `projects/<project>/dashboards/<id>`, a service account's
        `projects/<project>/serviceAccounts/<email>`."""
        project = inputs.get("project", self.project)
        if typ == "gcp:serviceaccount/account:Account":
            return f"projects/{project}/serviceAccounts/{self._email(inputs)}"
        if typ == "gcp:secretmanager/secret:Secret":
            return f"projects/{project}/secrets/{inputs.get('secretId', name)}"
        if typ == "gcp:monitoring/dashboard:Dashboard":
            return f"projects/{project}/dashboards/{name}-mock"
        return f"{name}-id"

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        self.invokes.append(args.token)
        if args.token == READ_STACK_OUTPUTS:  # the root stack's outputs ({} before any)
            if self.deployed is None:  # unlike the engine's: no `outputs`, the state is unknown
                return {"name": args.args.get("name")}, []
            root = [r for r in self.deployed.values() if r.get("type") == ROOT_STACK_TYPE]
            outputs = engine_secrets(dict(root[0].get("outputs") or {})) if root else {}
            secret = sorted(k for k, v in outputs.items() if _is_secret(v))
            return {
                "name": args.args.get("name"),
                "outputs": outputs,
                "secretOutputNames": secret,
            }, []
        if args.token == READ_STACK_RESOURCE_OUTPUTS:
            if self.deployed is None:
                return {"name": args.args.get("stackName")}, []
            if not self.deployed:
                # A DIY backend's stack that was never deployed has no snapshot, and the engine's
                # GetStackResourceOutputs reads its resources without checking: the CLI crashes
                # (pulumi/pulumi pkg/backend/backend.go; `pulumi stack init` on a gs:// backend
                # saves a checkpoint whose `latest` is nil, pkg/backend/diy/backend.go).
                raise RuntimeError(
                    "panic: runtime error: invalid memory address or nil pointer dereference "
                    "(readStackResourceOutputs of a stack that was never deployed)"
                )
            resources = {
                urn: {**resource, "outputs": engine_secrets(resource.get("outputs") or {})}
                for urn, resource in self.deployed.items()
            }
            return {"name": args.args.get("stackName"), "outputs": resources}, []
        return {}, []

    def _email(self, inputs: dict[str, Any]) -> str:
        """A service account's email, in the project it is created in."""
        project = inputs.get("project", self.project)
        return f"{inputs['accountId']}@{project}.iam.gserviceaccount.com"

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
            email = self._email(inputs)
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
        if typ == "gcp:storage/bucket:Bucket":  # Pulumi names a bucket that has no name
            bucket = inputs.get("name") or f"{name}-mock"
            return {"url": f"gs://{bucket}"} | ({} if "name" in inputs else {"name": bucket})
        if typ == "random:index/randomPassword:RandomPassword":
            return {"result": f"mock-generated-proxy-secret-{name}", "bcryptHash": "mock-hash"}
        return {}


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG_KEY) == SECRET_SIG


class RecordingMonitor(MockMonitor):
    """Keeps what the mocks do not see: each request as serialised (secrets still marked on their
    leaf, aliases, parent, protect, dependencies), in the order the program sent them."""

    def __init__(self, mocks: RecordingMocks) -> None:
        super().__init__(mocks)
        self.by_name: dict[tuple[str, str], Registration] = {}
        self.registrations: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:
        wire = MessageToDict(request.object) if request.HasField("object") else {}
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        registration = Registration(
            type=request.type,
            name=request.name,
            monitor_urn=response.urn,
            parent=request.parent,
            custom=request.custom,
            aliases=tuple(AliasSpec.from_message(MessageToDict(a)) for a in request.aliases),
            object=wire,
            protect=request.protect,
            dependencies=tuple(request.dependencies),
            retain_on_delete=request.retainOnDelete,
            ignore_changes=tuple(request.ignoreChanges),
            additional_secret_outputs=tuple(request.additionalSecretOutputs),
            delete_before_replace=request.deleteBeforeReplace,
        )
        self.registrations.append(registration)
        self.by_name[(request.type, request.name)] = registration
        return response


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


class StateFileError(ValueError):
    """The file is not a `pulumi stack export`; the message says what it lacks, in a few words."""


def engine_secrets(value: Any) -> Any:
    """`value` (outputs from a `pulumi stack export`) with each secret in the form the engine
    gives a program, `{<sig key>: <secret sig>, "value": ...}`, which Pulumi's
    `rpc.deserialize_properties` turns into a secret Output: a `ciphertext` one holds
    NOT_DECRYPTED, a `plaintext` one its decoded JSON. Already in that form, it is unchanged.
    Raises StateFileError for a secret with neither (or both) or with plaintext that is not JSON,
    which the engine refuses too."""
    if isinstance(value, list):
        return [engine_secrets(v) for v in value]
    if not isinstance(value, dict):
        return value
    if value.get(SECRET_SIG_KEY) != SECRET_SIG or "value" in value:
        return {k: engine_secrets(v) for k, v in value.items()}
    ciphertext, plaintext = value.get("ciphertext"), value.get("plaintext")
    if isinstance(ciphertext, str) == isinstance(plaintext, str):
        raise StateFileError("a secret has not exactly one of ciphertext or plaintext")
    if isinstance(ciphertext, str):
        return {SECRET_SIG_KEY: SECRET_SIG, "value": NOT_DECRYPTED}
    try:
        decoded = json.loads(str(plaintext))
    except (ValueError, RecursionError):
        raise StateFileError("a secret's plaintext is not JSON") from None
    return {SECRET_SIG_KEY: SECRET_SIG, "value": engine_secrets(decoded)}


def read_state(path: Path) -> dict[str, dict[str, Any]]:
    """A `pulumi stack export` file as the engine's state read returns it: each live resource's
    URN -> {"type", "outputs"} (resources pending deletion left out, as the engine leaves them).
    Raises StateFileError saying what is wrong with the file when it is not such an export."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise StateFileError(exc.strerror or str(exc)) from None
    except (ValueError, RecursionError):
        raise StateFileError("it is not JSON") from None
    deployment = document.get("deployment") if isinstance(document, dict) else None
    if not isinstance(deployment, dict):
        raise StateFileError('it has no "deployment" object')
    # Absent when the stack has no resources (apitype.DeploymentV3: `resources,omitempty`); the
    # CLI never writes null.
    resources = deployment.get("resources", [])
    if not isinstance(resources, list) or not all(isinstance(r, dict) for r in resources):
        raise StateFileError('its "deployment" has no list of resources')
    if not all(isinstance(r.get("urn"), str) and isinstance(r.get("type"), str) for r in resources):
        raise StateFileError("a resource has no urn or type")
    if not all(URN.match(r["urn"]) for r in resources):
        raise StateFileError("a resource's urn is not urn:pulumi:<stack>::<project>::...")
    return {
        r["urn"]: {"type": r["type"], "outputs": engine_secrets(r.get("outputs") or {})}
        for r in resources
        if not r.get("delete")
    }


def run_program(
    *,
    stack: str,
    config: dict[str, str],
    secret_keys: list[str],
    mocks: RecordingMocks | None = None,
    program: Callable[[], None] | None = None,
    deployed: DeployedState | None = None,
) -> ProgramRun:
    """Run __main__.py (or `program`) once under mocks; raises what the program raises.

    `deployed`: the stack's last deployment the program may read (ignored when `mocks` is given,
    which carry their own); None: not known, as offline."""
    if mocks is None:
        region = config.get("gcp:region", "us-central1")
        mocks = RecordingMocks(config.get("gcp:project", "mock-project"), region, deployed)
    pulumi.runtime.set_all_config(config, secret_keys)
    monitor = RecordingMonitor(mocks)
    warnings = _Warnings()
    logger = logging.Logger("pulumi-program")
    logger.addHandler(warnings)
    pulumi.runtime.set_mocks(
        mocks,
        project=PROJECT,
        stack=stack,
        preview=False,
        monitor=monitor,
        logger=logger,
        organization=ORGANIZATION,
    )
    exports: dict[str, Any] = {}
    path = REPO / "__main__.py"

    def program_body() -> None:
        with mock.patch.object(pulumi, "export", exports.__setitem__):
            if program is None:
                runpy.run_path(str(path), run_name="__main__")
            else:
                program()

    with mock.patch.object(pulumi.runtime.mocks, "_ensure_event_loop", _ensure_event_loop_kept):
        _sync_await(run_pulumi_func(program_body))
    for resource in mocks.resources:
        registration = monitor.by_name[(resource.typ, resource.name)]
        parent = registration.parent
        resource.parent_type = parent.split("::")[2].split("$")[-1] if parent else ""
        resource.protect = registration.protect
        resource.depends_on = tuple(urn.rsplit("::", 1)[-1] for urn in registration.dependencies)
        resource.retain_on_delete = registration.retain_on_delete
        resource.ignore_changes = registration.ignore_changes
        resource.secret_outputs = registration.additional_secret_outputs
        resource.delete_before_replace = registration.delete_before_replace
        resource.wire = registration.object
    urns = engine_urns(monitor.registrations, stack, PROJECT)
    run = ProgramRun(
        resources=mocks.resources,
        urns=[urns[r.monitor_urn] for r in monitor.registrations if r.parent],
        registrations=monitor.registrations,
        warnings=warnings.messages,
    )
    for key, value in exports.items():
        output = pulumi.Output.from_input(value)
        run.exports[key] = ExportedValue(
            value=_sync_await(output.future()),
            secret=_sync_await(output.is_secret()),
            known=_sync_await(output.is_known()),
        )
    return run


def close_event_loop() -> None:
    """Close the asyncio loops the program ran on; call it once, as a command that ran the program
    ends.

    Pulumi's `_sync_await` (pulumi/runtime/sync_await.py) gives the main thread a loop, and the
    mock monitor one more to each executor thread it answers in (mocks.py, `_ensure_event_loop`),
    and never closes them. Left to the garbage collector (at the latest at the interpreter's
    shutdown), a loop is closed in its `__del__`, and when its self-pipe socket was finalized
    first, closing it raised: "Exception ignored in ... BaseEventLoop.__del__ ...
    _remove_reader ... ValueError: Invalid file descriptor: -1", printed after the command's
    output, its exit status unchanged.
    """
    with contextlib.suppress(RuntimeError):  # no loop was ever made for this thread
        loop = asyncio.get_event_loop()
        if not loop.is_closed() and not loop.is_running():
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
            _MONITOR_LOOPS.add(loop)
    for each in _MONITOR_LOOPS:
        if not each.is_closed() and not each.is_running():
            each.close()
    _MONITOR_LOOPS.clear()
    asyncio.set_event_loop(None)


def _ensure_event_loop_kept() -> asyncio.AbstractEventLoop:
    """pulumi's `_ensure_event_loop`, keeping each loop it makes for `close_event_loop`."""
    loop: asyncio.AbstractEventLoop = sync_await._ensure_event_loop()  # type: ignore[no-untyped-call]
    _MONITOR_LOOPS.add(loop)
    return loop
