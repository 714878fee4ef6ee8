"""The token proxy as a 2nd-gen Cloud Function, with everything it needs and nothing more."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp
import pulumi_random as random

from .proxy_source import ProxySource

__all__ = [
    "PROXY_SECRET_HEADER",
    "REQUIRED_APIS",
    "TokenProxy",
    "TokenProxyArgs",
    "runtime_environment",
]

PROXY_SECRET_HEADER = "X-Proxy-Secret"  # noqa: S105 - a header name
REQUIRED_APIS = (
    "cloudfunctions",
    "run",
    "cloudbuild",
    "artifactregistry",
    "storage",
    "secretmanager",
)
RUNTIME = "python313"
ENTRY_POINT = "token"
# The deployed shape, sized by measurement (make bench; README, "Performance"): one vCPU and one
# functions-framework worker (a second worker on one vCPU serves no more exchanges and adds about
# 45 MiB), and 32 exchanges in flight per instance: against an upstream that answers after
# 150 ms, as TikTok does, 32 callers get under 2 ms added at p50 and about 200 exchanges a second
# from one instance, 20 times one app's ceiling (TikTok caps user info near 600 a minute);
# Cloud Run adds instances beyond that. The proxy opens as many connections to TikTok as
# requests it may have in flight.
# Memory: the least Cloud Run allows with 1 vCPU, 128 MiB ("1 vCPU: 128 MiB to 4 GiB",
# https://cloud.google.com/run/docs/configuring/services/cpu); the proxy's processes measure
# about 85 MiB resident under load. (Cloud Run's second-generation execution environment would
# need 512 MiB, https://cloud.google.com/run/docs/configuring/services/memory-limits.)
CPU = "1"
WORKERS = "1"
MEMORY = "128Mi"
REQUEST_CONCURRENCY = 32
TIMEOUT_SECONDS = 30  # above the proxy's 10 s upstream timeout, so the proxy answers first
UPSTREAM_TIMEOUT_SECONDS = "10"


def runtime_environment(allowed_client_key: str) -> dict[str, str]:
    """The function's plain environment (the proxy secret comes from Secret Manager): the
    allowed client key, the secret's header, TikTok's timeout, one connection to TikTok per
    request a worker may have in flight, and the worker count."""
    return {
        "ALLOWED_CLIENT_KEYS": allowed_client_key,
        "PROXY_SECRET_HEADER": PROXY_SECRET_HEADER,
        "UPSTREAM_TIMEOUT_SECONDS": UPSTREAM_TIMEOUT_SECONDS,
        "UPSTREAM_MAX_CONNECTIONS": str(REQUEST_CONCURRENCY // int(WORKERS)),
        "WORKERS": WORKERS,
    }


@dataclass
class TokenProxyArgs:
    source: ProxySource
    allowed_client_key: pulumi.Input[str]
    project: str
    region: str
    stack: str
    max_instances: int
    min_instances: int


class TokenProxy(pulumi.ComponentResource):
    """Cloud Function `tiktok-token-proxy-<stack>`, public through roles/run.invoker only."""

    url: pulumi.Output[str]
    function_name: pulumi.Output[str]
    proxy_secret: pulumi.Output[str]
    service_account_email: pulumi.Output[str]

    def __init__(
        self, name: str, args: TokenProxyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("tiktok:gcp:TokenProxy", name, None, opts)
        self._name, self._args = name, args
        child = pulumi.ResourceOptions(parent=self)
        apis = self._enable_apis(child)
        after_apis = pulumi.ResourceOptions(parent=self, depends_on=apis)
        source_object = self._upload_source(after_apis)
        account = gcp.serviceaccount.Account(
            f"{name}-runtime",
            account_id=_account_id(args.stack),
            display_name=f"TikTok token proxy ({args.stack}); no project roles",
            project=args.project,
            opts=after_apis,
        )
        password, secret, version, access = self._store_proxy_secret(account, after_apis)
        function = gcp.cloudfunctionsv2.Function(
            f"{name}-function",
            name=f"tiktok-token-proxy-{_slug(args.stack)}"[:63].rstrip("-"),
            location=args.region,
            project=args.project,
            description="Turns Auth0's token request into TikTok's (client_id -> client_key).",
            build_config=gcp.cloudfunctionsv2.FunctionBuildConfigArgs(
                runtime=RUNTIME,
                entry_point=ENTRY_POINT,
                source=gcp.cloudfunctionsv2.FunctionBuildConfigSourceArgs(
                    storage_source=gcp.cloudfunctionsv2.FunctionBuildConfigSourceStorageSourceArgs(
                        bucket=source_object.bucket, object=source_object.name
                    )
                ),
            ),
            service_config=gcp.cloudfunctionsv2.FunctionServiceConfigArgs(
                max_instance_count=args.max_instances,
                min_instance_count=args.min_instances,
                max_instance_request_concurrency=REQUEST_CONCURRENCY,
                available_memory=MEMORY,
                available_cpu=CPU,
                timeout_seconds=TIMEOUT_SECONDS,
                ingress_settings="ALLOW_ALL",  # Auth0 calls from the internet
                all_traffic_on_latest_revision=True,
                service_account_email=account.email,
                environment_variables=pulumi.Output.from_input(args.allowed_client_key).apply(
                    runtime_environment
                ),
                secret_environment_variables=[
                    gcp.cloudfunctionsv2.FunctionServiceConfigSecretEnvironmentVariableArgs(
                        key="PROXY_SECRET",
                        project_id=args.project,
                        secret=secret.secret_id,
                        version=version.version,
                    )
                ],
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*apis, access]),
        )
        # Auth0 cannot present a Google identity token, so the Cloud Run service behind the
        # function admits everyone; the proxy secret is what keeps other callers out.
        gcp.cloudrunv2.ServiceIamMember(
            f"{name}-public-invoker",
            project=args.project,
            location=args.region,
            name=function.service_config.apply(lambda c: c.service if c else None),
            role="roles/run.invoker",
            member="allUsers",
            opts=child,
        )
        self.url = function.url
        self.function_name = function.name
        self.proxy_secret = pulumi.Output.secret(password.result)
        self.service_account_email = account.email
        self.register_outputs(
            {
                "url": self.url,
                "function_name": self.function_name,
                "service_account_email": self.service_account_email,
            }
        )

    def _enable_apis(self, opts: pulumi.ResourceOptions) -> list[pulumi.Resource]:
        return [
            gcp.projects.Service(
                f"{self._name}-api-{api}",
                project=self._args.project,
                service=f"{api}.googleapis.com",
                disable_on_destroy=False,  # other workloads in the project may use it
                opts=opts,
            )
            for api in REQUIRED_APIS
        ]

    def _upload_source(self, opts: pulumi.ResourceOptions) -> gcp.storage.BucketObject:
        bucket = gcp.storage.Bucket(
            f"{self._name}-source",
            project=self._args.project,
            location=self._args.region,
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            force_destroy=True,  # it holds only build inputs that the program re-uploads
            opts=opts,
        )
        return gcp.storage.BucketObject(
            f"{self._name}-source-archive",
            bucket=bucket.name,
            name=self._args.source.object_name,
            source=self._args.source.archive(),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _store_proxy_secret(
        self, account: gcp.serviceaccount.Account, opts: pulumi.ResourceOptions
    ) -> tuple[
        random.RandomPassword,
        gcp.secretmanager.Secret,
        gcp.secretmanager.SecretVersion,
        pulumi.Resource,
    ]:
        # Generated once and kept in state: it changes only when an operator replaces it.
        password = random.RandomPassword(
            f"{self._name}-proxy-secret", length=48, special=False, opts=opts
        )
        secret = gcp.secretmanager.Secret(
            f"{self._name}-proxy-secret",
            project=self._args.project,
            secret_id=f"tiktok-proxy-secret-{_slug(self._args.stack)}"[:255],
            replication=gcp.secretmanager.SecretReplicationArgs(
                auto=gcp.secretmanager.SecretReplicationAutoArgs()
            ),
            opts=opts,
        )
        version = gcp.secretmanager.SecretVersion(
            f"{self._name}-proxy-secret-version",
            secret=secret.id,
            secret_data=password.result,
            opts=pulumi.ResourceOptions(parent=self),
        )
        access = gcp.secretmanager.SecretIamMember(
            f"{self._name}-proxy-secret-access",
            project=self._args.project,
            secret_id=secret.secret_id,
            role="roles/secretmanager.secretAccessor",
            member=account.email.apply(lambda email: f"serviceAccount:{email}"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return password, secret, version, access


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", text.lower()).strip("-") or "stack"


def _account_id(stack: str) -> str:
    """Service account ids: 6-30 characters, lowercase, starting with a letter."""
    return f"tiktok-proxy-{_slug(stack)}"[:30].rstrip("-")
