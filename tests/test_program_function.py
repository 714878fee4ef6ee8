"""The token proxy's Cloud Function and everything around it, as the real program declares it."""

from __future__ import annotations

from tests.program import (
    ACCOUNT,
    BUCKET,
    BUCKET_OBJECT,
    BUILD_GRANT,
    FUNCTION,
    INVOKER,
    PASSWORD,
    SECRET,
    SECRET_ACCESS,
    SECRET_VERSION,
    SERVICE,
    iam_condition_allows,
    is_secret,
    run,
    unwrap,
)
from tiktok_auth0.proxy_source import proxy_source

IAM_TYPES_WITH_MEMBERS = ("IamMember", "IamBinding", "IamPolicy", "iAMMember", "iAMBinding")


def test_function_is_a_2nd_gen_python_function_with_entry_point_token():
    function = run().one(FUNCTION)
    build = function.inputs["buildConfig"]
    assert build["runtime"] == "python313"
    assert build["entryPoint"] == "token"
    assert function.inputs["location"] == "europe-west1"
    assert function.inputs["project"] == "acme-login-dev"
    assert function.parent_type == "tiktok-auth0:index:TokenProxy"


def test_function_name_is_per_stack():
    assert run("dev").one(FUNCTION).inputs["name"] == "tiktok-token-proxy-dev"
    assert run("prod").one(FUNCTION).inputs["name"] == "tiktok-token-proxy-prod"


def test_service_config_limits_come_from_config():
    service = run(maxInstances=7, minInstances=2).one(FUNCTION).inputs["serviceConfig"]
    assert service["maxInstanceCount"] == 7
    assert service["minInstanceCount"] == 2
    assert service["maxInstanceRequestConcurrency"] == 32
    assert service["availableCpu"] == "1"
    assert service["availableMemory"] == "128Mi"
    env = service["environmentVariables"]
    assert env["WORKERS"] == "1"
    # Every request an instance admits has its connection to TikTok: none waits for another.
    per_worker = service["maxInstanceRequestConcurrency"] // int(env["WORKERS"])
    assert int(env["UPSTREAM_MAX_CONNECTIONS"]) == per_worker
    assert 10 < service["timeoutSeconds"] <= 60


def test_source_archive_is_named_by_the_hash_of_the_proxy_files():
    program = run()
    archive = program.one(BUCKET_OBJECT)
    source = proxy_source()
    assert archive.inputs["name"] == f"token-proxy-{source.sha256[:32]}.zip"
    storage = program.one(FUNCTION).inputs["buildConfig"]["source"]["storageSource"]
    assert storage["object"] == archive.inputs["name"]
    assert storage["bucket"] == program.one(BUCKET).outputs["name"]
    assert set(archive.inputs["source"].assets) == set(source.files)
    assert {"main.py", "requirements.txt"} <= set(source.files)


def test_source_bucket_is_private():
    bucket = run().one(BUCKET).inputs
    assert bucket["uniformBucketLevelAccess"] is True
    assert bucket["publicAccessPrevention"] == "enforced"


def test_source_bucket_is_named_like_the_other_resources_and_existing_ones_keep_theirs():
    bucket = run("staging").one(BUCKET)
    # Global across Cloud Storage, so the project is part of it; the prefix is what the README's
    # read-only IAM condition for a new stack names.
    assert bucket.inputs["name"] == "tiktok-proxy-source-staging-acme-login-dev"
    # Buckets made by 0.1.0 were named by Pulumi: the engine keeps theirs.
    assert bucket.ignore_changes == ("name",)


def test_a_source_bucket_that_must_be_replaced_is_deleted_first():
    """Its name does not change with its location (a new `gcp:region` replaces it), and bucket
    names are global: created before the old one is deleted, Pulumi's default, the new bucket
    would be refused as a name in use and the `up` would stop. It holds only build inputs,
    which the program uploads again."""
    bucket = run().one(BUCKET)
    assert bucket.delete_before_replace is True
    assert bucket.inputs["forceDestroy"] is True


def test_every_api_the_resources_need_is_enabled_first_and_kept_on_destroy():
    program = run(monitoring=False)  # the monitoring API: test_program_monitoring.py
    services = {s.inputs["service"]: s for s in program.of_type(SERVICE)}
    assert set(services) == {
        f"{api}.googleapis.com"
        for api in (
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
    }
    assert all(s.inputs["disableOnDestroy"] is False for s in services.values())
    # Enabling a service goes through Cloud Resource Manager, so it is enabled before the others.
    resource_manager = services.pop("cloudresourcemanager.googleapis.com")
    assert all(s.depends_on == (resource_manager.name,) for s in services.values())
    apis = {resource_manager.name, *(s.name for s in services.values())}
    first = [FUNCTION, ACCOUNT, BUCKET, SECRET, BUILD_GRANT, PASSWORD]
    for resource in [r for typ in first for r in program.of_type(typ)]:
        assert apis <= set(resource.depends_on), resource.name


def test_function_runs_as_a_dedicated_account_with_no_project_roles():
    program = run()
    (account,) = [a for a in program.of_type(ACCOUNT) if a.name == "tiktok-runtime"]
    service = program.one(FUNCTION).inputs["serviceConfig"]
    assert service["serviceAccountEmail"] == account.outputs["email"]
    assert account.inputs["accountId"] == "tiktok-proxy-dev"
    granted = [r for r in program.resources if r.inputs.get("member") == account.outputs["member"]]
    assert [(r.typ, r.inputs["role"]) for r in granted] == [
        (SECRET_ACCESS, "roles/secretmanager.secretAccessor")
    ]


def test_the_build_runs_as_its_own_account_with_the_roles_google_documents_for_one():
    program = run()
    (build,) = [a for a in program.of_type(ACCOUNT) if a.name == "tiktok-build"]
    assert build.inputs["accountId"] == "tiktok-build-dev"
    function = program.one(FUNCTION)
    assert function.inputs["buildConfig"]["serviceAccount"] == (
        f"projects/acme-login-dev/serviceAccounts/{build.outputs['email']}"
    )
    member = f"serviceAccount:{build.outputs['email']}"
    granted = [r for r in program.resources if r.inputs.get("member") == member]
    # All three on the project: logs and the image unconditionally (neither can be narrower), the
    # source read under a condition (the bucket it is read from exists only after the first
    # deploy; see the next test).
    assert {(r.typ, r.inputs["role"], r.inputs.get("condition") is None) for r in granted} == {
        (BUILD_GRANT, "roles/logging.logWriter", True),
        (BUILD_GRANT, "roles/artifactregistry.writer", True),
        (BUILD_GRANT, "roles/storage.objectViewer", False),
    }
    for grant in granted:
        assert grant.inputs["project"] == "acme-login-dev"
    # The build starts only once every grant exists.
    assert {g.name for g in granted} <= set(function.depends_on)


def test_the_build_can_read_the_source_copy_cloud_functions_builds_from_and_nothing_else():
    """Cloud Functions copies the function's source into its own `gcf-v2-sources-<project
    number>-<region>` bucket (`-<key hash>` under CMEK) and builds from that copy (Google, "Build
    process overview"); the bucket is made at the first deploy, so the read is a project grant
    whose condition must admit it. Cloud Storage names in a condition: `projects/_/buckets/<b>` and
    `projects/_/buckets/<b>/objects/<o>` (Google, "Resource attributes for IAM Conditions")."""
    program = run()
    (grant,) = [
        g for g in program.of_type(BUILD_GRANT) if g.inputs["role"] == "roles/storage.objectViewer"
    ]
    condition = grant.inputs["condition"]
    assert condition["title"] and condition["description"]
    source = program.one(BUCKET).outputs["name"]
    archive = program.one(BUCKET_OBJECT).inputs["name"]
    copy = "gcf-v2-sources-123456789012-europe-west1"
    readable = [
        f"projects/_/buckets/{copy}",
        f"projects/_/buckets/{copy}/objects/tiktok-token-proxy-dev/function-source.zip",
        f"projects/_/buckets/{copy}-0123456789abcdef/objects/tiktok-token-proxy-dev/x.zip",
        f"projects/_/buckets/{source}",
        f"projects/_/buckets/{source}/objects/{archive}",
    ]
    unreadable = [
        "projects/_/buckets/acme-data/objects/customers.csv",
        f"projects/_/buckets/{source}-other/objects/{archive}",
        "projects/_/buckets/gcf-v2-uploads-123456789012-europe-west1.cloudfunctions.appspot.com",
        "projects/acme-login-dev",
    ]
    for name in readable:
        assert iam_condition_allows(condition["expression"], name), name
    for name in unreadable:
        assert not iam_condition_allows(condition["expression"], name), name


def test_proxy_secret_lives_in_secret_manager_readable_only_by_the_function():
    program = run()
    password, version = program.one(PASSWORD), program.one(SECRET_VERSION)
    assert is_secret(version.inputs["secretData"])
    assert unwrap(version.inputs["secretData"]) == password.outputs["result"]
    (access,) = program.of_type(SECRET_ACCESS)
    assert access.inputs["role"] == "roles/secretmanager.secretAccessor"
    (runtime,) = [a for a in program.of_type(ACCOUNT) if a.name == "tiktok-runtime"]
    assert access.inputs["member"] == f"serviceAccount:{runtime.outputs['email']}"
    assert access.inputs["secretId"] == program.one(SECRET).inputs["secretId"]
    service = program.one(FUNCTION).inputs["serviceConfig"]
    (secret_env,) = service["secretEnvironmentVariables"]
    assert secret_env["key"] == "PROXY_SECRET"
    assert secret_env["secret"] == program.one(SECRET).inputs["secretId"]
    assert secret_env["version"] == version.outputs["version"]
    assert "PROXY_SECRET" not in service["environmentVariables"]
    assert password.outputs["result"] not in str(service["environmentVariables"])


def test_function_env_pins_the_allowed_client_key_and_header():
    service = run(clientKey="awkey9").one(FUNCTION).inputs["serviceConfig"]
    assert service["environmentVariables"] == {
        "ALLOWED_CLIENT_KEYS": "awkey9",
        "PROXY_SECRET_HEADER": "X-Proxy-Secret",
        "UPSTREAM_TIMEOUT_SECONDS": "10",
        "UPSTREAM_MAX_CONNECTIONS": "32",
        "WORKERS": "1",
    }


def test_function_is_public_only_through_run_invoker_on_its_cloud_run_service():
    program = run()
    (invoker,) = program.of_type(INVOKER)
    function = program.one(FUNCTION)
    assert invoker.inputs["role"] == "roles/run.invoker"
    assert invoker.inputs["member"] == "allUsers"
    assert invoker.inputs["name"] == function.outputs["serviceConfig"]["service"]
    public = [
        r
        for r in program.resources
        if any(t in r.typ for t in IAM_TYPES_WITH_MEMBERS)
        and r.inputs.get("member") in {"allUsers", "allAuthenticatedUsers"}
    ]
    assert public == [invoker]
    assert program.of_type("gcp:cloudfunctionsv2/functionIamMember:FunctionIamMember") == []
