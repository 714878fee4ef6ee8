"""`make plan`: the offline plan prints resources, placeholders and outputs, or a config error."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from devtools.mock_runtime import REPO
from devtools.plan import LEGEND, render_plan
from devtools.stacks import stack_names
from tests.processes import make, module
from tests.program import CLIENT_SECRET, PASSWORD, run
from tiktok_auth0.config import DECLARED
from tiktok_auth0.tiktok import SCOPE_FIELDS


def plan(*args: str) -> subprocess.CompletedProcess[str]:
    return module("devtools.plan", *args)


def test_plan_of_the_dev_stack():
    result = plan("--stack", "dev")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Resources (41):" in out
    assert "+ auth0:index/connection:Connection  tiktok-connection" in out
    assert 'options.scopes = ["user.info.basic,user.info.profile"]' in out
    assert "options.clientSecret = [secret]" in out
    assert "options.customHeaders[0].value = [secret]" in out
    assert "placeholder for tiktok-function.url" in out
    assert "clientSecret is not set for this stack" in out
    assert "functionName           tiktok-token-proxy-dev" in out
    # Monitoring, on by default: six metrics, five alert policies, the uptime check, a dashboard.
    assert out.count("+ gcp:logging/metric:Metric ") == 6
    assert out.count("+ gcp:monitoring/alertPolicy:AlertPolicy ") == 5
    assert "+ gcp:monitoring/uptimeCheckConfig:UptimeCheckConfig  tiktok-uptime" in out
    assert "httpCheck.headers.X-Proxy-Secret = [secret]" in out
    assert "httpCheck.path = /tiktok-token-proxy-dev/proxy/health" in out
    assert "+ gcp:monitoring/dashboard:Dashboard  tiktok-dashboard" in out
    for output in ("alertPolicies", "uptimeCheck", "dashboard"):
        assert f"\n    {output} " in out, output


def test_plan_of_the_prod_stack_is_protected():
    result = plan("--stack", "prod")
    assert result.returncode == 0, result.stderr
    assert "tiktok-connection (protected, retained on delete)" in result.stdout
    assert "tiktok-clients (protected)" in result.stdout
    assert "metadata.production = true" in result.stdout
    assert "serviceConfig.minInstanceCount = 1" in result.stdout
    channel = "projects/my-gcp-project-prod/notificationChannels/1234567890123456789"
    assert result.stdout.count(f'notificationChannels = ["{channel}"]') == 5


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_the_note_about_the_missing_client_secret_names_the_stack_to_set_it_on(stack):
    out = plan("--stack", stack).stdout
    assert (
        "note: clientSecret is not set for this stack; planned with a placeholder. Before "
        f"`pulumi up`: pulumi config set --secret clientSecret -s {stack}\n"
    ) in out


def test_plan_reports_config_errors_and_exits_2(tmp_path):
    stack_file = tmp_path / "Pulumi.broken.yaml"
    stack_file.write_text(
        "config:\n"
        "  gcp:project: p\n  gcp:region: r\n"
        "  tiktok-connection:clientKey: k\n"
        "  tiktok-connection:userIdField: email\n"
        "  tiktok-connection:clientSecret:\n    secure: v1:abc\n"
    )
    result = plan("--stack", "broken", "--config-file", str(stack_file))
    assert result.returncode == 2
    assert "userIdField: 'email' is not allowed; use one of union_id, open_id" in result.stderr
    assert "Resources" not in result.stdout
    assert "encrypted in Pulumi.broken.yaml" in result.stdout


def test_plan_text_holds_no_secret_value():
    program = run()
    text = render_plan(program)
    assert CLIENT_SECRET not in text
    assert program.one(PASSWORD).outputs["result"] not in text
    assert "[secret]" in text


def test_plan_masks_exactly_the_values_marked_secret_and_says_so():
    text = render_plan(run())
    assert LEGEND in text and "nothing is masked by its name" in LEGEND
    masked = sorted(
        line.split(" = ")[0].strip() for line in text.splitlines() if "= [secret]" in line
    )
    # The four secret inputs, and the outputs random declares secret (additionalSecretOutputs).
    assert masked == [
        "bcryptHash",
        "httpCheck.headers.X-Proxy-Secret",
        "options.clientSecret",
        "options.customHeaders[0].value",
        "result",
        "secretData",
    ]
    # The rest of the connection's options is shown, for review.
    for shown in ("options.clientId = sbawtestclientkey", "options.customHeaders[0].header = "):
        assert shown in text


@pytest.mark.parametrize(
    ("content", "where", "problem"),
    [
        ("config:\n  gcp:project: p\n  tiktok-connection:scopes: [a\n", ":4:1", "expected ','"),
        ("config:\n  gcp:project: p\n gcp:region: r\n", ":3:", "not valid YAML"),
        ("config:\n\tgcp:project: p\n", ":2:1", "not valid YAML"),
        ("- a list\n", "", "must be a mapping with a `config:` mapping"),
        ("config: [1, 2]\n", "", "must be a mapping with a `config:` mapping"),
    ],
)
def test_a_malformed_stack_file_is_reported_in_one_line(tmp_path, content, where, problem):
    stack_file = tmp_path / "Pulumi.broken.yaml"
    stack_file.write_text(content)
    result = plan("--stack", "broken", "--config-file", str(stack_file))
    assert result.returncode == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: Pulumi.broken.yaml{where}")
    assert problem in line
    assert "Traceback" not in result.stderr and result.stdout == ""


def stack_file_with(tmp_path, **changes):
    """Pulumi.dev.yaml with some of its tiktok-connection keys changed."""
    document = yaml.safe_load((REPO / "Pulumi.dev.yaml").read_text())
    document["config"] |= {f"tiktok-connection:{key}": value for key, value in changes.items()}
    path = tmp_path / "Pulumi.dev.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_plan_shows_what_the_profile_script_asks_for_instead_of_its_body():
    out = plan("--stack", "dev").stdout
    (sha,) = re.findall(r"profileScriptSha256 +([0-9a-f]{64})", out)
    assert "options.scripts.fetchUserProfile = profile_script.js rendered (" in out
    assert f" chars, sha256 {sha}):\n" in out
    assert "user id field  union_id: Auth0 user_id oauth2|tiktok|<union_id>\n" in out
    assert "user info URL  https://open.tiktokapis.com/v2/user/info/\n" in out
    assert (
        "            user.info.basic    "
        + ",".join(SCOPE_FIELDS["user.info.basic"])
        + "\n            user.info.profile  "
        + ",".join(SCOPE_FIELDS["user.info.profile"])
        + "\n"
    ) in out
    assert "function fetchUserProfile" not in out and "user.info.stats" not in out


def test_a_change_of_user_id_field_or_scopes_reads_plainly_in_the_plan(tmp_path):
    changed = stack_file_with(tmp_path, userIdField="open_id")
    out = plan("--stack", "dev", "--config-file", str(changed)).stdout
    assert "user id field  open_id: Auth0 user_id oauth2|tiktok|<open_id>\n" in out
    changed = stack_file_with(tmp_path, scopes=["user.info.basic", "user.info.stats"])
    out = plan("--stack", "dev", "--config-file", str(changed)).stdout
    assert "\n            user.info.stats  follower_count," in out
    assert "user.info.profile  " not in out


def test_plan_shows_the_auth0_tenant_and_the_redirect_uri_to_register_at_tiktok():
    out = plan("--stack", "prod").stdout
    assert "\nAuth0 tenant         my-tenant-prod.eu.auth0.com   (auth0:domain)\n" in out
    assert "\nTikTok redirect URI  https://my-tenant-prod.eu.auth0.com/login/callback\n" in out


def test_an_unknown_stack_is_refused_with_the_stacks_that_exist():
    result = plan("--stack", "doesnotexist")
    assert result.returncode == 2
    assert result.stderr == (
        f"error: no stack 'doesnotexist' (no Pulumi.doesnotexist.yaml); the stacks are "
        f"{', '.join(stack_names())}: choose one with STACK=<stack>, or create "
        "Pulumi.<stack>.yaml to add one\n"
    )


@pytest.mark.parametrize(
    ("target", "given", "shown"),
    [
        ("plan", "../Pulumi.dev", "../Pulumi.dev"),
        ("dev", "../Pulumi.dev", "../Pulumi.dev"),
        ("plan", "$(HOME)", str(Path.home())),  # make expands it before the command sees it
        ("plan", "acme/tiktok-connection/dev", "acme/tiktok-connection/dev"),
        ("plan", "dev prod", "dev prod"),
    ],
)
def test_a_stack_that_is_not_a_plain_stack_name_is_refused_in_one_line(target, given, shown):
    result = make(target, f"STACK={given}")
    ours, *make_says = result.stderr.splitlines()
    assert ours == (
        f"error: STACK={shown} is not a stack name: a plain Pulumi stack name has only letters, "
        f"digits, -, _ and . (the stacks here are {', '.join(stack_names())}), e.g. "
        f"make {target} STACK=prod"
    )
    assert len(make_says) == 1 and make_says[0].endswith("Error 2")
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"functionUrl": "https://f.example"}', 'it has no "deployment" object'),
        ('{"deployment": []}', 'it has no "deployment" object'),
        ('{"deployment": {"resources": null}}', 'its "deployment" has no list of resources'),
        ('{"deployment": {"resources": [{"type": "x"}]}}', "a resource has no urn or type"),
        (
            '{"deployment": {"resources": [{"urn": "x", "type": "x"}]}}',
            "a resource's urn is not urn:pulumi:<stack>::<project>::...",
        ),
        ("not json", "it is not JSON"),
        (None, "No such file or directory"),
    ],
)
def test_a_state_file_that_is_not_a_stack_export_says_what_it_must_be(tmp_path, content, problem):
    state = tmp_path / "prod.state.json"
    if content is not None:
        state.write_text(content)
    result = make("plan", "STACK=prod", f"STATE={state}")
    ours, *make_says = result.stderr.splitlines()
    assert ours == (
        f"error: STATE={state}: not the stack's last deployment as `pulumi stack export` writes "
        f"it ({problem}); write it with `pulumi stack export -s prod --file {state}`"
    )
    assert len(make_says) == 1 and make_says[0].endswith("Error 2")


def test_each_resource_lists_its_inputs_then_what_is_known_after_deploy_each_sorted():
    first, second = plan("--stack", "dev").stdout, plan("--stack", "dev").stdout
    assert first == second
    blocks = first.split("\n  + ")[1:]
    grouped = 0
    for block in blocks:
        inputs, _, known = block.partition("      known after deploy (placeholders here):\n")
        paths = [line.split(" = ")[0][6:] for line in inputs.splitlines() if line[6:7] != " "]
        assert paths[1:] == sorted(paths[1:]), block  # [0] is the resource's own line
        later = [line.split(" = ")[0] for line in known.split("\n\n")[0].splitlines()]
        assert all(line.startswith("        ") for line in later), block
        assert later == sorted(later), block
        grouped += bool(later)
    assert grouped >= 5


def test_make_plan_refuses_a_key_whose_namespace_misspells_the_projects():
    """`tiktok-conection:maxInstances` was planned with the default maxInstances, 10."""
    stack = "namespacetypo"
    stack_file = REPO / f"Pulumi.{stack}.yaml"
    text = (REPO / "Pulumi.dev.yaml").read_text()
    stack_file.write_text(
        text.replace("tiktok-connection:maxInstances", "tiktok-conection:maxInstances")
    )
    line = 1 + text.splitlines().index("  tiktok-connection:maxInstances: 5")
    try:
        result = make("plan", f"STACK={stack}")
    finally:
        stack_file.unlink()
    assert result.returncode != 0
    assert (
        f"  - Pulumi.{stack}.yaml:{line}: tiktok-conection:maxInstances: the namespace "
        "tiktok-conection is not this project's "
        "(tiktok-connection) nor a provider's it uses (auth0, gcp, pulumi, random), so the key "
        "would be ignored; did you mean tiktok-connection:maxInstances?"
    ) in result.stderr.splitlines()
    assert "Resources" not in result.stdout


def test_another_stacks_state_export_is_refused_naming_whose_it_is_and_how_to_write_ours(
    tmp_path,
):
    """`make plan STACK=dev STATE=<prod's export>` planned dev against prod's last deployment."""
    state = tmp_path / "prod.state.json"
    root = "pulumi:pulumi:Stack::tiktok-connection-prod"
    state.write_text(
        '{"version": 3, "deployment": {"resources": [{"urn": "urn:pulumi:prod::'
        f'tiktok-connection::{root}", "type": "pulumi:pulumi:Stack"}}]}}}}'
    )
    result = plan("--stack", "dev", "--state", str(state))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"error: STATE={state}: the `pulumi stack export` of stack 'prod' of project "
        "tiktok-connection, not of stack 'dev' of project tiktok-connection; write this stack's "
        "with `pulumi stack export -s dev --file dev.state.json` and give STATE=dev.state.json, "
        f"or plan that stack: make plan STACK=prod STATE={state}"
    ]
    assert result.stdout == ""
    assert plan("--stack", "prod", "--state", str(state)).returncode == 0


def test_another_projects_state_export_is_refused(tmp_path):
    state = tmp_path / "other.state.json"
    state.write_text(
        '{"deployment": {"resources": [{"urn": "urn:pulumi:dev::other-app::'
        'pulumi:pulumi:Stack::other-app-dev", "type": "pulumi:pulumi:Stack"}]}}'
    )
    result = plan("--stack", "dev", "--state", str(state))
    assert result.returncode == 2
    assert result.stderr.startswith(
        f"error: STATE={state}: the `pulumi stack export` of stack 'dev' of project other-app, "
        "not of stack 'dev' of project tiktok-connection; write this stack's with"
    )


def test_each_config_error_names_the_line_of_its_key_when_the_stack_file_sets_it(tmp_path):
    """The README promises each config error with its line number, the key and the fix; the
    program's own refusals (`maxInstances: ... got 'five'`) had no line."""
    text = (REPO / "Pulumi.dev.yaml").read_text().replace("maxInstances: 5", "maxInstances: five")
    text += "  userIdField2: x\n  tiktok-connection:production: true\n"
    stack_file = tmp_path / "Pulumi.dev.yaml"
    stack_file.write_text(text)
    result = plan("--stack", "dev", "--config-file", str(stack_file))
    assert result.returncode == 2
    lines = text.splitlines()
    at = {
        key: 1 + next(i for i, line in enumerate(lines) if f"{key}:" in line)
        for key in ("maxInstances", "userIdField2")
    }
    problems = [line for line in result.stderr.splitlines() if line.startswith("  - ")]
    assert sorted(problems) == sorted(
        [
            f"  - Pulumi.dev.yaml:{at['userIdField2']}: userIdField2: not declared in "
            "Pulumi.yaml, so it would be ignored; did you mean userIdField? (declared: "
            + ", ".join(sorted(DECLARED))
            + ")",
            f"  - Pulumi.dev.yaml:{at['maxInstances']}: maxInstances: must be a whole number "
            "from 1 to 2147483647 (the API's int32), got 'five'",
            # protect is not in the file: no line to point at, the key and the fix still are.
            "  - protect: must be true when production is true: a production connection must "
            "never be deleted or replaced by a stray change (set protect: true)",
        ]
    )


# Runs `python -m devtools.plan` as `make plan` does, recording each loop Pulumi's runtime hands
# out (`_ensure_event_loop`: the main thread's, and one per thread the mock monitor answers in)
# with the thread it was made for, then says which of them are still open once the command ended.
RECORD_LOOPS = """
import json, runpy, sys, threading
from unittest import mock
from pulumi.runtime import sync_await

made = {}
real = sync_await._ensure_event_loop

def recording():
    loop = real()
    made.setdefault(id(loop), (threading.current_thread().name, loop))
    return loop

sys.argv = ["devtools.plan", "--stack", "dev"]
status = None
with mock.patch.object(sync_await, "_ensure_event_loop", recording):
    try:
        runpy.run_module("devtools.plan", run_name="__main__", alter_sys=True)
    except SystemExit as exit:
        status = exit.code
threads = [thread for thread, _ in made.values()]
still_open = [thread for thread, loop in made.values() if not loop.is_closed()]
print(json.dumps({"status": status, "threads": threads, "open": still_open}), file=sys.stderr)
"""


def test_make_plan_closes_every_event_loop_the_program_ran_on():
    """`make plan` once printed "Exception ignored ... BaseEventLoop.__del__ ... ValueError:
    Invalid file descriptor: -1" and exited 0: the loops Pulumi's mock runtime makes (one per
    thread) were left open, for the garbage collector to close, sometimes after their sockets.
    Each loop is looked at directly as the command ends: closed, not merely unreported."""
    result = subprocess.run(
        [sys.executable, "-X", "dev", "-c", RECORD_LOOPS],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = result.stderr.splitlines()
    report = json.loads(next(line for line in reversed(lines) if line.startswith('{"status"')))
    assert report["status"] == 0, result.stderr
    assert "MainThread" in report["threads"], report
    assert len(report["threads"]) >= 2, report  # the main thread's, and the mock monitor's
    assert report["open"] == [], report
    assert "Exception ignored" not in result.stderr


ROOT = "urn:pulumi:prod::tiktok-connection::pulumi:pulumi:Stack::tiktok-connection-prod"


@pytest.mark.parametrize(
    "deployment",
    [
        {},  # never deployed: `pulumi stack export` leaves `resources` out
        {"resources": []},
        {"resources": [{"urn": ROOT, "type": "pulumi:pulumi:Stack"}]},  # a first up that failed
        {"resources": [{"urn": ROOT, "type": "pulumi:pulumi:Stack", "outputs": {}}]},
    ],
)
def test_an_export_without_stack_outputs_is_planned_with_a_warning_that_skips_the_rename_check(
    tmp_path, deployment
):
    state = tmp_path / "prod.state.json"
    state.write_text(json.dumps({"version": 3, "deployment": deployment}))
    result = plan("--stack", "prod", "--state", str(state))
    assert result.returncode == 0, result.stderr
    assert (
        f"warning: STATE={state}: the rename check is skipped: the export's stack has no outputs "
        "(never deployed, or its first `pulumi up` failed)"
    ) in result.stdout
    assert "note: the stack's state is not read offline" not in result.stdout


def test_an_export_with_stack_outputs_has_no_warning_about_the_rename_check():
    state = REPO / "tests" / "fixtures" / "prod-export-ciphertext.json"
    result = plan("--stack", "prod", "--state", str(state))
    assert result.returncode == 0, result.stderr
    assert "rename check is skipped" not in result.stdout


@pytest.mark.parametrize(
    ("target", "variable", "ours"),
    [
        ("plan", "STACK=-h", "error: no stack '-h'"),
        ("dev", "STACK=-x", "error: no stack '-x'"),
        ("dev", "GRANT=-x", "error: GRANT: -x is not a TikTok Login Kit scope"),
        ("doctor", "STACK=-x", "doctor: cannot read OUTPUTS"),
    ],
)
def test_a_value_starting_with_a_dash_gets_the_projects_refusal_not_argparses(
    target, variable, ours
):
    result = make(target, variable, "OUTPUTS=/nonexistent/outputs.json")
    (line, *make_says) = result.stderr.splitlines()
    assert line.startswith(ours), result.stderr
    assert "expected one argument" not in result.stderr
    assert len(make_says) == 1 and make_says[0].endswith("Error 2")
