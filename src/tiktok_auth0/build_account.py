"""The account a token proxy's function is built as, and the least roles its build needs.

The build runs as this account, never as the project's default build identity: since Cloud
Build's July 2024 change that identity may be missing, lack the permissions a build needs, or be
an Editor running third-party install code (cloud.google.com/build/docs/
cloud-build-service-account-updates). Google's page on a custom build account of a function,
cloud.google.com/functions/docs/securing/build-custom-sa, lists what it needs: write the build's
logs and its image, read the function's source.

Where the source is read from: a 2nd-gen function is not built from the `storageSource` it is
given. Cloud Functions copies that object into a bucket of its own in the project,
`gcf-v2-sources-<project number>-<region>` (with `-<key hash>` under CMEK), and the build fetches
the copy (Google, "Build process overview", cloud.google.com/functions/docs/building; the copy
as the gcp provider sees it, hashicorp/terraform-provider-google#15405). A build account that
reads only the given bucket fails: "failed to download archive gs://gcf-v2-sources-<number>-
<region>/...: Access to bucket gcf-v2-sources-... denied. You must grant Storage Object Viewer
permission to <build account>" (hashicorp/terraform-provider-google#20571). That bucket does not
exist before the project's first function, so no bucket-level grant can name it: the read is
granted on the project, under an IAM condition that admits the `gcf-v2-sources-` buckets and our
own source bucket, with their objects. Cloud Storage resource names in a condition are
`projects/_/buckets/<bucket>` and `projects/_/buckets/<bucket>/objects/<object>` (Google,
"Resource attributes for IAM Conditions", cloud.google.com/iam/docs/conditions-resource-attributes
#resource-name; the object form in Google's own conditional-binding sample,
cloud.google.com/ruby/docs/reference/google-cloud-storage/1.40.0/Google-Cloud-Storage-Policy-
Condition).

Why read (Storage Object Viewer) and not the Storage Object Admin that Google's Cloud Run page on a
build account lists "for retrieving the function source" (cloud.google.com/run/docs/configuring/
services/build-service-account): fetching needs only read, which is exactly what the error above
asks for; and the build runs third-party install code (pip installing the proxy's lock), which,
holding write, could replace the source every function of the project is built from. Why a
condition: an unconditional project grant would let that same code read every bucket of the
project; the condition confines it to function sources.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

__all__ = [
    "BUILD_PROJECT_ROLES",
    "BUILD_SOURCE_ROLE",
    "FUNCTION_SOURCES_BUCKET_PREFIX",
    "SOURCE_READ_CONDITION_TITLE",
    "BuildAccount",
    "declare_build_account",
    "source_read_condition",
]

# Granted on the project without a condition: neither can be narrowed (logs are written to the
# project, and the gcf-artifacts repository only exists once Cloud Functions made it at the first
# deploy).
BUILD_PROJECT_ROLES = {
    "log-writer": "roles/logging.logWriter",
    "artifact-writer": "roles/artifactregistry.writer",
}
# Granted on the project too, but only on the buckets of source_read_condition.
BUILD_SOURCE_ROLE = "roles/storage.objectViewer"
# The buckets Cloud Functions (2nd gen) copies a function's source into and builds it from.
FUNCTION_SOURCES_BUCKET_PREFIX = "gcf-v2-sources-"
# The condition's title, which `gcloud projects get-iam-policy` shows beside the grant.
SOURCE_READ_CONDITION_TITLE = "function-sources-only"


def source_read_condition(source_bucket: str) -> str:
    """The CEL expression (IAM Conditions) true for the buckets a function's build reads and their
    objects: every `gcf-v2-sources-*` bucket and `source_bucket` (a bucket name, not a URL), and
    false for any other bucket, including one whose name merely starts with `source_bucket`."""
    buckets = "projects/_/buckets/"
    return (
        f'resource.name.startsWith("{buckets}{FUNCTION_SOURCES_BUCKET_PREFIX}")'
        f' || resource.name == "{buckets}{source_bucket}"'
        f' || resource.name.startsWith("{buckets}{source_bucket}/objects/")'
    )


@dataclass(frozen=True)
class BuildAccount:
    """The account and its grants; the function must depend on every grant."""

    account: gcp.serviceaccount.Account
    grants: list[pulumi.Resource]

    def resource_name(self) -> pulumi.Output[str]:
        """`projects/<project>/serviceAccounts/<email>`, the form `buildConfig.serviceAccount`
        takes: the account's id, which the gcp provider sets to it (its import id; the
        provider's cloudfunctionsv2 example passes `account.id`). Unlike one assembled from
        `email`, it needs no output a program's unit-test mocks would have to compute."""
        return self.account.id


def declare_build_account(
    name: str,
    *,
    account_id: str,
    project: str,
    source_bucket: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> BuildAccount:
    """Declare `<name>-build` (id `account_id`, 6 to 30 characters) in `project`, with the
    project roles of BUILD_PROJECT_ROLES and BUILD_SOURCE_ROLE on the project under
    source_read_condition(`source_bucket`). `opts` gives every resource its parent and
    dependencies (the enabled APIs)."""
    account = gcp.serviceaccount.Account(
        f"{name}-build",
        account_id=account_id,
        display_name=f"TikTok token proxy build ({pulumi.get_stack()}); logs, image, source",
        project=project,
        opts=opts,
    )
    member = account.email.apply(lambda email: f"serviceAccount:{email}")
    grants: list[pulumi.Resource] = [
        gcp.projects.IAMMember(
            f"{name}-build-{purpose}",
            project=project,
            role=role,
            member=member,
            opts=opts,
        )
        for purpose, role in BUILD_PROJECT_ROLES.items()
    ]
    grants.append(
        gcp.projects.IAMMember(
            f"{name}-build-source-reader",
            project=project,
            role=BUILD_SOURCE_ROLE,
            member=member,
            condition=gcp.projects.IAMMemberConditionArgs(
                title=SOURCE_READ_CONDITION_TITLE,
                description=(
                    "Read only what a function's build fetches: Cloud Functions' "
                    f"{FUNCTION_SOURCES_BUCKET_PREFIX}* buckets and the token proxy's source bucket"
                ),
                expression=pulumi.Output.from_input(source_bucket).apply(source_read_condition),
            ),
            opts=opts,
        )
    )
    return BuildAccount(account=account, grants=grants)
