"""Another team's program: two TikTokLogin instances in one stack, under Pulumi's mock runtime.

tests/test_consumer.py runs this file with a virtualenv in which the tiktok-auth0 wheel is
installed, from a directory outside the checkout, and reads what it prints: the resources as the
engine would receive them (each RegisterResource request as serialised, where a secret keeps its
marker on its own leaf), the stack outputs, and where the package was loaded from. With the
argument `invalid`, it declares one instance with mistakes and prints the error instead.
It imports nothing from this repository but the installed package.
"""

from __future__ import annotations

import json
import sys
from typing import Any
from unittest import mock

import pulumi
from google.protobuf.json_format import MessageToDict
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

import tiktok_auth0
from tiktok_auth0 import InvalidArgumentsError, TikTokLogin, TikTokLoginArgs
from tiktok_auth0.profile_script import SCRIPT_PATH
from tiktok_auth0.proxy_source import PROXY_DIR

PROJECT, STACK = "acme-identity", "staging"
GCP_PROJECT, GCP_REGION = "acme-identity-staging", "europe-west1"
CONFIG = {
    "gcp:project": GCP_PROJECT,
    "gcp:region": GCP_REGION,
    f"{PROJECT}:tiktokClientSecret": "consumer-secret-from-config-1f2e",
}
PLAIN_CLIENT_SECRET = "consumer-secret-passed-plain-9c8d"


class Mocks(pulumi.runtime.Mocks):
    """Echoes inputs and adds what the cloud would compute and the components read."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        outputs = dict(args.inputs)
        if args.typ == "gcp:cloudfunctionsv2/function:Function":
            name, region = args.inputs["name"], args.inputs["location"]
            outputs["url"] = f"https://{region}-{GCP_PROJECT}.cloudfunctions.net/{name}"
            outputs["serviceConfig"] = {
                **args.inputs["serviceConfig"],
                "service": f"projects/{GCP_PROJECT}/locations/{region}/services/{name}",
            }
        elif args.typ == "gcp:serviceaccount/account:Account":
            outputs["email"] = f"{args.inputs['accountId']}@{GCP_PROJECT}.iam.gserviceaccount.com"
        elif args.typ == "gcp:secretmanager/secretVersion:SecretVersion":
            outputs["version"] = "1"
        elif args.typ == "gcp:storage/bucket:Bucket":
            outputs["name"] = f"{args.name}-bucket"
        elif args.typ == "random:index/randomPassword:RandomPassword":
            outputs["result"] = f"generated-{args.name}"
        return f"{args.name}-id", outputs

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        # The component reads the stack's outputs, and its last deployment only when there are
        # some; a new stack has none. (The mock monitor needs a list of failures, even an empty
        # one, not None.)
        if args.token == "pulumi:pulumi:readStackOutputs":
            return {"name": args.args["name"], "outputs": {}}, []
        return {}, []


class WireMonitor(MockMonitor):
    """Keeps every RegisterResource request as it is serialised for the engine."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.requests: list[dict[str, Any]] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        self.requests.append(
            {
                "type": request.type,
                "name": request.name,
                "urn": response.urn,
                "parent": request.parent,
                "custom": request.custom,
                "protect": request.protect,
                "object": MessageToDict(request.object) if request.HasField("object") else {},
            }
        )
        return response


def two_logins() -> None:
    config = pulumi.Config()
    first = TikTokLogin(
        "tiktok",
        TikTokLoginArgs(
            client_key="sbawfirstappkey",
            client_secret=config.require_secret("tiktokClientSecret"),
            enabled_clients=["AppOneClientId"],
        ),
    )
    second = TikTokLogin(
        "tiktok-eu",
        TikTokLoginArgs(
            client_key="awsecondappkey",
            client_secret=PLAIN_CLIENT_SECRET,  # marked secret by the component
            scopes=["user.info.basic", "user.info.profile"],
            user_id_field="open_id",
            display_name="TikTok (EU)",
            max_instances=3,
            protect=True,
        ),
    )
    for prefix, login in (("tiktok", first), ("tiktok-eu", second)):
        for key in ("token_url", "connection_name", "function_name", "proxy_source_sha256"):
            pulumi.export(f"{prefix}.{key}", getattr(login, key))


def invalid() -> None:
    TikTokLogin(
        "tiktok",
        TikTokLoginArgs(  # type: ignore[typeddict-unknown-key]
            client_key="",
            client_secret="s",
            scopes=["user.email"],
            user_id_field="email",
            min_instances=4,
            max_instances=2,
            user_id_fields="typo",
        ),
    )


def main(mode: str) -> dict[str, Any]:
    pulumi.runtime.set_all_config(CONFIG, [f"{PROJECT}:tiktokClientSecret"])
    mocks = Mocks()
    monitor = WireMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=STACK, preview=False, monitor=monitor)
    exports: dict[str, Any] = {}
    error = None
    with mock.patch.object(pulumi, "export", exports.__setitem__):
        try:
            _sync_await(run_pulumi_func(two_logins if mode == "two" else invalid))
        except InvalidArgumentsError as exc:
            error = str(exc)
    outputs = {}
    for key, value in exports.items():
        output = pulumi.Output.from_input(value)
        outputs[key] = {
            "value": _sync_await(output.future()),
            "secret": _sync_await(output.is_secret()),
        }
    return {
        "package": {
            "module": tiktok_auth0.__file__,
            "version": tiktok_auth0.__version__,
            "proxy_dir": str(PROXY_DIR),
            "profile_script": str(SCRIPT_PATH),
        },
        "sys_path": sys.path,
        "requests": monitor.requests,
        "outputs": outputs,
        "error": error,
    }


if __name__ == "__main__":
    json.dump(main(sys.argv[1] if len(sys.argv) > 1 else "two"), sys.stdout)
