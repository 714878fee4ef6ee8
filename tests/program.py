"""Run the real Pulumi program under the mock runtime with a test stack's config."""

from __future__ import annotations

import json
from typing import Any

import celpy
from celpy import celtypes
from pulumi.runtime import rpc

from devtools.mock_runtime import PROJECT, ProgramRun, RecordingMocks, run_program

CLIENT_SECRET = "tiktok-client-secret-for-tests-7f3a"
BASE_CONFIG: dict[str, Any] = {
    "gcp:project": "acme-login-dev",
    "gcp:region": "europe-west1",
    "auth0:domain": "acme-dev.eu.auth0.com",
    f"{PROJECT}:clientKey": "sbawtestclientkey",
    f"{PROJECT}:clientSecret": CLIENT_SECRET,
}

CONNECTION = "auth0:index/connection:Connection"
BUILD_GRANT = "gcp:projects/iAMMember:IAMMember"
CONNECTION_CLIENTS = "auth0:index/connectionClients:ConnectionClients"
FUNCTION = "gcp:cloudfunctionsv2/function:Function"
BUCKET = "gcp:storage/bucket:Bucket"
BUCKET_OBJECT = "gcp:storage/bucketObject:BucketObject"
SERVICE = "gcp:projects/service:Service"
ACCOUNT = "gcp:serviceaccount/account:Account"
PASSWORD = "random:index/randomPassword:RandomPassword"
SECRET = "gcp:secretmanager/secret:Secret"
SECRET_VERSION = "gcp:secretmanager/secretVersion:SecretVersion"
SECRET_ACCESS = "gcp:secretmanager/secretIamMember:SecretIamMember"
INVOKER = "gcp:cloudrunv2/serviceIamMember:ServiceIamMember"
METRIC = "gcp:logging/metric:Metric"
ALERT_POLICY = "gcp:monitoring/alertPolicy:AlertPolicy"
UPTIME_CHECK = "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig"
DASHBOARD = "gcp:monitoring/dashboard:Dashboard"


def run(
    stack: str = "dev",
    *,
    plain_secret: bool = False,
    mocks: RecordingMocks | None = None,
    deployed: dict[str, Any] | None = None,
    **overrides: Any,
) -> ProgramRun:
    """`overrides` are project keys (clientKey=..., scopes=[...]); None removes a key.
    `deployed`: the stack's last deployment as the program reads it (default: nothing yet)."""
    config = dict(BASE_CONFIG)
    for key, value in overrides.items():
        full = key if ":" in key else f"{PROJECT}:{key}"
        if value is None:
            config.pop(full, None)
        else:
            config[full] = value
    as_strings = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    secret_keys = [] if plain_secret else [f"{PROJECT}:clientSecret"]
    return run_program(
        stack=stack,
        config=as_strings,
        secret_keys=secret_keys,
        mocks=mocks,
        deployed={} if deployed is None else deployed,
    )


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(rpc._special_sig_key) == rpc._special_secret_sig


def unwrap(value: Any) -> Any:
    """The plain value inside a secret envelope (after asserting it is one, where it matters)."""
    return value["value"] if is_secret(value) else value


def iam_condition_allows(expression: str, resource_name: str) -> bool:
    """Whether an IAM condition's CEL expression admits a request on `resource_name`, evaluated
    by a CEL implementation (cel-python), so a malformed expression fails too."""
    environment = celpy.Environment()
    program = environment.program(environment.compile(expression))
    resource = celtypes.MapType({celtypes.StringType("name"): celtypes.StringType(resource_name)})
    return bool(program.evaluate({"resource": resource}))
