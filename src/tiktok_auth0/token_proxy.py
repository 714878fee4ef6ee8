"""The token proxy as a 2nd-gen Cloud Function, with everything it needs and nothing more."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NotRequired, TypedDict

import pulumi
import pulumi_gcp as gcp

from . import _compat, _names, validation
from ._tokens import type_token
from .build_account import (
    BUILD_PROJECT_ROLES,
    BUILD_SOURCE_ROLE,
    BuildAccount,
    declare_build_account,
)
from .monitoring import MONITORING_APIS, Monitoring, declare_monitoring
from .naming import (
    BUCKET_NAME_MAX,
    FUNCTION_NAME_MAX,
    SECRET_ID_MAX,
    SERVICE_ACCOUNT_ID_MAX,
    physical_name,
)
from .proxy_secret import ProxySecrets, declare_slots
from .proxy_source import ProxySource, proxy_source

__all__ = [
    "BUILD_PROJECT_ROLES",
    "BUILD_SOURCE_ROLE",
    "OPERATIONS_ARGS",
    "PROXY_SECRET_HEADER",
    "REQUIRED_APIS",
    "TokenProxy",
    "TokenProxyArgs",
    "gcp_location",
    "runtime_environment",
]

PROXY_SECRET_HEADER = "X-Proxy-Secret"  # noqa: S105 - a header name
# Every API the resources below go through. Cloud Resource Manager comes first: enabling the others
# reads the project through it, and the project IAM grants are made through it. IAM creates the
# service accounts (and a custom build account needs it: cloud.google.com/functions/docs/securing/
# build-custom-sa); logging receives the build's and the proxy's logs.
REQUIRED_APIS = (
    "cloudresourcemanager",
    "iam",
    "cloudfunctions",
    "run",
    "cloudbuild",
    "artifactregistry",
    "storage",
    "secretmanager",
    "logging",
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
# The arguments that operate the proxy (monitoring.py, proxy_secret.py); defaults in validation.
OPERATIONS_ARGS = (
    "monitoring",
    "alert_notification_channels",
    "alert_upstream_failures",
    "alert_refused_calls",
    "alert_latency_p95_ms",
    "proxy_secret_generation",
    "proxy_secret_keep_previous",
)


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


class TokenProxyArgs(TypedDict):
    """The token proxy's settings; `TikTokLogin` passes its own (see `TikTokLoginArgs`)."""

    client_key: str
    """The one TikTok client key the proxy accepts; any other gets 401 invalid_client."""
    gcp_project: NotRequired[str]
    """GCP project id; defaults to the gcp provider's `gcp:project`."""
    gcp_region: NotRequired[str]
    """GCP region of the function and its source bucket; defaults to `gcp:region`."""
    min_instances: NotRequired[int]
    """Instances kept warm, 0 or more (default 0; 0 allows a cold start after idling)."""
    max_instances: NotRequired[int]
    """Upper bound on instances, 1 or more (default 10)."""
    monitoring: NotRequired[bool]
    """Declare metrics, alerts, an uptime check and a dashboard (default true)."""
    alert_notification_channels: NotRequired[pulumi.Input[Sequence[pulumi.Input[str]]]]
    """Notification channel names the alerts go to (default none)."""
    alert_upstream_failures: NotRequired[int]
    """Upstream failures in 5 minutes above which the upstream alert fires (default 3)."""
    alert_refused_calls: NotRequired[int]
    """invalid_client refusals in 5 minutes above which the refused-callers alert fires (5)."""
    alert_latency_p95_ms: NotRequired[int]
    """p95 exchange latency (ms) above which the latency alert fires (default 4000)."""
    proxy_secret_generation: NotRequired[int]
    """Generation of the proxy secret; raise it by one to rotate (default 0)."""
    proxy_secret_keep_previous: NotRequired[bool]
    """Also accept the previous generation's secret, during a rotation (default false)."""


def gcp_location(project: str | None, region: str | None) -> tuple[str | None, str | None]:
    """(project, region) as given, else from the gcp provider's config (`gcp:project`, ...)."""
    gcp_config = pulumi.Config("gcp")
    return project or gcp_config.get("project"), region or gcp_config.get("region")


class TokenProxy(pulumi.ComponentResource):
    """Cloud Function `<name>-token-proxy-<stack>`, public through roles/run.invoker only.

    Around it: the APIs it needs, a private bucket `<name>-proxy-source-<stack>-<project>` with its
    source (the object named by the source's hash, so a code change redeploys), a service account
    `<name>-proxy-<stack>` it runs as, with no project roles, a service account
    `<name>-build-<stack>` its build runs as, with the least roles Google documents for one (granted
    before the build starts), and the proxy secret (generated once, kept in Secret Manager,
    readable by the runtime account only). Raises `InvalidArgumentsError` for unusable arguments,
    before declaring anything.
    """

    url: pulumi.Output[str]
    """The function's HTTPS URL: the token URL of the connection."""
    function_name: pulumi.Output[str]
    """The function's name, `<name>-token-proxy-<stack>`."""
    service_account_email: pulumi.Output[str]
    """The account the function runs as."""
    build_service_account_email: pulumi.Output[str]
    """The account the function's build runs as."""
    source_sha256: str
    """SHA-256 (hex) of the deployed proxy source."""
    proxy_secret: pulumi.Output[str]
    """The secret the caller sends in `proxy_secret_header` (a Pulumi secret; not an output)."""
    proxy_secret_header: str
    """The header that carries the proxy secret: `X-Proxy-Secret`."""
    proxy_secret_id: pulumi.Output[str]
    """The secret's Secret Manager name, `projects/<project>/secrets/<id>` (not its value)."""
    alert_policies: pulumi.Output[dict[str, str]] | None
    """Alert key -> alert policy name; None with monitoring off (monitoring.py)."""
    uptime_check: pulumi.Output[str] | None
    """The uptime check's name; None with monitoring off."""
    dashboard: pulumi.Output[str] | None
    """The dashboard's name; None with monitoring off."""

    def __init__(
        self, name: str, args: TokenProxyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        project, region = gcp_location(args.get("gcp_project"), args.get("gcp_region"))
        settings: dict[str, Any] = {
            "client_key": args.get("client_key"),
            "gcp_project": project,
            "gcp_region": region,
            "min_instances": args.get("min_instances", validation.DEFAULTS["min_instances"]),
            "max_instances": args.get("max_instances", validation.DEFAULTS["max_instances"]),
            **{key: args.get(key, validation.DEFAULTS[key]) for key in OPERATIONS_ARGS},
        }
        problems = validation.check_component_name(name)
        problems += validation.check_stack_name(pulumi.get_stack())
        problems += validation.check_keys(
            args, TokenProxyArgs.__annotations__, "TokenProxy", _names.argument_name
        )
        problems += validation.check(settings, labels=_names.labels(settings))
        if problems:
            raise validation.InvalidArgumentsError(f"TokenProxy {name!r}", problems)
        super().__init__(type_token("TokenProxy"), name, None, opts)
        self._name, self._settings = name, settings
        self._source = proxy_source()
        # 0.1.0 cut over-long names without a hash; its stacks keep theirs.
        self._hashed = not _compat.is_v0_1_successor(name)

        apis = self._create_apis()
        after_apis = pulumi.ResourceOptions(parent=self, depends_on=apis)
        source_object = self._create_source(after_apis)
        account = self._create_service_account(after_apis)
        build = declare_build_account(
            self._name,
            account_id=self._physical_name("build", SERVICE_ACCOUNT_ID_MAX, since_0_1=False),
            project=self._settings["gcp_project"],
            source_bucket=source_object.bucket,
            opts=after_apis,
        )
        secrets, access = self._create_proxy_secret(account, after_apis)
        function = self._create_function(
            source_object, account, build, secrets, [*apis, access, *build.grants]
        )
        self._create_public_invoker(function)
        # Auth0's header takes it only once the function accepts it (proxy_secret.py).
        header_value = secrets.header_value(after=function)
        monitoring = self._create_monitoring(function, header_value, apis)

        self.url = function.url
        self.function_name = function.name
        self.service_account_email = account.email
        self.build_service_account_email = build.account.email
        self.source_sha256 = self._source.sha256
        self.proxy_secret = header_value
        self.proxy_secret_header = PROXY_SECRET_HEADER
        self.proxy_secret_id = secrets.secret.id
        self.alert_policies = monitoring.alert_policies if monitoring else None
        self.uptime_check = monitoring.uptime_check if monitoring else None
        self.dashboard = monitoring.dashboard if monitoring else None
        self.register_outputs(
            {
                "url": self.url,
                "function_name": self.function_name,
                "service_account_email": self.service_account_email,
                "build_service_account_email": self.build_service_account_email,
                "source_sha256": self.source_sha256,
                "proxy_secret_id": self.proxy_secret_id,
                **({"alert_policies": self.alert_policies} if monitoring else {}),
                **(
                    {"uptime_check": self.uptime_check, "dashboard": self.dashboard}
                    if monitoring
                    else {}
                ),
            }
        )

    def _physical_name(self, word: str, max_length: int, *, since_0_1: bool = True) -> str:
        # Only names 0.1.0 already had are cut its way (for its successor); new ones are hashed.
        hashed = self._hashed or not since_0_1
        return physical_name(
            self._name, word, pulumi.get_stack(), max_length=max_length, hashed=hashed
        )

    def _create_apis(self) -> list[pulumi.Resource]:
        # Each instance declares the APIs it needs. Enabling is idempotent and none is ever
        # disabled (disable_on_destroy=False), so two instances, or two stacks, in one project
        # never undo each other, and removing one leaves the others' APIs on.
        first, *rest = REQUIRED_APIS
        resource_manager = self._create_api(first, [])
        return [resource_manager, *(self._create_api(api, [resource_manager]) for api in rest)]

    def _create_api(self, api: str, depends_on: list[pulumi.Resource]) -> gcp.projects.Service:
        return gcp.projects.Service(
            f"{self._name}-api-{api}",
            project=self._settings["gcp_project"],
            service=f"{api}.googleapis.com",
            disable_on_destroy=False,  # other workloads and instances in the project may use it
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )

    def _create_source(self, opts: pulumi.ResourceOptions) -> gcp.storage.BucketObject:
        project = self._settings["gcp_project"]
        bucket = gcp.storage.Bucket(
            f"{self._name}-source",
            # Bucket names are global: the project makes this one unique to it.
            name=physical_name(
                self._name, "proxy-source", pulumi.get_stack(), project, max_length=BUCKET_NAME_MAX
            ),
            project=project,
            location=self._settings["gcp_region"],
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            force_destroy=True,  # it holds only build inputs that the program re-uploads
            # 0.1.0 let Pulumi name the bucket (`token-proxy-source-1a2b3c4`): a bucket that
            # exists keeps its name rather than being replaced; a new one gets the name above. A
            # replacement (a new region) keeps the name too, and bucket names are global: the old
            # bucket goes first.
            opts=pulumi.ResourceOptions.merge(
                opts, pulumi.ResourceOptions(ignore_changes=["name"], delete_before_replace=True)
            ),
        )
        source: ProxySource = self._source
        return gcp.storage.BucketObject(
            f"{self._name}-source-archive",
            bucket=bucket.name,
            name=source.object_name,
            source=source.archive(),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _create_service_account(self, opts: pulumi.ResourceOptions) -> gcp.serviceaccount.Account:
        # Hashed when cut, for every instance: 0.1.0's plain cut at 30 characters gave two stacks
        # whose names share 17 characters (`staging-europe-west1`, `-west2`) one account id in
        # one project. A stack 0.1.0 deployed keeps the id it has (an id cannot change in place).
        keep = pulumi.ResourceOptions(ignore_changes=["accountId"]) if not self._hashed else None
        return gcp.serviceaccount.Account(
            f"{self._name}-runtime",
            account_id=self._physical_name("proxy", SERVICE_ACCOUNT_ID_MAX, since_0_1=False),
            display_name=f"TikTok token proxy ({pulumi.get_stack()}); no project roles",
            project=self._settings["gcp_project"],
            opts=pulumi.ResourceOptions.merge(opts, keep),
        )

    def _create_proxy_secret(
        self, account: gcp.serviceaccount.Account, opts: pulumi.ResourceOptions
    ) -> tuple[ProxySecrets, pulumi.Resource]:
        secret = gcp.secretmanager.Secret(
            f"{self._name}-proxy-secret",
            project=self._settings["gcp_project"],
            secret_id=self._physical_name("proxy-secret", SECRET_ID_MAX),
            replication=gcp.secretmanager.SecretReplicationArgs(
                auto=gcp.secretmanager.SecretReplicationAutoArgs()
            ),
            opts=opts,
        )
        secrets = declare_slots(
            self._name,
            secret,
            generation=self._settings["proxy_secret_generation"],
            keep_previous=self._settings["proxy_secret_keep_previous"],
            opts=opts,
        )
        access = gcp.secretmanager.SecretIamMember(
            f"{self._name}-proxy-secret-access",
            project=self._settings["gcp_project"],
            secret_id=secret.secret_id,
            role="roles/secretmanager.secretAccessor",
            member=account.email.apply(lambda email: f"serviceAccount:{email}"),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return secrets, access

    def _create_function(
        self,
        source_object: gcp.storage.BucketObject,
        account: gcp.serviceaccount.Account,
        build: BuildAccount,
        secrets: ProxySecrets,
        depends_on: list[pulumi.Resource],
    ) -> gcp.cloudfunctionsv2.Function:
        project = self._settings["gcp_project"]
        # The build runs as its own account, never the project's default build identity (which
        # may be missing, too weak, or an Editor running third-party install code).
        build_service_account = build.resource_name()
        return gcp.cloudfunctionsv2.Function(
            f"{self._name}-function",
            name=self._physical_name("token-proxy", FUNCTION_NAME_MAX),
            location=self._settings["gcp_region"],
            project=project,
            description="Turns Auth0's token request into TikTok's (client_id -> client_key).",
            build_config=gcp.cloudfunctionsv2.FunctionBuildConfigArgs(
                runtime=RUNTIME,
                entry_point=ENTRY_POINT,
                service_account=build_service_account,
                source=gcp.cloudfunctionsv2.FunctionBuildConfigSourceArgs(
                    storage_source=gcp.cloudfunctionsv2.FunctionBuildConfigSourceStorageSourceArgs(
                        bucket=source_object.bucket, object=source_object.name
                    )
                ),
            ),
            service_config=gcp.cloudfunctionsv2.FunctionServiceConfigArgs(
                max_instance_count=self._settings["max_instances"],
                min_instance_count=self._settings["min_instances"],
                max_instance_request_concurrency=REQUEST_CONCURRENCY,
                available_memory=MEMORY,
                available_cpu=CPU,
                timeout_seconds=TIMEOUT_SECONDS,
                ingress_settings="ALLOW_ALL",  # Auth0 calls from the internet
                all_traffic_on_latest_revision=True,
                service_account_email=account.email,
                environment_variables=runtime_environment(self._settings["client_key"]),
                secret_environment_variables=secrets.environment(project),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )

    def _create_monitoring(
        self,
        function: gcp.cloudfunctionsv2.Function,
        header_value: pulumi.Output[str],
        apis: list[pulumi.Resource],
    ) -> Monitoring | None:
        if not self._settings["monitoring"]:
            return None
        resource_manager = apis[0]  # enabling goes through it (_create_apis)
        monitoring_apis = [self._create_api(api, [resource_manager]) for api in MONITORING_APIS]
        return declare_monitoring(
            self._name,
            function=function,
            function_name=self._physical_name("token-proxy", FUNCTION_NAME_MAX),
            header=PROXY_SECRET_HEADER,
            header_value=header_value,
            settings=self._settings,
            parent=self,
            apis=[*apis, *monitoring_apis],
        )

    def _create_public_invoker(self, function: gcp.cloudfunctionsv2.Function) -> None:
        # Auth0 cannot present a Google identity token, so the Cloud Run service behind the
        # function admits everyone; the proxy secret is what keeps other callers out.
        gcp.cloudrunv2.ServiceIamMember(
            f"{self._name}-public-invoker",
            project=self._settings["gcp_project"],
            location=self._settings["gcp_region"],
            name=function.service_config.apply(lambda c: c.service if c else None),
            role="roles/run.invoker",
            member="allUsers",
            opts=pulumi.ResourceOptions(parent=self),
        )
