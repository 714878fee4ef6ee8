"""README "Going live" stays true: the first-deploy walkthrough runs where it can, its config is
complete, its roles are the documented ones, and the IAM conditions name what the program names."""

from __future__ import annotations

import json
import re
import shlex
import subprocess

import pytest

from devtools.mock_runtime import PROJECT, REPO, run_program
from tests.program import BUCKET, SECRET
from tiktok_auth0.build_account import FUNCTION_SOURCES_BUCKET_PREFIX, SOURCE_READ_CONDITION_TITLE
from tiktok_auth0.token_proxy import BUILD_PROJECT_ROLES, BUILD_SOURCE_ROLE, REQUIRED_APIS

README = (REPO / "README.md").read_text()
GOING_LIVE = README[README.index("## Going live") : README.index("### Stack config")]
GOOGLE_CLOUD = GOING_LIVE[GOING_LIVE.index("### 3. Google Cloud") : GOING_LIVE.index("### 4.")]
(WALKTHROUGH,) = re.findall(
    r"### First deploy on a new project\n.*?```sh\n(.*?)```", GOING_LIVE, flags=re.S
)
GITOPS = README[README.index("## GitOps\n") : README.index("## Policy pack")]
(CI_WALKTHROUGH,) = [
    block
    for block in re.findall(r"```sh\n(.*?)```", GITOPS, flags=re.S)
    if "gcloud projects add-iam-policy-binding" in block
]


def commands(script: str) -> list[str]:
    """Logical lines: continuations joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", script)
    return [line.split(" # ")[0].strip() for line in joined.splitlines() if line.strip()]


def variables(script: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in commands(script):
        if match := re.fullmatch(r"(?:export )?([A-Z_]+)=(\S+)", line):
            name, value = match.groups()
            found[name] = re.sub(r"\$(\w+)", lambda m: found[m.group(1)], value.strip("'\""))
    return found


def expand(line: str, values: dict[str, str]) -> str:
    return re.sub(r"\$\{?(\w+)\}?", lambda m: values.get(m.group(1), m.group(0)), line)


def test_the_make_commands_of_the_walkthrough_run_as_written():
    makes = [line for line in commands(WALKTHROUGH) if line.startswith("make ")]
    assert makes == ["make install", 'make plan STACK="$STACK"']
    script = f"STACK={variables(WALKTHROUGH)['STACK']}\n" + "\n".join(makes)
    result = subprocess.run(
        ["bash", "-euc", script], cwd=REPO, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Plan for stack 'dev'" in result.stdout


def test_the_walkthroughs_config_is_all_a_new_stack_needs():
    """Applied to an empty stack, the `pulumi config set` lines give a config the program takes."""
    values = variables(WALKTHROUGH)
    config: dict[str, str] = {}
    secret_keys: list[str] = []
    for line in commands(WALKTHROUGH):
        if not line.startswith("pulumi config set"):
            continue
        words = shlex.split(expand(line, values))[3:]
        secret, path = "--secret" in words, "--path" in words
        key, *value = [w for w in words if w not in {"--secret", "--path"}]
        name = re.sub(r"\[\d+\]$", "", key)
        full = name if ":" in name else f"{PROJECT}:{name}"
        if path:  # a list item
            config[full] = json.dumps([*json.loads(config.get(full, "[]")), *value])
        else:
            config[full] = value[0] if value else "typed-at-the-prompt"
        if secret:
            secret_keys.append(full)
    program = run_program(
        stack=values["STACK"], config=config, secret_keys=secret_keys, deployed={}
    )
    assert program.exports["gcpProject"].value == values["PROJECT"]
    assert program.exports["functionName"].value == f"tiktok-token-proxy-{values['STACK']}"
    assert program.exports["enabledClients"].value == ["AbCdEf0123456789DevSpaClientId"]
    assert program.warnings == []  # e.g. a custom Auth0 domain


def documented_roles() -> set[str]:
    (table,) = re.findall(r"\| role \| for \|\n\|---\|---\|\n(.*?)\n\n", GOOGLE_CLOUD, flags=re.S)
    return set(re.findall(r"^\| `(roles/[\w.]+)`", table, flags=re.M))


def granted_roles(script: str, member: str) -> set[str]:
    """The roles `member` is granted on the project (not on a bucket)."""
    lines = commands(script)
    roles: set[str] = set()
    for i, line in enumerate(lines):
        if f'--member="{member}"' not in line or "gcloud projects add-iam" not in line:
            continue
        if match := re.search(r"--role=(roles/[\w.]+)", line):
            roles.add(match.group(1))
        elif '--role="$role"' in line:
            loop = next(x for x in reversed(lines[:i]) if x.startswith("for role in"))
            roles |= set(re.findall(r"roles/[\w.]+", loop))
    return roles


@pytest.mark.parametrize(
    ("script", "member"),
    [(WALKTHROUGH, "$DEPLOYER"), (CI_WALKTHROUGH, "serviceAccount:$DEPLOY_SA")],
    ids=["first deploy", "CI deploy identity"],
)
def test_the_deployer_gets_exactly_the_documented_roles(script, member):
    assert documented_roles() == granted_roles(script, member)
    (admin,) = [c for c in commands(script) if "roles/resourcemanager.projectIamAdmin" in c]
    assert f'--member="{member}"' in admin
    assert "--condition-from-file=build-roles-only.yaml" in admin


@pytest.mark.parametrize("script", [WALKTHROUGH, CI_WALKTHROUGH])
def test_the_deployer_may_grant_only_the_build_accounts_project_roles(script):
    """All three, the source read included: it is a project grant too (build_account.py)."""
    (condition,) = re.findall(r"<<'YAML'\n(.*?)\nYAML", script, flags=re.S)
    (expression,) = re.findall(r"^expression: (.*)$", condition, flags=re.M)
    granted = re.fullmatch(
        r"api\.getAttribute\('iam\.googleapis\.com/modifiedGrantsByRole', \[\]\)"
        r"\.hasOnly\(\[(.*)\]\)",
        expression,
    )
    assert granted, expression
    assert set(re.findall(r"'(roles/[\w.]+)'", granted.group(1))) == {
        *BUILD_PROJECT_ROLES.values(),
        BUILD_SOURCE_ROLE,
    }


def test_the_build_accounts_roles_and_the_apis_are_the_programs():
    for role in (*BUILD_PROJECT_ROLES.values(), BUILD_SOURCE_ROLE):
        assert f"`{role}`" in GOOGLE_CLOUD, role
    # The source read: which condition, and the bucket Cloud Functions builds from.
    assert f"`{SOURCE_READ_CONDITION_TITLE}`" in GOOGLE_CLOUD
    assert f"`{FUNCTION_SOURCES_BUCKET_PREFIX}<project number>-<region>`" in GOOGLE_CLOUD
    (apis,) = re.findall(r"The program enables ([\w, ]+?) \(", GOOGLE_CLOUD.replace("\n", " "))
    assert re.split(r", (?:and )?| and ", apis) == list(REQUIRED_APIS)
    for api in ("serviceusage", "cloudresourcemanager"):  # on before the first deploy
        assert f"{api}.googleapis.com" in WALKTHROUGH


def test_every_stack_logs_into_its_own_state_bucket():
    logins = [c for c in commands(README) if c.startswith("pulumi login gs://")]
    logins += [c for c in commands(WALKTHROUGH) if c.startswith("pulumi login")]
    assert logins
    for login in logins:
        assert re.fullmatch(r'pulumi login "?(gs://acme-tiktok-state-[\w$-]+|\$STATE)"?', login)
    assert variables(WALKTHROUGH)["STATE"] == "gs://acme-tiktok-state-dev"


def test_the_read_only_conditions_name_what_the_program_names():
    """A new stack's bucket and secret, as the CI walkthrough's IAM conditions name them."""
    stack = "staging"
    config = {
        "gcp:project": "acme-tiktok-staging-with-a-long-id"[:30],
        "gcp:region": "europe-west1",
        "auth0:domain": "acme-staging.eu.auth0.com",
        f"{PROJECT}:clientKey": "k",
        f"{PROJECT}:clientSecret": "s",
    }
    program = run_program(
        stack=stack, config=config, secret_keys=[f"{PROJECT}:clientSecret"], deployed={}
    )
    prefixes = {
        kind: expand(prefix, {"STACK": stack, "PROJECT_NUMBER": "123"})
        for kind, prefix in re.findall(
            r"resource\.name\.startsWith\('projects/(?:_|\$PROJECT_NUMBER)/(buckets|secrets)/"
            r"([^']+)'\)",
            CI_WALKTHROUGH,
        )
    }
    assert program.one(BUCKET).inputs["name"].startswith(prefixes["buckets"])
    assert program.one(SECRET).inputs["secretId"].startswith(prefixes["secrets"])


# What creates (deploy identity) and what reads on a refresh (read-only identity) each GCP type the
# program declares (Google, IAM roles and permissions index, cloud.google.com/iam/docs/roles-
# permissions: logging.logMetrics.* is in roles/logging.configWriter, and .get in
# roles/logging.viewer; alertPolicies, uptimeCheckConfigs and dashboards in roles/monitoring.editor,
# their .get in roles/monitoring.viewer). A type the program starts declaring fails here until
# someone says which role creates and reads it.
CREATED_BY = {
    "gcp:projects/service:Service": "roles/serviceusage.serviceUsageAdmin",
    "gcp:serviceaccount/account:Account": "roles/iam.serviceAccountAdmin",
    "gcp:projects/iAMMember:IAMMember": "roles/resourcemanager.projectIamAdmin",
    "gcp:storage/bucket:Bucket": "roles/storage.admin",
    "gcp:storage/bucketObject:BucketObject": "roles/storage.admin",
    "gcp:secretmanager/secret:Secret": "roles/secretmanager.admin",
    "gcp:secretmanager/secretVersion:SecretVersion": "roles/secretmanager.admin",
    "gcp:secretmanager/secretIamMember:SecretIamMember": "roles/secretmanager.admin",
    "gcp:cloudfunctionsv2/function:Function": "roles/cloudfunctions.admin",
    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": "roles/run.admin",
    "gcp:logging/metric:Metric": "roles/logging.configWriter",
    "gcp:monitoring/alertPolicy:AlertPolicy": "roles/monitoring.editor",
    "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": "roles/monitoring.editor",
    "gcp:monitoring/dashboard:Dashboard": "roles/monitoring.editor",
}
READ_BY = {
    "gcp:projects/service:Service": "roles/serviceusage.serviceUsageViewer",
    "gcp:serviceaccount/account:Account": "roles/iam.serviceAccountViewer",
    "gcp:projects/iAMMember:IAMMember": "roles/iam.securityReviewer",
    "gcp:storage/bucket:Bucket": "roles/storage.bucketViewer",
    "gcp:storage/bucketObject:BucketObject": "roles/storage.objectViewer",
    "gcp:secretmanager/secret:Secret": "roles/secretmanager.viewer",
    "gcp:secretmanager/secretVersion:SecretVersion": "roles/secretmanager.secretAccessor",
    "gcp:secretmanager/secretIamMember:SecretIamMember": "roles/iam.securityReviewer",
    "gcp:cloudfunctionsv2/function:Function": "roles/cloudfunctions.viewer",
    "gcp:cloudrunv2/serviceIamMember:ServiceIamMember": "roles/iam.securityReviewer",
    "gcp:logging/metric:Metric": "roles/logging.viewer",
    "gcp:monitoring/alertPolicy:AlertPolicy": "roles/monitoring.viewer",
    "gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig": "roles/monitoring.viewer",
    "gcp:monitoring/dashboard:Dashboard": "roles/monitoring.viewer",
}


def declared_gcp_types() -> set[str]:
    """What the dev stack declares with its defaults (monitoring on)."""
    config = {
        "gcp:project": "acme-tiktok-dev",
        "gcp:region": "europe-west1",
        "auth0:domain": "acme-dev.eu.auth0.com",
        f"{PROJECT}:clientKey": "k",
        f"{PROJECT}:clientSecret": "s",
    }
    program = run_program(
        stack="dev", config=config, secret_keys=[f"{PROJECT}:clientSecret"], deployed={}
    )
    return {r.typ for r in program.resources if r.typ.startswith("gcp:")}


def test_the_deployer_can_create_everything_the_program_declares():
    declared = declared_gcp_types()
    assert declared <= set(CREATED_BY), declared - set(CREATED_BY)
    needed = {CREATED_BY[typ] for typ in declared}
    assert needed - documented_roles() == set()


def test_the_read_only_identity_can_refresh_everything_the_program_declares():
    declared = declared_gcp_types()
    assert declared <= set(READ_BY), declared - set(READ_BY)
    needed = {READ_BY[typ] for typ in declared}
    prose = GITOPS[GITOPS.index("**Read-only identity.**") : GITOPS.index("**Deploy identity.**")]
    assert needed - set(re.findall(r"`(roles/[\w.]+)`", prose)) == set()
