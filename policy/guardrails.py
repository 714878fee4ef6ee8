"""Guardrails for a TikTok-behind-Auth0 stack: one validator per rule; each message gives a reason
and a fix.

All policies are mandatory: each one stops a change that would break logins, leak a secret or open
the project to the internet, and none has a legitimate exception in this product. The one
remediation (`client-secret-is-secret`) exists because pulumi-policy's Python analyzer strips the
secret marker from inputs before validation: only a remediation can see whether the client secret
arrived as a secret, and the safe fix, marking it secret, is applied rather than merely reported.

Kept apart from the pack's __main__.py, which starts a gRPC server when built.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.secret import Secret

__all__ = ["POLICIES", "TIKTOK_AUTHORIZE_URL"]

TIKTOK_AUTHORIZE_URL = "https://www.tiktok.com/v2/auth/authorize/"
CONNECTION = "auth0:index/connection:Connection"
FUNCTION = "gcp:cloudfunctionsv2/function:Function"
BUCKET = "gcp:storage/bucket:Bucket"
PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})
PUBLIC_INVOKER_TYPES = frozenset(
    {"gcp:cloudrunv2/serviceIamMember:ServiceIamMember", "gcp:cloudrun/iamMember:IamMember"}
)
DEFAULT_SERVICE_ACCOUNTS = (
    "-compute@developer.gserviceaccount.com",
    "@appspot.gserviceaccount.com",
)
SECRET_WORDS = ("SECRET", "PASSWORD", "TOKEN", "PRIVATE_KEY", "API_KEY")
NOT_SECRET_SUFFIXES = ("_HEADER", "_URL", "_SECONDS")


def is_tiktok_connection(resource_type: str, props: Mapping[str, Any]) -> bool:
    if resource_type != CONNECTION or props.get("strategy") != "oauth2":
        return False
    options = props.get("options") or {}
    return "tiktok.com" in str(options.get("authorizationEndpoint", "")) or "client_key" in str(
        options.get("upstreamParams", "")
    )


# -- the TikTok connection ---------------------------------------------------------------------
def validate_tiktok_connection(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not is_tiktok_connection(args.resource_type, args.props):
        return
    options = args.props.get("options") or {}
    if options.get("authorizationEndpoint") != TIKTOK_AUTHORIZE_URL:
        report(
            f"The authorization URL must be TikTok's v2 URL {TIKTOK_AUTHORIZE_URL}; v1 was "
            "switched off on 2024-02-29. Set options.authorization_endpoint to it.",
            None,
        )
    try:
        params = json.loads(options.get("upstreamParams") or "{}")
        client_key = params.get("client_key", {}).get("value")
    except (ValueError, AttributeError):
        client_key = None
    if not client_key:
        report(
            'upstream_params must carry {"client_key": {"value": "<client key>"}}: TikTok calls '
            "the client id client_key, and without it the authorize page fails.",
            None,
        )
    spaced = [s for s in options.get("scopes") or [] if " " in str(s)]
    if spaced:
        report(
            f"Scopes {spaced} contain spaces; TikTok rejects space-separated scopes. Send them as "
            "one comma-joined value, e.g. user.info.basic,user.info.profile.",
            None,
        )


def validate_token_url_is_this_stacks_function(
    args: StackValidationArgs, report: ReportViolation
) -> None:
    function_urls: set[str] = set()
    for resource in args.resources:
        if resource.resource_type == FUNCTION:
            function_urls.add(str(resource.props.get("url") or ""))
            service = resource.props.get("serviceConfig") or {}
            function_urls.add(str(service.get("uri") or ""))
    function_urls.discard("")
    for resource in args.resources:
        if not is_tiktok_connection(resource.resource_type, resource.props):
            continue
        token_url = str((resource.props.get("options") or {}).get("tokenEndpoint") or "")
        if not token_url.startswith("https://"):
            report(
                f"The connection's token URL {token_url!r} is not https: Auth0 would send the "
                "client secret and the code in clear. Point it at the stack's token proxy.",
                resource.urn,
            )
        elif token_url.rstrip("/") not in {u.rstrip("/") for u in function_urls}:
            report(
                f"The connection's token URL {token_url!r} is not the token proxy deployed by this "
                "stack; Auth0 would send TikTok codes elsewhere. Set options.token_endpoint to the "
                "function's url.",
                resource.urn,
            )


def remediate_client_secret_is_secret(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    """Marks a plain-text client secret secret, so it is encrypted in state and never shown."""
    if not is_tiktok_connection(args.resource_type, args.props):
        return None
    props = _raw(args.props)
    if isinstance(props.get("options"), Secret):  # the whole options object is secret
        return None
    options = _raw(props.get("options") or {})
    if isinstance(options.get("clientSecret", Secret("")), Secret):
        return None
    options["clientSecret"] = Secret(options["clientSecret"])
    return props


def _raw(props: Mapping[str, Any]) -> dict[str, Any]:
    """The dict behind a secret-preserving proxy (nested dicts are proxies too), where Secret
    markers survive and writes keep them."""
    try:
        raw: dict[str, Any] = props["__target"]
    except KeyError:
        raw = dict(props)
    return raw


def validate_production_connection_is_protected(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    if not is_tiktok_connection(args.resource_type, args.props):
        return
    metadata = args.props.get("metadata") or {}
    # The one exception: the run that replaces the connection as acknowledged (replaceConnection,
    # checked by the program against the stack's state), which must unprotect it to replace it.
    if (
        metadata.get("production") == "true"
        and not args.opts.protect
        and not metadata.get("replaces")
    ):
        report(
            "This stack is marked production (config production: true) but the TikTok connection "
            "is not protected: deleting or replacing it orphans every user. Set config protect: "
            "true.",
            None,
        )


# -- the token proxy's function ----------------------------------------------------------------
def validate_no_plain_secret_env(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != FUNCTION:
        return
    service = args.props.get("serviceConfig") or {}
    for name in service.get("environmentVariables") or {}:
        upper = str(name).upper()
        if any(word in upper for word in SECRET_WORDS) and not upper.endswith(NOT_SECRET_SUFFIXES):
            report(
                f"Environment variable {name} looks like a secret in plain text; plain variables "
                "are readable by anyone who can view the function. Use "
                "secret_environment_variables backed by Secret Manager.",
                None,
            )


def validate_max_instances(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != FUNCTION:
        return
    limit = (args.props.get("serviceConfig") or {}).get("maxInstanceCount")
    if not isinstance(limit, int | float) or limit < 1:
        report(
            "The function has no max instance count: a flood of token requests would scale "
            "without bound. Set service_config.max_instance_count (config maxInstances).",
            None,
        )


def validate_dedicated_service_account(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    if args.resource_type != FUNCTION:
        return
    email = str((args.props.get("serviceConfig") or {}).get("serviceAccountEmail") or "")
    if not email or email.endswith(DEFAULT_SERVICE_ACCOUNTS):
        report(
            f"The function runs as {email or 'the default compute service account'}, which "
            "usually holds Editor on the project. Run it as a dedicated service account with no "
            "project roles (service_config.service_account_email).",
            None,
        )
    build = str((args.props.get("buildConfig") or {}).get("serviceAccount") or "")
    if not build or build.endswith(DEFAULT_SERVICE_ACCOUNTS):
        report(
            f"The function's build runs as {build or 'the project default build identity'}, "
            "which may be missing, lack permissions, or hold Editor while it runs third-party "
            "install code. Build as a dedicated account with only the roles Google documents "
            "(build_config.service_account).",
            None,
        )


def validate_proxy_secret_from_secret_manager(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    if args.resource_type != FUNCTION:
        return
    service = args.props.get("serviceConfig") or {}
    from_secret_manager = [
        variable
        for variable in service.get("secretEnvironmentVariables") or []
        if variable.get("key") == "PROXY_SECRET" and variable.get("secret")
    ]
    if not from_secret_manager:
        report(
            "The token proxy does not get PROXY_SECRET from Secret Manager: on Cloud Run it "
            "refuses to start without it, and without it anyone could call it. Give the function "
            "service_config.secret_environment_variables with key PROXY_SECRET and its secret.",
            None,
        )


# -- who can reach what --------------------------------------------------------------------------
def validate_public_only_through_run_invoker(
    args: ResourceValidationArgs, report: ReportViolation
) -> None:
    members = set(_members(args.props))
    policy_data = args.props.get("policyData")
    if isinstance(policy_data, str):
        members |= {m for m in PUBLIC_MEMBERS if m in policy_data}
    public = members & PUBLIC_MEMBERS
    if not public:
        return
    role = args.props.get("role")
    if args.resource_type in PUBLIC_INVOKER_TYPES and role == "roles/run.invoker":
        return
    report(
        f"{', '.join(sorted(public))} may only be granted roles/run.invoker on the token proxy's "
        f"Cloud Run service; this grants {role or 'a policy'} through {args.resource_type}. "
        "Remove the grant.",
        None,
    )


def _members(props: Mapping[str, Any]) -> Iterable[str]:
    if isinstance(props.get("member"), str):
        yield props["member"]
    for member in props.get("members") or []:
        if isinstance(member, str):
            yield member


def validate_bucket_not_public(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != BUCKET:
        return
    if args.props.get("publicAccessPrevention") != "enforced":
        report(
            "The source bucket must set public_access_prevention = 'enforced': it holds the "
            "proxy's code and nobody outside the project needs it.",
            None,
        )
    if args.props.get("uniformBucketLevelAccess") is not True:
        report(
            "The source bucket must use uniform bucket-level access, so no object ACL can make "
            "an archive public.",
            None,
        )


POLICIES: list[ResourceValidationPolicy | StackValidationPolicy] = [
    ResourceValidationPolicy(
        name="tiktok-connection-shape",
        description="TikTok's v2 authorize URL, client_key in upstream_params, no spaced scopes.",
        validate=validate_tiktok_connection,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    StackValidationPolicy(
        name="token-url-is-this-stacks-function",
        description="The connection's token URL is https and is the function this stack deploys.",
        validate=validate_token_url_is_this_stacks_function,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="client-secret-is-secret",
        description="The TikTok client secret reaches Auth0 as a Pulumi secret.",
        # The servicer accepts a plain (non-awaitable) result; the stub only admits awaitables.
        remediate=remediate_client_secret_is_secret,  # type: ignore[arg-type]
        enforcement_level=EnforcementLevel.REMEDIATE,
    ),
    ResourceValidationPolicy(
        name="production-connection-protected",
        description="In a production stack the TikTok connection is protected.",
        validate=validate_production_connection_is_protected,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="no-plain-secret-env",
        description="No secret sits in a plain environment variable of the function.",
        validate=validate_no_plain_secret_env,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="function-max-instances",
        description="The token proxy has a max instance count.",
        validate=validate_max_instances,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="function-dedicated-service-account",
        description="The token proxy runs, and is built, as dedicated service accounts.",
        validate=validate_dedicated_service_account,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="proxy-secret-from-secret-manager",
        description="The token proxy gets PROXY_SECRET from Secret Manager.",
        validate=validate_proxy_secret_from_secret_manager,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="public-only-through-run-invoker",
        description="allUsers/allAuthenticatedUsers get run.invoker on Cloud Run, nothing else.",
        validate=validate_public_only_through_run_invoker,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
    ResourceValidationPolicy(
        name="source-bucket-not-public",
        description="The proxy's source bucket prevents public access.",
        validate=validate_bucket_not_public,
        enforcement_level=EnforcementLevel.MANDATORY,
    ),
]
