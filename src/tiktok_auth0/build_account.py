"""The account a token proxy's function is built as, and the least roles Google documents for one.

The build runs as this account, never as the project's default build identity: since Cloud
Build's July 2024 change that identity may be missing, lack the permissions a build needs, or be
an Editor running third-party install code (cloud.google.com/build/docs/
cloud-build-service-account-updates). Google's page on a custom build account of a function,
cloud.google.com/functions/docs/securing/build-custom-sa, lists what it needs: write the build's
logs and its image, read the function's source.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

__all__ = ["BUILD_PROJECT_ROLES", "BUILD_SOURCE_ROLE", "BuildAccount", "declare_build_account"]

# The two project roles cannot be narrowed further (logs are written to the project, and the
# gcf-artifacts repository only exists once Cloud Functions made it at the first deploy); reading
# the source is granted on the source bucket only.
BUILD_PROJECT_ROLES = {
    "log-writer": "roles/logging.logWriter",
    "artifact-writer": "roles/artifactregistry.writer",
}
BUILD_SOURCE_ROLE = "roles/storage.objectViewer"


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
    project roles of BUILD_PROJECT_ROLES and BUILD_SOURCE_ROLE on `source_bucket`. `opts` gives
    every resource its parent and dependencies (the enabled APIs)."""
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
        gcp.storage.BucketIAMMember(
            f"{name}-build-source-reader",
            bucket=source_bucket,
            role=BUILD_SOURCE_ROLE,
            member=member,
            opts=opts,
        )
    )
    return BuildAccount(account=account, grants=grants)
